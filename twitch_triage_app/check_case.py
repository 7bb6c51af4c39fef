"""Page "Check a case": the warning signs first, then the questions, in one form; the disposition first, then
what may be lacking and why (folded away when the case needs a doctor today)."""

from __future__ import annotations

import math

import streamlit as st

from twitch_triage import triage
from twitch_triage.knowledge import Answer, KnowledgeBase
from twitch_triage_app import charts, shared

YES, NO, UNKNOWN = "yes", "no", "unknown"
_CHOICES = {YES: "Yes", NO: "No", UNKNOWN: "Don't know"}
WARNING = "warning"  # the knowledge base's group of warning signs: a checklist, asked first
_SEEN_FIRST = ("emergency", "urgent")  # levels whose page shows what to do, and folds the nutrients away


def _question(answer: Answer):
    """One widget keyed by the answer id: yes / no / don't know, or a number of days (blank = unknown)."""
    if answer.role == "days":
        return st.number_input(answer.question, min_value=0, max_value=36_500, value=None, step=1,
                               key=answer.id, help=answer.help, placeholder="Don't know")
    return st.radio(answer.question, list(_CHOICES), index=list(_CHOICES).index(UNKNOWN), format_func=_CHOICES.get,
                    horizontal=True, key=answer.id, help=answer.help)


def _checklist(answers: list[Answer]) -> dict[str, str]:
    """The warning signs as one checklist, keyed by answer id: ticked is yes, the rest no."""
    st.subheader("First: do you have any of these now?", anchor=False)
    st.caption("Tick each one you have. Any one of them means seeing a doctor today or getting emergency care.")
    columns = st.columns(2, gap="large")
    ticked = {}
    for i, answer in enumerate(answers):
        with columns[i % 2]:
            ticked[answer.id] = st.checkbox(answer.question, key=answer.id, help=answer.help)
    return {answer: YES if on else NO for answer, on in ticked.items()}


def ask(kb: KnowledgeBase) -> dict | None:
    """The warning signs as a checklist first, then the questions grouped as in the knowledge base; the case
    on submit, else None."""
    values = {}
    with st.form("case", border=False, enter_to_submit=False):
        for group in sorted(kb.groups, key=lambda g: g.id != WARNING):
            questions = [a for a in kb.answers if a.group == group.id]
            with st.container(border=True):
                if group.id == WARNING:
                    values.update(_checklist(questions))
                    continue
                st.subheader(group.title, anchor=False)
                columns = st.columns(2, gap="large")
                for i, answer in enumerate(questions):
                    with columns[i % 2]:
                        values[answer.id] = _question(answer)
        submitted = st.form_submit_button("Check my answers", type="primary", key="check",
                                          icon=":material/fact_check:")
    if not submitted:
        return None
    return {answer: None if value in (None, UNKNOWN) else value for answer, value in values.items()}


def _percent(p: float) -> str:
    return f"{100 * p:.0f}%"


def show_disposition(assessment: triage.Assessment) -> None:
    """The banner: what to do, and every red flag that fired with its source."""
    level = assessment.level
    lines = [f"**{level.title}.** {level.action}"]
    if assessment.red_flags:
        lines.append("")
        lines.append("Because you answered:")
        lines.extend(f"- **{shared.plain(rule.reason)}** — {shared.cite(rule.source)}" for rule in assessment.red_flags)
    shared.banner(assessment.disposition, "\n".join(lines))
    st.caption(f"Why this advice: {shared.cite(level.source)}")


def _evidence_lines(result: triage.LabelResult, assessment: triage.Assessment, kb: KnowledgeBase) -> list[str]:
    """The answers that move this label (the library's evidence), then yes-answers the sources link to it."""
    lines = []
    towards = [e for e in result.evidence if e.effect > 0]
    away = [e for e in result.evidence if e.effect < 0]
    for title, items in (("Answers pointing towards it", towards), ("Answers pointing away from it", away)):
        if not items:
            continue
        lines.append(f"**{title}**")
        for e in items:
            value = f"{e.value} days" if e.answer == "duration_days" else e.value
            line = f"- {shared.plain(e.question)} — *{value}* ({100 * e.effect:+.0f} points)"
            if e.source is None:
                line += "  \n  _learned by the model, not a documented link_"
            else:
                line += f"  \n  {shared.quiet_cite(e.source)}"
                if e.agrees_with_kb is False:
                    line += "  \n  _the model moves this the other way from the knowledge base's link_"
            lines.append(line)
    moved = {e.answer for e in result.evidence}
    documented = [link for link in kb.links_for(result.label)
                  if assessment.answers.get(link.answer) == 1 and link.answer not in moved]
    if documented:
        lines.append("**Your answers the sources link to it** (the estimate does not move on any one of them alone)")
        lines.extend(f"- {shared.plain(kb.answer(link.answer).question)} — *yes*  \n  {shared.quiet_cite(link.source)}"
                     for link in documented)
    return lines


def _odds(result: triage.LabelResult) -> str:
    """A label's probability beside how common it is."""
    return (f"{_percent(result.probability)} for answers like yours; "
            f"{_percent(result.prevalence)} of people with twitching lack it")


def show_label(result: triage.LabelResult, assessment: triage.Assessment, kb: KnowledgeBase, expanded: bool,
               folded: bool = False) -> None:
    """One likely label: why, the tests to ask for, food sources. Inside a folded section (which cannot hold
    expanders) it is a bordered box instead of an expander."""
    header = f"{result.name} — {_odds(result)}"
    box = st.container(border=True) if folded else st.expander(header, expanded=expanded, icon=":material/science:")
    with box:
        if folded:
            st.markdown(f"**{shared.plain(header)}**")
        role = kb.label(result.label).role
        st.markdown(f"{shared.plain(role.text)}  \n{shared.quiet_cite(role.source)}")
        st.markdown("##### Why")
        evidence = _evidence_lines(result, assessment, kb)
        st.markdown("\n".join(evidence) if evidence else "No single answer moves this much; it comes from the answers together.")
        st.markdown("##### Tests to ask for")
        st.markdown("\n".join(f"- {shared.plain(t.text)}  \n  {shared.quiet_cite(t.source)}" for t in result.tests))
        st.markdown("##### Food sources")
        st.markdown(f"{shared.plain(result.foods.text)}  \n{shared.quiet_cite(result.foods.source)}")
        st.markdown("##### What the sources advise")
        st.markdown(f"{shared.plain(result.advice.text)}  \n{shared.quiet_cite(result.advice.source)}")


def show_plan(kb: KnowledgeBase) -> None:
    st.subheader(kb.plan_title, anchor=False)
    st.markdown("\n".join(f"1. {shared.plain(step.text)}  \n   {shared.quiet_cite(step.source)}" for step in kb.plan))
    st.markdown(f"{shared.plain(kb.plan_note.text)}  \n{shared.quiet_cite(kb.plan_note.source)}")


def show_nutrients(assessment: triage.Assessment, kb: KnowledgeBase, folded: bool = False) -> None:
    """What may be lacking, each with its probability beside how common it is, and why."""
    likely = [r for r in assessment.labels if r.likely]
    if likely:
        st.markdown("Your answers suggest you **may be lacking**:\n"
                    + "\n".join(f"- **{r.name}** — {_odds(r)}" for r in likely)
                    + "\n\nOnly a blood test can tell whether you do.")
    else:
        top = assessment.labels[0]
        st.markdown(f"No nutrient is more likely than not. The highest is **{top.name}** — {_odds(top)}.")
    st.altair_chart(charts.probabilities_chart(assessment), width="stretch")
    st.caption("Bars: the model's probability for each nutrient. Black ticks: how common it is among people "
               "with twitching. The model learned from synthetic cases, not from patients.")
    for i, result in enumerate(likely):
        show_label(result, assessment, kb, expanded=i == 0, folded=folded)


def show_results(assessment: triage.Assessment, kb: KnowledgeBase) -> None:
    """Most important first: what to do; then what may be lacking and the plan, or, when the case needs a
    doctor today, only what to do, with the nutrients folded away for after the visit."""
    beyond_checklist = [v for a, v in assessment.answers.items() if kb.answer(a).group != WARNING]
    if not assessment.red_flags and all(math.isnan(v) for v in beyond_checklist):
        st.info("You ticked no warning sign and left every question at \u201cDon't know\u201d, so there is "
                "nothing to go on yet. "
                "Answer the questions you can, even just where the twitching is, and check again.",
                icon=":material/help:")
        return
    st.header("Your result", anchor=False)
    show_disposition(assessment)
    if assessment.disposition in _SEEN_FIRST:
        with st.expander("After you have been seen: what else the answers point to", expanded=False,
                         icon=":material/science:"):
            show_nutrients(assessment, kb, folded=True)
        return
    st.subheader("What may be lacking", anchor=False)
    show_nutrients(assessment, kb)
    show_plan(kb)


kb = shared.knowledge_base_or_stop()
predictor = shared.predictor_or_stop(kb)
st.title("Check a case", anchor=False)
st.markdown("Tick any warning sign you have, then answer what you know; leave the rest at **Don't know** (it is "
            "not the same as *No*). Nothing you enter is stored.")
case = ask(kb)
if case is not None:
    show_results(triage.assess(case, predictor, kb), kb)
