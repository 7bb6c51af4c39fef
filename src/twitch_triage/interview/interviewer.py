"""One stateless interview step: the answers so far in; the next question, whether to stop, and what the person
is shown out.

The order is the safety policy's (:mod:`~twitch_triage.interview.policy`): the warning-sign checklist, the stop
at an emergency or an urgent disposition, the core history, the answers an answer rule still needs. After that,
screens of one topic at a time, each holding the topic's answers worth asking, chosen by their value
(:mod:`~twitch_triage.interview.value`): the chance that their answers bring what the person is shown (the advice,
the likely causes, whether "nothing lacking" leads) closer to what all their answers would show. The interview
stops when no screen is worth :data:`STOP_BELOW` or more, at the cap, or when nothing is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from .. import contract
from ..triage import redflags
from .. import triage
from ..answers import AnswerError, invalid_message, parse_value, quote
from ..knowledge import KnowledgeBase
from ..scoring.blas import one_blas_thread
from ..wording import closest
from . import explain, policy
from .questions import Question, build
from .value import Valuer

__all__ = ["STOP_BELOW", "ITEM_AT_LEAST", "NEEDED_AT_LEAST", "Choice", "Interviewer"]

STOP_BELOW = 0.05  # stop when what is shown differs from what all answers would show with less than this chance
ITEM_AT_LEAST = 0.05  # an answer joins its topic's screen when it alone has this chance of changing what is shown
NEEDED_AT_LEAST = 0.05  # ... or this chance of being needed to reach what all answers show
FIRST_VISIT = 0.25  # on a topic's first screen the bars are this much lower: fewer trips back to a topic
_URGENT = redflags.level_rank("urgent")
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_LOOK_UP_AT = 100  # did-you-mean is looked up for keys up to this long (it costs their length times the names')


@dataclass(frozen=True)
class Choice:
    """What one step decides.

    ``question`` is the question to ask (None when stopping); ``stop`` why the interview stops (``emergency``,
    ``urgent``, ``enough``, ``cap``, ``nothing_left``) or ``""``; ``value`` the chance that the question's answers
    change what is shown (0 for a question the policy asks whatever it tells); ``later`` the screens expected after
    this one; ``must`` the answers an answer rule still needs.
    """

    question: Question | None
    stop: str = ""
    value: float = 0.0
    later: int = 0
    must: tuple[str, ...] = ()


class Interviewer:
    """The interview over one knowledge base and one trained model.

    Parameters
    ----------
    kb : the knowledge base (questions, red-flag rules, missing rates, the generator's model).
    model : the trained model (:class:`~twitch_triage.model.artifact.Predictor`): ``predict_all`` gives the ten
        labels' probabilities and ``p_nothing_lacking``.
    stop_below : stop when no screen is worth this much (a chance of changing what is shown).
    cap : stop after this many screens answered.
    samples : people drawn to value the questions.
    item_at_least, needed_at_least : an answer joins its topic's screen when it alone has this chance of changing
        what is shown, or this chance of being needed to reach what all answers show.
    """

    def __init__(self, kb: KnowledgeBase, model: Any, *, stop_below: float = STOP_BELOW,
                 cap: int = policy.MAX_SCREENS, samples: int | None = None, item_at_least: float = ITEM_AT_LEAST,
                 needed_at_least: float = NEEDED_AT_LEAST):
        from ..oracle import compile_model
        from .value import SAMPLES

        if tuple(model.answer_ids) != kb.answer_ids or tuple(model.labels) != kb.label_ids:
            raise ValueError("the model's answers or labels are not the knowledge base's: run `make train`")
        self.kb, self.model, self.stop_below, self.cap = kb, model, stop_below, cap
        self.item_at_least, self.needed_at_least = item_at_least, needed_at_least
        self.samples = SAMPLES if samples is None else samples
        self.oracle = compile_model(kb)
        self.index = {a: j for j, a in enumerate(kb.answer_ids)}
        self.missing_rate = np.array([a.missing_rate for a in kb.answers])
        self.questions = build(kb)
        self.checklist = self.questions.checklist

    # ------------------------------------------------------------------ answers and outputs

    def parse(self, answers: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """The answers as a vector in the knowledge base's order (1 yes, 0 no, NaN unknown, days), and which
        were given (a key given as unknown was asked).

        Raises
        ------
        ValueError
            One line: a key that is not an answer, or a value that is not valid for it.
        """
        if not isinstance(answers, Mapping):
            raise ValueError(f"the answers must be a mapping of answer names to values, not {type(answers).__name__}")
        x = np.full(len(self.kb.answer_ids), np.nan)
        given = np.zeros(len(self.kb.answer_ids), dtype=bool)
        for key, value in answers.items():
            j = self.index.get(key) if isinstance(key, str) else None
            if j is None:
                meant = None
                if isinstance(key, str) and len(key) <= _LOOK_UP_AT:  # a longer key is no slip of the keyboard
                    meant = closest(key, self.kb.answer_ids, cutoff=0.8)
                hint = f"did you mean {meant}?" if meant else "see `twitch-triage schema` for the names"
                raise ValueError(f"{quote(key)} is not an answer: {hint}")
            if not isinstance(value, (str, int, float, bool, type(None))):  # a list or an object: never an answer
                raise AnswerError(invalid_message(key, f"<{type(value).__name__}>"))
            x[j] = parse_value(key, value)
            if x[j] > _FLOAT32_MAX:  # as batch scoring reads it (float32): inf days, which the model caps, no warning
                x[j] = np.inf
            given[j] = True
        return x, given

    def outputs(self, X: np.ndarray) -> tuple[np.ndarray, triage.Outputs]:
        """The model's outputs (n, n_labels + 1: the labels, then p_nothing_lacking) and the triage outputs, as
        batch scoring computes them (it reads the answers as float32)."""
        X32 = np.asarray(X, dtype=np.float32)
        both = self.model.predict_all(X32)
        return both, triage.outputs(X32, both[:, :-1], self.kb, self.kb.answer_ids, self.kb.label_ids,
                                    nothing=both[:, -1])

    def outcome(self, X: np.ndarray, *, folded: bool = True) -> np.ndarray:
        """What each row of answers shows, as one integer: the disposition, the likely causes (a set) and whether
        "nothing lacking" leads (``p_nothing_lacking`` as written at least every label's). With ``folded``, at
        ``urgent`` or above the disposition alone: the page shows what to do and folds the rest away."""
        _, out = self.outputs(X)
        n, labels = X.shape[0], len(self.kb.label_ids)
        likely = np.zeros(n, dtype=np.int64)
        np.bitwise_or.at(likely, out.likely_rows, np.left_shift(1, out.likely_cols).astype(np.int64))
        rest = (likely << 1) | out.nothing_leads
        if folded:
            rest = np.where(out.level <= _URGENT, 0, rest)
        return (out.level.astype(np.int64) << (labels + 1)) | rest

    def screens_answered(self, answers: Mapping[str, Any]) -> int:
        """Screens answered: the checklist and each core screen count once if any of their answers is given; the
        other answers, in the order given, once per run of one topic."""
        keys = [k for k in answers if k in self.index]
        fixed = (self.questions.checklist, *self.questions.core)
        count = sum(any(k in q.answers for k in keys) for q in fixed)
        previous = None
        for k in keys:
            topic = self.questions.topic_of(k)
            if topic is not None and topic != previous:
                count += 1
            previous = topic if topic is not None else previous
        return count

    # ------------------------------------------------------------------ choosing

    def _screens(self, x: np.ndarray, given: np.ndarray, must: tuple[str, ...], for_report: bool = False
                 ) -> tuple[list[Question], np.ndarray, np.ndarray, float] | None:
        """Per topic with an answer worth asking, its screen: the answers an answer rule needs and those worth
        asking (alone they may change what is shown, or they are needed to reach what all answers show), in the
        knowledge base's order. With each screen its value and the chance that its answers are needed; then the
        chance that what is shown now differs from what all answers would show. None when nothing is left."""
        open_ = {t: tuple(a for a in answers if not given[self.index[a]])
                 for t, answers in self.questions.topics.items()}
        open_ = {t: items for t, items in open_.items() if items}
        if not open_:
            return None
        valuer = Valuer(self.oracle, self._outcome(for_report), self.missing_rate, x, given, self.samples)
        singles = [a for items in open_.values() for a in items]
        cols = [self.index[a] for a in singles]
        alone = dict(zip(singles, valuer.values([[c] for c in cols])))
        needed = dict(zip(singles, valuer.needed(cols)))
        screens, need = [], []
        visited = {self.questions.topic_of(a) for a in self.kb.answer_ids if given[self.index[a]]}
        for topic, items in open_.items():
            bar = 1.0 if topic in visited else FIRST_VISIT  # a topic's first screen takes in more of it
            chosen = tuple(a for a in items if a in must or alone[a] >= bar * self.item_at_least
                           or needed[a] >= bar * self.needed_at_least)
            if chosen:
                screens.append(self.questions.screen(topic, chosen, self.kb))
                need.append(sum(needed[a] for a in chosen))
        values = valuer.values([[self.index[a] for a in q.answers] for q in screens])
        return screens, values, np.array(need), valuer.unsettled

    def choose(self, x: np.ndarray, given: np.ndarray, level: int, screens: int, *, for_report: bool = False
               ) -> Choice:
        """The next question for answers ``x`` (``given`` marks those given) at disposition ``level``, after
        ``screens`` screens answered."""
        decision = policy.decide(self.questions, self.kb, x, given, level, screens, for_report=for_report,
                                 cap=self.cap)
        if decision.stop:
            return Choice(None, decision.stop)
        if decision.ask is not None:
            core_left = sum(any(not given[self.index[a]] for a in q.answers) for q in self.questions.core)
            is_core = decision.ask.id in {q.id for q in self.questions.core}
            return Choice(decision.ask, later=core_left - is_core + self._later_estimate(x, given, for_report))
        found = self._screens(x, given, decision.must, for_report)
        if found is None:
            return Choice(None, "nothing_left")
        candidates, values, need, unsettled = found
        pick = [k for k, q in enumerate(candidates) if set(q.answers) & set(decision.must)]
        if not pick:
            if unsettled < self.stop_below or not candidates:
                return Choice(None, "enough", unsettled)
            pick = list(range(len(candidates)))
        best = max(pick, key=lambda k: (values[k], need[k], -k))
        return Choice(candidates[best], value=max(float(values[best]), 0.0), later=len(candidates) - 1,
                      must=decision.must)

    def _outcome(self, for_report: bool):
        """What is shown, as :meth:`outcome` codes it: for a report, what the doctor reads (nothing folded)."""
        return lambda X: self.outcome(X, folded=not for_report)

    def _later_estimate(self, x: np.ndarray, given: np.ndarray, for_report: bool) -> int:
        """Before the valued screens: the topics with answers left, if what is shown is not settled yet."""
        if not self.questions.topics:
            return 0
        must = policy.must_ask(self.kb, x, given)
        topics = sum(any(not given[self.index[a]] for a in answers) for answers in self.questions.topics.values())
        if must or not topics:
            return topics
        unsettled = Valuer(self.oracle, self._outcome(for_report), self.missing_rate, x, given, self.samples).unsettled
        return topics if unsettled >= self.stop_below else 0

    # ------------------------------------------------------------------ the step

    def step(self, answers: Mapping[str, Any], *, for_report: bool = False) -> dict[str, Any]:
        """One interview step (the contract's shape); see :func:`twitch_triage.interview.step`."""
        with one_blas_thread():
            return self._step(answers, for_report)

    def _remaining(self, choice: Choice, x: np.ndarray, given: np.ndarray, screens: int, for_report: bool) -> int:
        """Screens still to come, this one included; 1 only when the stop after it is certain: a single question
        after whose every answer (yes, no, don't know) the interview stops."""
        if choice.question is None:
            return 0
        estimate = 1 + choice.later
        if estimate > 1 or choice.question.kind != "single":
            return max(estimate, 2)
        j = self.index[choice.question.answers[0]]
        for value in (1.0, 0.0, np.nan):
            after, now = x.copy(), given.copy()
            after[j], now[j] = value, True
            level = int(self.outputs(after[None, :])[1].level[0])
            if self.choose(after, now, level, screens + 1, for_report=for_report).question is not None:
                return 2
        return 1

    def shown(self, out: triage.Outputs, i: int) -> dict[str, Any]:
        """What batch scoring gives for row ``i`` of ``out``, as a step's answer says it: the probabilities as
        written, the likely causes, the disposition and the red flags that fired."""
        labels = self.kb.label_ids
        return {
            "probabilities": {lab: int(w) / redflags.WRITTEN_SCALE for lab, w in zip(labels, out.p_ten_thousandths[i])},
            "p_nothing_lacking": int(out.nothing_ten_thousandths[i]) / redflags.WRITTEN_SCALE,
            "likely": [labels[c] for r, c in zip(out.likely_rows, out.likely_cols) if r == i],
            "disposition": contract.LEVELS[int(out.level[i])],
            "red_flags": [rule.id for rule, on in zip(self.kb.red_flags, out.fired[i]) if on],
        }

    def _step(self, answers: Mapping[str, Any], for_report: bool) -> dict[str, Any]:
        x, given = self.parse(answers)
        _, out = self.outputs(x[None, :])
        level = int(out.level[0])
        screens = self.screens_answered(answers)
        choice = self.choose(x, given, level, screens, for_report=for_report)
        question = None
        if choice.question is not None:
            q = choice.question
            question = {"type": q.kind, "id": q.id, "text": q.text}
            if q.kind == "group_multiple":
                question["items"] = [{"id": a, "text": self.kb.answer(a).question} for a in q.answers]
            question["why"] = explain.why(self.kb, q, choice.value if choice.value else None, choice.must)
        stopped = choice.stop or None
        if stopped and level == redflags.level_rank("urgent"):
            stopped = "urgent"  # asked for a report, it went on after the urgent stop; it ends as that stop
        return {
            "question": question,
            "should_stop": question is None,
            "expected_gain": round(choice.value, 4),
            **self.shown(out, 0),
            "triggers": list(explain.triggers(self.kb, x, lambda X: self.outputs(X)[0][:, -1])),
            "asked": screens,
            "stopped_because": stopped,
            "remaining": self._remaining(choice, x, given, screens, for_report),
        }
