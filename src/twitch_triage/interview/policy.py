"""The interview's safety policy: what must be asked, in what order, and when the interview must stop.

Read in one sitting, it is the whole of what the interview promises, whatever the value of a question says:

1. An **emergency** answer stops the interview at once (nothing more is asked, not even for a report).
2. The **warning-sign checklist** comes first, while any of its items is unanswered.
3. Once every checklist item has an answer, an **urgent** disposition stops the interview; asked for a report
   (``for_report``), it goes on, and the disposition stays what the answers give.
4. The **core history** comes next, always: where the twitching is, how long, the lifestyle screen.
5. After :data:`MAX_SCREENS` screens answered, the interview stops (**cap**).
6. It never stops while an unanswered answer could still make an answer rule fire above the level the answer
   rules give now (**must ask**): those answers come before any other, so the advice at the stop is never lower
   than the answer rules give with every answer.

What is left after these is chosen by value (:mod:`twitch_triage.interview.value`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import contract
from ..triage import redflags
from ..knowledge import KnowledgeBase
from .questions import Question, Questions

__all__ = ["MAX_SCREENS", "Decision", "decide", "must_ask"]

MAX_SCREENS = 16  # screens answered before the interview stops whatever is left
_EMERGENCY, _URGENT = redflags.level_rank("emergency"), redflags.level_rank("urgent")
_BEYOND_ANY_THRESHOLD = 1e9  # days beyond any rule's threshold


@dataclass(frozen=True)
class Decision:
    """What the policy decides before any question is valued.

    ``ask`` is a question to ask now (the checklist or a core-history screen, with only its unanswered items);
    ``stop`` why to stop now (``"emergency"``, ``"urgent"``, ``"cap"``), or ``""``; ``must`` the answers that
    must be asked before the interview may stop.
    """

    ask: Question | None = None
    stop: str = ""
    must: tuple[str, ...] = ()


def must_ask(kb: KnowledgeBase, x: np.ndarray, given: np.ndarray) -> tuple[str, ...]:
    """The unanswered answers through which an answer rule could still fire above the answer rules' level now.

    Every unanswered answer is set to yes (days beyond any threshold): a rule that then fires at a more severe
    level than the answer rules give now names the answers it still needs, in the knowledge base's order.
    """
    ids = kb.answer_ids
    now, _ = redflags.evaluate_matrix(kb, x[None, :])
    top = np.where(given, x, 1.0)
    days = ids.index(contract.DAYS_ANSWER)
    if not given[days]:
        top[days] = _BEYOND_ANY_THRESHOLD
    _, could = redflags.evaluate_matrix(kb, top[None, :])
    needed = set()
    for rule, fires in zip(kb.red_flags, could[0]):
        if fires and redflags.level_rank(rule.level) < now[0]:
            needed.update(a for a in rule.answers if not given[ids.index(a)])
    return tuple(a for a in ids if a in needed)


def decide(questions: Questions, kb: KnowledgeBase, x: np.ndarray, given: np.ndarray, level: int, screens: int, *,
           for_report: bool = False, cap: int = MAX_SCREENS) -> Decision:
    """The policy for answers ``x`` (``given`` marks those given, "unknown" included) at disposition ``level``
    (an index into ``contract.LEVELS``), after ``screens`` screens answered.

    Parameters
    ----------
    x : ndarray of shape (n_answers,), 1 yes, 0 no, NaN unknown; days.
    given : ndarray of shape (n_answers,), bool.
    """
    if level == _EMERGENCY:
        return Decision(stop="emergency")
    ids = kb.answer_ids
    open_items = [a for a in questions.checklist.answers if not given[ids.index(a)]]
    if open_items:
        return Decision(ask=questions.checklist.only(tuple(open_items)))
    if level == _URGENT and not for_report:
        return Decision(stop="urgent")
    for question in questions.core:
        open_items = [a for a in question.answers if not given[ids.index(a)]]
        if open_items:
            return Decision(ask=question.only(tuple(open_items)))
    if screens >= cap:
        return Decision(stop="cap")
    return Decision(must=must_ask(kb, x, given))
