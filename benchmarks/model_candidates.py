"""Compare multi-label classifiers against the Bayes oracle on synthetic cases.

Each candidate is trained on ``--n`` synthetic cases (a ``--cal-frac`` slice of
them is held back, with its TRUE labels, to calibrate each label), then scored
on a fresh held-out set (``--eval-n`` cases, ``--eval-seed``) against the
exact posterior of the noisy-OR network (the oracle):

* macro AUROC and its difference to the oracle's,
* mean per-label log-loss and how far (in %) it sits above the oracle's,
* the largest per-label expected calibration error (15 equal-width bins),
* fit time (generation + oracle posteriors if used + fit + calibration),
* predict time for 1,000,000 cases, extrapolated from 200k rows (median of 3),
  including the feature encoding and the calibration maps.

Unknown answers are missing information: the indicator encoding gives every
binary answer an "is yes" and an "is no" column (unknown = both 0), and the
duration a log1p(days) column, a days/100 column (0 when unknown) and an
"is known" column. The tree candidate uses the raw answers with NaN.

Usage::

    .venv/bin/python benchmarks/model_candidates.py --n 200000
    .venv/bin/python benchmarks/model_candidates.py --n 100000 --only mlp_distill_256
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.neural_network import MLPClassifier, MLPRegressor

from twitch_triage import contract
from twitch_triage.oracle import compile_model, sample_cases
from twitch_triage import knowledge

EPS = 1e-4  # logit targets are clipped to [EPS, 1 - EPS]
P_FLOOR = 1e-6  # calibrated probabilities are clipped to [P_FLOOR, 1 - P_FLOOR]
PREDICT_ROWS = 200_000


# ---------------------------------------------------------------- data and features


@dataclass
class Split:
    """Training data: a fit part (optionally with oracle posteriors) and a calibration part."""

    X_fit: np.ndarray
    Y_fit: np.ndarray
    X_cal: np.ndarray
    Y_cal: np.ndarray
    days_col: int
    P_fit: np.ndarray | None = None


def encode_indicators(X: np.ndarray, days_col: int, dtype=np.float32) -> np.ndarray:
    """The package's :class:`~twitch_triage.model.estimators.AnswerEncoder` (unknown is neither yes nor no)."""
    from twitch_triage import contract
    from twitch_triage.model.estimators import AnswerEncoder

    ids = list(contract.ANSWERS)
    assert ids[days_col] == contract.DAYS_ANSWER
    return AnswerEncoder(tuple(ids)).fit(X).transform(X).astype(dtype, copy=False)


def make_split(kb: knowledge.KnowledgeBase, n: int, seed: int, cal_frac: float, with_oracle: bool) -> Split:
    """Sample ``n`` training cases; the last ``cal_frac`` of them form the calibration slice."""
    model = compile_model(kb)
    cases = sample_cases(kb, n, seed)
    n_cal = int(round(n * cal_frac))
    n_fit = n - n_cal
    split = Split(cases.X[:n_fit], cases.Y[:n_fit], cases.X[n_fit:], cases.Y[n_fit:], model.days_col)
    if with_oracle:
        split.P_fit = model.posterior(split.X_fit)
    return split


# ---------------------------------------------------------------- calibration


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return expit(z)


class PerLabelCalibrator:
    """Per-label isotonic regression or Platt scaling, fitted on true labels.

    Inputs are raw scores on the log-odds scale, one column per label. Platt
    scaling is ``sigmoid(a * z + b)``: for a network it folds into the output
    layer, so it costs nothing beyond the sigmoid at prediction time.
    """

    def __init__(self, method: str):
        if method not in ("isotonic", "platt", "none"):
            raise ValueError(method)
        self.method = method
        self.maps: list = []

    def fit(self, S: np.ndarray, Y: np.ndarray) -> "PerLabelCalibrator":
        self.maps = []
        for j in range(S.shape[1]):
            if self.method == "isotonic":
                iso = IsotonicRegression(y_min=P_FLOOR, y_max=1 - P_FLOOR, out_of_bounds="clip")
                self.maps.append(iso.fit(S[:, j], Y[:, j]))
            elif self.method == "platt":
                lr = LogisticRegression(C=1e6)
                lr.fit(S[:, j].reshape(-1, 1), Y[:, j])
                self.maps.append((float(lr.coef_[0, 0]), float(lr.intercept_[0])))
        return self

    def transform(self, S: np.ndarray) -> np.ndarray:
        if self.method == "none":
            return np.clip(_sigmoid(S), P_FLOOR, 1 - P_FLOOR)
        out = np.empty(S.shape, dtype=np.float64)
        for j, m in enumerate(self.maps):
            if self.method == "isotonic":
                # np.interp on the fitted thresholds is IsotonicRegression.predict without the overhead
                out[:, j] = np.interp(S[:, j], m.X_thresholds_, m.y_thresholds_)
            else:
                a, b = m
                out[:, j] = _sigmoid(a * S[:, j] + b)
        return np.clip(out, P_FLOOR, 1 - P_FLOOR)


# ---------------------------------------------------------------- candidates


class Fitted:
    """A fitted candidate: raw log-odds from ``score``, then the per-label calibrator."""

    def __init__(self, score: Callable[[np.ndarray], np.ndarray], calibrator: PerLabelCalibrator):
        self.score = score
        self.calibrator = calibrator

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.calibrator.transform(self.score(X))


def _calibrate(score: Callable[[np.ndarray], np.ndarray], split: Split, method: str) -> Fitted:
    cal = PerLabelCalibrator(method).fit(score(split.X_cal), split.Y_cal)
    return Fitted(score, cal)


def fit_logreg(split: Split, C: float = 1.0, calibration: str = "isotonic") -> Fitted:
    """(1) Logistic regression per label on the indicator encoding."""
    dc = split.days_col
    Z = encode_indicators(split.X_fit, dc, np.float64)
    models = [LogisticRegression(C=C, max_iter=500).fit(Z, split.Y_fit[:, j]) for j in range(split.Y_fit.shape[1])]
    W = np.column_stack([m.coef_[0] for m in models])
    b = np.array([m.intercept_[0] for m in models])

    def score(X: np.ndarray) -> np.ndarray:
        return encode_indicators(X, dc, np.float64) @ W + b

    return _calibrate(score, split, calibration)


def fit_hgb(split: Split, max_iter: int = 100, max_depth: int = 4, lr: float = 0.2,
            calibration: str = "isotonic") -> Fitted:
    """(2) Small HistGradientBoosting per label on the raw answers (NaN = unknown)."""
    models = [
        HistGradientBoostingClassifier(max_iter=max_iter, max_depth=max_depth, learning_rate=lr,
                                       early_stopping=False, random_state=0).fit(split.X_fit, split.Y_fit[:, j])
        for j in range(split.Y_fit.shape[1])
    ]

    def score(X: np.ndarray) -> np.ndarray:
        return np.column_stack([m.decision_function(X) for m in models])

    return _calibrate(score, split, calibration)


def fit_mlp_hard(split: Split, hidden: tuple[int, ...] = (128,), alpha: float = 1e-4, max_iter: int = 30,
                 batch_size: int = 512, calibration: str = "isotonic") -> Fitted:
    """(3) MLPClassifier (multi-label, logistic outputs) on the indicator encoding, hard labels."""
    dc = split.days_col
    mlp = MLPClassifier(hidden_layer_sizes=hidden, activation="relu", alpha=alpha, batch_size=batch_size,
                        learning_rate_init=1e-3, max_iter=max_iter, early_stopping=True,
                        validation_fraction=0.1, n_iter_no_change=5, random_state=0)
    mlp.fit(encode_indicators(split.X_fit, dc), split.Y_fit)

    def score(X: np.ndarray) -> np.ndarray:
        return _logit(mlp.predict_proba(encode_indicators(X, dc)).astype(np.float64))

    return _calibrate(score, split, calibration)


def fit_mlp_distill(split: Split, hidden: tuple[int, ...] = (128,), activation: str = "relu", alpha: float = 1e-4,
                    max_iter: int = 40, batch_size: int = 512, lr_init: float = 1e-3,
                    calibration: str = "platt") -> Fitted:
    """(4) Distillation: MLPRegressor on logit(oracle posterior), sigmoid, per-label calibration."""
    dc = split.days_col
    assert split.P_fit is not None
    target = _logit(split.P_fit).astype(np.float32)
    mlp = MLPRegressor(hidden_layer_sizes=hidden, activation=activation, alpha=alpha, batch_size=batch_size,
                       learning_rate_init=lr_init, max_iter=max_iter, early_stopping=True,
                       validation_fraction=0.1, n_iter_no_change=5, tol=1e-5, random_state=0)
    mlp.fit(encode_indicators(split.X_fit, dc), target)

    def score(X: np.ndarray) -> np.ndarray:
        return mlp.predict(encode_indicators(X, dc)).astype(np.float64)

    fitted = _calibrate(score, split, calibration)
    fitted.n_iter = mlp.n_iter_  # type: ignore[attr-defined]
    return fitted


@dataclass
class Candidate:
    name: str
    fit: Callable[[Split], Fitted]
    needs_oracle: bool = False


def candidates() -> list[Candidate]:
    """The candidates, cheapest first."""
    D = fit_mlp_distill
    return [
        Candidate("logreg_indicators", fit_logreg),
        Candidate("hgb_100it_d4", fit_hgb),
        Candidate("mlp_hard_128", fit_mlp_hard),
        Candidate("mlp_distill_64_platt", lambda s: D(s, hidden=(64,), calibration="platt"), True),
        Candidate("mlp_distill_128_platt", lambda s: D(s, hidden=(128,), calibration="platt"), True),
        Candidate("mlp_distill_128_isotonic", lambda s: D(s, hidden=(128,), calibration="isotonic"), True),
        Candidate("mlp_distill_256_platt", lambda s: D(s, hidden=(256,), calibration="platt"), True),
        Candidate("mlp_distill_128x64_platt", lambda s: D(s, hidden=(128, 64), calibration="platt"), True),
    ]


# ---------------------------------------------------------------- metrics


def ece(p: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error with ``bins`` equal-width bins on [0, 1], weighted by bin size."""
    idx = np.minimum((p * bins).astype(int), bins - 1)
    count = np.bincount(idx, minlength=bins)
    sum_p = np.bincount(idx, weights=p, minlength=bins)
    sum_y = np.bincount(idx, weights=y, minlength=bins)
    return float(np.abs(sum_p - sum_y).sum() / p.size)


def scores(P: np.ndarray, Y: np.ndarray) -> dict[str, float]:
    """Macro AUROC, mean per-label log-loss, max per-label ECE."""
    L = Y.shape[1]
    return {
        "auroc": float(roc_auc_score(Y, P, average="macro")),
        "logloss": float(np.mean([log_loss(Y[:, j], P[:, j], labels=[0, 1]) for j in range(L)])),
        "max_ece": max(ece(P[:, j], Y[:, j]) for j in range(L)),
    }


def predict_seconds_per_million(fitted: Fitted, X: np.ndarray, repeats: int = 3) -> float:
    """Median wall time of ``predict_proba`` on ``X`` (raw answers), scaled to 1,000,000 rows."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fitted.predict_proba(X)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1_000_000 / X.shape[0]


# ---------------------------------------------------------------- driver


def run(args: argparse.Namespace) -> str:
    kb = knowledge.load_default()
    model = compile_model(kb)
    days_col = kb.answer_ids.index(contract.DAYS_ANSWER)
    assert days_col == model.days_col

    test = sample_cases(kb, args.eval_n, args.eval_seed)
    P_oracle = model.posterior(test.X)
    oracle = scores(P_oracle, test.Y)
    X_time = sample_cases(kb, PREDICT_ROWS, args.eval_seed + 1).X

    chosen = [c for c in candidates() if not args.only or c.name in args.only]
    rows = [("oracle (exact posterior)", oracle, float("nan"), float("nan"))]
    # Data are generated once per kind (with / without oracle) and reused, but
    # their generation time is charged to every candidate that uses them.
    splits: dict[bool, tuple[Split, float]] = {}
    for cand in chosen:
        if cand.needs_oracle not in splits:
            t = time.perf_counter()
            split = make_split(kb, args.n, args.seed, args.cal_frac, cand.needs_oracle)
            splits[cand.needs_oracle] = (split, time.perf_counter() - t)
        split, data_s = splits[cand.needs_oracle]
        t = time.perf_counter()
        fitted = cand.fit(split)
        fit_s = data_s + (time.perf_counter() - t)
        s = scores(fitted.predict_proba(test.X), test.Y)
        pred_s = predict_seconds_per_million(fitted, X_time)
        extra = f" (n_iter={fitted.n_iter})" if hasattr(fitted, "n_iter") else ""
        print(f"# {cand.name}{extra}: {s} fit {fit_s:.1f}s predict/1M {pred_s:.2f}s", file=sys.stderr, flush=True)
        rows.append((cand.name, s, fit_s, pred_s))
    load = open("/proc/loadavg").read().split()[:3] if Path("/proc/loadavg").exists() else ["?"] * 3
    note = (f"\n\nTraining n={args.n} (seed {args.seed}, {args.cal_frac:.0%} held back for calibration); "
            f"held-out n={args.eval_n} (seed {args.eval_seed}); predict time from {PREDICT_ROWS} rows, median of 3; "
            f"load average at the end: {' '.join(load)} on {os.cpu_count()} CPUs.")
    return table(rows, oracle) + note


def table(rows, oracle: dict[str, float]) -> str:
    """The markdown table of results."""
    lines = [
        "| candidate | macro AUROC | Δ vs oracle | mean log-loss | % above oracle | max ECE | fit s | predict 1M s (extrapolated) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, s, fit_s, pred_s in rows:
        d_auc = s["auroc"] - oracle["auroc"]
        pct = 100 * (s["logloss"] / oracle["logloss"] - 1)
        fit = "—" if np.isnan(fit_s) else f"{fit_s:.1f}"
        pred = "—" if np.isnan(pred_s) else f"{pred_s:.2f}"
        lines.append(f"| {name} | {s['auroc']:.4f} | {d_auc:+.4f} | {s['logloss']:.4f} | {pct:+.2f}% | "
                     f"{s['max_ece']:.4f} | {fit} | {pred} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="training cases, calibration slice included")
    parser.add_argument("--seed", type=int, default=contract.DEFAULT_SEED)
    parser.add_argument("--cal-frac", type=float, default=0.2, help="fraction of --n held back for calibration")
    parser.add_argument("--eval-n", type=int, default=20_000)
    parser.add_argument("--eval-seed", type=int, default=7)
    parser.add_argument("--only", nargs="*", help="candidate names to run (default: all)")
    parser.add_argument("--out", type=Path, help="also write the table to this markdown file")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    md = run(args)
    print(md)
    if args.out:
        args.out.write_text(md + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
