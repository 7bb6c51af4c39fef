"""The ``twitch-triage`` command line: thin commands over the library."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from typing import Callable, Sequence

from . import config

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
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
    from . import csvio, generator, knowledge

    kb = knowledge.load_default(args.kb)
    cases = generator.sample_cases(kb, args.n, args.seed)
    frame = cases.to_frame()
    with csvio.atomic_output(args.output) as sink:
        csvio.write_frame(frame, sink)
    if args.output != "-":
        print(f"wrote {len(frame):,} cases (seed {args.seed}) to {args.output}", file=sys.stderr)
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    from . import knowledge

    kb = knowledge.load_default(args.kb)
    groups = {g.id: g.title for g in kb.groups}
    rows = [("case_id", "text", "optional identifier, passed through untouched", "-")]
    for a in kb.answers:
        kind = "days >= 0 or unknown" if a.role == "days" else "yes/no/unknown"
        source = "clinical (not in the seeds)" if a.group == "warning" else "seeds"
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
              twitch-triage schema
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
    p.add_argument("--seed", type=_non_negative_int, default=config.DEFAULT_SEED, help="random seed")
    p.add_argument("-o", "--output", required=True, help="output CSV path, or - for standard output")

    p = add("schema", _cmd_schema, "print every input column: name, type, meaning, source", "twitch-triage schema")
    p.add_argument("--format", choices=("text", "csv"), default="text", help="output format (default text)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    from .csvio import InputError
    from .knowledge import KnowledgeBaseError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or EXIT_OK)
    except (InputError, KnowledgeBaseError) as exc:
        print(f"twitch-triage {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("twitch-triage: interrupted; no output was written", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, exit 1
        if os.environ.get("TWITCH_TRIAGE_DEBUG"):
            raise
        print(f"twitch-triage {args.command}: internal error: {type(exc).__name__}: {exc} "
              "(set TWITCH_TRIAGE_DEBUG=1 for details)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
