"""One case with its evidence: what the app, the interview's result and the report show for a person's answers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from .. import contract
from . import redflags
from ..answers import AnswerError, format_value, parse_value
from ..knowledge import Cited, KnowledgeBase, Level, RedFlagRule, Source
from .outputs import Scorer, outputs, probabilities

__all__ = ["Evidence", "LabelResult", "Assessment", "case_vector", "assess"]

_MIN_EFFECT = 0.005


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
