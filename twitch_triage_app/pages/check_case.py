"""Page "Check a case": the interview (one question at a time), or every question at once for people who prefer
it; both keep the case in the page's address and show the same result."""

from __future__ import annotations

import streamlit as st

from twitch_triage.knowledge import Answer, KnowledgeBase
from twitch_triage_app.ui import case, result, shared, wizard

__all__ = ["ask", "SIGN_CHOICES"]  # a page script: Streamlit runs it

YES, NO, UNKNOWN = case.YES, case.NO, case.UNKNOWN
SIGN_CHOICES = wizard.ITEM_CHOICES  # a warning sign's answers, as the interview's screens say them
_CHECKED = "form_checked"  # the form's answers were checked and have not changed since: the result shows
_PROBLEM = "form_problem"  # a message about the form's input, shown next to its button


def _changed() -> None:
    """An answer of the form changed: its result, if any, is no longer the result of what the form shows."""
    st.session_state.pop(_CHECKED, None)
    st.session_state.pop(_PROBLEM, None)


def _from_case(answer: Answer, given: str | float | None):
    """A form widget's value for an answer of the case (the form's defaults when not given)."""
    if answer.role == "days":
        return given if isinstance(given, float) else None
    if answer.group == result.WARNING:
        return given if given in SIGN_CHOICES else None  # None: untouched
    return given if given in case.CHOICES else UNKNOWN


def _question(answer: Answer):
    """One widget keyed by the answer id: yes / no / don't know, or a number of days (blank = unknown)."""
    if answer.role == "days":
        return st.number_input(answer.question, value=None, step=1.0, format="%g", key=answer.id,
                               help=answer.help, placeholder="Don't know", on_change=_changed)
    return st.radio(answer.question, list(case.CHOICES), format_func=case.CHOICES.get, horizontal=True,
                    key=answer.id, help=answer.help, on_change=_changed)


def _none_of_these(answers: list[Answer]) -> None:
    """The button "None of these": no to every warning sign."""
    for answer in answers:
        st.session_state[answer.id] = NO
    _changed()


def _checklist(answers: list[Answer]) -> None:
    """The warning signs, each yes / no / not sure and keyed by its answer id (untouched: not sure, never no),
    and "None of these", which answers no to all of them."""
    st.subheader("First: do you have any of these now?", anchor=False)
    st.caption("Answer each one, or choose \u201cNone of these\u201d. Any one of them means seeing a doctor today "
               "or getting emergency care. One you leave unanswered counts as \u201cnot sure\u201d, not as no.")
    columns = st.columns(2, gap="large")
    for i, answer in enumerate(answers):
        with columns[i % 2]:
            st.radio(answer.question, list(SIGN_CHOICES), format_func=SIGN_CHOICES.get, index=None,
                     horizontal=True, key=answer.id, help=answer.help, on_change=_changed)
    st.button("None of these", key="none_of_these", icon=":material/block:", on_click=_none_of_these,
              args=(answers,), help="Answer no to every warning sign above.")


def _check(kb: KnowledgeBase) -> None:
    """The button's callback: the form's answers become the case, unless one is not valid."""
    values = {}
    for answer in kb.answers:
        value = st.session_state.get(answer.id)
        if answer.role == "days":
            problem = case.days_problem(value)
            if problem:
                st.session_state[_PROBLEM] = f"{answer.question} {problem}"
                st.session_state.pop(_CHECKED, None)
                return
            values[answer.id] = UNKNOWN if value is None else float(value)
        elif answer.group == result.WARNING:
            values[answer.id] = value if value in SIGN_CHOICES else UNKNOWN
        else:
            values[answer.id] = value if value in case.CHOICES else UNKNOWN
    case.replace(values)
    st.session_state[_CHECKED] = True
    st.session_state.pop(_PROBLEM, None)


def ask(kb: KnowledgeBase) -> bool:
    """Every question at once: the warning signs first (yes / no / not sure), then the questions grouped as in the
    knowledge base, filled in from the case. True when its answers are checked and unchanged since."""
    given = case.answers(kb)
    for answer in kb.answers:
        st.session_state.setdefault(answer.id, _from_case(answer, given.get(answer.id)))
    for group in sorted(kb.groups, key=lambda g: g.id != result.WARNING):
        questions = [a for a in kb.answers if a.group == group.id]
        with st.container(border=True):
            if group.id == result.WARNING:
                _checklist(questions)
                continue
            st.subheader(group.title, anchor=False)
            columns = st.columns(2, gap="large")
            for i, answer in enumerate(questions):
                with columns[i % 2]:
                    _question(answer)
    st.button("Check my answers", type="primary", key="check", icon=":material/fact_check:", on_click=_check,
              args=(kb,))
    problem = st.session_state.get(_PROBLEM)
    if problem:
        st.error(problem, icon=":material/error:")
    return bool(st.session_state.get(_CHECKED))


kb = shared.knowledge_base_or_stop()
predictor = shared.predictor_or_stop(kb)
st.title("Check a case", anchor=False)
st.caption("**Don't know** is not *No*. Your health answers are kept only in this page's address (URL), to "
           "bookmark or send: anyone who sees it can read them. Nothing is stored on the server.")
if not st.session_state.get("all_at_once"):
    wizard.follow_history(kb)  # the browser's Back and Forward step through the interview's screens
case.show_ignored(kb)
if st.toggle("Answer everything at once", key="all_at_once", on_change=_changed,
             help="Every question on one page, instead of one question at a time."):
    if ask(kb):
        result.show_results(case.answers(kb), predictor, kb)
else:
    wizard.run(kb, predictor)
