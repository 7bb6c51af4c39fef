"""Page "Check a case": the questions in one form; the disposition first, then the probabilities and why."""

from __future__ import annotations

import streamlit as st

from twitch_triage import triage
from twitch_triage.knowledge import Answer, KnowledgeBase
from twitch_triage_app import charts, shared

YES, NO, UNKNOWN = "yes", "no", "unknown"
_CHOICES = {YES: "Yes", NO: "No", UNKNOWN: "Don't know"}


def _question(answer: Answer):
    """One widget keyed by the answer id: yes / no / don't know, or a number of days (blank = unknown)."""
    if answer.role == "days":
        return st.number_input(answer.question, min_value=0, max_value=36_500, value=None, step=1,
                               key=answer.id, help=answer.help, placeholder="Don't know")
    return st.radio(answer.question, list(_CHOICES), index=list(_CHOICES).index(UNKNOWN), format_func=_CHOICES.get,
                    horizontal=True, key=answer.id, help=answer.help)


def ask(kb: KnowledgeBase) -> dict | None:
    """The questions, grouped as in the knowledge base; the case on submit, else None."""
    values = {}
    with st.form("case", border=False, enter_to_submit=False):
        for group in kb.groups:
            questions = [a for a in kb.answers if a.group == group.id]
            with st.container(border=True):
                st.subheader(group.title, anchor=False)
                if group.id == "warning":
                    st.caption("General clinical warning signs; the two source articles do not cover them.")
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


def show_label(result: triage.LabelResult, assessment: triage.Assessment, kb: KnowledgeBase, expanded: bool) -> None:
    """One likely label: why, the tests to ask for, food sources."""
    header = f"{result.name} — {_percent(result.probability)} (in {_percent(result.prevalence)} of people)"
    with st.expander(header, expanded=expanded, icon=":material/science:"):
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


def show_results(assessment: triage.Assessment, kb: KnowledgeBase) -> None:
    """Most important first: what to do, then what may be lacking, then the plan."""
    if assessment.answered == 0:
        st.info("You left every question at \u201cDon't know\u201d, so there is nothing to go on yet. "
                "Answer the questions you can, even just where the twitching is, and check again.",
                icon=":material/help:")
        return
    st.header("Your result", anchor=False)
    show_disposition(assessment)

    st.subheader("What may be lacking", anchor=False)
    top = assessment.labels[0]
    if assessment.likely:
        names = ", ".join(f"**{kb.label(lid).name}**" for lid in assessment.likely)
        st.markdown(f"Most likely: {names}. The model puts **{top.name}** first at {_percent(top.probability)}.")
    else:
        st.markdown(f"No nutrient is more likely than not. The highest is **{top.name}** "
                    f"at {_percent(top.probability)}.")
    st.altair_chart(charts.probabilities_chart(assessment), width="stretch")
    st.caption("Bars: the model's probability for each nutrient. Black ticks: how common it is. "
               "The model learned from synthetic cases, not from patients.")
    for i, result in enumerate(r for r in assessment.labels if r.likely):
        show_label(result, assessment, kb, expanded=i == 0)
    show_plan(kb)


kb = shared.knowledge_base_or_stop()
predictor = shared.predictor_or_stop(kb)
st.title("Check a case", anchor=False)
st.markdown("Answer what you know; leave the rest at **Don't know** (it is not the same as *No*). "
            "Nothing you enter is stored.")
case = ask(kb)
if case is not None:
    show_results(triage.assess(case, predictor, kb), kb)
