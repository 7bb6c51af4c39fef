"""The ``twitch-triage`` command line: thin commands over the library."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import textwrap
import threading
from typing import Callable, Iterator, Sequence

from . import contract
from .settings import Settings

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a whole number") from None


def _non_negative_int(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; give a number >= 0")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


# --------------------------------------------------------------------------- commands


def _cmd_generate(args: argparse.Namespace) -> int:
    from .oracle import sample_chunks
    from .io.casefiles import write_frame
    from .io.files import atomic_output

    kb = _load_kb(args)
    with atomic_output(args.output) as sink:
        for cases in sample_chunks(kb, args.n, args.seed):  # the rows of sample_cases, a chunk at a time
            write_frame(cases.to_frame(), sink, header=cases.first == 0)
    if args.output != "-":
        print(f"wrote {args.n:,} cases (seed {args.seed}) to {args.output}", file=sys.stderr)
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    kb = _load_kb(args)
    groups = {g.id: g.title for g in kb.groups}
    rows = [("case_id", "text", "optional identifier, passed through untouched", "-")]
    for a in kb.answers:
        kind = "days >= 0 or unknown" if a.role == "days" else "yes/no/unknown"
        source = "clinical (not in the source articles)" if a.source is not None and not a.source.from_seeds else "articles"
        rows.append((a.id, kind, f"{groups[a.group]} {a.question}", source))
    if args.format == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["name", "type", "meaning", "source"])
        writer.writerows(rows)
        return EXIT_OK
    width = max(len(r[0]) for r in rows)
    kwidth = max(len(r[1]) for r in rows)
    print(f"{'name':<{width}}  {'type':<{kwidth}}  meaning [source]")
    for name, kind, meaning, source in rows:
        print(f"{name:<{width}}  {kind:<{kwidth}}  {meaning} [{source}]")
    print(
        "\nyes: 1 yes y true t   no: 0 no n false f   unknown: blank unknown ? na n/a "
        "(case- and whitespace-insensitive). Unknown is not 'no'."
    )
    return EXIT_OK


def _load_kb(args: argparse.Namespace):
    from . import knowledge

    return knowledge.load_default(args.kb)


def _warn_stale() -> None:
    from .model.manifest import STALE_WARNING

    print(f"twitch-triage: warning: {STALE_WARNING}", file=sys.stderr)


def _score_warning(message: str) -> None:
    print(f"twitch-triage score: warning: {message}", file=sys.stderr)


def _load_predictor(args: argparse.Namespace, kb):
    """The model from models/ (or --model DIR), checked, also against the knowledge base's answers and labels;
    warns on stderr if the knowledge base changed."""
    from .model import artifact

    predictor = artifact.load(getattr(args, "model", None), kb=kb)
    artifact.check_against(predictor, kb)
    if predictor.stale:
        _warn_stale()
    return predictor


def _cmd_train(args: argparse.Namespace) -> int:
    from .model import card
    from .model import training

    kb = _load_kb(args)
    if args.n < 1000:
        from .io.files import InputError

        raise InputError(f"--n {args.n} is too small to train on: use at least 1000 cases")
    result = training.train(kb, n=args.n, seed=args.seed, models_dir=args.model, quiet=args.quiet)
    with training.stage("figures and model card", 1, quiet=args.quiet) as bar:
        folder = card.write_model_card(kb, result, args.reports or args.model)
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


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from .model import training
    from .model.evaluation import MIN_CASES

    if args.n < MIN_CASES:
        from .io.files import InputError

        raise InputError(f"--n {args.n} is too small to evaluate on: use at least {MIN_CASES} cases")
    kb = _load_kb(args)
    predictor = _load_predictor(args, kb)
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


class _Repeated(ValueError):
    """A JSON object names the same key twice."""


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """``object_pairs_hook`` that refuses a key given twice: JSON keeps the last value without a word, and a
    warning sign answered "yes" then "no" would vanish."""
    found: dict = {}
    for key, value in pairs:
        if key in found:
            raise _Repeated(key)
        found[key] = value
    return found


def _read_answers(given: str | None) -> dict:
    """The answers of ``next`` and ``report``: one JSON object given on the command line, or read from standard
    input (None or ``-``), each key once. Numbers (and NaN, Infinity) are kept as the text they are written in,
    so that a value is judged as the same text in a CSV cell is (``1e308`` and ``NaN`` are not a number of days
    there)."""
    import json

    from .answers import quote
    from .io.files import InputError

    text = sys.stdin.read() if given in (None, "-") else given
    example = """give one JSON object of answers, e.g. '{"loc_eyelid": "yes"}'"""
    try:
        answers = json.loads(text, object_pairs_hook=_unique_keys, parse_float=str, parse_int=str,
                             parse_constant=str)
    except json.JSONDecodeError as exc:
        raise InputError(f"the answers are not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno}): "
                         f"{example}") from None
    except _Repeated as exc:
        raise InputError(f"the answers give {quote(exc.args[0])} more than once: give each answer once") from None
    except RecursionError:
        raise InputError(f"the answers are nested too deeply to be answers: {example}") from None
    if not isinstance(answers, dict):
        kind = {list: "a list", str: "text", bool: "true or false", type(None): "null"}.get(type(answers), "a number")
        if isinstance(answers, str) and text.strip()[:1] != '"':  # a bare number, read as its text
            kind = "a number"
        raise InputError(f"the answers are {kind}, not a JSON object: {example}")
    return answers


def _cmd_next(args: argparse.Namespace) -> int:
    import json

    from . import interview
    from .io.files import InputError

    answers = _read_answers(args.answers)
    kb = _load_kb(args)
    try:
        result = interview.step(answers, kb=kb, model=_load_predictor(args, kb), for_report=args.for_report)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    print(json.dumps(result, ensure_ascii=False))
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    import datetime as dt

    from .report import case_report
    from .report import fhir
    from .report import person
    from . import interview, triage
    from .io.files import InputError, atomic_output

    try:
        details = person.parse(args.age, args.sex, args.medicines)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    answers = _read_answers(args.answers)
    kb = _load_kb(args)
    predictor = _load_predictor(args, kb)
    try:
        triggers = interview.triggers(answers, kb=kb, model=predictor)  # checks every key and value first
    except ValueError as exc:
        raise InputError(str(exc)) from None
    assessment = triage.assess(answers, predictor, kb, explain=False)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    what = dict(model_version=predictor.version, asked=tuple(answers), person=details)
    if args.format == "fhir":
        data = fhir.dumps(fhir.bundle(assessment, kb, when=now, **what)).encode("utf-8")
    else:
        render = case_report.pdf if args.format == "pdf" else case_report.text
        made = render(assessment, kb, when=now.date(), triggers=triggers, unsure=interview.unsure(answers, kb),
                      **what)
        data = made if isinstance(made, bytes) else made.encode("utf-8")
    with atomic_output(args.output) as sink:
        sink.write(data)
    if args.output != "-":
        print(f"wrote the {args.format} report ({assessment.disposition}) to {args.output}", file=sys.stderr)
    return EXIT_OK


def _age(text: str) -> int:
    from .report.person import parse

    try:
        return parse(age=text).age
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _worker_count(text: str) -> int:
    """``--workers``: a whole number >= 1 (its upper bound, what the machine can run, is checked by the engine)."""
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} workers cannot score anything; give a number >= 1")
    return value


def _cmd_score(args: argparse.Namespace) -> int:
    from . import scoring
    from .scoring import shards
    from .io.files import InputError, refuse_output_over_input, shown

    if args.engine != "dask" and (args.scheduler or args.workers):
        raise InputError(f"{'--scheduler' if args.scheduler else '--workers'} is for --engine dask: add it, "
                         "or leave the option out")
    if args.scheduler and args.workers:
        raise InputError("--workers starts a cluster on this machine, --scheduler uses a running one: "
                         "give one of them")
    if shards.names_shards(args.input):
        return _score_shards(args)
    if args.engine == "dask":
        raise InputError(f"--engine dask scores a folder or a glob of shards, and {shown(args.input)} is one file: "
                         "leave out --engine, or give its folder")
    refuse_output_over_input(args.input, args.output)
    scoring.lean_memory_pool()
    kb = _load_kb(args)
    predictor = _load_predictor(args, kb)  # checked against the knowledge base, as for every command

    summary = scoring.score_file(args.input, args.output, predictor, kb, strict=args.strict,
                                 progress=not args.quiet, on_warning=_score_warning)
    where = "standard output" if args.output == "-" else args.output
    print(f"{summary.line()} -> {where}", file=sys.stderr)
    return EXIT_OK


def _score_shards(args: argparse.Namespace) -> int:
    """``score`` over a folder or a glob of shards, into an output folder, on the engine asked for."""
    from pathlib import Path

    from .scoring import manifest, shards
    from .io.files import InputError, shown

    if args.output == "-":
        raise InputError(f"{shown(args.input)} names several shards: give an output folder with -o, not -")
    if args.engine == "dask":
        from .scoring import dask_engine

        engine = dask_engine.engine(args.scheduler, args.workers)  # says how to get Dask when it is missing
    else:
        engine = shards.local_engine
    plan = shards.plan(args.input, args.output, model=args.model, kb=args.kb, strict=args.strict, force=args.force)
    if plan.stale:
        _warn_stale()

    summary = shards.run(plan, engine, progress=not args.quiet, on_warning=_score_warning)
    for error in summary.failed:
        print(f"twitch-triage score: error: {error}", file=sys.stderr)
    print(f"{summary.line()} -> {args.output} (manifest: {Path(args.output) / manifest.SHARD_MANIFEST_NAME})", file=sys.stderr)
    return EXIT_USAGE if summary.failed else EXIT_OK


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="twitch-triage",
        description="Which nutrient may be behind persistent muscle twitching, and when to see a doctor. "
        "Educational only: not medical advice.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=textwrap.dedent(
            """\
            examples:
              twitch-triage generate --n 1000 --seed 1 -o cases.csv
              twitch-triage train
              twitch-triage evaluate --json
              twitch-triage score cases.csv -o scored.csv
              twitch-triage score 'shards/*.csv' -o scored/ --engine dask --workers 2
              twitch-triage schema
              twitch-triage next '{"loc_eyelid": "yes"}'
              twitch-triage report '{"loc_eyelid": "yes"}' --format pdf -o report.pdf
            exit codes: 0 success, 2 unusable input or arguments, 1 internal error"""
        ),
    )
    parser.add_argument("--kb", default=None, help="knowledge base file (default: data/knowledge_base.yaml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def add(name: str, func: Callable, help_text: str, example: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name, help=help_text, description=f"{help_text}\n\nexample:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        return p

    p = add("generate", _cmd_generate, "write N synthetic cases (answers + true labels) as CSV",
            "twitch-triage generate --n 1000 --seed 1 -o cases.csv")
    p.add_argument("--n", type=_non_negative_int, default=1000, help="number of cases (default 1000)")
    p.add_argument("--seed", type=_non_negative_int, default=contract.DEFAULT_SEED, help="random seed")
    p.add_argument("-o", "--output", required=True, help="output CSV path, or - for standard output")

    p = add("train", _cmd_train, "generate synthetic cases, fit, calibrate, evaluate and save models/",
            "twitch-triage train --n 200000 --seed 42")
    p.add_argument("--n", type=_positive_int, default=contract.DEFAULT_TRAIN_N,
                   help=f"training cases (default {contract.DEFAULT_TRAIN_N:,})")
    p.add_argument("--seed", type=_non_negative_int, default=contract.DEFAULT_SEED, help="random seed")
    p.add_argument("--model", default=None, metavar="DIR", help="where to save the model (default models/)")
    p.add_argument("--reports", default=None, metavar="DIR",
                   help="where to write the model card and its figures (default: beside the model)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = add("evaluate", _cmd_evaluate, "score fresh held-out synthetic cases with the model, the oracle and the rules",
            "twitch-triage evaluate --json --n 20000 --seed 7")
    p.add_argument("--json", action="store_true", help="print the contract's JSON object")
    p.add_argument("--n", type=_positive_int, default=contract.DEFAULT_EVAL_N,
                   help=f"held-out cases (default {contract.DEFAULT_EVAL_N:,})")
    p.add_argument("--seed", type=_non_negative_int, default=contract.DEFAULT_EVAL_SEED, help="random seed")
    p.add_argument("--model", default=None, metavar="DIR", help="model folder (default models/)")

    p = add("score", _cmd_score, "batch-score a CSV of cases: every row out, with probabilities, disposition and errors",
            "twitch-triage score cases.csv -o scored.csv    (- for standard input/output)")
    p.add_argument("input", metavar="IN", help="CSV of cases (comma or semicolon, UTF-8), - for standard input, "
                   "or a folder or a quoted glob of CSV shards ('cases/*.csv')")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output CSV path, - for standard output, or for shards a folder (one output per shard, "
                   "same names, and manifest.json)")
    p.add_argument("--strict", action="store_true",
                   help="refuse the whole file (exit 2, nothing written) if any answer cell is invalid")
    p.add_argument("--model", default=None, metavar="DIR", help="model folder (default models/)")
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

    p = add("schema", _cmd_schema, "print every input column: name, type, meaning, source", "twitch-triage schema")
    p.add_argument("--format", choices=("text", "csv"), default="text", help="output format (default text)")

    p = add("next", _cmd_next, "one interview step: the answers so far in, the next question and the triage out (JSON)",
            """twitch-triage next '{"loc_eyelid": "yes", "duration_days": 3}'    (no argument or - reads standard input)""")
    p.add_argument("answers", nargs="?", default=None, metavar="ANSWERS_JSON",
                   help="a JSON object of the answers so far (default: read it from standard input)")
    p.add_argument("--for-report", action="store_true",
                   help="after an urgent stop, go on asking for the doctor's report (the advice stays urgent)")
    p.add_argument("--model", default=None, metavar="DIR", help="model folder (default models/)")

    p = add("report", _cmd_report, "the report of one case for the doctor: PDF, plain text or a FHIR R4 bundle",
            """twitch-triage report '{"loc_eyelid": "yes", "cramps": "yes", "duration_days": 21}' --format pdf """
            """--age 42 --sex female --medicines "ramipril 5 mg" -o report.pdf    (no answers or - reads """
            "standard input)")
    p.add_argument("answers", nargs="?", default=None, metavar="ANSWERS_JSON",
                   help="a JSON object of the answers, as for `next` (default: read it from standard input)")
    p.add_argument("--format", choices=("pdf", "text", "fhir"), default="pdf",
                   help="pdf (one A4 page), text (plain text) or fhir (a FHIR R4 Bundle as JSON); default pdf")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="the file to write, or - for standard output")
    p.add_argument("--age", type=_age, default=None, metavar="YEARS", help="the person's age in whole years (0-130)")
    p.add_argument("--sex", type=str.lower, choices=("female", "male", "other"), default=None,
                   help="the person's sex")
    p.add_argument("--medicines", default=None, metavar="TEXT",
                   help="the medicines the person takes now, as free text (at most 300 characters)")
    p.add_argument("--model", default=None, metavar="DIR", help="model folder (default models/)")
    return parser


class _Stopped(BaseException):
    """A signal asked the process to stop. Raised in the main thread, it unwinds the command as
    KeyboardInterrupt does, so that a partial output file is removed on the way out."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise _Stopped(signum)


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """While the command runs, SIGTERM and SIGHUP raise :class:`_Stopped` (SIGINT raises KeyboardInterrupt
    already; SIGPIPE is ignored, and a write to a closed pipe raises BrokenPipeError)."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    signums = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {signum: signal.signal(signum, _stop) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


def _exit_on_signal(command: str, signum: int, why: str = "") -> int:
    print(f"twitch-triage {command}: stopped by {signal.Signals(signum).name}{why}; no partial output file was left",
          file=sys.stderr)
    return 128 + signum


def _is_usage_error(exc: Exception) -> bool:
    """Unusable input or arguments (exit 2). Their classes are imported here, once there is an error,
    so that a command that succeeds without the CSV layer (``--help``, ``schema``) never imports it."""
    from .io.files import InputError
    from .knowledge import KnowledgeBaseError

    return isinstance(exc, (InputError, KnowledgeBaseError))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)  # --help and argument errors end here, before any library is imported
    try:
        with _stopped_by_signals():
            return int(args.func(args) or EXIT_OK)
    except _Stopped as stop:
        return _exit_on_signal(args.command, stop.signum)
    except KeyboardInterrupt:
        return _exit_on_signal(args.command, signal.SIGINT)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)  # nothing more reaches the closed pipe, not even at exit
        os.dup2(devnull, sys.stdout.fileno())
        return _exit_on_signal(args.command, signal.SIGPIPE, " (the output's reader closed it)")
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, exit 1
        if _is_usage_error(exc):
            print(f"twitch-triage {args.command}: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if Settings.from_environment().debug:
            raise
        print(f"twitch-triage {args.command}: internal error: {type(exc).__name__}: {exc} "
              "(set TWITCH_TRIAGE_DEBUG=1 for details)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
