"""Reference forms of the triage, for tests: one case's red flags, and many cases' outputs as the columns of a
scored file, written the slow and obvious way from the library's matrix functions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twitch_triage import contract
from twitch_triage.triage import outputs, probabilities, redflags


@dataclass(frozen=True)
class RedFlagResult:
    """The disposition of one case and the rules that fired, most severe first."""

    level: str
    fired: tuple


def evaluate(kb, x, answer_ids=None, *, p=None, labels=None) -> RedFlagResult:
    """One case (a vector in ``answer_ids`` order, and optionally its probabilities ``p`` in ``labels``
    order): its level and the rules that fired."""
    level, fired = redflags.evaluate_matrix(kb, np.asarray(x, dtype=np.float64)[None, :], answer_ids,
                                            written=None if p is None else redflags.ten_thousandths(
                                                np.asarray(p)[None, :]), labels=labels)
    return RedFlagResult(contract.LEVELS[int(level[0])], redflags.fired_rules(kb, fired[0]))


@dataclass(frozen=True)
class BatchResult:
    """Results for many cases, as the columns of a scored file."""

    P: np.ndarray
    likely: list[str]
    disposition: np.ndarray
    red_flags: list[str]
    nothing: np.ndarray | None = None


def assess_matrix(X, scorer, kb) -> BatchResult:
    """Many cases' outputs (``X`` of shape (n_samples, n_answers) in ``scorer.answer_ids`` order), one list
    per column."""
    X = np.asarray(X, dtype=np.float64)
    P, nothing = probabilities(scorer, X)
    out = outputs(X, P, kb, tuple(scorer.answer_ids), tuple(scorer.labels))
    likely: list[list[str]] = [[] for _ in range(len(X))]
    for i, j in zip(out.likely_rows, out.likely_cols):
        likely[i].append(scorer.labels[j])
    ids = [rule.id for rule in kb.red_flags]
    return BatchResult(P=P, likely=[";".join(names) for names in likely],
                       disposition=np.array(contract.LEVELS, dtype=object)[out.level],
                       red_flags=[";".join(ids[r] for r in np.flatnonzero(row)) for row in out.fired], nothing=nothing)
