"""Reading a case file a block of records at a time as Arrow batches, and the physical line of every error."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ... import contract
from ..files import InputError, shown
from .cells import BOM, neutralise
from .header import read_header
from .stream import Block, RecordBlocks

__all__ = ["CaseReader", "Chunk", "open_cases", "DEFAULT_BLOCK_SIZE"]

DEFAULT_BLOCK_SIZE = 1 << 20  # bytes of CSV per chunk: memory is bounded by a few chunks


@dataclass(frozen=True)
class Chunk:
    """A batch of records, each with the physical line it starts on and its text as written."""

    batch: pa.RecordBatch
    lines: np.ndarray  # of shape (batch.num_rows,)
    records: pa.Array  # of shape (batch.num_rows,): each record's text, without its line end

    @property
    def line(self) -> int:
        """The physical line of the first record."""
        return int(self.lines[0])

    def line_of(self, row: int) -> int:
        """The physical line where ``row`` (0-based) of this chunk starts."""
        return int(self.lines[row])


@contextlib.contextmanager
def _quiet_invalid_rows(handler: Callable) -> Iterator[None]:
    """Silence pyarrow's report that it could not decode a bad row's text for ``handler``.

    pyarrow decodes the text of a row with the wrong number of fields before calling the
    handler; when that text is not UTF-8 it prints a traceback as an "unraisable" exception
    and fails the read, which :meth:`CaseReader._error` then reports in one line.
    """
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if not (isinstance(unraisable.exc_value, UnicodeDecodeError) and unraisable.object == handler):
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


def _standard_input() -> IO[bytes]:
    """Standard input unbuffered, read with ``os.read``: a thread blocked reading a pipe that stays open holds no
    lock, so a signal ends the run at once (a blocked ``sys.stdin.buffer`` holds its lock, which the interpreter
    then waits for on its way out)."""
    try:
        return open(sys.stdin.fileno(), "rb", buffering=0, closefd=False)
    except (AttributeError, OSError, ValueError):  # (replaced by an object without a descriptor, as in tests)
        return sys.stdin.buffer


class CaseReader:
    """Stream a case file as chunks of text cells, as written: every column ``pa.string()``,
    an empty cell (bare or quoted) the empty string.

    The file is read in blocks of whole records (see :class:`~.stream.RecordBlocks`), each parsed by
    pyarrow from memory in the thread that iterates.

    Parameters
    ----------
    source : a path, ``-`` for standard input, or a binary file object.
    answer_ids : the answer names to look for in the header.
    block_size : bytes of CSV per chunk.
    typed : read the yes/no answers (not ``duration_days``) as booleans (null for unknown)
        while that is exact: while every such cell is spelt as the contract spells it in lower,
        upper or title case, every row has the header's number of fields, and no text cell
        needs neutralising. From the first block where that fails on, the rest of the file is
        read as text, from that block.

    Raises
    ------
    InputError
        On opening (missing file, empty, not UTF-8, no answer column, duplicate
        column) or while iterating (a row with the wrong number of fields, not
        UTF-8, a quote never closed, a row longer than ``block_size``), with the line number.
    """

    def __init__(self, source: str | os.PathLike | IO[bytes], *, answer_ids: Sequence[str] = contract.ANSWERS,
                 block_size: int = DEFAULT_BLOCK_SIZE, typed: bool = False):
        self.name, handle, self.size = self._open(source)
        self._owned = handle if isinstance(source, (str, os.PathLike)) and str(source) != "-" else None
        try:
            self.header, rest, start = read_header(handle, self.name, answer_ids, max(block_size, 1 << 16))
        except BaseException:
            self.close()
            raise
        names = list(self.header.names)
        self.stream = RecordBlocks(rest, handle, name=self.name, delimiter=self.header.delimiter,
                                   block_size=block_size, line=self.header.lines + 1, offset=start)
        self._typed = typed
        answers = {j for a, j in self.header.answers.items() if a != contract.DAYS_ANSWER}
        self._texts = [j for j in range(len(names)) if j not in answers]  # the columns read as text when typed
        spelt = {kind: sorted({v for w in spellings for v in (w, w.upper(), w.title())})
                 for kind, spellings in (("yes", contract.YES_SPELLINGS), ("no", contract.NO_SPELLINGS),
                                         ("unknown", contract.UNKNOWN_SPELLINGS))}
        # every cell as text, an empty one as "" (not null: null cells cost the writer a slow path)
        self._convert = {
            False: pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, check_utf8=True),
            True: pacsv.ConvertOptions(
                column_types={n: pa.bool_() if j in answers else pa.string() for j, n in enumerate(names)},
                check_utf8=True, true_values=spelt["yes"], false_values=spelt["no"], null_values=spelt["unknown"]),
        }

    @staticmethod
    def _open(source) -> tuple[str, IO[bytes], int | None]:
        if not isinstance(source, (str, os.PathLike)):
            name = getattr(source, "name", None)
            return (shown(name) if isinstance(name, str) else "the input"), source, None
        if str(source) == "-":
            return "standard input", _standard_input(), None
        path = Path(source)
        where = shown(path)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise InputError(f"input file {where} does not exist: check the path") from None
        except IsADirectoryError:
            raise InputError(f"input {where} is a folder: give a CSV file") from None
        except PermissionError:
            raise InputError(f"cannot read {where}: permission denied") from None
        except OSError as exc:
            raise InputError(f"cannot read {where}: {exc.strerror or exc}") from None
        if not path.is_file():
            handle.close()
            raise InputError(f"input {where} is not a regular file: give a CSV file")
        return where, handle, path.stat().st_size

    def __enter__(self) -> "CaseReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def chunks(self) -> Iterator[Chunk]:
        """The records, a block at a time, each with the physical line it starts on."""
        typed = self._typed
        for block in self.stream:
            chunk = self._typed_chunk(block) if typed else None
            if chunk is not None:
                yield chunk
                continue
            typed = False  # read as text from here on
            yield from self._text_chunks(block)
        if self.stream.open_quote:
            raise InputError(f"{self.name} line {self.stream.last_record_line}: a quoted field is never closed, so "
                             "the rest of the file was read into it: add the missing '\"'")

    def _parse(self, block: Block, typed: bool) -> tuple[pa.RecordBatch, Any]:
        """``block`` parsed by pyarrow, and the first row with the wrong number of fields (skipped), or None."""
        bad: list[Any] = []

        def on_invalid_row(row: Any) -> str:
            bad.append(row)
            return "skip"

        # pyarrow drops a byte-order mark first in its input: an empty line before one keeps it in its cell
        data = b"\n" + block.data if block.data.startswith(BOM) else block.data
        read = pacsv.ReadOptions(column_names=list(self.header.names), block_size=len(data) + 1, use_threads=False)
        parse = pacsv.ParseOptions(delimiter=self.header.delimiter, newlines_in_values=True, ignore_empty_lines=True,
                                   invalid_row_handler=on_invalid_row)
        with _quiet_invalid_rows(on_invalid_row):
            # read_csv, not the streaming open_csv: it parses in this thread and leaves no reader behind (with
            # open_csv, one run in several hundred ended an input error with "terminate called without an
            # active exception")
            table = pacsv.read_csv(pa.py_buffer(data), read_options=read, parse_options=parse,
                                   convert_options=self._convert[typed])
        batches = table.to_batches()
        batch = pa.concat_batches(batches) if batches else \
            pa.RecordBatch.from_arrays([pa.nulls(0, f.type) for f in table.schema], schema=table.schema)
        return batch, (bad[0] if bad else None)

    def _typed_chunk(self, block: Block) -> Chunk | None:
        """``block`` with its yes/no answers as booleans, or None where that is not exact (see ``typed``)."""
        try:
            batch, bad = self._parse(block, typed=True)
        except pa.ArrowInvalid:  # e.g. a cell that is not a vocabulary spelling
            return None
        if bad is not None or any(neutralise(column) is not column for column in map(batch.column, self._texts)):
            return None  # (neutralise returns a column it leaves as it is)
        return Chunk(batch, block.lines, block.records())

    def _text_chunks(self, block: Block) -> Iterator[Chunk]:
        try:
            batch, bad = self._parse(block, typed=False)
        except pa.ArrowInvalid as exc:
            raise self._error(exc, block) from None
        if bad is None:
            yield Chunk(batch, block.lines, block.records())
            return
        row = bad.number - 1 if bad.number is not None else None
        if row:  # the rows before it first, so that an error in them is found first
            yield Chunk(batch.slice(0, row), block.lines[:row], block.records()[:row])
        raise self._ragged(None if row is None else int(block.lines[row]), bad.expected_columns, bad.actual_columns)

    def _ragged(self, line: int | None, expected: int, actual: int) -> InputError:
        at = "" if line is None else f" line {line}"
        return InputError(f"{self.name}{at} has {actual} field{'s' if actual != 1 else ''} but the header has "
                          f"{expected}: fix that row (a stray '{self.header.delimiter}' or a missing quote?)")

    def _error(self, exc: pa.ArrowInvalid, block: Block) -> InputError:
        ragged = re.search(r"Row #(\d+): Expected (\d+) columns?, got (\d+)", str(exc))
        if "UTF8" in str(exc) or ragged:  # (a row that is not UTF-8 is not handed to on_invalid_row)
            try:
                block.data.decode("utf-8")
            except UnicodeDecodeError as bad:
                return InputError(f"{self.name} is not UTF-8 (byte 0x{block.data[bad.start]:02x} at line "
                                  f"{block.line_at(bad.start)}): re-save it as UTF-8")
        if ragged:
            number, expected, actual = (int(g) for g in ragged.groups())
            return self._ragged(int(block.lines[number - 1]), expected, actual)
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        return InputError(f"{self.name} cannot be read as CSV from line {block.lines[0]}: {message}")

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return (chunk.batch for chunk in self.chunks())


def open_cases(source: str | os.PathLike | IO[bytes], **kwargs: Any) -> CaseReader:
    """Open a case file for streaming; see :class:`CaseReader`."""
    return CaseReader(source, **kwargs)
