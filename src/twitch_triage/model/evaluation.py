"""Metrics for the model, the oracle and the seeds' rules on the same held-out cases."""

from __future__ import annotations

from typing import Callable

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from ..knowledge import KnowledgeBase
from .estimators import nothing_lacking

__all__ = ["MIN_CASES", "metrics", "binary_metrics", "likely_metrics", "expected_calibration_error", "reliability",
           "RuleScorer", "evaluate_scorers"]

MIN_CASES = 100  # fewer, and the rarer labels (about 6 % of cases) often have no case to rank
_BINS = 15


def reliability(y: np.ndarray, p: np.ndarray, bins: int = _BINS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per non-empty equal-width bin: mean predicted probability, observed frequency, count."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    count = np.bincount(idx, minlength=bins)
    used = count > 0
    mean_p = np.bincount(idx, weights=p, minlength=bins)[used] / count[used]
    freq = np.bincount(idx, weights=y, minlength=bins)[used] / count[used]
    return mean_p, freq, count[used]


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = _BINS) -> float:
    """Weighted mean |mean predicted - observed frequency| over equal-width probability bins."""
    mean_p, freq, count = reliability(y, p, bins)
    return float(np.sum(count * np.abs(mean_p - freq)) / max(int(count.sum()), 1))


def _summary(reduce: Callable[[list[float]], float], values: list[float | None]) -> float | None:
    """``reduce`` over the defined values, rounded; None if no value is defined."""
    defined = [v for v in values if v is not None]
    return round(float(reduce(defined)), 6) if defined else None


def binary_metrics(y: np.ndarray, p: np.ndarray) -> dict:
    """AUROC, log-loss, Brier score and ECE of probabilities ``p`` for outcomes ``y``, rounded.

    The AUROC is None (null in JSON) when every case has the outcome or none has it.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), 0/1
    p : ndarray of shape (n_samples,), probabilities
    """
    y = np.asarray(y)
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    return {
        "auroc": round(float(roc_auc_score(y, p)), 6) if 0 < y.sum() < len(y) else None,
        "log_loss": round(float(log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])), 6),
        "brier": round(float(brier_score_loss(y, p)), 6),
        "ece": round(expected_calibration_error(y, p), 6),
    }


def metrics(Y: np.ndarray, P: np.ndarray, labels: tuple[str, ...]) -> dict:
    """The contract's metrics block for one scorer.

    A label's AUROC is None (null in JSON) when its cases all have it or all
    lack it; the macro AUROC averages the labels where it is defined. No value
    is NaN, so the block is valid JSON.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_labels), 0/1
    P : ndarray of shape (n_samples, n_labels), probabilities
    """
    Y = np.asarray(Y)
    P = np.asarray(P, dtype=float)
    per_label = {label: binary_metrics(Y[:, j], P[:, j]) for j, label in enumerate(labels)}
    values = per_label.values()
    return {
        "macro_auroc": _summary(np.mean, [v["auroc"] for v in values]),
        "mean_log_loss": _summary(np.mean, [v["log_loss"] for v in values]),
        "macro_brier": _summary(np.mean, [v["brier"] for v in values]),
        "max_ece": _summary(np.max, [v["ece"] for v in values]),
        "per_label": per_label,
    }


def likely_metrics(Y: np.ndarray, listed: np.ndarray) -> dict:
    """The contract's ``likely`` block: how right the labels listed as likely are, over all labels of all cases.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_labels), 0/1
    listed : ndarray of shape (n_samples, n_labels), bool — the labels ``likely`` lists

    Returns
    -------
    dict with ``precision`` (None when nothing is listed), ``recall`` (None when no case lacks anything)
    and ``mean_count`` (labels listed per case).
    """
    Y = np.asarray(Y, dtype=bool)
    listed = np.asarray(listed, dtype=bool)
    hits, n_listed, n_true = int((Y & listed).sum()), int(listed.sum()), int(Y.sum())
    return {
        "precision": round(hits / n_listed, 6) if n_listed else None,
        "recall": round(hits / n_true, 6) if n_true else None,
        "mean_count": round(n_listed / max(len(Y), 1), 6),
    }


class RuleScorer:
    """The seeds' pattern list ("eyelid twitching -> magnesium", seed 001's table) as a scorer.

    A label's score is the number of the knowledge base's ``patterns`` that name
    it and match the case. Scores become probabilities by an isotonic map fitted
    on separate cases (so the rules are judged on their ranking and given a fair
    calibration, not penalised for having none).
    """

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.index = {a: j for j, a in enumerate(kb.answer_ids)}

    def scores(self, X: np.ndarray) -> np.ndarray:
        """Shape (n_samples, n_labels): how many seed patterns point at each label."""
        X = np.asarray(X, dtype=float)
        yes = X == 1
        S = np.zeros((X.shape[0], len(self.kb.label_ids)))
        for pattern in self.kb.patterns:
            match = np.ones(X.shape[0], dtype=bool)
            for a in pattern.all_yes:
                match &= yes[:, self.index[a]]
            if pattern.any_yes:
                match &= yes[:, [self.index[a] for a in pattern.any_yes]].any(axis=1)
            if pattern.also_any_yes:
                match &= yes[:, [self.index[a] for a in pattern.also_any_yes]].any(axis=1)
            for label in pattern.labels:
                S[:, self.kb.label_ids.index(label)] += match
        return S

    def fit(self, X: np.ndarray, Y: np.ndarray) -> "RuleScorer":
        S = self.scores(X)
        self.calibrators_ = [
            IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(S[:, j], Y[:, j]) for j in range(S.shape[1])
        ]
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        S = self.scores(X)
        return np.column_stack([iso.predict(S[:, j]) for j, iso in enumerate(self.calibrators_)])


def evaluate_scorers(Y: np.ndarray, scorers: dict[str, Callable[[], np.ndarray]], labels: tuple[str, ...],
                     progress: Callable[[str], None] | None = None,
                     likely: Callable[[np.ndarray], np.ndarray] | None = None) -> dict:
    """``{name: metrics}`` for each scorer's probabilities on the same cases.

    A scorer gives the labels' probabilities, shape (n_samples, n_labels), or those and then
    P(no label), shape (n_samples, n_labels + 1): its block then has a ``nothing_lacking`` block
    (:func:`binary_metrics` of that column against whether the case lacks no label). With ``likely``
    (the labels' probabilities -> the labels listed as likely, bool of the same shape), each block
    also has the ``likely`` block.
    """
    out = {}
    L = len(labels)
    for name, predict in scorers.items():
        if progress:
            progress(name)
        P = predict()
        out[name] = metrics(Y, P[:, :L], labels)
        if likely is not None:
            out[name]["likely"] = likely_metrics(Y, likely(P[:, :L]))
        if P.shape[1] == L + 1:
            out[name]["nothing_lacking"] = binary_metrics(nothing_lacking(Y)[:, L], P[:, L])
    return out
