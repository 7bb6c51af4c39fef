"""What the interview says beside its numbers: why a question is asked, which lifestyle triggers fit the signs,
and which warning signs the person was not sure of. Every medical word comes from the knowledge base."""

from __future__ import annotations

from typing import Callable

import numpy as np

from .. import contract
from ..triage import redflags
from ..knowledge import KnowledgeBase
from ..wording import percent
from .questions import CHECKLIST, LIFESTYLE, WHERE, Question

__all__ = ["why", "triggers", "unsure_signs"]


def _rules_reading(kb: KnowledgeBase, answers: tuple[str, ...]) -> list[str]:
    """'<reason> means: <advice>' for each answer rule that reads one of ``answers``, most severe first."""
    rules = sorted((rule for rule in kb.red_flags if set(rule.answers) & set(answers)),
                   key=lambda rule: redflags.level_rank(rule.level))
    return [f"{rule.reason.lower()} means: {kb.level(rule.level).title.lower()}" for rule in rules]


def why(kb: KnowledgeBase, question: Question, value: float | None, must: tuple[str, ...] = ()) -> str:
    """One line on why ``question`` is asked: what its answers can decide, and for a question chosen by its
    value, the chance (``value``) that its answers change what the person is shown."""
    if question.id == CHECKLIST:
        titles = [lv.title for lv in kb.levels if redflags.level_rank(lv.id) <= redflags.level_rank("urgent")]
        return f"any one of these on its own means: {' or '.join(titles).lower()}; they come first"
    if question.id == LIFESTYLE:
        trigger = next(iter(kb.triggers), None)
        lead = f"\u201c{trigger.source.quote}\u201d " if trigger is not None and trigger.source.from_seeds else ""
        return f"{lead}These answers tell whether everyday causes fit your twitching."
    if question.id == WHERE or question.kind == "number":
        rules = _rules_reading(kb, question.answers)
        return "; ".join(rules[:1] + ["everyone is asked this"])
    parts = _rules_reading(kb, tuple(a for a in question.answers if a in must))[:2]
    if value is not None and value > 0:
        parts.append(f"about a {percent(value)} chance that your answers change the advice or the likely causes")
    return "; ".join(parts) or "it may change the advice or the likely causes"


def triggers(kb: KnowledgeBase, x: np.ndarray, nothing: Callable[[np.ndarray], np.ndarray]) -> tuple[str, ...]:
    """The context answers answered yes that the knowledge base's triggers link to a sign answered yes, most
    influential first: by how much ``p_nothing_lacking`` falls when the answer is taken away (``nothing``: answers
    (n, n_answers) -> p_nothing_lacking (n,)); ties in the knowledge base's order."""
    ids = kb.answer_ids
    yes = {a for a, v in zip(ids, x) if v == 1}
    found = [a for a in ids if a in yes and any(t.cause == a and t.answer in yes for t in kb.triggers)]
    if not found:
        return ()
    rows = np.repeat(x[None, :], 1 + len(found), axis=0)
    for k, a in enumerate(found):
        rows[1 + k, ids.index(a)] = np.nan
    p = nothing(rows)
    effect = p[0] - p[1:]
    order = sorted(range(len(found)), key=lambda k: (-effect[k], k))
    return tuple(found[k] for k in order)


def unsure_signs(kb: KnowledgeBase, x: np.ndarray, given: np.ndarray) -> tuple[tuple[str, str], ...]:
    """The warning signs answered "don't know": each with the level it would reach on its own, most severe first
    (an unknown answer fires no rule, but the person should know what the sign calls for)."""
    ids = kb.answer_ids
    unknown = [j for j, a in enumerate(ids) if a != contract.DAYS_ANSWER and given[j] and np.isnan(x[j])]
    rows = np.full((len(unknown), len(ids)), np.nan)  # each sign alone answered yes: one evaluation for all
    rows[np.arange(len(unknown)), unknown] = 1.0
    level, _ = redflags.evaluate_matrix(kb, rows)
    out = [(ids[j], contract.LEVELS[int(lv)]) for j, lv in zip(unknown, level) if lv <= redflags.level_rank("urgent")]
    return tuple(sorted(out, key=lambda item: redflags.level_rank(item[1])))
