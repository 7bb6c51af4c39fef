"""Generate, fit, calibrate, evaluate and save: what `make train` runs."""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from . import artifact, manifest
from .. import contract
from .. import oracle
from .. import triage
from .evaluation import RuleScorer, evaluate_scorers
from ..knowledge import KnowledgeBase
from .estimators import build_pipeline

__all__ = ["TrainResult", "train", "evaluate_model", "oracle_posterior", "stage"]

_ORACLE_CHUNK = 20_000


@dataclass
class TrainResult:
    """A trained model, its evaluation, and the held-out cases and probabilities it was evaluated on.

    Attributes
    ----------
    eval_probabilities : dict of str -> ndarray
        Per scorer (``model``, ``oracle``, ``rules``), its probabilities for ``eval_cases``: shape
        (n_cases, n_labels + 1) for the model and the oracle (the labels', then P(no label)), (n_cases, n_labels)
        for the rules.
    """

    predictor: artifact.Predictor
    evaluation: dict
    seconds: dict[str, float]
    eval_cases: oracle.Cases
    eval_probabilities: dict[str, np.ndarray]


@contextlib.contextmanager
def stage(desc: str, total: int | None = None, *, quiet: bool = False, unit: str = "it") -> Iterator[tqdm]:
    """Run one stage of training: shown on standard error (on a terminal a tqdm bar with what is done, the
    rate and the time left when ``total`` is known, else one line with the stage's time when it ends;
    nothing when ``quiet``), its matrix products on one BLAS thread.

    One thread, because BLAS threads that wait for each other lose much when other processes share the
    cores: on 2 busy cores, 30 epochs of the network took 123 s with two threads and 8 s with one, the
    oracle posterior of 100,000 cases 14-28 s against 2-3 s.
    """
    start = time.perf_counter()
    bar = tqdm(total=total, desc=desc, unit=unit, disable=True if quiet else None, dynamic_ncols=True,
               unit_scale=unit == "cases")
    hidden = bool(bar.disable)  # (closing a bar disables it)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield bar
    finally:
        bar.close()
    if hidden and not quiet:
        print(f"{desc}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)


def oracle_posterior(kb: KnowledgeBase, X: np.ndarray, bar: tqdm | None = None) -> np.ndarray:
    """The exact posterior for many cases, in chunks; each chunk's cases are added to ``bar``.

    Returns
    -------
    ndarray of shape (n_samples, n_labels + 1)
        P(label | answers) for each label, then P(no label | answers)
        (:meth:`twitch_triage.oracle.NoisyOrModel.posterior_all`): what the network learns.
    """
    model = oracle.compile_model(kb)
    out = np.empty((X.shape[0], len(kb.label_ids) + 1))
    for start in range(0, X.shape[0], _ORACLE_CHUNK):
        stop = min(start + _ORACLE_CHUNK, X.shape[0])
        out[start:stop] = model.posterior_all(X[start:stop])
        if bar is not None:
            bar.update(stop - start)
    return out


def _listed(P: np.ndarray) -> np.ndarray:
    """The labels ``likely`` lists for each case, as a boolean matrix of ``P``'s shape."""
    listed = np.zeros(P.shape, dtype=bool)
    listed[triage.likely_picks(P)] = True
    return listed


def evaluate_model(kb: KnowledgeBase, scorer, n: int, seed: int, *, quiet: bool = True
                   ) -> tuple[dict, oracle.Cases, dict[str, np.ndarray]]:
    """Model, oracle and rules on ``n`` fresh cases drawn with ``seed``: the contract's JSON object, the cases, and
    each scorer's probabilities (as :attr:`TrainResult.eval_probabilities`)."""
    with stage(f"evaluate on {n:,} held-out cases", 4, quiet=quiet) as bar:
        cases = oracle.sample_cases(kb, n, seed)
        rule_cases = oracle.sample_cases(kb, max(n, 20_000), seed + 1)
        rules = RuleScorer(kb).fit(rule_cases.X, rule_cases.Y)
        bar.update(1)
        probabilities: dict[str, np.ndarray] = {}

        def run(name: str, fn: Callable[[], np.ndarray]) -> Callable[[], np.ndarray]:
            def inner() -> np.ndarray:
                probabilities[name] = fn()
                return probabilities[name]
            return inner

        scorers = {
            "model": run("model", lambda: scorer.predict_all(cases.X)),
            "oracle": run("oracle", lambda: oracle_posterior(kb, cases.X)),
            "rules": run("rules", lambda: rules.predict_proba(cases.X)),
        }
        result = evaluate_scorers(cases.Y, scorers, kb.label_ids, progress=lambda name: bar.update(1), likely=_listed)
    return {"n_cases": int(n), "seed": int(seed), **result}, cases, probabilities


def train(kb: KnowledgeBase, *, n: int = contract.DEFAULT_TRAIN_N, seed: int = contract.DEFAULT_SEED,
          eval_n: int = contract.DEFAULT_EVAL_N, eval_seed: int = contract.DEFAULT_EVAL_SEED,
          models_dir: str | Path | None = None, quiet: bool = False, save: bool = True, **params) -> TrainResult:
    """Train on ``n`` synthetic cases drawn with ``seed`` and save the bundle in ``models_dir``.

    ``params`` go to :class:`twitch_triage.model.estimators.DistilledMultiLabel` (e.g. ``max_iter`` for a quick model).
    """
    if n < 100:
        raise ValueError(f"--n {n} is too small to train on; use at least 100 cases")
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    with stage(f"generate {n:,} cases", n, quiet=quiet, unit="cases") as bar:
        cases = oracle.sample_cases(kb, n, seed)
        bar.update(n)
    with stage("oracle posterior of each (the network's targets)", n, quiet=quiet, unit="cases") as bar:
        soft = oracle_posterior(kb, cases.X, bar)
    seconds["generate"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    pipeline = build_pipeline(kb.answer_ids, random_state=seed, **params)
    with contextlib.ExitStack() as stages:
        bars: dict[str, tqdm] = {}

        def progress(step: str, done: int, total: int) -> None:
            # the model's steps as stages of their own: the network's epochs, then the outputs' calibration
            if step not in bars:
                stages.close()  # the previous stage ends
                desc, unit = {"fit": (f"fit the network ({total} epochs)", "epoch"),
                              "calibrate": (f"calibrate {total} outputs (the labels, p_nothing_lacking)",
                                            "output")}[step]
                bars[step] = stages.enter_context(stage(desc, total, quiet=quiet, unit=unit))
            bars[step].update(done - bars[step].n)

        pipeline.fit(cases.X, cases.Y, model__soft=soft, model__progress=progress)
    seconds["fit"] = time.perf_counter() - t1

    predictor = artifact.Predictor.from_pipeline(
        pipeline, kb.label_ids, kb.answer_ids,
        metadata={"kb_sha256": kb.sha256, "learned_from": manifest.learned_from(kb), "kb_path": Path(kb.path).name,
                  "train_seed": int(seed), "train_n": int(n), "model": repr(pipeline.named_steps["model"])},
    )
    t2 = time.perf_counter()
    evaluation, eval_cases, probabilities = evaluate_model(kb, predictor, eval_n, eval_seed, quiet=quiet)
    seconds["evaluate"] = time.perf_counter() - t2
    seconds["total"] = time.perf_counter() - t0
    predictor.metadata["metrics"] = evaluation
    predictor.metadata["train_seconds"] = {k: round(v, 2) for k, v in seconds.items()}
    if save:
        artifact.save(predictor, models_dir)
    return TrainResult(predictor, evaluation, seconds, eval_cases, probabilities)
