"""The result of a case: the disposition first, and the report for the doctor; then what may be lacking, why,
and what if an answer were the other way; the plan. An emergency shows only what to do now."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any, Mapping

import streamlit as st

from twitch_triage import case_report, config, interview, redflags, triage
from twitch_triage.knowledge import KnowledgeBase
from twitch_triage_app import charts, shared

__all__ = ["show_results", "show_disposition", "what_if_rows", "WhatIf"]

WARNING = "warning"  # the knowledge base's group of warning signs: a checklist, asked first
_FOLDED = "urgent"  # a level whose page shows what to do, and folds the nutrients away for after the visit
_ONLY_ACTION = "emergency"  # a level whose page shows what to do now, and nothing else
_TOP = 3  # the what-if compares the most probable labels
_MATTERS = 0.05  # an answer matters when turning it round moves one of them by 5 percentage points or more,
# or lowers the advice (the answer is a reason for it)
_WHAT_IF_SHOWN = 6  # what-if lines shown at once; the rest fold away (a long interview has many)


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
        lines.extend(["", f"**{title}**", ""])  # blank lines: a heading, not the end of the list item before it
        for e in items:
            value = f"{e.value} days" if e.answer == config.DAYS_ANSWER else e.value
            line = (f"- {shared.plain(e.question)} — *{value}*: {_percent(result.probability - e.effect)} without "
                    f"this answer → {_percent(result.probability)} with it")
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
        st.markdown("\n".join(evidence).strip() if evidence
                    else "No single answer moves this much; it comes from the answers together.")
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


@dataclass(frozen=True)
class WhatIf:
    """One answer turned round: the most probable labels now and if it were the other way, and the advice."""

    answer: str
    given: str  # "yes" or "no"
    other: str  # the other way
    moves: tuple[tuple[str, float, float], ...]  # (label name, probability now, probability if turned round)
    disposition: str  # the disposition if turned round

    @property
    def largest(self) -> float:
        return max(abs(after - now) for _, now, after in self.moves)


def what_if_rows(answers: Mapping[str, Any], assessment: triage.Assessment, scorer: triage.Scorer,
                 kb: KnowledgeBase) -> list[WhatIf]:
    """Each yes / no answer turned round (:func:`twitch_triage.interview.what_if`, one batch call); those that
    move one of the most probable labels by :data:`_MATTERS` or more, or would lower the disposition, largest
    move first."""
    top = [(r.name, r.label, r.probability) for r in assessment.labels[:_TOP]]
    found = []
    for answer_id, turned in interview.what_if(answers, kb=kb, model=scorer).items():
        item = WhatIf(answer=answer_id, given=turned["answer"], other=turned["other"],
                      moves=tuple((name, now, turned["probabilities"][label]) for name, label, now in top),
                      disposition=turned["disposition"])
        lowers = redflags.level_rank(item.disposition) > redflags.level_rank(assessment.disposition)
        if item.largest >= _MATTERS or lowers:
            found.append(item)
    return sorted(found, key=lambda item: -item.largest)


def show_what_if(answers: Mapping[str, Any], assessment: triage.Assessment, scorer: triage.Scorer,
                 kb: KnowledgeBase, folded: bool = False) -> None:
    """For each answer that mattered: the most probable labels now → if it were the other way; the first
    :data:`_WHAT_IF_SHOWN` at once (the answers the advice rests on, then those that move them most), the rest folded
    away (inside a folded section, which cannot hold an expander, all of them)."""
    rows = what_if_rows(answers, assessment, scorer, kb)
    if not rows:
        return
    rank = redflags.level_rank  # 0 the most severe
    rows.sort(key=lambda item: rank(item.disposition) <= rank(assessment.disposition))  # the advice's reasons first
    st.markdown("##### What if an answer were the other way")
    st.caption(f"Each answer that moves one of the {_TOP} most probable nutrients by {100 * _MATTERS:.0f} percentage "
               "points or more, or that the advice rests on, turned round on its own: the probability now → if it "
               "were the other way.")
    lines = []
    for item in rows:
        moves = "; ".join(f"{name} {_percent(now)} → {_percent(after)}" for name, now, after in item.moves)
        line = f"- {shared.plain(kb.answer(item.answer).question)} You said *{item.given}*; if *{item.other}*: {moves}."
        if item.disposition != assessment.disposition:
            line += (f"  \n  The advice would be **{kb.level(item.disposition).title}** instead of "
                     f"{kb.level(assessment.disposition).title}.")
        lines.append(line)
    shown = len(lines) if folded else _WHAT_IF_SHOWN
    st.markdown("\n".join(lines[:shown]))
    if lines[shown:]:
        with st.expander(f"{len(lines) - shown} more answer{'s' if len(lines) - shown > 1 else ''} that matter",
                         icon=":material/unfold_more:"):
            st.markdown("\n".join(lines[shown:]))


def show_nutrients(answers: Mapping[str, Any], assessment: triage.Assessment, scorer: triage.Scorer,
                   kb: KnowledgeBase, folded: bool = False) -> None:
    """What may be lacking, each with its probability beside how common it is, why, and what if."""
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
    show_what_if(answers, assessment, scorer, kb, folded=folded)


def show_report_downloads(assessment: triage.Assessment, asked: tuple[str, ...], scorer: triage.Scorer,
                          kb: KnowledgeBase) -> None:
    """The report for the doctor, as PDF and as Markdown (made when the person downloads it); ``asked``: the
    answers the person was asked, so that questions the interview never asked are not listed as "don't know"."""
    today = datetime.date.today()
    name = f"twitch-triage-report-{today:%Y-%m-%d}"
    version = scorer.version
    pdf_column, markdown_column = st.columns(2)
    pdf_column.download_button(
        "Report for the doctor (PDF)", key="report_pdf", type="primary", icon=":material/picture_as_pdf:",
        data=lambda: case_report.pdf(assessment, kb, model_version=version, when=today, asked=asked),
        file_name=f"{name}.pdf", mime="application/pdf", on_click="ignore", width="stretch")
    markdown_column.download_button(
        "Report for the doctor (Markdown)", key="report_markdown", icon=":material/description:",
        data=lambda: case_report.markdown(assessment, kb, model_version=version, when=today,
                                          asked=asked),
        file_name=f"{name}.md", mime="text/markdown", on_click="ignore", width="stretch")
    st.caption("The date, your answers, the advice with its reasons and sources, what may be lacking and the "
               "tests to ask for: to print or show at the appointment.")


def show_results(answers: Mapping[str, Any], scorer: triage.Scorer, kb: KnowledgeBase) -> None:
    """The result of a case's answers, most important first: what to do; then what may be lacking and the
    plan. An emergency shows only what to do now; an urgent case folds the nutrients away for after the
    visit."""
    assessment = triage.assess(answers, scorer, kb)
    beyond_checklist = [v for a, v in assessment.answers.items() if kb.answer(a).group != WARNING]
    if not assessment.red_flags and all(math.isnan(v) for v in beyond_checklist):
        st.info("You ticked no warning sign and left every question at \u201cDon't know\u201d, so there is "
                "nothing to go on yet. "
                "Answer the questions you can, even just where the twitching is, and check again.",
                icon=":material/help:")
        return
    st.header("Your result", anchor=False)
    show_disposition(assessment)
    if assessment.disposition == _ONLY_ACTION:
        return
    show_report_downloads(assessment, tuple(answers), scorer, kb)
    if assessment.disposition == _FOLDED:
        with st.expander("After you have been seen: what else the answers point to", expanded=False,
                         icon=":material/science:"):
            show_nutrients(answers, assessment, scorer, kb, folded=True)
        return
    st.subheader("What may be lacking", anchor=False)
    show_nutrients(answers, assessment, scorer, kb)
    show_plan(kb)
