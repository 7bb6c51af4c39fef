"""Deterministic red-flag rules -> triage level; no machine learning (one rule reads the model's probabilities)."""

from __future__ import annotations

import numpy as np

from .. import contract
from ..knowledge import KnowledgeBase, RedFlagRule

__all__ = ["evaluate_matrix", "fired_rules", "level_rank", "ten_thousandths", "SELF_CARE",
           "WRITTEN_SCALE"]

SELF_CARE = contract.LEVELS[-1]
_RANK = {level: i for i, level in enumerate(contract.LEVELS)}  # 0 = most severe
WRITTEN_SCALE = 10_000  # probabilities are written with 4 decimals: in ten-thousandths


def level_rank(level: str) -> int:
    """0 for the most severe level (emergency) ... 3 for self_care."""
    return _RANK[level]


def ten_thousandths(P: np.ndarray) -> np.ndarray:
    """Probabilities (an array or one number) as written with 4 decimals, in ten-thousandths (0 ... 10000,
    int); NaN as 0.

    What the output's ``p_<label>`` cells say, and so what the rules and ``likely`` judge.
    """
    return np.rint(np.clip(np.nan_to_num(np.asarray(P, dtype=np.float64)), 0.0, 1.0) * WRITTEN_SCALE).astype(np.intp)


def _fires(rule: RedFlagRule, X: np.ndarray, index: dict[str, int], written: np.ndarray | None,
           label_index: dict[str, int]) -> np.ndarray:
    if rule.kind == "probability_at_least":
        if written is None:  # no probabilities given: like an unknown answer, it cannot fire
            return np.zeros(X.shape[0], dtype=bool)
        cols = [label_index[label] for label in rule.labels]
        return (written[:, cols] >= ten_thousandths(rule.threshold)).any(axis=1)
    values = X[:, [index[a] for a in rule.answers]]
    with np.errstate(invalid="ignore"):
        if rule.kind == "any_yes":
            return (values == 1).any(axis=1)
        if rule.kind == "all_yes":
            return (values == 1).all(axis=1)
        if rule.kind == "count_yes":
            return (values == 1).sum(axis=1) >= rule.threshold
        if rule.kind == "above":
            return (values > rule.threshold).any(axis=1)  # NaN (unknown) is never above
    raise ValueError(f"unknown rule kind {rule.kind!r}")


def evaluate_matrix(kb: KnowledgeBase, X: np.ndarray, answer_ids: tuple[str, ...] | None = None, *,
                    written: np.ndarray | None = None, labels: tuple[str, ...] | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Apply every rule to every case.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_answers)
        1 yes, 0 no, NaN unknown; days for ``duration_days``.
    answer_ids : column names of ``X`` (default: the knowledge base's answers).
    written : ndarray of shape (n_samples, n_labels), int, optional
        The model's probabilities as written with 4 decimals, in ten-thousandths
        (:func:`ten_thousandths`), read by the rules on probabilities (``probable_deficiency``).
        Without them those rules do not fire.
    labels : column names of ``written`` (default: the knowledge base's labels).

    Returns
    -------
    level : ndarray of shape (n_samples,), int — index into ``contract.LEVELS`` (0 = emergency).
    fired : ndarray of shape (n_samples, n_rules), bool — in ``kb.red_flags`` order.
    """
    X = np.asarray(X)
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    index = {a: j for j, a in enumerate(answer_ids or kb.answer_ids)}
    label_index = {label: j for j, label in enumerate(labels or kb.label_ids)}
    fired = np.zeros((X.shape[0], len(kb.red_flags)), dtype=bool)
    level = np.full(X.shape[0], _RANK[SELF_CARE], dtype=np.int8)
    for r, rule in enumerate(kb.red_flags):
        fired[:, r] = _fires(rule, X, index, written, label_index)
        level = np.where(fired[:, r], np.minimum(level, _RANK[rule.level]), level)
    return level, fired


def fired_rules(kb: KnowledgeBase, fired: np.ndarray) -> tuple[RedFlagRule, ...]:
    """The rules of one row of :func:`evaluate_matrix`'s ``fired``, most severe first (then in the knowledge
    base's order)."""
    return tuple(sorted((rule for rule, on in zip(kb.red_flags, fired) if on), key=lambda rule: _RANK[rule.level]))
