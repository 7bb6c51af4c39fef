"""One case or a matrix of cases in; probabilities, likely labels, disposition and reasons out.

The one definition of the triage outputs: :func:`likely_picks` and :func:`outputs` work on
matrices; batch scoring, :func:`assess_matrix` and the one-case :func:`assess` all call them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Protocol

import numpy as np

from .. import contract
from . import redflags
from ..answers import AnswerError, format_value, parse_value
from ..knowledge import Cited, KnowledgeBase, Level, RedFlagRule, Source

__all__ = ["Scorer", "Evidence", "LabelResult", "Assessment", "Outputs", "BatchResult", "case_vector",
           "probabilities", "likely_picks", "outputs", "assess", "assess_matrix"]

_MIN_EFFECT = 0.005


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
class Evidence:
    """One answer's push on one label: how much the model's probability moves without it."""

    answer: str
    question: str
    value: str  # "yes", "no" or a number of days
    effect: float  # P(label | all answers) - P(label | this one unknown)
    source: Source | None  # the knowledge base entry that links the two, if any
    agrees_with_kb: bool | None  # None when the knowledge base has no link between them


@dataclass(frozen=True)
class LabelResult:
    label: str
    name: str
    probability: float
    prevalence: float  # how common the deficiency is among the people the cases are generated for
    likely: bool
    evidence: tuple[Evidence, ...]
    tests: tuple[Cited, ...]
    foods: Cited
    advice: Cited


@dataclass(frozen=True)
class Assessment:
    """Everything the app shows for one case."""

    answers: dict[str, float]
    probabilities: dict[str, float]
    likely: tuple[str, ...]
    disposition: str
    level: Level
    red_flags: tuple[RedFlagRule, ...]
    labels: tuple[LabelResult, ...]  # most probable first
    errors: tuple[str, ...]
    p_nothing_lacking: float = math.nan  # P(no label | answers); NaN from a scorer without ``predict_all``

    @property
    def answered(self) -> int:
        return sum(not math.isnan(v) for v in self.answers.values())


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
    written : ndarray of shape (n_samples, n_labels), int
        The probabilities as written with 4 decimals, in ten-thousandths (what the rules and
        ``likely`` judged; :func:`redflags.ten_thousandths`).
    nothing_written : ndarray of shape (n_samples,), int, or None
        ``p_nothing_lacking`` as written with 4 decimals, in ten-thousandths; None when it was not given.
    """

    likely_rows: np.ndarray
    likely_cols: np.ndarray
    level: np.ndarray
    fired: np.ndarray
    written: np.ndarray
    nothing_written: np.ndarray | None = None


@dataclass(frozen=True)
class BatchResult:
    """Results for many cases, as the columns of a scored file.

    Attributes
    ----------
    P : ndarray of shape (n_samples, n_labels)
    likely : list of str, ``;``-separated likely labels, most probable first
    disposition : ndarray of shape (n_samples,), str
    red_flags : list of str, ``;``-separated ids of the rules that fired
    nothing : ndarray of shape (n_samples,), or None
        ``p_nothing_lacking``, P(no label); None from a scorer without ``predict_all``.
    """

    P: np.ndarray
    likely: list[str]
    disposition: np.ndarray
    red_flags: list[str]
    nothing: np.ndarray | None = None


def case_vector(case: Mapping[str, Any], answer_ids: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """A mapping of answers (any accepted spelling) -> vector in ``answer_ids`` order, and errors.

    Keys that are not answers (``case_id``, notes) are ignored; an invalid value is
    recorded in the errors and taken as unknown.
    """
    x = np.full(len(answer_ids), np.nan)
    errors = []
    for j, answer in enumerate(answer_ids):
        if answer in case:
            try:
                x[j] = parse_value(answer, case[answer])
            except AnswerError as exc:
                errors.append(str(exc))
    return x, errors


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
    """:func:`likely_picks` from the probabilities as written, in ten-thousandths."""
    rows, cols = np.nonzero(written >= redflags.ten_thousandths(contract.LIKELY_AT_LEAST))  # few per case
    order = np.lexsort((cols, -written[rows, cols], rows))  # by case, then most probable, then label order
    rows, cols = rows[order], cols[order]
    rank = np.arange(rows.size) - np.searchsorted(rows, rows)  # place within its case
    keep = rank < contract.LIKELY_AT_MOST
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
    return Outputs(likely_rows=rows, likely_cols=cols, level=level, fired=fired, written=written,
                   nothing_written=None if nothing is None else redflags.ten_thousandths(nothing))


def assess_matrix(X: np.ndarray, scorer: Scorer, kb: KnowledgeBase) -> BatchResult:
    """Vectorised triage of many cases.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_answers), columns in ``scorer.answer_ids`` order.
    """
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


def _kb_link(kb: KnowledgeBase, answer: str, label: str) -> tuple[Source | None, int]:
    """The entry linking an answer to a label, and the direction a "yes" pushes (+1 up, -1 down)."""
    for link in kb.links:
        if link.answer == answer and link.label == label:  # an inverse answer's "yes" is its sign's "no"
            return link.source, -1 if kb.answer(answer).inverse else +1
    for factor in kb.risk_factors:
        if factor.cause == answer and factor.label == label:
            return factor.source, +1
    for trigger in kb.triggers:  # a lifestyle cause explains the sign away from the deficiency
        if trigger.cause == answer and any(
            link.label == label and link.answer == trigger.answer for link in kb.links
        ):
            return trigger.source, -1
    return None, 0


def assess(case: Mapping[str, Any], scorer: Scorer, kb: KnowledgeBase, *, explain: bool = True) -> Assessment:
    """Triage one case.

    Parameters
    ----------
    case : mapping of answer id -> value (``"yes"``, ``"no"``, ``True``, ``None``, days, ...).
    scorer : the trained model (:class:`twitch_triage.model.artifact.Predictor`) or any :class:`Scorer`.
    kb : the knowledge base (red-flag rules, sources, tests).
    explain : compute the per-answer evidence (one extra batch prediction).
    """
    from ..oracle import compile_model  # here, not at the top: batch scoring never needs the generator

    answer_ids = scorer.answer_ids
    x, errors = case_vector(case, answer_ids)
    answered = np.flatnonzero(~np.isnan(x))
    rows = np.repeat(x[None, :], 1 + (answered.size if explain else 0), axis=0)
    if explain:
        rows[np.arange(1, rows.shape[0]), answered] = np.nan
    P, nothing = probabilities(scorer, rows)
    p = P[0]
    out = outputs(x[None, :], p[None, :], kb, answer_ids, tuple(scorer.labels))
    likely = tuple(scorer.labels[j] for j in out.likely_cols)
    disposition = contract.LEVELS[int(out.level[0])]
    prevalence = dict(zip(kb.label_ids, compile_model(kb).label_prevalence))

    results = []
    for j in np.argsort(-p, kind="stable"):
        label_id = scorer.labels[j]
        label = kb.label(label_id)
        evidence = []
        if explain:
            for k, col in enumerate(answered):
                effect = float(p[j] - P[1 + k, j])
                if abs(effect) < _MIN_EFFECT:
                    continue
                answer = answer_ids[col]
                source, direction = _kb_link(kb, answer, label_id)
                value = format_value(answer, x[col])
                if direction == 0:
                    agrees = None
                else:
                    expected_up = bool((direction > 0) == (x[col] == 1)) if answer != contract.DAYS_ANSWER else None
                    agrees = None if expected_up is None else bool((effect > 0) == expected_up)
                evidence.append(Evidence(answer, kb.answer(answer).question, value, effect, source, agrees))
            evidence.sort(key=lambda e: -abs(e.effect))
        results.append(LabelResult(label_id, label.name, float(p[j]), float(prevalence[label_id]), label_id in likely,
                                   tuple(evidence), label.tests, label.foods, label.advice))
    return Assessment(
        answers={a: float(v) for a, v in zip(answer_ids, x)},
        probabilities={lab: float(v) for lab, v in zip(scorer.labels, p)},
        likely=likely,
        disposition=disposition,
        level=kb.level(disposition),
        red_flags=redflags.fired_rules(kb, out.fired[0]),
        labels=tuple(results),
        errors=tuple(errors),
        p_nothing_lacking=math.nan if nothing is None else float(nothing[0]),
    )
