"""The interview, simulated on the generator's people: screens to the result, what the person is shown at the
stop against what all of their answers show, the safety policy's guarantees, topic grouping, information
captured, and the time per step.

Each person answers every question truthfully, or "don't know" at that question's missing rate (the same
answers batch scoring would see as theirs: "all answers"). A screen (a checklist, a topic's items, or one
question) is one step. People whose answers include an emergency sign are left out: the interview stops at the
checklist for them, by design. What is shown is the advice (the disposition) and the causes listed as likely;
for people stopped at ``urgent`` the advice alone (the rest is folded away until they have been seen).

Information captured (for comparison with the information-driven interview this one replaced): the share of
the log-loss reduction, from the prior to all of the person's answers, that the exact posterior has after k
screens, for the interview, the form's fixed order and a random order.

``python benchmarks/bench_interview.py`` prints the section; ``benchmarks/run.py`` adds it to
reports/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from twitch_triage.model import artifact
from twitch_triage import contract
from twitch_triage.triage import redflags
from twitch_triage import interview, knowledge
from twitch_triage.answers import format_value
from twitch_triage.model.card import verdict

SEEDS = (2026, 7)
STEPS = (5, 8, 12)
# (stop below, the bars an answer must pass to join a screen): the chosen setting and laxer ones beside it
SETTINGS = ((interview.STOP_BELOW, interview.ITEM_AT_LEAST), (0.05, 0.1), (0.1, 0.2), (0.2, 0.3))
_URGENT = redflags.level_rank("urgent")


@dataclass
class Walk:
    """One person's interview: the answers after each screen, and how it ended."""

    revealed: list[np.ndarray] = field(default_factory=list)  # the answers after screen k (k = 0, 1, ...)
    topics: list[str] = field(default_factory=list)  # each screen's topic
    items: int = 0  # answers asked on all the screens
    stop: str = ""
    level: int = 3
    answers: dict = field(default_factory=dict)


def people(kb, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` people without an emergency sign among their answers (each answer hidden at its missing rate:
    "don't know"), and their true labels."""
    from twitch_triage.oracle import compile_model, sample_cases

    oracle = compile_model(kb)
    X, Y = [], []
    rng = np.random.default_rng(seed + 1)
    emergency = [kb.answer_ids.index(a) for rule in kb.red_flags if rule.level == "emergency" for a in rule.answers]
    draw = 0
    while sum(len(x) for x in X) < n:
        cases = sample_cases(kb, 4 * n, seed + 1000 * draw)
        hidden = rng.random(cases.X_full.shape) < oracle.missing_rate[None, :]
        x = np.where(hidden, np.nan, cases.X_full)
        keep = ~(x[:, emergency] == 1).any(axis=1)
        X.append(x[keep])
        Y.append(cases.Y[keep])
        draw += 1
    return np.vstack(X)[:n], np.vstack(Y)[:n]


def walk(it: interview.Interviewer, person: np.ndarray, timed: list[float] | None = None) -> Walk:
    """The interview of one person, to its stop."""
    out = Walk()
    answers: dict[str, object] = {}
    while True:
        if timed is not None:
            start = time.perf_counter()
            it.step(answers)
            timed.append(time.perf_counter() - start)
        x, given = it.parse(answers)
        out.revealed.append(np.where(given, x, np.nan))
        level = int(it.outputs(x[None, :])[1].level[0])
        choice = it.choose(x, given, level, it.screens_answered(answers))
        if choice.question is None:
            out.stop, out.level, out.answers = choice.stop, level, dict(answers)
            return out
        out.topics.append(choice.question.topic if choice.question.id not in CORE_IDS else choice.question.id)
        out.items += len(choice.question.answers)
        for a in choice.question.answers:
            j = it.index[a]
            answers[a] = "unknown" if np.isnan(person[j]) else format_value(a, person[j])


# the checklist and the core history: the screens every interview asks
CORE_IDS = {interview.CHECKLIST, interview.WHERE, interview.LIFESTYLE, contract.DAYS_ANSWER}


def returns(topics: list[str]) -> int:
    """Screens that go back to a topic left earlier (the person sent back and forth)."""
    seen, back, previous = set(), 0, None
    for topic in topics:
        if topic != previous and topic in seen:
            back += 1
        seen.add(topic)
        previous = topic
    return back


def log_loss(oracle, X: np.ndarray, Y: np.ndarray) -> float:
    P = np.clip(oracle.posterior(X), 1e-12, 1 - 1e-12)
    return float(-(Y * np.log(P) + (1 - Y) * np.log1p(-P)).mean())


def captured(oracle, revealed: list[np.ndarray], X: np.ndarray, Y: np.ndarray) -> list[float]:
    """Share of the log-loss reduction from the prior to all answers, for each matrix in ``revealed``."""
    prior = log_loss(oracle, np.full_like(X, np.nan), Y)
    full = log_loss(oracle, X, Y)
    return [(prior - log_loss(oracle, R, Y)) / (prior - full) for R in revealed]


def order_walk(X: np.ndarray, steps: list[np.ndarray], k: int) -> np.ndarray:
    """The answers after the first ``k`` screens of a fixed order (each a list of columns)."""
    R = np.full_like(X, np.nan)
    cols = np.concatenate(steps[:k]) if k else np.zeros(0, dtype=int)
    R[:, cols] = X[:, cols]
    return R


def run(kb, predictor, n: int, seed: int, threshold: float, timed_people: int = 0, **params) -> dict:
    """Every person's walk with the interview stopping below ``threshold`` (``params``: the interviewer's)."""
    X, Y = people(kb, n, seed)
    it = interview.Interviewer(kb, predictor, stop_below=threshold, **params)
    timed: list[float] = []
    walks = [walk(it, person, timed if i < timed_people else None) for i, person in enumerate(X)]
    return {"X": X, "Y": Y, "it": it, "walks": walks, "timed": np.array(timed) * 1000}


def measure(kb, r: dict) -> dict:
    """The figures of one run (see :func:`run`)."""
    X, it, walks = r["X"], r["it"], r["walks"]
    stop_X = np.array([w.revealed[-1] for w in walks])
    _, full = it.outputs(X)
    _, at_stop = it.outputs(stop_X)
    likely_all = [set() for _ in X]
    likely_stop = [set() for _ in X]
    for i, j in zip(full.likely_rows, full.likely_cols):
        likely_all[i].add(int(j))
    for i, j in zip(at_stop.likely_rows, at_stop.likely_cols):
        likely_stop[i].add(int(j))
    urgent = np.array([w.stop == "urgent" for w in walks])
    same = np.array([full.level[i] == at_stop.level[i] and (urgent[i] or likely_all[i] == likely_stop[i])
                     for i in range(len(X))])
    rules_all = redflags.evaluate_matrix(kb, X)[0]
    core = [a for q in it.questions.core for a in q.answers]
    core_asked = np.array([all(a in w.answers for a in core) for w in walks])
    screens = np.array([len(w.topics) for w in walks])
    return {
        "n": len(X),
        "screens_median": float(np.median(screens)),
        "screens_p90": float(np.percentile(screens, 90)),
        "items_median": float(np.median([w.items for w in walks])),
        "same": float(same.mean()),
        "same_not_urgent": float(same[~urgent].mean()) if (~urgent).any() else float("nan"),
        "below_rules": int((at_stop.level > rules_all).sum()),
        "below_all": float((at_stop.level > full.level).mean()),
        "core": float(core_asked[~urgent].mean()) if (~urgent).any() else float("nan"),
        "urgent": int(urgent.sum()),
        "returns": float(np.mean([returns(w.topics) for w in walks])),
        "stops": {reason: sum(w.stop == reason for w in walks) for reason in ("urgent", "enough", "cap", "nothing_left")},
    }


def section(kb, predictor, n: int = 300, seeds: tuple[int, ...] = SEEDS, timed_people: int = 30) -> list[str]:
    from twitch_triage.oracle import compile_model

    oracle = compile_model(kb)
    chosen = SETTINGS[0]
    rows, timed, figures = [], np.zeros(0), {}
    with threadpool_limits(limits=1, user_api="blas"):  # as a step runs: small products, one thread
        for seed in seeds:
            for setting in SETTINGS if seed == seeds[0] else (chosen,):
                stop, bar = setting
                r = run(kb, predictor, n, seed, stop, timed_people if setting == chosen else 0,
                        item_at_least=bar, needed_at_least=bar)
                m = measure(kb, r)
                rows.append((seed, setting, m))
                if setting == chosen:
                    figures[seed] = (r, m)
                    timed = np.concatenate([timed, r["timed"]])
    r, _ = figures[seeds[0]]
    X, Y, it = r["X"], r["Y"], r["it"]
    steps = [np.array([kb.answer_ids.index(a) for a in it.checklist.answers])] + [
        np.array([kb.answer_ids.index(a)]) for a in interview.form_order(kb) if a not in it.checklist.answers]
    rng = np.random.default_rng(seeds[0] + 2)
    shuffled = [np.array([j]) for j in rng.permutation(len(kb.answer_ids))]
    by_k = [np.array([w.revealed[min(k, len(w.revealed) - 1)] for w in r["walks"]]) for k in STEPS]
    stop_X = np.array([w.revealed[-1] for w in r["walks"]])
    curves = {
        "the interview": captured(oracle, [*by_k, stop_X], X, Y),
        "the form's order: its checklist, then one question a screen": captured(
            oracle, [order_walk(X, steps, k) for k in STEPS] + [np.full_like(X, np.nan)], X, Y)[:-1],
        "random order, one question a screen": captured(
            oracle, [order_walk(X, shuffled, k) for k in STEPS] + [np.full_like(X, np.nan)], X, Y)[:-1],
    }
    p50, p95 = float(np.median(timed)), float(np.percentile(timed, 95))
    ok = {seed: m for seed, (_, m) in figures.items()}
    lines = [
        f"## The interview, simulated ({n} of the generator's people without an emergency sign, per seed)",
        "",
        "Each person answers truthfully, or \"don't know\" at the question's missing rate; one screen is one step. "
        "*Stop below*: the chance that what is shown differs from what all answers show, below which the interview "
        "stops; *bars*: the chance an answer must have, alone, of changing what is shown or of being needed to reach "
        "it, to join a screen (`interview.STOP_BELOW`, `ITEM_AT_LEAST`, `NEEDED_AT_LEAST`). "
        "*Same as with all answers*: the advice and the causes listed as likely at the stop are those all of the "
        "person's answers give (the advice alone for people stopped at `urgent`). *Below the rules*: people whose "
        "advice at the stop is lower than the answer rules give with all their answers (must be 0). *Below all "
        "answers*: lower than the advice all answers give, which only the rule on the model's probabilities "
        "(`probable_deficiency`) can cause. *Core history*: where, how long and the lifestyle screen asked, among "
        "people not stopped at `urgent`. *Back to a topic*: screens per person that return to a topic left earlier.",
        "",
        "| seed | stop below; bars | screens (median, p90) | answers asked (median) | same as with all answers | "
        "below the rules | below all answers | core history | back to a topic | stopped: urgent / enough / cap / "
        "nothing left |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        *(f"| {seed} | {th[0]:g}; {th[1]:g}{' (chosen)' if th == chosen else ''} | {m['screens_median']:.0f}, {m['screens_p90']:.0f} "
          f"| {m['items_median']:.0f} | {100 * m['same']:.1f}% | {m['below_rules']} | {100 * m['below_all']:.1f}% | "
          f"{100 * m['core']:.0f}% | {m['returns']:.2f} | "
          f"{' / '.join(str(m['stops'][k]) for k in ('urgent', 'enough', 'cap', 'nothing_left'))} |"
          for seed, th, m in rows),
        "",
        "Targets, at the chosen threshold, for each seed: "
        + "; ".join(
            f"seed {seed}: median screens at most 12: {verdict(m['screens_median'] <= 12)} ({m['screens_median']:.0f}); "
            f"same as with all answers at least 90%: {verdict(m['same'] >= 0.9)} ({100 * m['same']:.1f}%); "
            f"below the rules 0: {verdict(m['below_rules'] == 0)}; below all answers at most 0.5%: "
            f"{verdict(m['below_all'] <= 0.005)} ({100 * m['below_all']:.1f}%); core history 100%: "
            f"{verdict(m['core'] == 1.0)}" for seed, m in ok.items()) + ".",
        "",
        f"Information captured (seed {seeds[0]}, the same people; share of the log-loss reduction from the prior to "
        "all answers):",
        "",
        "| order | " + " | ".join(f"{k} screens" for k in STEPS) + " | at the stop |",
        "| --- | " + " | ".join("---:" for _ in STEPS) + " | ---: |",
        *(f"| {name} | " + " | ".join(f"{100 * v:.0f}%" for v in curve[:len(STEPS)]) + " | "
          + (f"{100 * curve[len(STEPS)]:.0f}%" if len(curve) > len(STEPS) else "–") + " |"
          for name, curve in curves.items()),
        "",
        "| what | p50 | p95 | target |",
        "| --- | ---: | ---: | --- |",
        f"| `interview.step`, {timed.size} steps of {timed_people} people per seed | {p50:.0f} ms | {p95:.0f} ms | "
        f"at most 200 ms: {verdict(p95 <= 200)} |",
        "",
    ]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    args = parser.parse_args(argv)
    kb = knowledge.load_default()
    predictor = artifact.load(kb=kb)
    print("\n".join(section(kb, predictor, args.people, tuple(args.seeds))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
