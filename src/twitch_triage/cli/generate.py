"""``twitch-triage generate``: write synthetic cases (answers and true labels) as CSV."""

from __future__ import annotations

import argparse
import sys

from .. import contract
from ..settings import Settings
from .inputs import load_kb
from .options import EXIT_OK, command, non_negative_int

__all__ = ["add", "run"]


def add(subparsers: argparse._SubParsersAction) -> None:
    p = command(subparsers, "generate", run, "write N synthetic cases (answers + true labels) as CSV",
                "twitch-triage generate --n 1000 --seed 1 -o cases.csv")
    p.add_argument("--n", type=non_negative_int, default=1000, help="number of cases (default 1000)")
    p.add_argument("--seed", type=non_negative_int, default=contract.DEFAULT_SEED, help="random seed")
    p.add_argument("-o", "--output", required=True, help="output CSV path, or - for standard output")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..io.casefiles import write_frame
    from ..io.files import atomic_output
    from ..oracle import sample_chunks

    kb = load_kb(args, settings)
    with atomic_output(args.output) as sink:
        for cases in sample_chunks(kb, args.n, args.seed):  # the rows of sample_cases, a chunk at a time
            write_frame(cases.to_frame(), sink, header=cases.first == 0)
    if args.output != "-":
        print(f"wrote {args.n:,} cases (seed {args.seed}) to {args.output}", file=sys.stderr)
    return EXIT_OK
