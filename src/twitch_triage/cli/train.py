"""``twitch-triage train``: generate cases, fit, calibrate, evaluate and save the model and its card."""

from __future__ import annotations

import argparse
import sys

from .. import contract
from ..settings import Settings
from .inputs import load_kb
from .options import EXIT_OK, command, model_option, non_negative_int, positive_int

__all__ = ["add", "run"]


def add(subparsers: argparse._SubParsersAction) -> None:
    p = command(subparsers, "train", run, "generate synthetic cases, fit, calibrate, evaluate and save models/",
                "twitch-triage train --n 200000 --seed 42")
    p.add_argument("--n", type=positive_int, default=contract.DEFAULT_TRAIN_N,
                   help=f"training cases (default {contract.DEFAULT_TRAIN_N:,})")
    p.add_argument("--seed", type=non_negative_int, default=contract.DEFAULT_SEED, help="random seed")
    model_option(p, "where to save the model (default models/)")
    p.add_argument("--reports", default=None, metavar="DIR",
                   help="where to write the model card and its figures (default: beside the model)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..model import card, training

    kb = load_kb(args, settings)
    if args.n < 1000:
        from ..io.files import InputError

        raise InputError(f"--n {args.n} is too small to train on: use at least 1000 cases")
    models_dir = args.model or settings.models_dir
    result = training.train(kb, n=args.n, seed=args.seed, models_dir=models_dir, quiet=args.quiet)
    with training.stage("figures and model card", 1, quiet=args.quiet) as bar:
        folder = card.write_model_card(kb, result, args.reports or models_dir)
        bar.update(1)
    m, o, r = (result.evaluation[k] for k in ("model", "oracle", "rules"))
    mn, on = m["nothing_lacking"], o["nothing_lacking"]
    print(
        f"trained on {args.n:,} cases (seed {args.seed}) in {result.seconds['total']:.0f} s; "
        f"held-out macro AUROC {m['macro_auroc']:.4f} (oracle {o['macro_auroc']:.4f}, rules {r['macro_auroc']:.4f}), "
        f"mean log-loss {m['mean_log_loss']:.4f} ({100 * (m['mean_log_loss'] / o['mean_log_loss'] - 1):+.1f}% vs oracle), "
        f"max ECE {m['max_ece']:.4f}; p_nothing_lacking AUROC {mn['auroc']:.4f} (oracle {on['auroc']:.4f}), "
        f"log-loss {mn['log_loss']:.4f} ({100 * (mn['log_loss'] / on['log_loss'] - 1):+.1f}% vs oracle), "
        f"ECE {mn['ece']:.4f}; model card: {folder / 'model_card.md'}",
        file=sys.stderr,
    )
    return EXIT_OK
