"""The interview: the warning-sign checklist first, then one question per screen, chosen by
:func:`twitch_triage.interview.step`; Back, Start over, progress, and the probabilities beside it as the answers
come in. When the step says to stop (or at once on an emergency answer) the result takes the screen."""

from __future__ import annotations

import streamlit as st

from twitch_triage import config, interview, triage
from twitch_triage.knowledge import KnowledgeBase
from twitch_triage_app import case, charts, result, shared

__all__ = ["run"]

_SCREENS = "interview_screens"  # the answers of each screen, in the order answered: what Back takes back
_PROBLEM = "interview_problem"  # a message about the last input, shown next to its button
_TAKEN_BACK = "interview_taken_back"  # the answers Back took back: their screen shows them again
_ASK = "ask_"  # the prefix of this page's widget keys (the form's are the bare answer ids)
_CHECKLIST = "warning_signs"
_CHOICES = {case.YES: "Yes", case.NO: "No", case.UNKNOWN: "Don't know"}


def _step(answers: dict, predictor, kb: KnowledgeBase) -> dict:
    return interview.step(answers, scorer=predictor, kb=kb)


def _items(question: dict) -> list[str]:
    """The answers one screen sets."""
    return [item["id"] for item in question["items"]] if question["type"] == "group_multiple" else [question["id"]]


def _screens(answers: dict, predictor, kb: KnowledgeBase) -> list[list[str]]:
    """The screens that gave these answers: kept in the session, or (for a case reopened from its address)
    found again by replaying the interview; answers it would not have asked in that order form a last screen."""
    kept = st.session_state.get(_SCREENS)
    if kept is not None and [a for screen in kept for a in screen] == list(answers):
        return kept
    screens, given, order = [], {}, list(answers)
    while len(given) < len(order):
        question = _step(given, predictor, kb)["question"]
        asked = set(_items(question)) if question else set()
        run = []
        for answer in order[len(given):]:
            if answer not in asked:
                break
            run.append(answer)
        screen = run or order[len(given):]
        screens.append(screen)
        given.update((a, answers[a]) for a in screen)
    return screens


def _answer(values: dict, predictor, kb: KnowledgeBase) -> None:
    """Add one screen's answers to the case."""
    answers = case.answers(kb)
    screens = _screens(answers, predictor, kb)
    case.replace({**{a: v for a, v in answers.items() if a not in values}, **values})
    st.session_state[_SCREENS] = [*[[a for a in s if a not in values] for s in screens], list(values)]
    st.session_state.pop(_PROBLEM, None)


def _answer_checks(ids: list[str], predictor, kb: KnowledgeBase) -> None:
    _answer({a: case.YES if st.session_state.get(_ASK + a) else case.NO for a in ids}, predictor, kb)


def _answer_days(predictor, kb: KnowledgeBase) -> None:
    days = st.session_state.get(_ASK + config.DAYS_ANSWER)
    problem = case.days_problem(days)
    if problem:
        st.session_state[_PROBLEM] = problem
        return
    _answer({config.DAYS_ANSWER: case.UNKNOWN if days is None else float(days)}, predictor, kb)


def _back(predictor, kb: KnowledgeBase) -> None:
    answers = case.answers(kb)
    screens = _screens(answers, predictor, kb)
    if screens:
        last = set(screens.pop())
        case.replace({a: v for a, v in answers.items() if a not in last})
        st.session_state[_SCREENS] = screens
        st.session_state[_TAKEN_BACK] = {a: v for a, v in answers.items() if a in last}
    st.session_state.pop(_PROBLEM, None)


def _start_over() -> None:
    case.replace({})
    st.session_state[_SCREENS] = []
    st.session_state.pop(_PROBLEM, None)
    st.session_state.pop(_TAKEN_BACK, None)
    for key in [k for k in st.session_state if str(k).startswith(_ASK)]:
        del st.session_state[key]


def _moves(answers: dict, predictor, kb: KnowledgeBase, *, back: bool = True) -> None:
    """Back and Start over."""
    left, right = st.columns(2)
    left.button("Back", key="back", icon=":material/arrow_back:", disabled=not (back and answers),
                on_click=_back, args=(predictor, kb))
    right.button("Start over", key="start_over", icon=":material/restart_alt:", disabled=not answers,
                 on_click=_start_over)


def _problem() -> None:
    problem = st.session_state.get(_PROBLEM)
    if problem:
        st.error(problem, icon=":material/error:")


def _given(answer_id: str):
    """The answer to show on a screen: the one Back took back, if any."""
    return st.session_state.get(_TAKEN_BACK, {}).get(answer_id)


def _checklist(question: dict, predictor, kb: KnowledgeBase) -> None:
    """A group of answers on one screen: tick those you have, the rest are "no"."""
    ids = _items(question)
    for item in question["items"]:
        st.checkbox(item["text"], key=_ASK + item["id"], value=_given(item["id"]) == case.YES,
                    help=kb.answer(item["id"]).help)
    st.button("Next", key="next", type="primary", icon=":material/arrow_forward:",
              on_click=_answer_checks, args=(ids, predictor, kb))


def _days(predictor, kb: KnowledgeBase) -> None:
    """A number of days, or "don't know"."""
    given = _given(config.DAYS_ANSWER)
    st.number_input("Days", key=_ASK + config.DAYS_ANSWER, value=given if isinstance(given, float) else None,
                    step=1.0, format="%g", placeholder="Don't know", label_visibility="collapsed")
    left, right = st.columns(2)
    left.button("Next", key="next", type="primary", icon=":material/arrow_forward:", on_click=_answer_days,
                args=(predictor, kb))
    right.button(_CHOICES[case.UNKNOWN], key="answer_unknown", on_click=_answer,
                 args=({config.DAYS_ANSWER: case.UNKNOWN}, predictor, kb))
    _problem()


def _single(question: dict, predictor, kb: KnowledgeBase) -> None:
    """Yes / No / Don't know: one click answers and moves on."""
    columns = st.columns(len(_CHOICES))
    for column, (value, label) in zip(columns, _CHOICES.items()):
        column.button(label, key=f"answer_{value}", width="stretch", on_click=_answer,
                      args=({question["id"]: value}, predictor, kb))


def _progress(screens: int) -> str:
    return f"Question {screens + 1}"


def _screen(question: dict, answers: dict, predictor, kb: KnowledgeBase) -> None:
    """One question, its progress and why it is asked; then Back and Start over."""
    screens = len(_screens(answers, predictor, kb))
    st.caption(_progress(screens))
    if question["id"] == _CHECKLIST:
        st.subheader("First: do you have any of these now?", anchor=False)
        st.caption("Tick each one you have; the rest count as no. Any one of them means seeing a doctor today or "
                   "getting emergency care.")
    else:
        st.subheader(question.get("text") or kb.answer(question["id"]).question, anchor=False)
        if question["type"] == "group_multiple":
            st.caption("Tick all that apply; the rest count as no.")
        else:
            st.caption(kb.answer(question["id"]).help)
    if question["type"] == "group_multiple":
        _checklist(question, predictor, kb)
    elif question["id"] == config.DAYS_ANSWER:
        _days(predictor, kb)
    else:
        _single(question, predictor, kb)
    if question.get("why"):
        st.caption(f"Why this question: {shared.plain(question['why'])}")
    _moves(answers, predictor, kb)


def _so_far(answers: dict, predictor, kb: KnowledgeBase) -> None:
    """The advice and the probabilities for the answers so far."""
    assessment = triage.assess(answers, predictor, kb, explain=False)
    st.markdown(f"**So far** ({len(answers)} answers): advice **{kb.level(assessment.disposition).title}**")
    st.altair_chart(charts.probabilities_chart(assessment), width="stretch")
    st.caption("Bars: the model's probability for each nutrient; black ticks: how common it is. They change as "
               "you answer.")


def run(kb: KnowledgeBase, predictor) -> None:
    """The interview, resumed at the case's answers; the result once it stops."""
    answers = case.answers(kb)
    step = _step(answers, predictor, kb)
    if step["should_stop"]:
        result.show_results(triage.assess(answers, predictor, kb), predictor, kb)
        _moves(answers, predictor, kb)
        return
    asking, beside = st.columns([3, 2], gap="large")
    with asking:
        with st.container(border=True):
            _screen(step["question"], answers, predictor, kb)
    with beside:
        _so_far(answers, predictor, kb)
