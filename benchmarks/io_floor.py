"""The I/O floor of batch scoring: pyarrow reads a case file (every column as text) and writes it back
with as many more columns as ``twitch-triage score`` adds.

``bench_score.py`` runs :func:`copy_with_columns` in its own process; run as a script, this is the
floor as the user would run it, a process of its own (the interpreter's start and pyarrow's import
included)::

    .venv/bin/python benchmarks/io_floor.py IN OUT
"""

from __future__ import annotations

import sys

import pyarrow as pa
import pyarrow.csv as pacsv

from twitch_triage.contract import OUTPUT_COLUMNS

EXTRA_COLUMNS = len(OUTPUT_COLUMNS)  # 15: what score adds to every row


def copy_with_columns(source: str, target: str) -> None:
    """Read ``source`` with every column as text; write it to ``target`` with :data:`EXTRA_COLUMNS` more."""
    with open(source, encoding="utf-8") as handle:
        names = handle.readline().strip().split(",")
    table = pacsv.read_csv(source, convert_options=pacsv.ConvertOptions(
        column_types={name: pa.string() for name in names}))
    for i in range(EXTRA_COLUMNS):
        table = table.append_column(f"extra_{i}", table.column(1 + i % (table.num_columns - 1)))
    pacsv.write_csv(table, target)


if __name__ == "__main__":
    copy_with_columns(sys.argv[1], sys.argv[2])
