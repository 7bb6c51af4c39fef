"""The adaptive interview: one stateless step from the answers so far to the next question.

Each call carries every answer given so far (contract, "Interview step"); :func:`step` answers with
the next question, whether to stop, and the triage outputs batch scoring gives for the same answers.

Order. The warning-sign checklist comes first: every yes/no answer that on its own makes a
red-flag rule reach ``urgent`` or ``emergency`` (derived from the knowledge base's rules). Then the
questions an answer rule reads, grouped the way a person answers them: the answers of a "two or
more of" rule as one tick-all-that-apply screen, a rule on a number as a number question, the other
rule answers as one more screen. While any of them could still raise the disposition it is asked
before anything else (the one that tells the most first); then every remaining question, single
yes/no questions and any screen left, is ranked by its expected information gain.

Value of a question. The generator's exact model (:class:`~twitch_triage.generator.NoisyOrModel`)
gives P(answer | answers so far) and the posterior after each answer over the 2^L deficiency
states. The expected gain is the expected drop in the summed entropy of the ten labels (bits),
H = sum_l h(P(label l)), times the chance of an answer: 1 - the question's missing rate (a
"don't know" tells nothing). A screen is valued exactly over all 2^k yes/no configurations of its
k unanswered items (k at most 11), times 1 - its items' mean missing rate (an approximation: each
item may be left unknown on its own); the number of days over 0 ... the day by which the longer
geometric mean leaves less than 1e-4 of its mass.

Why the summed label entropy, not the entropy of the joint state: the outputs are ten label
probabilities, and the expected drop of their summed entropy is the expected drop of their log-loss,
which is how the simulation in ``make bench`` (``benchmarks/bench_interview.py``) measures the
information captured. The joint entropy also rewards learning how the labels co-occur, which no
output shows. Measured on 300 of the generator's people, the two choose nearly the same questions
(81% and 97% of the information after 10 and 20 steps with either; reports/benchmarks.md).

A screen's answers are combined from few rows of the exact joint: an answer whose cause includes
no trigger is independent of every other answer given the state, so its "no" and "yes" rows add
their own log-likelihood to any configuration of the others; only the answers linked through an
unknown trigger are enumerated together. The days add log p + days log(1 - p) per state, read off
the rows for 0 and 1 day.

Stopping. At once on an emergency. Never while an unanswered answer could still make an answer
rule raise the disposition (found by answering every unanswered question "yes", days beyond any
threshold), nor while one more answer would make the rule on the model's probabilities
(``probable_deficiency``) raise it: such questions are asked first, the one that tells the most
first. Otherwise when the best question's expected gain is below :data:`STOP_BELOW_BITS`, after
:data:`MAX_STEPS` steps, or when nothing is left to ask.
"""

from __future__ import annotations

import difflib
import functools
import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from . import config, redflags, triage
from .answers import format_value, parse_value
from .knowledge import KnowledgeBase
from .workers import one_blas_thread

__all__ = ["Question", "Choice", "Interviewer", "step", "what_if", "form_order", "interviewer",
           "STOP_BELOW_BITS", "MAX_STEPS", "CHECKLIST", "OTHER_SIGNS"]

# Tuned with bench_interview.py (300 people, seed 2026): 0.02 bits stops after 15.2 steps on average with 97% of
# the information, every disposition at the stop as with all answers; 0.03 stops after 12.8 steps, with 0.7% of
# dispositions lower (the rule on the model's probabilities, which several later answers together still move).
STOP_BELOW_BITS = 0.02
MAX_STEPS = 30
CHECKLIST = "warning_signs"  # the id of the warning-sign checklist (contract)
OTHER_SIGNS = "doctor_signs"  # the id of the screen of rule answers that no other screen holds
_TARGETS = ("labels", "joint")
_DAYS_TAIL = 1e-4  # the days question is valued up to the day the longer mean leaves this much beyond
_NUMBER_ABOVE = 1e9  # days beyond any rule's threshold


@dataclass(frozen=True)
class Question:
    """One step of the interview: a single yes/no question, a screen of items, or a number.

    ``kind`` is ``"single"``, ``"group_multiple"`` or ``"number"``; ``answers`` are the answer ids it
    asks (one for a single question or a number); ``text`` the question or the screen's title.
    """

    id: str
    kind: str
    answers: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Choice:
    """What :meth:`Interviewer.choose` decides.

    ``question`` is the best question left, even when the interview should stop (None when nothing
    is left or on an emergency); ``gain`` its expected information gain in bits; ``stop`` why to
    stop (``"emergency"``, ``"gain"``, ``"cap"``, ``"done"``) or ``""``; ``pressing`` whether it was
    chosen among the questions through which an answer rule could still raise the disposition
    (the interview cannot stop then).
    """

    question: Question | None
    unanswered: tuple[str, ...]  # the question's answers still to give (a screen shows only those)
    gain: float
    stop: str
    pressing: bool = False  # an answer rule could still raise the disposition through this question


def _bits(k: int) -> np.ndarray:
    """All 2^k configurations of k yes/no answers as rows of 0/1."""
    return ((np.arange(2 ** k)[:, None] >> np.arange(k)[None, :]) & 1).astype(np.float64)


def _binary_entropy(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-300, 1.0)
    q = np.clip(1.0 - p, 1e-300, 1.0)
    return -(p * np.log2(p) + q * np.log2(q))


def form_order(kb: KnowledgeBase) -> tuple[str, ...]:
    """The answers in the order the full form asks them: the knowledge base's groups in order, each group's
    answers in the file's order (the warning signs are its first group)."""
    rank = {g.id: i for i, g in enumerate(kb.groups)}
    return tuple(a.id for a in sorted(kb.answers, key=lambda a: rank[a.group]))


class Interviewer:
    """The interview over one knowledge base and one trained model.

    Parameters
    ----------
    kb : the knowledge base (questions, red-flag rules, missing rates, the generator's model).
    model : the trained model (:class:`~twitch_triage.artifact.Predictor`): the probabilities shown.
    target : ``"labels"`` (summed label entropy) or ``"joint"`` (entropy of the deficiency state).
    stop_below : stop when the best expected gain (bits) is below this.
    cap : stop after this many steps.
    """

    def __init__(self, kb: KnowledgeBase, model: Any, *, target: str = "labels",
                 stop_below: float = STOP_BELOW_BITS, cap: int = MAX_STEPS):
        from .generator import compile_model

        if target not in _TARGETS:
            raise ValueError(f"target {target!r} is not one of {', '.join(_TARGETS)}")
        if tuple(model.answer_ids) != kb.answer_ids or tuple(model.labels) != kb.label_ids:
            raise ValueError("the model's answers or labels are not the knowledge base's: run `make train`")
        self.kb, self.model, self.target, self.stop_below, self.cap = kb, model, target, stop_below, cap
        self.oracle = compile_model(kb)
        self.index = {a: j for j, a in enumerate(kb.answer_ids)}
        self.missing_rate = np.array([a.missing_rate for a in kb.answers])
        self.days = config.DAYS_ANSWER
        self.checklist = self._checklist()
        self.rule_questions = self._rule_questions()
        grouped = {a for q in (self.checklist, *self.rule_questions) for a in q.answers}
        self.singles = tuple(Question(a.id, "single", (a.id,), a.question) for a in kb.answers if a.id not in grouped)
        self.questions = (self.checklist, *self.rule_questions, *self.singles)
        # answers independent of every other answer given the state: symptoms without a trigger among their causes
        self.additive = frozenset(int(j) for j in self.oracle.plain_symptom_cols)
        p = self.oracle.dur_p.min()  # the longer mean
        self.day_values = np.arange(math.ceil(math.log(_DAYS_TAIL) / math.log1p(-p)) + 1, dtype=np.float64)

    # ------------------------------------------------------------------ questions from the rules

    def rule_level(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The level of the answer rules alone, and what fired: without probabilities, the rules on them
        cannot fire (:func:`~twitch_triage.redflags.evaluate_matrix`)."""
        return redflags.evaluate_matrix(self.kb, X, self.kb.answer_ids)

    def _checklist(self) -> Question:
        """Every yes/no answer that alone makes the answer rules reach ``urgent`` or more."""
        yes_no = [a.id for a in self.kb.answers if a.role != "days"]
        X = np.full((len(yes_no), len(self.kb.answer_ids)), np.nan)
        X[np.arange(len(yes_no)), [self.index[a] for a in yes_no]] = 1.0
        level, _ = self.rule_level(X)
        items = tuple(a for a, lv in zip(yes_no, level) if lv <= redflags.level_rank("urgent"))
        return Question(CHECKLIST, "group_multiple", items, self._title(items, "Do you have any of these?"))

    def _title(self, items: tuple[str, ...], default: str) -> str:
        groups = {self.kb.answer(a).group for a in items}
        if len(groups) == 1:
            return next(g.title for g in self.kb.groups if g.id in groups)
        return default

    def _rule_questions(self) -> tuple[Question, ...]:
        """The answers the answer rules read, beyond the checklist, as a person answers them together."""
        taken = set(self.checklist.answers)
        out = []
        for rule in self.kb.red_flags:
            new = tuple(a for a in rule.answers if a not in taken)
            if rule.kind == "count_yes" and len(new) > 1:
                groups = {self.kb.answer(a).group for a in new}
                qid = next(iter(groups)) if len(groups) == 1 else rule.id
                out.append(Question(qid, "group_multiple", new, self._title(new, "Tick all that apply")))
                taken.update(new)
        for rule in self.kb.red_flags:
            if rule.kind == "above":
                for a in rule.answers:
                    if a not in taken:
                        out.append(Question(a, "number", (a,), self.kb.answer(a).question))
                        taken.add(a)
        rest = tuple(a.id for a in self.kb.answers if a.id not in taken and any(
            a.id in rule.answers for rule in self.kb.red_flags))  # a rule on probabilities reads no answer
        if len(rest) == 1:
            out.append(Question(rest[0], "single", rest, self.kb.answer(rest[0]).question))
        elif rest:
            out.append(Question(OTHER_SIGNS, "group_multiple", rest, "Do you have any of these? Tick those you have."))
        return tuple(out)

    # ------------------------------------------------------------------ parsing and outputs

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
            j = self.index.get(key)
            if j is None:
                close = difflib.get_close_matches(str(key), self.kb.answer_ids, n=1, cutoff=0.8)
                hint = f"did you mean {close[0]}?" if close else "see `twitch-triage schema` for the names"
                raise ValueError(f"'{key}' is not an answer: {hint}")
            x[j] = parse_value(key, value)
            given[j] = True
        return x, given

    def outputs(self, X: np.ndarray) -> tuple[np.ndarray, triage.Outputs]:
        """The model's probabilities and the triage outputs, as batch scoring computes them (it reads the
        answers as float32)."""
        X32 = np.asarray(X, dtype=np.float32)
        P = self.model.predict_proba(X32)
        return P, triage.outputs(X32, P, self.kb, self.kb.answer_ids, self.kb.label_ids)

    def _result(self, out: triage.Outputs, i: int = 0) -> dict[str, Any]:
        labels = self.kb.label_ids
        return {
            "probabilities": {lab: int(w) / redflags.WRITTEN_SCALE for lab, w in zip(labels, out.written[i])},
            "likely": [labels[c] for r, c in zip(out.likely_rows, out.likely_cols) if r == i],
            "disposition": config.LEVELS[int(out.level[i])],
            "red_flags": [rule.id for rule, on in zip(self.kb.red_flags, out.fired[i]) if on],
        }

    def asked(self, given: np.ndarray) -> int:
        """Steps answered: each question with any answer given counts once."""
        return sum(bool(given[[self.index[a] for a in q.answers]].any()) for q in self.questions)

    # ------------------------------------------------------------------ choosing

    def _must_ask(self, x: np.ndarray, given: np.ndarray, level: int) -> set[str]:
        """Unanswered answers through which the disposition (now ``level``) could still rise: those of the
        answer rules that could still fire above the answer rules' level, and those one answer away from
        making the rule on the model's probabilities raise it."""
        rules, _ = self.rule_level(x[None, :])
        top = x.copy()
        unanswered = [j for j in range(x.size) if not given[j]]
        top[unanswered] = [_NUMBER_ABOVE if j == self.index[self.days] else 1.0 for j in unanswered]
        _, could = self.rule_level(top[None, :])
        out = set()
        for rule, on in zip(self.kb.red_flags, could[0]):
            if on and redflags.level_rank(rule.level) < rules[0]:
                out.update(a for a in rule.answers if not given[self.index[a]])
        rows = np.repeat(x[None, :], 2 * len(unanswered), axis=0)
        for k, j in enumerate(unanswered):
            rows[2 * k:2 * k + 2, j] = [0.0, _NUMBER_ABOVE if j == self.index[self.days] else 1.0]
        if rows.size:
            raised = self.outputs(rows)[1].level.reshape(-1, 2).min(axis=1) < level
            out.update(self.kb.answer_ids[j] for j, up in zip(unanswered, raised) if up)
        return out

    def _probes(self, x: np.ndarray, question: Question, items: tuple[str, ...]) -> np.ndarray:
        """The rows of ``x`` whose exact joint :meth:`_configurations` combines into every answer to ``items``:
        each configuration of the items whose answers depend on each other given the state (through an
        unknown trigger), then a "no" and a "yes" row for each item that is independent of every other
        answer given the state; for a number, the days 0 and 1."""
        if question.kind == "number":
            rows = np.repeat(x[None, :], 2, axis=0)
            rows[:, self.index[items[0]]] = [0.0, 1.0]
            return rows
        coupled = [self.index[a] for a in items if self.index[a] not in self.additive]
        plain = [self.index[a] for a in items if self.index[a] in self.additive]
        bits = _bits(len(coupled))
        rows = np.repeat(x[None, :], bits.shape[0] + 2 * len(plain), axis=0)
        rows[:bits.shape[0], coupled] = bits
        for i, c in enumerate(plain):
            rows[bits.shape[0] + 2 * i + 1, c] = 1.0
            rows[bits.shape[0] + 2 * i, c] = 0.0
        return rows

    def _configurations(self, lj0: np.ndarray, probes: np.ndarray, question: Question,
                        items: tuple[str, ...]) -> np.ndarray:
        """log P(state, answers so far, each answer to ``items``): shape (n_answers, 2^L), from the joint of
        the answers so far (``lj0``) and of :meth:`_probes`' rows. An answer independent of the others given
        the state adds its own log-likelihood, the difference between its row and ``lj0``."""
        with np.errstate(invalid="ignore"):  # a state impossible already stays impossible
            if question.kind == "number":  # log P(days | state) = log p + days log(1 - p)
                first, step_ = np.nan_to_num(probes[0] - lj0, neginf=-np.inf), probes[1] - probes[0]
                return lj0 + first + self.day_values[:, None] * np.nan_to_num(step_, neginf=-np.inf)
            n_plain = sum(self.index[a] in self.additive for a in items)
            coupled = probes[:probes.shape[0] - 2 * n_plain]
            delta = np.nan_to_num(probes[coupled.shape[0]:] - lj0, nan=0.0).reshape(n_plain, 2, lj0.size)
        bits = _bits(n_plain)
        added = bits @ delta[:, 1, :] + (1 - bits) @ delta[:, 0, :]  # (2^plain, 2^L)
        return (coupled[:, None, :] + added[None, :, :]).reshape(-1, lj0.size)

    def _entropy(self, log_joint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row, log P(answers) and the target entropy (bits) of the posterior."""
        top = log_joint.max(axis=1, keepdims=True)
        post = np.exp(log_joint - top)
        z = post.sum(axis=1)
        post /= z[:, None]
        log_z = top[:, 0] + np.log(z)
        if self.target == "joint":
            with np.errstate(divide="ignore", invalid="ignore"):
                h = -np.where(post > 0, post * np.log2(post), 0.0).sum(axis=1)
        else:
            h = _binary_entropy(post @ self.oracle.states).sum(axis=1)
        return log_z, h

    def gains(self, x: np.ndarray, candidates: list[tuple[Question, tuple[str, ...]]]) -> np.ndarray:
        """Expected information gain (bits) of each ``(question, its unanswered items)``, allowing for
        "don't know"; one evaluation of the exact joint for the rows all their answers are made of."""
        probes = [self._probes(x, q, items) for q, items in candidates]
        lj = self.oracle.log_joint(np.vstack([x[None, :], *probes]))
        log_z0, h0 = self._entropy(lj[:1])
        out = np.empty(len(candidates))
        start = 1
        for k, ((q, items), rows) in enumerate(zip(candidates, probes)):
            log_z, h = self._entropy(self._configurations(lj[0], lj[start:start + rows.shape[0]], q, items))
            w = np.exp(log_z - log_z0[0])
            w /= w.sum()  # the days' tail beyond the last value; rounding elsewhere
            answered = 1.0 - self.missing_rate[[self.index[a] for a in items]].mean()
            out[k] = max(h0[0] - w @ h, 0.0) * answered
            start += rows.shape[0]
        return out

    def choose(self, x: np.ndarray, given: np.ndarray, level: int) -> Choice:
        """The next question for answers ``x`` (``given`` marks those given) at disposition ``level``."""
        if level == redflags.level_rank("emergency"):
            return Choice(None, (), 0.0, "emergency")
        open_ = [(q, tuple(a for a in q.answers if not given[self.index[a]])) for q in self.questions]
        open_ = [(q, items) for q, items in open_ if items]
        if open_ and open_[0][0] is self.checklist:
            (q, items), = open_[:1]
            return Choice(q, items, float(self.gains(x, [(q, items)])[0]), "", pressing=True)
        if not open_:
            return Choice(None, (), 0.0, "done")
        must = self._must_ask(x, given, level)
        pressing = [(q, items) for q, items in open_ if must.intersection(items)]
        candidates = pressing or open_
        g = self.gains(x, candidates)
        best = int(np.argmax(g))
        q, items = candidates[best]
        stop = ""
        if not pressing:
            if self.asked(given) >= self.cap:
                stop = "cap"
            elif g[best] < self.stop_below:
                stop = "gain"
        return Choice(q, items, float(g[best]), stop, pressing=bool(pressing))

    # ------------------------------------------------------------------ why

    def _percent(self, p: float) -> str:
        return f"{100 * p:.0f}%"

    def _move(self, before: float, after: float, subject: str = "it") -> str:
        d = after - before
        if abs(d) < 0.005:
            return f"leave {subject} about as likely ({self._percent(before)} → {self._percent(after)})"
        size = "much " if abs(d) >= 0.15 or (abs(d) >= 0.05 and max(after, before) >= 2 * min(after, before)) else (
            "a little " if abs(d) < 0.05 else "")
        return f"make {subject} {size}{'more' if d > 0 else 'less'} likely ({self._percent(before)} → {self._percent(after)})"

    def why(self, x: np.ndarray, question: Question, items: tuple[str, ...]) -> str:
        """One line from the numbers: what the answers would do to the label they move most (the model's
        probabilities, as shown)."""
        if question is self.checklist:
            titles = [lv.title for lv in self.kb.levels if redflags.level_rank(lv.id) <= redflags.level_rank("urgent")]
            return f"any one of these on its own means: {' or '.join(titles).lower()}; they come first"
        cols = [self.index[a] for a in items]
        if question.kind == "number":
            thresholds = [(rule.threshold, rule.level) for rule in self.kb.red_flags
                          if rule.kind == "above" and question.id in rule.answers]
            days = [1.0, 2 * max((t for t, _ in thresholds), default=7.0)]
            rows = np.repeat(x[None, :], 3, axis=0)
            rows[1:, cols[0]] = days
            P = self.outputs(rows)[1].written / redflags.WRITTEN_SCALE
            j = int(np.argmax(np.abs(P[2] - P[1])))
            name = self.kb.label(self.kb.label_ids[j]).name
            rules = "; ".join(f"over {t:g} days means: {self.kb.level(lv).title.lower()}" for t, lv in thresholds)
            line = f"{days[1]:g} days rather than {days[0]:g} would {self._move(P[1, j], P[2, j], name)}"
            return f"{rules}; {line}" if rules else line
        # one row per item answered yes (the rest of the screen no), and for a single question its "no"
        rows = np.repeat(x[None, :], 1 + 2 * len(cols), axis=0)
        for k, c in enumerate(cols):
            rows[1 + 2 * k, cols] = 0.0
            rows[1 + 2 * k, c] = 1.0
            rows[2 + 2 * k, c] = 0.0
        P = self.outputs(rows)[1].written / redflags.WRITTEN_SCALE
        yes, no = P[1::2], P[2::2]
        moves = np.abs(yes - P[0]) + np.abs(no - P[0])
        k, j = np.unravel_index(int(np.argmax(moves)), moves.shape)
        name = self.kb.label(self.kb.label_ids[j]).name
        if question.kind == "single":
            return (f"a yes would {self._move(P[0, j], yes[k, j], name)}, "
                    f"a no would {self._move(P[0, j], no[k, j])}")
        item = self.kb.answer(items[k]).question
        return f"ticking “{item}” would {self._move(P[0, j], yes[k, j], name)}"

    # ------------------------------------------------------------------ the step

    def step(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """One interview step (the contract's shape); see :func:`step`."""
        with one_blas_thread():
            return self._step(answers)

    def _step(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        x, given = self.parse(answers)
        _, out = self.outputs(x[None, :])
        choice = self.choose(x, given, int(out.level[0]))
        question = None
        if choice.question is not None and not choice.stop:
            q = choice.question
            question = {"type": q.kind, "id": q.id, "text": q.text}
            if q.kind == "group_multiple":
                question["items"] = [{"id": a, "text": self.kb.answer(a).question} for a in choice.unanswered]
            question["why"] = self.why(x, q, choice.unanswered)
        return {"question": question, "should_stop": question is None, "expected_gain": round(choice.gain, 4),
                **self._result(out), "asked": self.asked(given)}

    def what_if(self, answers: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """For each yes/no answer given, the outputs if it were the other way: one batched model call.

        Returns
        -------
        dict of answer id -> ``{"answer": "yes", "other": "no", "probabilities": {...}, "likely": [...],
        "disposition": ..., "red_flags": [...]}``, in the knowledge base's order.
        """
        x, _ = self.parse(answers)
        with one_blas_thread():
            return self._what_if(x)

    def _what_if(self, x: np.ndarray) -> dict[str, dict[str, Any]]:
        flip = [j for j in np.flatnonzero(~np.isnan(x)) if self.kb.answer_ids[j] != self.days]
        rows = np.repeat(x[None, :], len(flip), axis=0)
        rows[np.arange(len(flip)), flip] = 1.0 - x[flip]
        _, out = self.outputs(rows)
        return {self.kb.answer_ids[j]: {"answer": format_value(self.kb.answer_ids[j], x[j]),
                                        "other": format_value(self.kb.answer_ids[j], 1.0 - x[j]),
                                        **self._result(out, i)} for i, j in enumerate(flip)}


_INTERVIEWERS: dict[tuple[str, int], Interviewer] = {}


@functools.cache
def _default_kb() -> KnowledgeBase:
    from . import knowledge

    return knowledge.load_default()


@functools.cache
def _default_model() -> Any:
    from . import artifact

    return artifact.load(kb_sha256=_default_kb().sha256)


def interviewer(kb: KnowledgeBase | None = None, model: Any = None) -> Interviewer:
    """The :class:`Interviewer` of ``kb`` and ``model`` (default: the knowledge base and the saved model in
    ``models/``, each loaded once), built once per pair."""
    kb = _default_kb() if kb is None else kb
    model = _default_model() if model is None else model
    key = (kb.sha256, id(model))
    found = _INTERVIEWERS.get(key)
    if found is None or found.model is not model:
        if len(_INTERVIEWERS) >= 8:
            _INTERVIEWERS.pop(next(iter(_INTERVIEWERS)))
        found = _INTERVIEWERS[key] = Interviewer(kb, model)
    return found


def step(answers: Mapping[str, Any], *, kb: KnowledgeBase | None = None, model: Any = None) -> dict[str, Any]:
    """One stateless interview step.

    Parameters
    ----------
    answers : mapping of answer id -> value as in a CSV cell (``"yes"``, ``"no"``, ``"unknown"``; days as a
        number). A missing key is unknown and may be asked; a key given as unknown was asked.
    kb, model : the knowledge base and the trained model (default: the project's, loaded once).

    Returns
    -------
    dict with ``question`` (None when ``should_stop``), ``should_stop``, ``expected_gain`` (bits),
    ``probabilities``, ``likely``, ``disposition``, ``red_flags`` (what batch scoring writes for the same
    answers) and ``asked`` (steps answered; a screen counts once).

    Raises
    ------
    ValueError
        One line: a key that is not an answer, or a value that is not valid for it.
    """
    return interviewer(kb, model).step(answers)


def what_if(answers: Mapping[str, Any], *, kb: KnowledgeBase | None = None,
            model: Any = None) -> dict[str, dict[str, Any]]:
    """For each yes/no answer given, the outputs if it were the other way (:meth:`Interviewer.what_if`)."""
    return interviewer(kb, model).what_if(answers)
