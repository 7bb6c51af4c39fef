"""The interview's questions: the warning-sign checklist, the core history, and the topics asked after it.

Which answers make up each comes from the knowledge base and the contract, not from code: the checklist is
every yes/no answer that on its own makes the red-flag rules reach ``urgent`` or ``emergency``; the core
history is where the twitching is (the knowledge base's group of the locations), how long it has lasted
(the days answer) and the lifestyle screen (the contract's :data:`~twitch_triage.contract.LIFESTYLE`); every
other answer belongs to the topic of its knowledge-base group and is asked on a screen of that topic when
it is worth asking (:mod:`twitch_triage.interview.value`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import contract
from ..triage import redflags
from ..knowledge import KnowledgeBase

__all__ = ["CHECKLIST", "WHERE", "LIFESTYLE", "Question", "Questions", "build"]

CHECKLIST = "warning_signs"  # the id of the warning-sign checklist (contract)
WHERE = "where"  # the id of the screen of where the twitching is
LIFESTYLE = "lifestyle"  # the id of the lifestyle screen (contract)
_LOCATIONS_RULE = "multiple_locations"  # the rule that reads every location answer: its answers are the "where" screen


@dataclass(frozen=True)
class Question:
    """A question as the interview can ask it.

    ``kind`` is ``"single"`` (one yes/no answer), ``"group_multiple"`` (a screen of yes/no items) or ``"number"``;
    ``answers`` the answer ids it asks; ``text`` the question or the screen's title; ``topic`` the knowledge
    base's group its answers belong to.
    """

    id: str
    kind: str
    answers: tuple[str, ...]
    text: str
    topic: str

    def only(self, items: tuple[str, ...]) -> Question:
        """This question asking only ``items`` (those of its answers still unanswered)."""
        return Question(self.id, self.kind, tuple(a for a in self.answers if a in items), self.text, self.topic)


@dataclass(frozen=True)
class Questions:
    """Every question of one knowledge base, in the order the interview's policy takes them.

    Attributes
    ----------
    checklist : the warning signs, asked first.
    core : where the twitching is, how long, the lifestyle screen: asked next, always.
    topics : topic id -> the answers of that topic asked by their value, in the knowledge base's order.
    titles : topic id -> the title of a screen of that topic.
    """

    checklist: Question
    core: tuple[Question, ...]
    topics: dict[str, tuple[str, ...]]
    titles: dict[str, str]

    def screen(self, topic: str, items: tuple[str, ...], kb: KnowledgeBase) -> Question:
        """A screen of ``items`` of one topic: a single question when it holds one answer."""
        if len(items) == 1:
            return Question(items[0], "single", items, kb.answer(items[0]).question, topic)
        return Question(topic, "group_multiple", items, self.titles[topic], topic)

    def topic_of(self, answer_id: str) -> str | None:
        return next((t for t, answers in self.topics.items() if answer_id in answers), None)


def _alone_urgent(kb: KnowledgeBase) -> tuple[str, ...]:
    """Every yes/no answer that alone makes the answer rules reach ``urgent`` or more, in the file's order."""
    yes_no = [a.id for a in kb.answers if a.role != "days"]
    X = np.full((len(yes_no), len(kb.answer_ids)), np.nan)
    X[np.arange(len(yes_no)), [kb.answer_ids.index(a) for a in yes_no]] = 1.0
    level, _ = redflags.evaluate_matrix(kb, X)
    return tuple(a for a, lv in zip(yes_no, level) if lv <= redflags.level_rank("urgent"))


def build(kb: KnowledgeBase) -> Questions:
    """The questions of ``kb``.

    Raises
    ------
    ValueError
        The knowledge base lacks a rule or an answer the core history is made of.
    """
    titles = {g.id: g.title for g in kb.groups}
    checklist_items = _alone_urgent(kb)
    checklist = Question(CHECKLIST, "group_multiple", checklist_items, "Do you have any of these now?",
                         kb.answer(checklist_items[0]).group)
    locations = next((rule.answers for rule in kb.red_flags if rule.id == _LOCATIONS_RULE), None)
    if locations is None:
        raise ValueError(f"the knowledge base has no rule '{_LOCATIONS_RULE}': its answers are the 'where' screen")
    where_group = kb.answer(locations[0]).group
    where = Question(WHERE, "group_multiple", locations, titles[where_group], where_group)
    days = kb.answer(contract.DAYS_ANSWER)
    how_long = Question(days.id, "number", (days.id,), days.question, days.group)
    lifestyle_items = tuple(a for a in kb.answer_ids if a in contract.LIFESTYLE)
    lifestyle = Question(LIFESTYLE, "group_multiple", lifestyle_items, titles[kb.answer(lifestyle_items[0]).group],
                         kb.answer(lifestyle_items[0]).group)
    core = (where, how_long, lifestyle)
    taken = set(checklist_items).union(*(q.answers for q in core))
    topics: dict[str, tuple[str, ...]] = {}
    for group in kb.groups:
        answers = tuple(a.id for a in kb.answers if a.group == group.id and a.id not in taken)
        if answers:
            topics[group.id] = answers
    return Questions(checklist, core, topics, titles)
