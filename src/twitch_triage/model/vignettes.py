"""Vignettes: cases written from the seeds' sentences, with the disposition and first label they should get.

``python -m twitch_triage.model.vignettes`` scores ``data/vignettes.yaml`` with the model in ``models/`` and
the oracle, and prints the results as Markdown (the README's table).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml

from .. import contract
from ..settings import Settings
from ..triage import redflags
from .. import triage
from ..knowledge import KnowledgeBase

__all__ = ["Vignette", "Result", "NOTHING_LACKING", "load", "run", "markdown"]

NOTHING_LACKING = "nothing_lacking"  # in ``expect.top``: that none of the labels is lacking may come first


@dataclass(frozen=True)
class Vignette:
    """One case as a person answers it: unlisted warning signs are "no", other unlisted answers unknown."""

    id: str
    story: str
    quote: str
    doc: str
    answers: dict[str, Any]
    disposition: str  # the least severe disposition the case should get
    top: tuple[str, ...]  # the labels that may come first, or NOTHING_LACKING


@dataclass(frozen=True)
class Result:
    vignette: Vignette
    disposition: str
    top: str
    probability: float  # of the top label

    @property
    def under_triaged(self) -> bool:
        return redflags.level_rank(self.disposition) > redflags.level_rank(self.vignette.disposition)

    @property
    def over_triaged(self) -> bool:
        return redflags.level_rank(self.disposition) < redflags.level_rank(self.vignette.disposition)

    @property
    def top_agrees(self) -> bool:
        return self.top in self.vignette.top


def _vignette(entry: Any, kb: KnowledgeBase, where: str) -> Vignette:
    if not isinstance(entry, dict) or not {"id", "story", "source", "answers", "expect"} <= set(entry):
        raise ValueError(f"{where}: needs id, story, source, answers and expect")
    unknown = sorted(set(entry["answers"]) - set(kb.answer_ids))
    if unknown:
        raise ValueError(f"{where} ({entry['id']}): unknown answer '{unknown[0]}'")
    expect = entry["expect"]
    if expect.get("disposition") not in contract.LEVELS:
        raise ValueError(f"{where} ({entry['id']}): expected disposition must be one of {list(contract.LEVELS)}")
    top = tuple(expect.get("top") or ())
    if not top or not set(top) <= {*kb.label_ids, NOTHING_LACKING}:
        raise ValueError(f"{where} ({entry['id']}): expected top must list labels of the knowledge base "
                         f"or '{NOTHING_LACKING}'")
    warning = {a.id: "no" for a in kb.answers if a.group == "warning"}
    return Vignette(id=entry["id"], story=entry["story"], quote=entry["source"]["quote"], doc=entry["source"]["doc"],
                    answers={**warning, **entry["answers"]}, disposition=expect["disposition"], top=top)


def load(kb: KnowledgeBase, path: str | Path | None = None) -> tuple[Vignette, ...]:
    """Read the vignettes file (default ``data/vignettes.yaml``); raises ValueError naming a bad entry."""
    path = Settings.from_environment().data_dir / "vignettes.yaml" if path is None else path
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    vignettes = tuple(_vignette(entry, kb, f"vignettes[{i}]") for i, entry in enumerate(raw["vignettes"]))
    if len({v.id for v in vignettes}) != len(vignettes):
        raise ValueError("two vignettes share an id")
    return vignettes


def run(vignettes: tuple[Vignette, ...], kb: KnowledgeBase,
        predict_all: Callable[[np.ndarray], np.ndarray]) -> tuple[Result, ...]:
    """Each vignette's disposition and what comes first, from ``predict_all`` (answers in ``kb.answer_ids`` order ->
    the labels' probabilities in ``kb.label_ids`` order, then p_nothing_lacking) through the same triage as batch
    scoring. "Nothing lacking" comes first when its probability as written is at least every label's."""
    X = np.array([triage.case_vector(v.answers, kb.answer_ids)[0] for v in vignettes])
    both = predict_all(X)
    P, nothing = both[:, :-1], both[:, -1]
    out = triage.outputs(X, P, kb, kb.answer_ids, kb.label_ids, nothing=nothing)
    first = np.argmax(P, axis=1)
    return tuple(Result(v, contract.LEVELS[int(level)], NOTHING_LACKING if lead else kb.label_ids[j],
                        float(nothing[i] if lead else P[i, j]))
                 for i, (v, level, j, lead) in enumerate(zip(vignettes, out.level, first, out.nothing_leads)))


def markdown(results: dict[str, tuple[Result, ...]]) -> list[str]:
    """The results of each scorer (``{"model": ..., "oracle": ...}``) as Markdown lines: a summary, then each case."""
    names = list(results)
    lines = ["| scorer | vignettes | under-triage | over-triage | first label as expected |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for name, rs in results.items():
        n = len(rs)
        lines.append(f"| {name} | {n} | {sum(r.under_triaged for r in rs)} | {sum(r.over_triaged for r in rs)} | "
                     f"{sum(r.top_agrees for r in rs)} of {n} |")
    lines += ["", "| vignette | expected | " + " | ".join(names) + " | expected first | "
              + " | ".join(f"{name} first" for name in names) + " |",
              "| --- | --- | " + " | ".join("---" for _ in names) + " | --- | "
              + " | ".join("---" for _ in names) + " |"]
    for row in zip(*results.values()):
        v = row[0].vignette
        levels = " | ".join(r.disposition + (" (over)" if r.over_triaged else " (**under**)" if r.under_triaged else "")
                            for r in row)
        tops = " | ".join(f"{r.top} {r.probability:.2f}" + ("" if r.top_agrees else " (**not**)") for r in row)
        lines.append(f"| {v.id} | {v.disposition} | {levels} | {' or '.join(v.top)} | {tops} |")
    return lines


def _main() -> None:
    from . import artifact
    from ..oracle import compile_model
    from .. import knowledge

    kb = knowledge.load_default()
    vignettes = load(kb)
    predictor = artifact.load(None, kb=kb)
    oracle = compile_model(kb).posterior_all
    print("\n".join(markdown({"model": run(vignettes, kb, predictor.predict_all),
                              "oracle": run(vignettes, kb, oracle)})))


if __name__ == "__main__":  # pragma: no cover
    _main()
