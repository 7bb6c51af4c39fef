"""The adaptive interview: one stateless step from the answers so far to the next question.

Each call carries every answer given so far (contract, "Interview step"); :func:`step` answers with the next
question, whether to stop and why, and what batch scoring gives for the same answers.

- :mod:`~twitch_triage.interview.questions`: the checklist, the core history, the topics.
- :mod:`~twitch_triage.interview.policy`: the safety policy (what must come first, when to stop).
- :mod:`~twitch_triage.interview.value`: the value of a question for what the person is shown.
- :mod:`~twitch_triage.interview.interviewer`: the step that puts them together.
- :mod:`~twitch_triage.interview.explain`: why a question is asked, the triggers, the signs left unsure.
- :mod:`~twitch_triage.interview.what_if`: each answer turned round.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, Mapping

import numpy as np

from ..answers import parse_value
from ..knowledge import KnowledgeBase
from .explain import unsure_signs
from .interviewer import ITEM_AT_LEAST, NEEDED_AT_LEAST, STOP_BELOW, Choice, Interviewer
from .policy import MAX_SCREENS
from .questions import CHECKLIST, LIFESTYLE, WHERE, Question
from . import explain as _explain
from . import what_if as _what_if

__all__ = ["Question", "Choice", "Interviewer", "step", "what_if", "form_order", "interviewer", "unsure_signs",
           "triggers", "unsure",
           "STOP_BELOW", "ITEM_AT_LEAST", "NEEDED_AT_LEAST", "MAX_SCREENS", "CHECKLIST", "WHERE", "LIFESTYLE"]

def form_order(kb: KnowledgeBase) -> tuple[str, ...]:
    """The answers in the order the full form asks them: the knowledge base's groups in order, each group's
    answers in the file's order (the warning signs are its first group)."""
    rank = {g.id: i for i, g in enumerate(kb.groups)}
    return tuple(a.id for a in sorted(kb.answers, key=lambda a: rank[a.group]))


def interviewer(kb: KnowledgeBase | None = None, model: Any = None) -> Interviewer:
    """The :class:`Interviewer` of ``kb`` and ``model`` (default: the knowledge base as it is now and the saved
    model in ``models/`` trained on it).

    Built anew on each call: 0.25 ms, against 1 to 7 ms for a step. What takes long to build, the oracle
    (140 ms), is kept by :func:`~twitch_triage.oracle.compile_model`.
    """
    from ..model import artifact
    from .. import knowledge

    kb = knowledge.load_default() if kb is None else kb
    return Interviewer(kb, artifact.load(kb=kb) if model is None else model)


@contextlib.contextmanager
def _parsed(answers: Mapping[str, Any], kb: KnowledgeBase | None, model: Any) -> Iterator[tuple[Interviewer, np.ndarray]]:
    """The interviewer and the parsed answers, with the model's products on one BLAS thread."""
    from ..scoring.blas import one_blas_thread

    it = interviewer(kb, model)
    x, _ = it.parse(answers)
    with one_blas_thread():
        yield it, x


def step(answers: Mapping[str, Any], *, kb: KnowledgeBase | None = None, model: Any = None,
         for_report: bool = False) -> dict[str, Any]:
    """One stateless interview step.

    Parameters
    ----------
    answers : mapping of answer id -> value as in a CSV cell (``"yes"``, ``"no"``, ``"unknown"``; days as a
        number). A missing key is unknown and may be asked; a key given as unknown was asked. The order of the
        keys is the order the answers were given (it counts the screens).
    kb, model : the knowledge base and the trained model (default: the project's).
    for_report : go on asking after an urgent stop, for the doctor's report, until the usual stop.

    Returns
    -------
    dict with ``question`` (None when ``should_stop``), ``should_stop``, ``stopped_because`` (None while asking,
    else ``emergency``, ``urgent``, ``enough``, ``cap`` or ``nothing_left``), ``remaining`` (screens still to
    come, this one included; 0 only at the stop, 1 only when the stop after it is certain), ``expected_gain``
    (the chance that the question's answers change what is shown), ``probabilities``, ``p_nothing_lacking``,
    ``likely``, ``disposition``, ``red_flags`` (what batch scoring writes for the same answers), ``triggers``
    and ``asked`` (screens answered).

    Raises
    ------
    ValueError
        One line: a key that is not an answer, or a value that is not valid for it.
    """
    return interviewer(kb, model).step(answers, for_report=for_report)


def what_if(answers: Mapping[str, Any], *, kb: KnowledgeBase | None = None,
            model: Any = None) -> dict[str, dict[str, Any]]:
    """For each yes/no answer given, the outputs if it were the other way (one batched model call)."""
    with _parsed(answers, kb, model) as (it, x):
        return _what_if.what_if(it, x)


def triggers(answers: Mapping[str, Any], *, kb: KnowledgeBase | None = None, model: Any = None) -> tuple[str, ...]:
    """The lifestyle answers answered yes that the knowledge base links to a sign answered yes, most influential
    first (the step's ``triggers``)."""
    with _parsed(answers, kb, model) as (it, x):
        return _explain.triggers(it.kb, x, lambda X: it.outputs(X)[0][:, -1])


def unsure(answers: Mapping[str, Any], kb: KnowledgeBase) -> tuple[tuple[str, str], ...]:
    """The warning signs answered "don't know" in ``answers`` (other keys are ignored), each with the level it would
    reach on its own, most severe first."""
    ids = kb.answer_ids
    x = np.full(len(ids), np.nan)
    given = np.zeros(len(ids), dtype=bool)
    for key, value in answers.items():
        if key in ids:
            x[ids.index(key)] = parse_value(key, value)
            given[ids.index(key)] = True
    return unsure_signs(kb, x, given)
