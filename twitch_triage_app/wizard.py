"""The interview: the warning-sign checklist first, then one question per screen, chosen by
:func:`twitch_triage.interview.step`; Back, Start over, progress, and the probabilities beside it as the answers
come in. When the step says to stop (or at once on an emergency answer) the result takes the screen."""

from __future__ import annotations

import math

import streamlit as st

from twitch_triage import interview, triage
from twitch_triage.knowledge import KnowledgeBase
from twitch_triage_app import case, charts, result, shared

__all__ = ["run", "questions_left"]

_GAINS = "interview_gains"  # the expected gain of the question asked at each step, for the estimate of what is left
_PROBLEM = "interview_problem"  # a message about the last input, shown next to its button
_TAKEN_BACK = "interview_taken_back"  # the answers Back took back: their screen shows them again
_ASK = "ask_"  # the prefix of this page's widget keys (the form's are the bare answer ids)
_RECENT = 4  # the questions whose expected gains give the rate it falls at


def _items(question: dict) -> list[str]:
    """The answers one screen sets."""
    return [item["id"] for item in question["items"]] if question["type"] == "group_multiple" else [question["id"]]


def _last_screen(answers: dict, predictor, kb: KnowledgeBase) -> list[str]:
    """The answers of the last screen: the last answer and those before it that the same question asks (the
    answers of one screen stand together, in the case as in its address)."""
    of = {a: q.id for q in interview.interviewer(kb, predictor).questions for a in q.answers}
    order = list(answers)
    last = [order.pop()]
    while order and of.get(order[-1]) == of.get(last[0]):
        last.append(order.pop())
    return last


def _answer(values: dict, kb: KnowledgeBase) -> None:
    """Add one screen's answers to the case, at its end."""
    answers = case.answers(kb)
    case.replace({**{a: v for a, v in answers.items() if a not in values}, **values})
    st.session_state.pop(_PROBLEM, None)
    st.session_state.pop(_TAKEN_BACK, None)


def _answer_checks(ids: list[str], kb: KnowledgeBase) -> None:
    _answer({a: case.YES if st.session_state.get(_ASK + a) else case.NO for a in ids}, kb)


def _answer_number(answer_id: str, kb: KnowledgeBase) -> None:
    days = st.session_state.get(_ASK + answer_id)
    problem = case.days_problem(days)
    if problem:
        st.session_state[_PROBLEM] = problem
        return
    _answer({answer_id: case.UNKNOWN if days is None else float(days)}, kb)


def _back(predictor, kb: KnowledgeBase) -> None:
    answers = case.answers(kb)
    if answers:
        last = _last_screen(answers, predictor, kb)
        case.replace({a: v for a, v in answers.items() if a not in last})
        st.session_state[_TAKEN_BACK] = {a: answers[a] for a in last}
    st.session_state.pop(_PROBLEM, None)


def _start_over() -> None:
    case.replace({})
    st.session_state.pop(_PROBLEM, None)
    st.session_state.pop(_GAINS, None)
    st.session_state.pop(_TAKEN_BACK, None)
    for key in [k for k in st.session_state if str(k).startswith(_ASK)]:
        del st.session_state[key]


def _moves(answers: dict, predictor, kb: KnowledgeBase) -> None:
    """Back and Start over."""
    left, right = st.columns(2)
    left.button("Back", key="back", icon=":material/arrow_back:", disabled=not answers,
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


def _checklist(question: dict, kb: KnowledgeBase) -> None:
    """A group of answers on one screen: tick those you have, the rest are "no"."""
    for item in question["items"]:
        st.checkbox(item["text"], key=_ASK + item["id"], value=_given(item["id"]) == case.YES,
                    help=kb.answer(item["id"]).help)
    st.button("Next", key="next", type="primary", icon=":material/arrow_forward:",
              on_click=_answer_checks, args=(_items(question), kb))


def _number(question: dict, kb: KnowledgeBase) -> None:
    """A number of days, or "don't know"."""
    answer_id = question["id"]
    given = _given(answer_id)
    st.number_input("Days", key=_ASK + answer_id, value=given if isinstance(given, float) else None,
                    step=1.0, format="%g", placeholder="Don't know", label_visibility="collapsed")
    left, right = st.columns(2)
    left.button("Next", key="next", type="primary", icon=":material/arrow_forward:", on_click=_answer_number,
                args=(answer_id, kb))
    right.button(case.CHOICES[case.UNKNOWN], key="answer_unknown", on_click=_answer,
                 args=({answer_id: case.UNKNOWN}, kb))
    _problem()


def _single(question: dict, kb: KnowledgeBase) -> None:
    """Yes / No / Don't know: one click answers and moves on."""
    columns = st.columns(len(case.CHOICES))
    for column, (value, label) in zip(columns, case.CHOICES.items()):
        column.button(label, key=f"answer_{value}", width="stretch", on_click=_answer,
                      args=({question["id"]: value}, kb))


def questions_left(gains: list[float], asked: int) -> int | None:
    """About how many questions follow the one asked now, from the expected gains of the last few questions
    (``gains``, the last one this question's): the steps until the gain falls below the interview's stopping
    threshold, if it keeps falling at the same rate; at most the cap. None without three falling gains to go by.
    """
    recent = gains[-_RECENT:]
    if len(recent) < 3 or not 0 < recent[-1] < recent[0]:
        return None
    if recent[-1] < interview.STOP_BELOW_BITS:
        return 0
    rate = (recent[-1] / recent[0]) ** (1 / (len(recent) - 1))
    left = math.floor(math.log(interview.STOP_BELOW_BITS / recent[-1]) / math.log(rate))
    return min(left, interview.MAX_STEPS - asked - 1)


def _progress(step: dict) -> str:
    """"Question 6 — about 5 more", from the gains of this session's questions since the first screens (those
    asked first whatever they tell); at most the cap before there is a rate to go by (at the start, or in a case
    reopened from its address)."""
    asked = step["asked"]
    gains = st.session_state.setdefault(_GAINS, {})
    gains[asked] = step["expected_gain"]
    left = questions_left([gains[k] for k in range(max(asked - _RECENT + 1, 2), asked + 1) if k in gains], asked)
    if left is None:
        return f"Question {asked + 1} — at most {interview.MAX_STEPS - asked - 1} more"
    if left == 0:
        return f"Question {asked + 1} — probably the last"
    return f"Question {asked + 1} — about {left} more"


def _screen(step: dict, answers: dict, predictor, kb: KnowledgeBase) -> None:
    """One question, its progress and why it is asked; then Back and Start over."""
    question = step["question"]
    st.caption(_progress(step))
    if question["id"] == interview.CHECKLIST:
        st.subheader("First: do you have any of these now?", anchor=False)
        st.caption("Tick each one you have; the rest count as no. Any one of them means seeing a doctor today or "
                   "getting emergency care.")
    else:
        st.subheader(question["text"], anchor=False)
        if question["type"] == "group_multiple":
            st.caption("Those you leave unticked count as no.")
        else:
            st.caption(kb.answer(question["id"]).help)
    if question["type"] == "group_multiple":
        _checklist(question, kb)
    elif question["type"] == "number":
        _number(question, kb)
    else:
        _single(question, kb)
    if question.get("why"):
        st.caption(f"Why this question: {shared.plain(question['why'])}")
    _moves(answers, predictor, kb)


def _so_far(step: dict, answers: dict, predictor, kb: KnowledgeBase) -> None:
    """The advice and the probabilities for the answers so far; no advice while a warning sign is unanswered
    (it would read as an all-clear before the signs that decide it are known)."""
    if step["question"] is not None and step["question"]["id"] == interview.CHECKLIST:
        st.markdown(f"**So far** ({len(answers)} answers): advice once you have gone through the warning signs")
    else:
        st.markdown(f"**So far** ({len(answers)} answers): advice **{kb.level(step['disposition']).title}**")
    st.altair_chart(charts.probabilities_chart(triage.assess(answers, predictor, kb, explain=False)),
                    width="stretch")
    st.caption("Bars: the model's probability for each nutrient; black ticks: how common it is. They change as "
               "you answer.")


def run(kb: KnowledgeBase, predictor) -> None:
    """The interview, resumed at the case's answers; the result once it stops."""
    answers = case.answers(kb)
    step = interview.step(answers, kb=kb, model=predictor)
    if step["should_stop"]:
        result.show_results(answers, predictor, kb)
        _moves(answers, predictor, kb)
        return
    asking, beside = st.columns([3, 2], gap="large")
    with asking:
        with st.container(border=True):
            _screen(step, answers, predictor, kb)
    with beside:
        _so_far(step, answers, predictor, kb)
