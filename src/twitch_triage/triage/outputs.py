"""The triage outputs of many cases: probabilities, likely labels, disposition and the red flags that fired.

The one definition of the outputs: batch scoring, the interview and the one-case :func:`~.case.assess` all
call :func:`likely_picks` and :func:`outputs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .. import contract
from . import redflags
from ..knowledge import KnowledgeBase

__all__ = ["Scorer", "Outputs", "probabilities", "likely_picks", "outputs"]


class Scorer(Protocol):
    """Anything with calibrated probabilities (the trained model, or the oracle).

    A scorer that also has ``predict_all(X)`` (the trained model's
    :meth:`~twitch_triage.model.artifact.Predictor.predict_all`: the labels' probabilities, then P(no label))
    gives ``p_nothing_lacking`` too.
    """

    labels: tuple[str, ...]
    answer_ids: tuple[str, ...]

    def predict_proba(self, X: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Outputs:
    """The triage outputs of many cases, as arrays.

    Attributes
    ----------
    likely_rows, likely_cols : ndarray of shape (n_picked,), int
        The likely labels: case ``likely_rows[k]`` lists label ``likely_cols[k]``; cases in order, each
        case's labels most probable first.
    level : ndarray of shape (n_samples,), int
        The disposition, an index into ``contract.LEVELS`` (0 = emergency).
    fired : ndarray of shape (n_samples, n_rules), bool
        The red-flag rules that fired, in ``kb.red_flags`` order.
    p_ten_thousandths : ndarray of shape (n_samples, n_labels), int
        The probabilities as written with 4 decimals, in ten-thousandths (what the rules and
        ``likely`` judged; :func:`redflags.ten_thousandths`).
    nothing_ten_thousandths : ndarray of shape (n_samples,), int, or None
        ``p_nothing_lacking`` as written with 4 decimals, in ten-thousandths; None when it was not given.
    """

    likely_rows: np.ndarray
    likely_cols: np.ndarray
    level: np.ndarray
    fired: np.ndarray
    p_ten_thousandths: np.ndarray
    nothing_ten_thousandths: np.ndarray | None = None

    @property
    def nothing_leads(self) -> np.ndarray:
        """Per case, whether "nothing lacking" comes first: ``p_nothing_lacking`` as written at least every label's
        (all False when it was not given)."""
        if self.nothing_ten_thousandths is None:
            return np.zeros(self.level.shape[0], dtype=bool)
        return self.nothing_ten_thousandths >= self.p_ten_thousandths.max(axis=1, initial=0)


def probabilities(scorer: Scorer, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The scorer's probabilities for many cases, from one prediction.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_answers), columns in ``scorer.answer_ids`` order.

    Returns
    -------
    P : ndarray of shape (n_samples, n_labels)
        P(label), columns in ``scorer.labels`` order.
    nothing : ndarray of shape (n_samples,), or None
        P(no label) (``p_nothing_lacking``), from the scorer's ``predict_all``; None when it has none.
    """
    L = len(scorer.labels)
    predict_all = getattr(scorer, "predict_all", None)
    if predict_all is None:
        return (scorer.predict_proba(X) if len(X) else np.zeros((0, L))), None
    every = predict_all(X) if len(X) else np.zeros((0, L + 1))
    return every[:, :L], every[:, L]


def likely_picks(P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The labels more likely than not, per case: those whose probability as written (4 decimals) is at least
    ``contract.LIKELY_AT_LEAST``, most probable first (ties in label order), at most ``contract.LIKELY_AT_MOST``.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_labels)

    Returns
    -------
    rows, cols : ndarray of shape (n_picked,), int
        Case ``rows[k]`` lists label ``cols[k]``; cases in order, each case's labels in the order above.
    """
    return _likely_written(redflags.ten_thousandths(P))


def _likely_written(written: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`likely_picks` from the probabilities as written, in ten-thousandths.

    ``np.nonzero`` lists the picks by case and each case's in label order, so one stable sort on (case, less
    probable) puts them in order (a sort of one integer key, all but sorted already: faster than a lexsort); a
    pick is kept when the pick ``LIKELY_AT_MOST`` places before it is another case's.
    """
    rows, cols = np.nonzero(written >= redflags.ten_thousandths(contract.LIKELY_AT_LEAST))  # few per case
    scale = redflags.WRITTEN_SCALE
    order = np.argsort(rows * (scale + 1) + (scale - written[rows, cols]), kind="stable")  # ties: in label order
    rows, cols = rows[order], cols[order]
    most = contract.LIKELY_AT_MOST
    keep = np.ones(rows.size, dtype=bool)
    keep[most:] = rows[most:] != rows[:-most]  # at most `most` picks per case
    return rows[keep], cols[keep]


def outputs(X: np.ndarray, P: np.ndarray, kb: KnowledgeBase, answer_ids: tuple[str, ...],
            labels: tuple[str, ...], nothing: np.ndarray | None = None) -> Outputs:
    """The triage outputs of many cases from their answers and the model's probabilities.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_answers), columns in ``answer_ids`` order; 1 yes, 0 no, NaN unknown.
    P : ndarray of shape (n_samples, n_labels), columns in ``labels`` order.
    nothing : ndarray of shape (n_samples,), optional
        P(no label) (``p_nothing_lacking``); it is only written, nothing else reads it.
    """
    written = redflags.ten_thousandths(P)  # once: the rules, likely and the output cells all read it
    level, fired = redflags.evaluate_matrix(kb, X, answer_ids, written=written, labels=labels)
    rows, cols = _likely_written(written)
    return Outputs(likely_rows=rows, likely_cols=cols, level=level, fired=fired, p_ten_thousandths=written,
                   nothing_ten_thousandths=None if nothing is None else redflags.ten_thousandths(nothing))
