"""``twitch-triage schema``: every input column, with its type, meaning and source."""

from __future__ import annotations

import argparse
import sys

from ..settings import Settings
from .inputs import load_kb
from .options import EXIT_OK, command

__all__ = ["add", "run"]


def add(subparsers: argparse._SubParsersAction) -> None:
    p = command(subparsers, "schema", run, "print every input column: name, type, meaning, source",
                "twitch-triage schema")
    p.add_argument("--format", choices=("text", "csv"), default="text", help="output format (default text)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    kb = load_kb(args, settings)
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
