"""The interview simulated on the generator's people: information captured step by step against the form's
fixed order and a random order, steps to the stop, the disposition at the stop, and the time per step.

Each person answers every question truthfully, or "don't know" at that question's missing rate. A screen
(the warning-sign checklist, where the twitching is, the other rule answers) is one step. Information
captured after k steps is the share of the log-loss reduction, from the prior to all of the person's
answers, that the exact posterior (the oracle) has after those k steps, summed over people and labels.

The interview's questions do not depend on the stopping threshold, so one simulation that runs past the
stop serves every threshold: the stop is the first step at which no answer rule could raise the
disposition and the best gain is below the threshold (or the cap is reached, or nothing is left).

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

from twitch_triage import artifact, config, interview, knowledge, triage
from twitch_triage.answers import format_value
from twitch_triage.report import verdict

STEPS = (5, 10, 15, 20)
THRESHOLDS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.08)
HORIZON = max(STEPS)


@dataclass
class Walk:
    """One person's interview, run past the stop: the answers after each step and what each step decided."""

    revealed: list[np.ndarray] = field(default_factory=list)  # answers after step k (k = 0, 1, ...)
    gains: list[float] = field(default_factory=list)  # the best gain before step k + 1
    pressing: list[bool] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)  # the disposition before step k + 1 (index into LEVELS)
    rule_levels: list[int] = field(default_factory=list)  # that of the answer rules alone
    ended: str = ""  # "emergency" or "done" when no question was left; "" when the walk was cut at HORIZON


def people(kb, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` people's answers (each hidden at its missing rate: "don't know") and their true labels."""
    from twitch_triage.generator import compile_model

    oracle = compile_model(kb)
    cases = oracle.sample(n, seed)
    rng = np.random.default_rng(seed + 1)
    hidden = rng.random(cases.X_full.shape) < oracle.missing_rate[None, :]
    return np.where(hidden, np.nan, cases.X_full), cases.Y


def walk(it: interview.Interviewer, person: np.ndarray, timed: list[float] | None = None) -> Walk:
    """The interview of one person, to :data:`HORIZON` steps or its end (past any stop)."""
    answers: dict[str, object] = {}
    out = Walk()
    while True:
        x, given = it.parse(answers)
        _, outputs = it.outputs(x[None, :])
        level = int(outputs.level[0])
        if timed is not None:
            start = time.perf_counter()
            it.step(answers)
            timed.append(time.perf_counter() - start)
        out.revealed.append(np.where(given, x, np.nan))
        out.levels.append(level)
        out.rule_levels.append(int(it.rule_level(x[None, :])[0][0]))
        choice = it.choose(x, given, level)
        if choice.question is None:
            out.ended = choice.stop
            return out
        out.gains.append(choice.gain)
        out.pressing.append(choice.pressing)
        steps = len(out.revealed) - 1
        if steps >= HORIZON and not choice.pressing and (choice.gain < min(THRESHOLDS) or steps >= it.cap):
            return out
        for a in choice.unanswered:
            j = it.index[a]
            answers[a] = "unknown" if np.isnan(person[j]) else format_value(a, person[j])


def stop_step(w: Walk, threshold: float, cap: int) -> int:
    """The step at which the interview stops with ``threshold`` (its answers are ``w.revealed[k]``)."""
    for k, (gain, pressing) in enumerate(zip(w.gains, w.pressing)):
        if not pressing and (k >= cap or gain < threshold):
            return k
    return len(w.revealed) - 1


def log_loss(oracle, X: np.ndarray, Y: np.ndarray) -> float:
    P = np.clip(oracle.posterior(X), 1e-12, 1 - 1e-12)
    return float(-(Y * np.log(P) + (1 - Y) * np.log1p(-P)).mean())


def captured(oracle, revealed: list[np.ndarray], X: np.ndarray, Y: np.ndarray) -> list[float]:
    """Share of the log-loss reduction from the prior to all answers, for each matrix in ``revealed``."""
    prior = log_loss(oracle, np.full_like(X, np.nan), Y)
    full = log_loss(oracle, X, Y)
    return [(prior - log_loss(oracle, R, Y)) / (prior - full) for R in revealed]


def at_step(walks: list[Walk], k: int) -> np.ndarray:
    return np.array([w.revealed[min(k, len(w.revealed) - 1)] for w in walks])


def order_walk(X: np.ndarray, steps: list[list[np.ndarray]], k: int) -> np.ndarray:
    """The answers after the first ``k`` steps of each person's ``steps`` (each step a list of columns)."""
    R = np.full_like(X, np.nan)
    for i, person in enumerate(steps):
        cols = np.concatenate(person[:k]) if k else np.zeros(0, dtype=int)
        R[i, cols] = X[i, cols]
    return R


def simulate(kb, predictor, n: int, seed: int, timed_people: int) -> dict:
    X, Y = people(kb, n, seed)
    results: dict = {"n": n, "seed": seed}
    timed: list[float] = []
    baseline: list[float] = []
    for target in ("labels", "joint"):
        it = interview.Interviewer(kb, predictor, target=target)
        walks = []
        for i, person in enumerate(X):
            clock = timed if target == "labels" and i < timed_people else None
            walks.append(walk(it, person, clock))
        results[target] = walks
    it = interview.Interviewer(kb, predictor)
    for w in results["labels"][:timed_people]:  # the baseline on the same answers: the one-case path, with reasons
        for r in w.revealed:
            answers = {a: format_value(a, v) or "unknown" for a, v in zip(kb.answer_ids, r) if not np.isnan(v)}
            start = time.perf_counter()
            triage.assess(answers, predictor, kb)
            baseline.append(time.perf_counter() - start)
    results["timed"], results["baseline"] = np.array(timed) * 1000, np.array(baseline) * 1000
    results["X"], results["Y"], results["it"] = X, Y, it
    return results


def section(kb, predictor, n: int = 300, seed: int = 2026, timed_people: int = 40) -> list[str]:
    from twitch_triage.generator import compile_model

    oracle = compile_model(kb)
    with threadpool_limits(limits=1, user_api="blas"):  # as a step runs: small products, one thread
        r = simulate(kb, predictor, n, seed, timed_people)
    X, Y, it = r["X"], r["Y"], r["it"]
    rng = np.random.default_rng(seed + 2)
    checklist = [kb.answer_ids.index(a) for a in it.checklist.answers]
    form = [np.array(checklist)] + [np.array([kb.answer_ids.index(a)]) for a in interview.form_order(kb)
                                    if kb.answer_ids.index(a) not in checklist]
    fixed = [form] * n
    shuffled = [[np.array([j]) for j in rng.permutation(len(kb.answer_ids))] for _ in range(n)]
    P_all = predictor.predict_proba(X.astype(np.float32))
    full = triage.outputs(X.astype(np.float32), P_all, kb, kb.answer_ids, kb.label_ids)
    go_on = full.level != config.LEVELS.index("emergency")  # the people the interview does not stop at once

    def curve(revealed: list[np.ndarray], among: np.ndarray = go_on) -> list[float]:
        return captured(oracle, [R[among] for R in revealed], X[among], Y[among])

    curves = {
        "interview (summed label entropy)": curve([at_step(r["labels"], k) for k in STEPS]),
        "interview (joint state entropy)": curve([at_step(r["joint"], k) for k in STEPS]),
        "the form's order: its checklist, then one question a step": curve([order_walk(X, fixed, k) for k in STEPS]),
        "random order, one question a step": curve([order_walk(X, shuffled, k) for k in STEPS]),
        "interview (summed label entropy), everyone: an emergency stops it at the checklist": curve(
            [at_step(r["labels"], k) for k in STEPS], np.ones(n, dtype=bool)),
    }
    full_rules = it.rule_level(X)[0]
    rows = []
    for threshold in THRESHOLDS:
        stops = [stop_step(w, threshold, interview.MAX_STEPS) for w in r["labels"]]
        level = np.array([w.levels[k] for w, k in zip(r["labels"], stops)])
        rules = np.array([w.rule_levels[k] for w, k in zip(r["labels"], stops)])
        info = curve([np.array([w.revealed[k] for w, k in zip(r["labels"], stops)])])[0]
        rows.append((threshold, float(np.mean(stops)), info, float(np.mean(rules == full_rules)),
                     float(np.mean(level == full.level)), float(np.mean(level > full.level))))
    chosen = next(row for row in rows if row[0] == interview.STOP_BELOW_BITS)
    t, b = r["timed"], r["baseline"]
    p50, p95, b50 = float(np.median(t)), float(np.percentile(t, 95)), float(np.median(b))
    head = curves["interview (summed label entropy)"]
    lines = [
        f"## The interview, simulated ({n} of the generator's people, seed {seed})",
        "",
        "Each person answers truthfully, or \"don't know\" at the question's missing rate; a screen is one step. "
        "Information captured: the share of the log-loss reduction from the prior to all of the person's answers "
        "that the exact posterior has after k steps. The first four rows are the "
        f"{int(go_on.sum())} people without an emergency answer (for the other {int(n - go_on.sum())} the "
        "interview stops at the checklist, by design).",
        "",
        "| order | " + " | ".join(f"{k} steps" for k in STEPS) + " |",
        "| --- | " + " | ".join("---:" for _ in STEPS) + " |",
        *(f"| {name} | " + " | ".join(f"{100 * v:.0f}%" for v in curve) + " |" for name, curve in curves.items()),
        "",
        f"Targets: at least 80% within 10 steps: {verdict(head[1] >= 0.8)} ({100 * head[1]:.0f}%); "
        f"at least 95% within 20: {verdict(head[3] >= 0.95)} ({100 * head[3]:.0f}%).",
        "",
        "| stop below (bits) | mean steps to the stop | information at the stop (people without an emergency) | answer rules' disposition "
        "as with all answers | disposition as with all answers | disposition lower than with all answers |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        *(f"| {th:g}{' (chosen)' if th == interview.STOP_BELOW_BITS else ''} | {steps:.1f} | {100 * info:.0f}% | "
          f"{100 * same_rules:.1f}% | {100 * same:.1f}% | {100 * lower:.1f}% |"
          for th, steps, info, same_rules, same, lower in rows),
        "",
        f"Answer rules' disposition at the stop as with all answers: target 100%: {verdict(chosen[3] == 1.0)}. "
        "The full disposition also reads the model's probabilities (`probable_deficiency`), which later "
        "answers can still move.",
        "",
        "| what | p50 | p95 | baseline: `triage.assess` with reasons on the same answers, p50 | ratio | target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        f"| `interview.step`, {t.size} steps of {min(timed_people, n)} people | {p50:.0f} ms | {p95:.0f} ms | "
        f"{b50:.1f} ms | {p50 / b50:.0f}x | at most 200 ms: {verdict(p95 <= 200)} |",
        "",
    ]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    kb = knowledge.load_default()
    predictor = artifact.load(kb_sha256=kb.sha256)
    print("\n".join(section(kb, predictor, args.people, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
