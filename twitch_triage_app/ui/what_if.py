"""What if an answer were the other way: the answers that move the most probable nutrients, or the advice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import streamlit as st

from twitch_triage import interview, triage
from twitch_triage.knowledge import KnowledgeBase
from twitch_triage.triage import redflags
from twitch_triage.wording import percent

from . import shared

__all__ = ["WhatIf", "what_if_rows", "show_what_if"]

_TOP = 3  # the what-if compares the most probable labels
_MATTERS = 0.05  # an answer matters when turning it round moves one of them by 5 percentage points or more,
# or lowers the advice (the answer is a reason for it)
_WHAT_IF_SHOWN = 6  # what-if lines shown at once; the rest fold away (a long interview has many)


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
        moves = "; ".join(f"{name} {percent(now)} → {percent(after)}" for name, now, after in item.moves)
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
