"""The interview: the warning-sign checklist first, then one screen at a time, chosen by
:func:`twitch_triage.interview.step`; Back, Start over, progress, and the probabilities beside it as the answers
come in. Every item of a screen is answered yes, no or not sure ("None of these" answers no to all of them); an
item left untouched is "not sure", never "no". When the step says to stop the result takes the screen; at an
urgent stop the person may answer a few more questions for the doctor's report."""

from __future__ import annotations

import streamlit as st

from twitch_triage import interview, triage
from twitch_triage.knowledge import KnowledgeBase
from . import a11y, case, charts, result, shared

__all__ = ["run", "follow_history", "progress_line", "ITEM_CHOICES"]

_SCREENS = "interview_screens"  # the answer ids of each screen answered in this session, in order
_PROBLEM = "interview_problem"  # a message about the last input, shown next to its button
_TAKEN_BACK = "interview_taken_back"  # the answers Back took back: their screen shows them again
_PROGRESS = "interview_progress"  # the share of the interview shown done: it never goes back while answering
_FOR_REPORT = "interview_for_report"  # after an urgent stop, the person chose to answer more for the report
_CONFIRM = "interview_confirm_start_over"  # Start over was pressed once: it asks before clearing the answers
_ASK = "ask_"  # the prefix of this page's widget keys (the form's are the bare answer ids)
ITEM_CHOICES = {case.YES: "Yes", case.NO: "No", case.UNKNOWN: "Not sure"}  # an item of a screen


def _items(question: dict) -> list[str]:
    """The answers one screen sets."""
    return [item["id"] for item in question["items"]] if question["type"] == "group_multiple" else [question["id"]]


def _last_screen(answers: dict, predictor, kb: KnowledgeBase) -> list[str]:
    """The answers of the last screen: as this session recorded it, else (a case reopened from its address) the
    last answer and those before it that belong to the same question or topic."""
    screens = st.session_state.get(_SCREENS) or []
    if screens and all(a in answers for a in screens[-1]):
        return list(screens[-1])
    qs = interview.interviewer(kb, predictor).questions
    fixed = {a: q.id for q in (qs.checklist, *qs.core) for a in q.answers}
    of = {**{a: t for t, answers_ in qs.topics.items() for a in answers_}, **fixed}
    order = list(answers)
    last = [order.pop()]
    while order and of.get(order[-1]) == of.get(last[0]):
        last.append(order.pop())
    return last


def _answer(values: dict, kb: KnowledgeBase) -> None:
    """Add one screen's answers to the case, at its end."""
    answers = case.answers(kb)
    case.replace({**{a: v for a, v in answers.items() if a not in values}, **values})
    st.session_state.setdefault(_SCREENS, []).append(list(values))
    st.session_state.pop(_PROBLEM, None)
    st.session_state.pop(_TAKEN_BACK, None)


def _answer_items(ids: list[str], kb: KnowledgeBase) -> None:
    """A screen's Next: each item as answered; one left untouched is "not sure"."""
    _answer({a: st.session_state.get(_ASK + a) or case.UNKNOWN for a in ids}, kb)


def _none_of_these(ids: list[str], kb: KnowledgeBase) -> None:
    _answer({a: case.NO for a in ids}, kb)


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
        screens = st.session_state.get(_SCREENS) or []
        if screens and screens[-1] == last:
            screens.pop()
        for a in last:
            st.session_state.pop(_ASK + a, None)
    st.session_state.pop(_PROBLEM, None)
    st.session_state.pop(_PROGRESS, None)  # going back moves the progress back, as the person asked


def _ask_start_over() -> None:
    st.session_state[_CONFIRM] = True


def _keep_answers() -> None:
    st.session_state.pop(_CONFIRM, None)


def _start_over() -> None:
    case.replace({})
    for key in (_PROBLEM, _SCREENS, _TAKEN_BACK, _PROGRESS, _FOR_REPORT, _CONFIRM):
        st.session_state.pop(key, None)
    for key in [k for k in st.session_state if str(k).startswith(_ASK)]:
        del st.session_state[key]


def _for_report() -> None:
    st.session_state[_FOR_REPORT] = True


def _back_button(answers: dict, predictor, kb: KnowledgeBase) -> None:
    st.button("Back", key="back", icon=":material/arrow_back:", disabled=not answers,
              on_click=_back, args=(predictor, kb), help="Take back the answers of the last screen.")


def _start_over_button(answers: dict) -> None:
    """Start over, at the foot of the page and away from Back, and only once confirmed: it clears every answer."""
    if not answers:
        st.session_state.pop(_CONFIRM, None)
        return
    with st.container(key="start_over_box"):
        if not st.session_state.get(_CONFIRM):
            st.button("Start over", key="start_over", icon=":material/restart_alt:", on_click=_ask_start_over,
                      help="Clear every answer and begin again (you are asked to confirm).")
            return
        st.warning(f"Clear all {len(answers)} answers and begin again?", icon=":material/restart_alt:")
        yes, no = st.columns(2)
        yes.button("Yes, clear my answers", key="start_over_confirm", on_click=_start_over)
        no.button("No, keep my answers", key="start_over_cancel", type="primary", on_click=_keep_answers)


def _problem() -> None:
    problem = st.session_state.get(_PROBLEM)
    if problem:
        st.error(problem, icon=":material/error:")


def _given(answer_id: str):
    """The answer to show on a screen: the one Back took back, if any."""
    return st.session_state.get(_TAKEN_BACK, {}).get(answer_id)


def _screen_items(question: dict, kb: KnowledgeBase) -> None:
    """A screen of items, each yes / no / not sure (untouched: not sure); "None of these" answers no to all."""
    for item in question["items"]:
        given = _given(item["id"])
        st.radio(item["text"], list(ITEM_CHOICES), format_func=ITEM_CHOICES.get, horizontal=True,
                 index=list(ITEM_CHOICES).index(given) if given in ITEM_CHOICES else None,
                 key=_ASK + item["id"], help=kb.answer(item["id"]).help)
    ids = _items(question)
    left, right = st.columns(2)
    left.button("Next", key="next", type="primary", icon=":material/arrow_forward:", on_click=_answer_items,
                args=(ids, kb), help="Items you leave untouched are recorded as \u201cnot sure\u201d.")
    right.button("None of these", key="none_of_these", icon=":material/block:", on_click=_none_of_these,
                 args=(ids, kb), help="Answer no to every item of this screen.")


def _number(question: dict, kb: KnowledgeBase) -> None:
    """A number of days, or "don't know"."""
    answer_id = question["id"]
    given = _given(answer_id)
    st.number_input(f"{question['text']} (days)", key=_ASK + answer_id,
                    value=given if isinstance(given, float) else None,
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


def progress_line(step: dict, shown_before: float | None) -> tuple[float, str]:
    """The share of the interview shown done and its line, from the step's ``asked`` and ``remaining``: the share
    never falls below ``shown_before`` (what was shown at the screen before), and the line says "the last question"
    only when the step says the stop after it is certain (``remaining`` 1)."""
    asked, remaining = step["asked"], step["remaining"]
    share = asked / (asked + remaining) if asked + remaining else 1.0
    share = max(share, shown_before or 0.0)
    line = f"Question {asked + 1}"
    if remaining == 1:
        line += " \u2014 the last question"
    elif remaining > 1:
        line += f" \u2014 about {remaining - 1} more to go"
    return share, line


def _screen(step: dict, answers: dict, predictor, kb: KnowledgeBase) -> None:
    """One question, its progress and why it is asked; then Back and Start over."""
    question = step["question"]
    share, line = progress_line(step, st.session_state.get(_PROGRESS))
    st.session_state[_PROGRESS] = share
    st.progress(share, text=line)
    if question["id"] == interview.CHECKLIST:
        st.subheader("First: do you have any of these now?", anchor=False)
        st.caption("Answer each one, or choose \u201cNone of these\u201d. Any one of them means seeing a doctor "
                   "today or getting emergency care.")
    else:
        st.subheader(question["text"], anchor=False)
        if question["type"] == "group_multiple":
            st.caption("Answer each one you can; leave an item you are not sure about as it is.")
        else:
            st.caption(kb.answer(question["id"]).help)
    if question["type"] == "group_multiple":
        _screen_items(question, kb)
    elif question["type"] == "number":
        _number(question, kb)
    else:
        _single(question, kb)
    if question.get("why"):
        st.caption(f"Why this question: {shared.plain(question['why'])}")
    _back_button(answers, predictor, kb)
    heading = "First: do you have any of these now?" if question["id"] == interview.CHECKLIST else question["text"]
    items = f" ({len(question['items'])} items)" if question["type"] == "group_multiple" else ""
    described = ({_ASK + item["id"]: kb.answer(item["id"]).help for item in question["items"]
                  if kb.answer(item["id"]).help} if question["type"] == "group_multiple" else {})
    a11y.new_screen(f"{len(answers)}:{question['id']}", heading, f"{line}. {heading}{items}",
                    answers=a11y.ANSWER_KEYS if question["type"] == "single" else (), described=described,
                    enter=(_ASK + question["id"], "next") if question["type"] == "number" else None)


def _so_far(step: dict, answers: dict, predictor, kb: KnowledgeBase) -> None:
    """The advice and the probabilities for the answers so far; no advice while a warning sign is unanswered
    (it would read as an all-clear before the signs that decide it are known)."""
    if step["question"] is not None and step["question"]["id"] == interview.CHECKLIST:
        st.markdown(f"**So far** ({len(answers)} answers): advice once you have gone through the warning signs")
    else:
        st.markdown(f"**So far** ({len(answers)} answers): advice **{kb.level(step['disposition']).title}**")
    st.altair_chart(charts.probabilities_chart(triage.assess(answers, predictor, kb, explain=False)),
                    width="stretch")
    st.caption("Bars: the model's probability for each nutrient; black ticks: how common the model assumes it is. "
               "They change as you answer.")


def follow_history(kb: KnowledgeBase) -> None:
    """The browser's Back (or Forward) within this page: every answer pushed an address of its own, and Streamlit
    reruns the page with the address of that moment; its answers become the case, and the ones it lacks are shown
    again on their screen, as the app's Back does. An address from another page, a new session or one that is not
    understood changes nothing here. Call it before anything reads the case (:func:`case.answers` puts the
    session's case back into the address)."""
    now = st.session_state.get("case")  # case.answers' record of this session's case, before it syncs the address
    params = st.query_params.to_dict()
    if now is None or not shared.same_page_as_before() or params == case.to_params(now):
        return
    found, ignored = case.from_params(params, kb)
    if ignored:
        return
    case.replace(found)
    taken = {a: v for a, v in now.items() if a not in found or found[a] != v}
    st.session_state[_SCREENS] = [s for s in st.session_state.get(_SCREENS) or [] if all(a in found for a in s)]
    st.session_state[_TAKEN_BACK] = taken
    for key in (_PROBLEM, _PROGRESS, _CONFIRM):
        st.session_state.pop(key, None)
    for a in taken:
        st.session_state.pop(_ASK + a, None)


def run(kb: KnowledgeBase, predictor) -> None:
    """The interview, resumed at the case's answers; the result once it stops."""
    answers = case.answers(kb)
    for_report = bool(st.session_state.get(_FOR_REPORT))
    step = interview.step(answers, kb=kb, model=predictor, for_report=for_report)
    if step["should_stop"]:
        with st.container(key=a11y.RESULT_KEY):
            result.show_results(answers, predictor, kb)
            level = kb.level(step["disposition"]).title
            a11y.new_screen(f"{len(answers)}:result", "Your result", f"Your result. {level}", box=a11y.RESULT_KEY)
        if step["stopped_because"] == "urgent" and not for_report:
            st.button("Answer a few more questions for your doctor", key="for_report", icon=":material/edit_note:",
                      on_click=_for_report, help="Optional: your answers go into the report for the doctor. The "
                      "advice stays the same: see a doctor today.")
        _back_button(answers, predictor, kb)
        _start_over_button(answers)
        return
    if for_report:
        level = kb.level(step["disposition"])
        shared.banner(step["disposition"], f"**{level.title}.** {level.action}  \nThese questions are optional: "
                      "they add to the report for the doctor.")
        st.button("Show my result", key="end_report", icon=":material/assignment:",
                  on_click=lambda: st.session_state.pop(_FOR_REPORT, None))
    asking, beside = st.columns([3, 2], gap="large")
    with asking:
        with st.container(border=True, key=a11y.QUESTION_KEY):
            _screen(step, answers, predictor, kb)
    with beside:
        _so_far(step, answers, predictor, kb)
    _start_over_button(answers)
