"""``twitch-triage score``: batch-score a CSV of cases, or a folder or glob of shards, every row out."""

from __future__ import annotations

import argparse
import sys

from ..settings import Settings
from .inputs import load_kb, load_predictor, warn_stale
from .options import EXIT_OK, EXIT_USAGE, command, model_option, whole

__all__ = ["add", "run"]


def _worker_count(text: str) -> int:
    """``--workers``: a whole number >= 1 (its upper bound, what the machine can run, is checked by the engine)."""
    value = whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} workers cannot score anything; give a number >= 1")
    return value


def add(subparsers: argparse._SubParsersAction) -> None:
    p = command(subparsers, "score", run,
                "batch-score a CSV of cases: every row out, with probabilities, disposition and errors",
                "twitch-triage score cases.csv -o scored.csv    (- for standard input/output)")
    p.add_argument("input", metavar="IN", help="CSV of cases (comma or semicolon, UTF-8), - for standard input, "
                   "or a folder or a quoted glob of CSV shards ('cases/*.csv')")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output CSV path, - for standard output, or for shards a folder (one output per shard, "
                   "same names, and manifest.json)")
    p.add_argument("--strict", action="store_true",
                   help="refuse the whole file (exit 2, nothing written) if any answer cell is invalid")
    model_option(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="shards: one after the other on this machine (default), or one task each on Dask")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="--engine dask: a running cluster's scheduler (e.g. tcp://10.0.0.1:8786); default: a "
                   "local cluster")
    p.add_argument("--workers", type=_worker_count, default=None, metavar="N",
                   help="--engine dask without --scheduler: worker processes of the local cluster (default: one "
                   "per core)")
    p.add_argument("--force", action="store_true",
                   help="shards: score every shard again, also those the output folder's manifest lists as done")


def _warning(message: str) -> None:
    print(f"twitch-triage score: warning: {message}", file=sys.stderr)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from .. import scoring
    from ..io.files import InputError, refuse_output_over_input, shown
    from ..scoring import shards

    if args.engine != "dask" and (args.scheduler or args.workers):
        raise InputError(f"{'--scheduler' if args.scheduler else '--workers'} is for --engine dask: add it, "
                         "or leave the option out")
    if args.scheduler and args.workers:
        raise InputError("--workers starts a cluster on this machine, --scheduler uses a running one: "
                         "give one of them")
    if shards.names_shards(args.input):
        return _score_shards(args, settings)
    if args.engine == "dask":
        raise InputError(f"--engine dask scores a folder or a glob of shards, and {shown(args.input)} is one file: "
                         "leave out --engine, or give its folder")
    refuse_output_over_input(args.input, args.output)
    scoring.lean_memory_pool()
    kb = load_kb(args, settings)
    predictor = load_predictor(args, kb, settings)  # checked against the knowledge base, as for every command

    summary = scoring.score_file(args.input, args.output, predictor, kb, strict=args.strict,
                                 progress=not args.quiet, on_warning=_warning)
    where = "standard output" if args.output == "-" else args.output
    print(f"{summary.line()} -> {where}", file=sys.stderr)
    return EXIT_OK


def _score_shards(args: argparse.Namespace, settings: Settings) -> int:
    """``score`` over a folder or a glob of shards, into an output folder, on the engine asked for."""
    from pathlib import Path

    from ..io.files import InputError, shown
    from ..scoring import manifest, shards

    if args.output == "-":
        raise InputError(f"{shown(args.input)} names several shards: give an output folder with -o, not -")
    if args.engine == "dask":
        from ..scoring import dask_engine

        engine = dask_engine.engine(args.scheduler, args.workers)  # says how to get Dask when it is missing
    else:
        engine = shards.local_engine
    plan = shards.plan(args.input, args.output, model=args.model or settings.models_dir,
                       kb=args.kb or settings.kb_path, strict=args.strict, force=args.force)
    if plan.stale:
        warn_stale()

    summary = shards.run(plan, engine, progress=not args.quiet, on_warning=_warning)
    for error in summary.failed:
        print(f"twitch-triage score: error: {error}", file=sys.stderr)
    print(f"{summary.line()} -> {args.output} (manifest: {Path(args.output) / manifest.SHARD_MANIFEST_NAME})",
          file=sys.stderr)
    return EXIT_USAGE if summary.failed else EXIT_OK
