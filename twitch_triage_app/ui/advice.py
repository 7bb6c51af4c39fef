"""What to do first: the advice with its reasons, when to get help sooner, and the warning signs left unsure."""

from __future__ import annotations

from typing import Sequence

import streamlit as st

from twitch_triage import triage
from twitch_triage.knowledge import KnowledgeBase, Level
from twitch_triage.report import case_report
from twitch_triage.triage import redflags

from . import shared

__all__ = ["show_disposition", "show_safety_net", "show_unsure", "sends_to_doctor", "ONLY_ACTION"]

ONLY_ACTION = "emergency"  # a level whose page shows what to do now, and nothing else
_DOCTOR = "see_doctor"  # this level and those above send the person to a doctor: no reassurance that it passes


def sends_to_doctor(assessment: triage.Assessment) -> bool:
    """Whether the advice is to see a doctor (or more severe): such a page does not say it will likely pass."""
    return redflags.level_rank(assessment.disposition) <= redflags.level_rank(_DOCTOR)


def _item(item: case_report.Item) -> str:
    """A line of the report as markdown: its text, and its source in small grey print below."""
    return shared.plain(item.text) + (f"  \n{shared.quiet(item.note)}" if item.note else "")


def _level_source_shown(assessment: triage.Assessment) -> bool:
    """The level's own source explains the advice only when no rule fired or a rule that fired rests on it
    (the rules' sources are listed with them)."""
    return not assessment.red_flags or any(rule.source == assessment.level.source for rule in assessment.red_flags)


def show_disposition(assessment: triage.Assessment, kb: KnowledgeBase) -> None:
    """The banner: call an ambulance first when a rule that fired says so, then what to do, and every red flag
    that fired with its source; below it, the level's source when it is the reason."""
    level = assessment.level
    lines = []
    if any(rule.call_ambulance for rule in assessment.red_flags):
        lines += [f"**{shared.filled(kb.cited_text('ambulance'))}**", ""]
    lines.append(f"**{shared.plain(level.title)}.** {shared.plain(level.action)}")
    if assessment.red_flags:
        lines.append("")
        lines.append("Because you answered:")
        lines.extend(f"- **{shared.plain(rule.reason)}** — {shared.cite(rule.source)}"
                     for rule in assessment.red_flags)
    shared.banner(assessment.disposition, "\n".join(lines))
    number = shared.settings().emergency_number
    if assessment.disposition == ONLY_ACTION and number:
        st.link_button(f"Call {number}", shared.call_link(number), type="primary", icon=":material/call:",
                       width="stretch")
    if _level_source_shown(assessment):
        st.caption(f"Why this advice: {shared.cite(level.source)}")


def show_safety_net(level: Level) -> None:
    """When to get help sooner (or, in an emergency, what to do until help comes), with its source."""
    with st.container(border=True):
        st.markdown(f":material/e911_emergency: {shared.cited(level.safety_net)}")


def show_unsure(unsure: Sequence[tuple[str, str]], assessment: triage.Assessment, kb: KnowledgeBase) -> None:
    """The warning signs answered "don't know" that would call for more than the advice given, each with what it
    calls for (an unknown answer fires no rule, so the advice does not count them)."""
    items = case_report.unsure_items(unsure, kb, beyond=assessment.disposition)
    if items:
        st.warning("\n\n".join(_item(item) for item in items), icon=":material/help:")
