"""The case being checked: its answers, in the order given, kept in the session and in the page's address.

The address holds every answer as a short query parameter (``?loc_eyelid=y&cramps=n&duration_days=20``;
``u`` is "don't know"), so that a case can be bookmarked and reopened exactly where it was left: days are written
exactly (``14.000001``, never rounded, never with an exponent). Parameters that are not answers, or values that
are not valid, are dropped with a notice. An answer given twice with different values (``chest_pain=y&chest_pain=n``)
is left out with a notice that names it, so that the interview asks it again: a warning sign is never settled by
whichever value came last. An address Streamlit could not read whole (more than 1,000 parameters, or more than
512 Ki characters: it then drops all of it) is said so, instead of opening an empty case without a word.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import streamlit as st

from twitch_triage import contract
from twitch_triage.answers import AnswerError, format_days, format_value, parse_value
from twitch_triage.knowledge import KnowledgeBase
from . import shared

__all__ = ["YES", "NO", "UNKNOWN", "CHOICES", "MAX_DAYS", "UNREAD", "days_problem", "from_params", "to_params",
           "answers", "replace", "show_ignored", "keep_word_of_an_unread_address"]

YES, NO, UNKNOWN = "yes", "no", "unknown"
CHOICES = {YES: "Yes", NO: "No", UNKNOWN: "Don't know"}  # the answers as the buttons and the form say them
_SHORT = {YES: "y", NO: "n", UNKNOWN: "u"}
_LONG = {short: long for long, short in _SHORT.items()}
MAX_DAYS = 36_500  # a hundred years: a longer time is a typing slip
_KEY, _IGNORED = "case", "case_ignored"
UNREAD = "address_unread"  # stands for an address Streamlit dropped whole; its value: how many parameters it had


def days_problem(value: float | None) -> str | None:
    """What is wrong with a number of days typed in (None when it is fine, or left empty for "don't know")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value < 0 or value > MAX_DAYS:
        return (f"{format_days(value)} days is not a possible duration: enter a number of days from 0 to {MAX_DAYS:,}, "
                "or leave it empty if you don't know.")
    return None


def _clip(text: str, at: int = 40) -> str:
    return text if len(text) <= at else text[:at] + "…"


def _value(answer_id: str, text: str) -> str | float:
    """One parameter's value as an answer ("yes", "no", "unknown", or days); raises AnswerError."""
    text = _LONG.get(text.strip().lower(), text)
    value = parse_value(answer_id, text)
    if answer_id == contract.DAYS_ANSWER:
        if math.isnan(value):
            return UNKNOWN
        if days_problem(value):
            raise AnswerError(f"{answer_id}: {format_days(value)} is more days than a lifetime")
        return value
    return UNKNOWN if math.isnan(value) else format_value(answer_id, value)


def from_params(params: Mapping[str, str | Sequence[str]], kb: KnowledgeBase) -> tuple[dict[str, str | float], list[str]]:
    """The answers a page address holds, in its order, and one line per parameter that was ignored.

    ``params`` maps each key to its value, or to every value it was given (``st.query_params.get_all``). A key
    given several times with values that mean different answers is left out, with a line that names it.
    """
    found, ignored = {}, []
    known = set(kb.answer_ids)
    for key, given in params.items():
        texts = [given] if isinstance(given, str) else list(given)
        if key == UNREAD:
            ignored.append(_unread_line(texts[-1] if texts else ""))
            continue
        if key not in known:
            ignored.append(f"'{_clip(key)}' is not a question of this page")
            continue
        if not texts:
            continue
        values = []
        for text in texts:
            try:
                values.append(_value(key, text))
            except AnswerError:
                expected = "a number of days or u" if key == contract.DAYS_ANSWER else "y, n or u"
                ignored.append(f"{key}: '{_clip(text)}' is not {expected}")
                break
        else:
            if len(set(values)) > 1:
                ignored.append(f"{key} is given {len(texts)} times, as "
                               f"{' and '.join(repr(_clip(t, 10)) for t in texts[:3])}{' …' if len(texts) > 3 else ''}"
                               ": it is left out and asked again")
            else:
                found[key] = values[0]
    return found, ignored


def _unread_line(count: str) -> str:
    many = f"{int(count):,} parameters" if count.isdigit() and len(count) < 10 else "too many parameters"
    return (f"this page's address had {many}, more than the "
            f"{_MAX_FIELDS:,} (or {_MAX_LENGTH // 1024:,} Ki characters) the app can read, so none of it was read: "
            "the case starts empty")


def to_params(answers: Mapping[str, str | float]) -> dict[str, str]:
    """The answers as short query parameters: y / n / u, days as the exact number (it reads back equal)."""
    return {key: _SHORT[value] if isinstance(value, str) else format_days(value) for key, value in answers.items()}


def _address() -> dict[str, list[str]]:
    """The page's address: each key with every value it was given."""
    return {key: st.query_params.get_all(key) for key in st.query_params}


def answers(kb: KnowledgeBase) -> dict[str, str | float]:
    """This session's case: read from the page's address on the first run, from the session after."""
    if _KEY not in st.session_state:
        found, ignored = from_params(_address(), kb)
        st.session_state[_KEY] = found
        st.session_state[_IGNORED] = ignored
    elif UNREAD in st.query_params:  # the address was dropped on the first run, before the app could hear of it
        st.session_state[_IGNORED] = [*st.session_state.get(_IGNORED, []), _unread_line(st.query_params[UNREAD])]
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


_MAX_FIELDS, _MAX_LENGTH = 1000, 512 * 1024  # Streamlit's limits (runtime.state.query_params), where it has none


def keep_word_of_an_unread_address() -> None:
    """Make Streamlit say when it drops a page's address whole.

    Streamlit (1.6x) reads no part of an address with more than 1,000 parameters or 512 Ki characters: the
    script sees an empty ``st.query_params``, as if there were none, and ``chest_pain=y`` at its end would vanish
    without a word. Its sanitizer is wrapped so that such an address reaches the app as the one parameter
    :data:`UNREAD` (with the count of parameters), which :func:`from_params` turns into a notice. Idempotent;
    does nothing under a Streamlit without that sanitizer. The wrapper is in place from the first import of this
    module on: in a server's very first session the notice comes on the first rerun.
    """
    global _MAX_FIELDS, _MAX_LENGTH
    try:
        from streamlit.runtime import app_session
        from streamlit.runtime.state import query_params
    except ImportError:  # pragma: no cover - another Streamlit layout
        return
    original = getattr(app_session, "sanitize_query_string", None)
    if original is None or getattr(original, "keeps_word", False):
        return
    _MAX_FIELDS = getattr(query_params, "CLIENT_STATE_QUERY_STRING_MAX_FIELDS", _MAX_FIELDS)
    _MAX_LENGTH = getattr(query_params, "CLIENT_STATE_QUERY_STRING_MAX_LENGTH", _MAX_LENGTH)

    def sanitize(query_string: str) -> str:
        kept = original(query_string)
        if query_string and not kept:
            return f"{UNREAD}={query_string.count('&') + 1}"
        return kept

    sanitize.keeps_word = True  # type: ignore[attr-defined]
    app_session.sanitize_query_string = sanitize


keep_word_of_an_unread_address()
