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
    within = np.fmin(np.fmax(np.asarray(P, dtype=np.float64), 0.0), 1.0)  # (fmax and fmin pass over NaN: 0)
    return np.rint(within * WRITTEN_SCALE).astype(np.intp)


_COUNTED = frozenset({"any_yes", "all_yes", "count_yes"})  # the rules on how many of their answers are yes


def _fires(rule: RedFlagRule, X: np.ndarray, index: dict[str, int], written: np.ndarray | None,
           label_index: dict[str, int]) -> np.ndarray:
    """Whether a rule that does not count yes answers fires, per case (the counting ones: :func:`_counted`)."""
    if rule.kind == "probability_at_least":
        if written is None:  # no probabilities given: like an unknown answer, it cannot fire
            return np.zeros(X.shape[0], dtype=bool)
        cols = [label_index[label] for label in rule.labels]
        return (written[:, cols] >= ten_thousandths(rule.threshold)).any(axis=1)
    if rule.kind == "above":
        with np.errstate(invalid="ignore"):  # NaN (unknown) is never above
            return (X[:, [index[a] for a in rule.answers]] > rule.threshold).any(axis=1)
    raise ValueError(f"unknown rule kind {rule.kind!r}")


def _counted(rules: list[RedFlagRule], X: np.ndarray, index: dict[str, int]) -> np.ndarray:
    """Whether each rule on how many of its answers are yes fires, shape (n_samples, len(rules)).

    Every rule's yes answers are counted in one matrix product: the counts are whole numbers of at most the
    number of answers, exact in float32 whatever order the product adds them in.
    """
    listed = np.zeros((X.shape[1], len(rules)), dtype=np.float32)  # answer x rule: how often the rule lists it
    needed = np.empty(len(rules), dtype=np.float32)  # yes answers the rule needs
    for r, rule in enumerate(rules):
        for answer in rule.answers:
            listed[index[answer], r] += 1
        needed[r] = {"any_yes": 1, "all_yes": len(rule.answers)}.get(rule.kind, rule.threshold)
    yes = np.empty(X.shape, dtype=np.float32)
    np.equal(X, 1, out=yes, casting="unsafe")  # NaN (unknown) is not yes
    return yes @ listed >= needed


def _levels(rules: tuple[RedFlagRule, ...], fired: np.ndarray) -> np.ndarray:
    """Per case, the most severe level of the rules that fired (self-care when none did), as a rank."""
    ranks = sorted({_RANK[rule.level] for rule in rules} - {_RANK[SELF_CARE]}, reverse=True)  # least severe first
    at = np.zeros((len(rules), len(ranks)), dtype=np.float32)  # rule x level: whether the rule is at that level
    for r, rule in enumerate(rules):
        if rule.level != SELF_CARE:
            at[r, ranks.index(_RANK[rule.level])] = 1
    hits = fired.astype(np.float32) @ at  # per case and level: how many rules at that level fired (exact)
    level = np.full(fired.shape[0], _RANK[SELF_CARE], dtype=np.int8)
    for k, rank in enumerate(ranks):  # a more severe level overwrites a less severe one
        level[hits[:, k] > 0] = rank
    return level


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
    rules = kb.red_flags
    fired = np.zeros((X.shape[0], len(rules)), dtype=bool)
    counted = [r for r, rule in enumerate(rules) if rule.kind in _COUNTED]
    if counted:
        fired[:, counted] = _counted([rules[r] for r in counted], X, index)
    for r, rule in enumerate(rules):
        if rule.kind not in _COUNTED:
            fired[:, r] = _fires(rule, X, index, written, label_index)
    return _levels(rules, fired), fired


def fired_rules(kb: KnowledgeBase, fired: np.ndarray) -> tuple[RedFlagRule, ...]:
    """The rules of one row of :func:`evaluate_matrix`'s ``fired``, most severe first (then in the knowledge
    base's order)."""
    return tuple(sorted((rule for rule, on in zip(kb.red_flags, fired) if on), key=lambda rule: _RANK[rule.level]))
