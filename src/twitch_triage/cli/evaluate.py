"""``twitch-triage evaluate``: score fresh held-out cases with the model, the oracle and the rules."""

from __future__ import annotations

import argparse
import sys

from .. import contract
from ..settings import Settings
from .inputs import load_kb, load_predictor
from .options import EXIT_OK, command, model_option, non_negative_int, positive_int

__all__ = ["add", "run"]


def add(subparsers: argparse._SubParsersAction) -> None:
    p = command(subparsers, "evaluate", run,
                "score fresh held-out synthetic cases with the model, the oracle and the rules",
                "twitch-triage evaluate --json --n 20000 --seed 7")
    p.add_argument("--json", action="store_true", help="print the contract's JSON object")
    p.add_argument("--n", type=positive_int, default=contract.DEFAULT_EVAL_N,
                   help=f"held-out cases (default {contract.DEFAULT_EVAL_N:,})")
    p.add_argument("--seed", type=non_negative_int, default=contract.DEFAULT_EVAL_SEED, help="random seed")
    model_option(p)


def run(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from ..model import training
    from ..model.evaluation import MIN_CASES

    if args.n < MIN_CASES:
        from ..io.files import InputError

        raise InputError(f"--n {args.n} is too small to evaluate on: use at least {MIN_CASES} cases")
    kb = load_kb(args, settings)
    predictor = load_predictor(args, kb, settings)
    result, _, _ = training.evaluate_model(kb, predictor, args.n, args.seed, quiet=not sys.stderr.isatty())
    if args.json:
        print(json.dumps(result, allow_nan=False))  # an undefined metric is null
        return EXIT_OK
    print(f"{'':8} {'macro AUROC':>12} {'mean log-loss':>14} {'macro Brier':>12} {'max ECE':>8}")
    for name in ("model", "oracle", "rules"):
        m = result[name]
        print(f"{name:8} {m['macro_auroc']:12.4f} {m['mean_log_loss']:14.4f} {m['macro_brier']:12.4f} {m['max_ece']:8.4f}")
    print(f"\np_nothing_lacking {'AUROC':>7} {'log-loss':>9} {'Brier':>7} {'ECE':>7}")
    for name in ("model", "oracle"):
        m = result[name]["nothing_lacking"]
        print(f"{name:17} {m['auroc']:7.4f} {m['log_loss']:9.4f} {m['brier']:7.4f} {m['ece']:7.4f}")
    print(f"({result['n_cases']:,} held-out cases, seed {result['seed']})")
    return EXIT_OK
