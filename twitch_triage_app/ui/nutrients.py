"""Whether anything is lacking at all, what may be lacking and why, and the plan."""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import streamlit as st

from twitch_triage import contract, triage
from twitch_triage.knowledge import KnowledgeBase
from twitch_triage.report import case_report
from twitch_triage.wording import percent

from . import charts, shared
from .advice import sends_to_doctor
from .what_if import show_what_if

__all__ = ["explanations", "show_nutrients", "show_nothing_lacking", "show_plan", "show_label",
           "nothing_lacking_line"]

_NOTHING = "Nothing lacking (twitching from another cause)"


def nothing_lacking_line(assessment: triage.Assessment) -> str:
    """The probability that no nutrient is lacking, as one line ("" when the model gives none)."""
    if math.isnan(assessment.p_nothing_lacking):
        return ""
    return f"{_NOTHING}: **{percent(assessment.p_nothing_lacking)}**"


def show_plan(kb: KnowledgeBase, assessment: triage.Assessment, title: str | None = None) -> None:
    """The plan's steps with their sources; its reassurance ("many people improve…") only on a page that does
    not send the person to a doctor."""
    if title is None:
        st.subheader(kb.plan_title, anchor=False)
    else:
        st.markdown(f"##### {title}")
    st.markdown("\n".join(f"1. {shared.plain(step.text)}  \n   {shared.quiet_cite(step.source)}" for step in kb.plan))
    if not sends_to_doctor(assessment):
        st.markdown(shared.cited(kb.plan_note))


def show_nothing_lacking(assessment: triage.Assessment, triggers: Sequence[str], kb: KnowledgeBase) -> None:
    """Nothing lacking, when the model finds it at least as probable as every nutrient: how probable, the
    everyday triggers the person has, what to try, and when to see a doctor anyway."""
    st.subheader("Most likely, nothing is lacking", anchor=False)
    st.markdown(f"The model gives a **{percent(assessment.p_nothing_lacking)}** probability that none of the ten "
                "nutrients is lacking: the twitching may have another, everyday cause. That is at least as "
                "probable as any one nutrient being low.\n\n" + shared.cited(kb.cited_text("nothing_lacking")))
    items = case_report.trigger_items(triggers, assessment, kb)
    if items:
        lines, cited = [], set()
        for item in items:  # a source shared with the line above is not repeated
            lines.append(f"- {shared.plain(item.text)} — *yes*"
                         + (f"  \n  {shared.quiet(item.note)}" if item.note and item.note not in cited else ""))
            cited.add(item.note)
        st.markdown("**Your answers that point to an everyday cause**\n\n" + "\n".join(lines)
                    + "\n\n" + shared.cited(kb.cited_text("nothing_lacking_triggers")))
    show_plan(kb, assessment, title="What to try")
    st.markdown("##### When to see a doctor anyway")
    st.markdown(shared.cited(kb.cited_text("see_doctor_anyway")))


def _base_rate(result: triage.LabelResult, kb: KnowledgeBase) -> str:
    """What the model assumes about how common the label is, in the knowledge base's words."""
    return shared.filled(kb.cited_text("base_rate"), percent=percent(result.prevalence))


def _odds(result: triage.LabelResult, kb: KnowledgeBase) -> str:
    """A label's probability beside the share the model assumes."""
    return f"{percent(result.probability)} for answers like yours. {_base_rate(result, kb)}"


def _evidence_lines(result: triage.LabelResult, assessment: triage.Assessment, kb: KnowledgeBase) -> list[str]:
    """The answers that move this label (the library's evidence), then yes-answers the sources link to it."""
    lines = []
    towards = [e for e in result.evidence if e.effect > 0]
    away = [e for e in result.evidence if e.effect < 0]
    for title, items in (("Answers pointing towards it", towards), ("Answers pointing away from it", away)):
        if not items:
            continue
        lines.extend(["", f"**{title}**", ""])  # blank lines: a heading, not the end of the list item before it
        for e in items:
            value = f"{e.value} days" if e.answer == contract.DAYS_ANSWER else e.value
            line = (f"- {shared.plain(e.question)} — *{value}*: {percent(result.probability - e.effect)} without "
                    f"this answer → {percent(result.probability)} with it")
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
        lines.extend(["", "**Your answers the sources link to it** (the estimate does not move on any one of them "
                      "alone)", ""])
        lines.extend(f"- {shared.plain(kb.answer(link.answer).question)} — *yes*  \n  {shared.quiet_cite(link.source)}"
                     for link in documented)
    return lines


def show_label(result: triage.LabelResult, assessment: triage.Assessment, kb: KnowledgeBase, expanded: bool,
               folded: bool = False) -> None:
    """One likely label: what the model assumes, why, the tests to ask for, food sources. Inside a folded section
    (which cannot hold expanders) it is a bordered box instead of an expander."""
    header = f"{result.name} — {percent(result.probability)} for answers like yours"
    box = st.container(border=True) if folded else st.expander(header, expanded=expanded, icon=":material/science:")
    with box:
        if folded:
            st.markdown(f"**{shared.plain(header)}**")
        role = kb.label(result.label).role
        st.markdown(f"{shared.plain(role.text)}  \n{shared.quiet_cite(role.source)}")
        st.markdown(f"{_base_rate(result, kb)}  \n{shared.quiet_cite(kb.cited_text('base_rate').source)}")
        st.markdown("##### Why")
        evidence = _evidence_lines(result, assessment, kb)
        st.markdown("\n".join(evidence).strip() if evidence
                    else "No single answer moves this much; it comes from the answers together.")
        st.markdown("##### Tests to ask for")
        st.markdown("\n".join(f"- {shared.plain(t.text)}  \n  {shared.quiet_cite(t.source)}" for t in result.tests))
        st.markdown("##### Food sources")
        st.markdown(f"{shared.plain(result.foods.text)}  \n{shared.quiet_cite(result.foods.source)}")
        st.markdown("##### What the sources advise")
        st.markdown(f"{shared.plain(result.advice.text)}  \n{shared.quiet_cite(result.advice.source)}")


def show_nutrients(answers: Mapping[str, Any], assessment: triage.Assessment, scorer: triage.Scorer,
                   kb: KnowledgeBase, folded: bool = False) -> None:
    """What may be lacking, each with its probability beside what the model assumes, and the probability that
    nothing is; the warning against supplements without a blood test; why, and what if."""
    likely = [r for r in assessment.labels if r.likely]
    if likely:
        text = ("Your answers suggest you **may be lacking**:\n"
                + "\n".join(f"- **{r.name}** — {_odds(r, kb)}" for r in likely)
                + "\n\nOnly a blood test can tell whether you do.")
    else:
        top = assessment.labels[0]
        text = f"No nutrient is more likely than not. The highest is **{top.name}** — {_odds(top, kb)}"
    nothing = nothing_lacking_line(assessment)
    st.markdown(text + (f"\n\n{nothing}" if nothing else ""))
    st.markdown(f":material/medication: **{shared.filled(kb.cited_text('supplement_warning'))}**  \n"
                f"{shared.quiet_cite(kb.cited_text('supplement_warning').source)}")
    st.altair_chart(charts.probabilities_chart(assessment), width="stretch")
    st.caption(f"Bars: the model's probability for each nutrient. Black ticks: {charts.ASSUMED_CAPTION} The model "
               "learned from made-up (synthetic) cases, not from patients.")
    for i, result in enumerate(likely):
        show_label(result, assessment, kb, expanded=i == 0, folded=folded)
    show_what_if(answers, assessment, scorer, kb, folded=folded)


def explanations(answers: Mapping[str, Any], assessment: triage.Assessment, scorer: triage.Scorer,
                  kb: KnowledgeBase, triggers: Sequence[str], folded: bool = False) -> None:
    """Whether anything is lacking at all when that leads, what may be lacking, and the plan (once)."""
    leads = case_report.nothing_leads(assessment)
    if leads:
        show_nothing_lacking(assessment, triggers, kb)
    if not folded or leads:  # folded without the section above, the fold's title says what this is
        st.subheader("What may be lacking", anchor=False)
    show_nutrients(answers, assessment, scorer, kb, folded=folded)
    if not leads and not folded:
        show_plan(kb, assessment)
