"""The case being checked: its answers, in the order given, kept in the session and in the page's address.

The address holds every answer as a short query parameter (``?loc_eyelid=y&cramps=n&duration_days=20``;
``u`` is "don't know"), so that a case can be bookmarked and reopened exactly where it was left. Parameters
that are not answers, or values that are not valid, are dropped with a notice.
"""

from __future__ import annotations

import math
from typing import Mapping

import streamlit as st

from twitch_triage import config
from twitch_triage.answers import AnswerError, format_value, parse_value
from twitch_triage.knowledge import KnowledgeBase
from twitch_triage_app import shared

__all__ = ["YES", "NO", "UNKNOWN", "CHOICES", "MAX_DAYS", "days_problem", "from_params", "to_params", "answers",
           "replace", "show_ignored"]

YES, NO, UNKNOWN = "yes", "no", "unknown"
CHOICES = {YES: "Yes", NO: "No", UNKNOWN: "Don't know"}  # the answers as the buttons and the form say them
_SHORT = {YES: "y", NO: "n", UNKNOWN: "u"}
_LONG = {short: long for long, short in _SHORT.items()}
MAX_DAYS = 36_500  # a hundred years: a longer time is a typing slip
_KEY, _IGNORED = "case", "case_ignored"


def days_problem(value: float | None) -> str | None:
    """What is wrong with a number of days typed in (None when it is fine, or left empty for "don't know")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value < 0 or value > MAX_DAYS:
        return (f"{value:g} days is not a possible duration: enter a number of days from 0 to {MAX_DAYS:,}, "
                "or leave it empty if you don't know.")
    return None


def _clip(text: str, at: int = 40) -> str:
    return text if len(text) <= at else text[:at] + "…"


def _value(answer_id: str, text: str) -> str | float:
    """One parameter's value as an answer ("yes", "no", "unknown", or days); raises AnswerError."""
    text = _LONG.get(text.strip().lower(), text)
    value = parse_value(answer_id, text)
    if answer_id == config.DAYS_ANSWER:
        if math.isnan(value):
            return UNKNOWN
        if days_problem(value):
            raise AnswerError(f"{answer_id}: {value:g} is more days than a lifetime")
        return value
    return UNKNOWN if math.isnan(value) else format_value(answer_id, value)


def from_params(params: Mapping[str, str], kb: KnowledgeBase) -> tuple[dict[str, str | float], list[str]]:
    """The answers a page address holds, in its order, and one line per parameter that was ignored."""
    found, ignored = {}, []
    known = set(kb.answer_ids)
    for key, text in params.items():
        if key not in known:
            ignored.append(f"'{_clip(key)}' is not a question of this page")
            continue
        try:
            found[key] = _value(key, text)
        except AnswerError:
            expected = "a number of days or u" if key == config.DAYS_ANSWER else "y, n or u"
            ignored.append(f"{key}: '{_clip(text)}' is not {expected}")
    return found, ignored


def to_params(answers: Mapping[str, str | float]) -> dict[str, str]:
    """The answers as short query parameters: y / n / u, days as a number."""
    return {key: _SHORT[value] if isinstance(value, str) else f"{value:g}" for key, value in answers.items()}


def answers(kb: KnowledgeBase) -> dict[str, str | float]:
    """This session's case: read from the page's address on the first run, from the session after."""
    if _KEY not in st.session_state:
        found, ignored = from_params(st.query_params.to_dict(), kb)
        st.session_state[_KEY] = found
        st.session_state[_IGNORED] = ignored
    case = st.session_state[_KEY]
    if st.query_params.to_dict() != to_params(case):  # also puts the case back after a visit to another page
        st.query_params.from_dict(to_params(case))
    return dict(case)


def replace(new: Mapping[str, str | float]) -> None:
    """Make ``new`` the case (in the session, and in the address on this run)."""
    st.session_state[_KEY] = dict(new)
    st.query_params.from_dict(to_params(new))


def show_ignored(kb: KnowledgeBase) -> None:
    """A notice for the parameters of the page's address that were not understood, once."""
    answers(kb)
    ignored = st.session_state.pop(_IGNORED, [])
    if ignored:
        st.warning("Part of this page's address was not understood and is left out; the rest of the case is "
                   "shown.\n" + "\n".join(f"- {shared.verbatim(line)}" for line in ignored),
                   icon=":material/link_off:")
