"""The result of a case: what to do first (the advice, when to get help sooner, the warning signs left unsure) and
the report for the doctor; then whether anything may be lacking at all, what may be lacking, why, and what if an
answer were the other way; the plan. An emergency shows only what to do now."""

from __future__ import annotations

import math
from typing import Any, Mapping

import streamlit as st

from twitch_triage import interview, triage
from twitch_triage.knowledge import KnowledgeBase
from twitch_triage.report import case_report

from . import shared
from .advice import ONLY_ACTION, sends_to_doctor, show_disposition, show_safety_net, show_unsure
from .doctor_report import show_emergency_report, show_report_downloads
from .nutrients import explanations

__all__ = ["show_results", "WARNING"]

WARNING = "warning"  # the knowledge base's group of warning signs: a checklist, asked first
_FOLDED = "urgent"  # a level whose page shows what to do, and folds the nutrients away for after the visit


def _nothing_to_go_on(assessment: triage.Assessment, kb: KnowledgeBase) -> bool:
    """No rule fired and every answer beyond the warning signs is unknown."""
    beyond_checklist = [v for a, v in assessment.answers.items() if kb.answer(a).group != WARNING]
    return not assessment.red_flags and all(math.isnan(v) for v in beyond_checklist)


def show_results(answers: Mapping[str, Any], scorer: triage.Scorer, kb: KnowledgeBase) -> None:
    """The result of a case's answers, most important first: what to do, when to get help sooner and the warning
    signs left unsure; then whether anything is lacking, what may be, and the plan. An emergency shows only what to
    do now; an urgent case folds the nutrients away for after the visit, or leaves them out when the advice is
    about a cause the model does not weigh."""
    assessment = triage.assess(answers, scorer, kb)
    unsure = interview.unsure(answers, kb)
    if _nothing_to_go_on(assessment, kb):
        st.info("You answered yes to no warning sign and left every other question at \u201cDon't know\u201d, so "
                "there is nothing to go on yet. "
                "Answer the questions you can, even just where the twitching is, and check again.",
                icon=":material/help:")
        show_unsure(unsure, assessment, kb)
        return
    st.header("Your result", anchor=False)
    show_disposition(assessment, kb)
    show_safety_net(assessment.level)
    show_unsure(unsure, assessment, kb)
    if assessment.disposition == ONLY_ACTION:
        show_emergency_report(assessment, tuple(answers), scorer, kb, unsure)
        return
    triggers = interview.triggers(answers, kb=kb, model=scorer)
    report = (tuple(answers), scorer, kb, triggers, unsure)
    nutrients = case_report.nutrients_apply(assessment)
    if not nutrients:  # the figures are not the answer to this advice: none are shown
        st.info(shared.cited(kb.cited_text("nutrients_only")), icon=":material/info:")
    if sends_to_doctor(assessment):
        show_report_downloads(assessment, *report)
    if nutrients and assessment.disposition == _FOLDED:
        with st.expander("After you have been seen: what else the answers point to", expanded=False,
                         icon=":material/science:"):
            explanations(answers, assessment, scorer, kb, triggers, folded=True)
    elif nutrients:
        explanations(answers, assessment, scorer, kb, triggers)
    if not sends_to_doctor(assessment):
        st.subheader("If you see a doctor", anchor=False)
        show_report_downloads(assessment, *report)
