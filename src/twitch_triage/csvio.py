"""Reading and writing case files: parsing, validation, streaming, atomic output."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterator, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

__all__ = ["InputError", "atomic_output", "write_frame"]


class InputError(ValueError):
    """Unusable input or arguments: one line saying what is wrong and how to fix it (exit 2)."""


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """Open a binary stream whose content appears at ``path`` only when complete.

    ``-`` means standard output. The file is written beside its destination and
    renamed on success; on any error the partial file is removed.
    """
    if str(path) == "-":
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"output folder '{folder}' does not exist: create it or choose another -o path")
    if target.is_dir():
        raise InputError(f"output path '{target}' is a folder: give a file name, e.g. -o {target / 'scored.csv'}")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_frame(frame: pd.DataFrame, sink: IO[bytes], *, header: bool = True) -> None:
    """Write a frame of plain cells (no delimiters or quotes inside) as UTF-8 CSV with pyarrow."""
    if header:
        sink.write(header_line(frame.columns))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    pacsv.write_csv(table, sink, write_options=options)


def header_line(columns: Sequence[str]) -> bytes:
    """A CSV header row, quoting only the names that need it."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([str(c) for c in columns])
    return buffer.getvalue().encode("utf-8")
