"""One case or a matrix of cases in; probabilities, likely labels, disposition and reasons out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Protocol

import numpy as np

from . import config, redflags
from .answers import AnswerError, format_value, parse_value
from .knowledge import Cited, KnowledgeBase, Level, RedFlagRule, Source

__all__ = ["Scorer", "Evidence", "LabelResult", "Assessment", "BatchResult", "case_vector", "assess",
           "assess_matrix", "likely_labels"]

_MIN_EFFECT = 0.005


class Scorer(Protocol):
    """Anything with calibrated probabilities and thresholds (the trained model, or the oracle)."""

    labels: tuple[str, ...]
    answer_ids: tuple[str, ...]
    thresholds: np.ndarray

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
    threshold: float
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

    @property
    def answered(self) -> int:
        return sum(not math.isnan(v) for v in self.answers.values())


@dataclass(frozen=True)
class BatchResult:
    """Results for many cases, as columns.

    Attributes
    ----------
    P : ndarray of shape (n_samples, n_labels)
    likely : list of str, ``;``-separated labels at or above threshold, most probable first
    disposition : ndarray of shape (n_samples,), str
    red_flags : list of str, ``;``-separated ids of the rules that fired
    """

    P: np.ndarray
    likely: list[str]
    disposition: np.ndarray
    red_flags: list[str]


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


def likely_labels(P: np.ndarray, thresholds: np.ndarray, labels: tuple[str, ...]) -> list[str]:
    """Per row: labels with P >= threshold, most probable first, ``;``-separated."""
    above = P >= thresholds[None, :]
    order = np.argsort(-P, axis=1, kind="stable")
    out = []
    for row_order, row_above in zip(order, above):
        out.append(";".join(labels[j] for j in row_order if row_above[j]))
    return out


def assess_matrix(X: np.ndarray, scorer: Scorer, kb: KnowledgeBase) -> BatchResult:
    """Vectorised triage of many cases.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_answers), columns in ``scorer.answer_ids`` order.
    """
    X = np.asarray(X, dtype=np.float64)
    P = scorer.predict_proba(X) if len(X) else np.zeros((0, len(scorer.labels)))
    level, fired = redflags.evaluate_matrix(kb, X, scorer.answer_ids)
    levels = np.array(config.LEVELS, dtype=object)[level]
    ids = [rule.id for rule in kb.red_flags]
    flags = [";".join(ids[r] for r in np.flatnonzero(row)) for row in fired]
    return BatchResult(P=P, likely=likely_labels(P, np.asarray(scorer.thresholds), scorer.labels),
                       disposition=levels, red_flags=flags)


def _kb_link(kb: KnowledgeBase, answer: str, label: str) -> tuple[Source | None, int]:
    """The entry linking an answer to a label, and the direction a "yes" pushes (+1 up, -1 down)."""
    for link in kb.links:
        if link.answer == answer and link.label == label:
            return link.source, +1
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
    scorer : the trained model (:class:`twitch_triage.artifact.Predictor`) or any :class:`Scorer`.
    kb : the knowledge base (red-flag rules, sources, tests).
    explain : compute the per-answer evidence (one extra batch prediction).
    """
    answer_ids = scorer.answer_ids
    x, errors = case_vector(case, answer_ids)
    answered = np.flatnonzero(~np.isnan(x))
    rows = np.repeat(x[None, :], 1 + (answered.size if explain else 0), axis=0)
    if explain:
        rows[np.arange(1, rows.shape[0]), answered] = np.nan
    P = scorer.predict_proba(rows)
    p = P[0]
    thresholds = np.asarray(scorer.thresholds)
    flags = redflags.evaluate(kb, x, answer_ids)
    likely = tuple(likely_labels(p[None, :], thresholds, scorer.labels)[0].split(";")) if (p >= thresholds).any() else ()

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
                    expected_up = bool((direction > 0) == (x[col] == 1)) if answer != config.DAYS_ANSWER else None
                    agrees = None if expected_up is None else bool((effect > 0) == expected_up)
                evidence.append(Evidence(answer, kb.answer(answer).question, value, effect, source, agrees))
            evidence.sort(key=lambda e: -abs(e.effect))
        results.append(LabelResult(label_id, label.name, float(p[j]), float(thresholds[j]), bool(p[j] >= thresholds[j]),
                                   tuple(evidence), label.tests, label.foods, label.advice))
    return Assessment(
        answers={a: float(v) for a, v in zip(answer_ids, x)},
        probabilities={lab: float(v) for lab, v in zip(scorer.labels, p)},
        likely=likely,
        disposition=flags.level,
        level=kb.level(flags.level),
        red_flags=flags.fired,
        labels=tuple(results),
        errors=tuple(errors),
    )
