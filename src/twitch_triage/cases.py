"""Reading case files: header and delimiter detection, validation, and streaming in chunks."""

from __future__ import annotations

import contextlib
import csv
import difflib
import io
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import config
from .csvio import _BOM, InputError, neutralise

__all__ = ["Header", "Block", "Chunk", "CaseReader", "open_cases", "DEFAULT_BLOCK_SIZE"]

DEFAULT_BLOCK_SIZE = 1 << 20  # bytes of CSV per chunk: memory is bounded by a few chunks
_CASE_ID = "case_id"
_HEADER_LIMIT = 16 << 20  # bytes read at most to find the end of the header


@dataclass(frozen=True)
class Header:
    """The first line of a case file.

    Attributes
    ----------
    names : the column names exactly as written.
    delimiter : ``,`` or ``;``, whichever splits the header into more fields.
    bom : whether the file starts with a UTF-8 byte-order mark.
    lines : physical lines up to and including the header (blank lines before it count).
    answers : answer id -> column position, for the columns that are answers
        (names compared case- and whitespace-insensitively).
    warnings : one line per column that looks like a misspelt answer.
    """

    names: tuple[str, ...]
    delimiter: str
    bom: bool
    lines: int
    answers: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def _norm(name: str) -> str:
    return name.strip().lower()


def _answer_positions(names: Sequence[str], answer_ids: Sequence[str], where: str) -> dict[str, int]:
    """answer id -> column position; two columns naming the same answer are refused."""
    wanted = set(answer_ids)
    positions: dict[str, int] = {}
    for j, name in enumerate(names):
        key = _norm(str(name))
        if key in wanted:
            if key in positions:
                raise InputError(f"{where}: columns '{names[positions[key]]}' and '{name}' are both the answer "
                                 f"{key}: keep one of them")
            positions[key] = j
    return positions


def _misspellings(names: Sequence[str], answer_ids: Sequence[str]) -> tuple[str, ...]:
    known = {*answer_ids, _CASE_ID, *config.OUTPUT_COLUMNS}
    out = []
    for name in names:
        if _norm(name) in known:
            continue
        close = difflib.get_close_matches(_norm(name), answer_ids, n=1, cutoff=0.8)
        if close:
            out.append(f"column '{name}' is not an answer; did you mean {close[0]}? (passed through unscored)")
    return tuple(out)


def _first_record(first: bytes, at_end: bool) -> tuple[int, int, int, str] | None:
    """Where the header record lies in ``first``: (start, stop, blank lines before it, delimiter).

    The record is read as Python's csv module (and pyarrow) read it: a quote opens a quoted
    field only at the start of a field. None when it may go on past ``first`` (read more).
    """
    pos = len(_BOM) if first.startswith(_BOM) else 0
    lines = first[pos:].splitlines(keepends=True)
    blank = 0
    while blank < len(lines) and not lines[blank].strip(b"\r\n"):
        pos += len(lines[blank])
        blank += 1
    lines = lines[blank:]
    if not lines:
        return (pos, pos, blank, ",") if at_end else None
    one = lines[0].decode("utf-8", "surrogateescape").rstrip("\r\n")
    counts = {d: len(next(csv.reader([one], delimiter=d, strict=False), [])) for d in (",", ";")}
    delimiter = ";" if counts[";"] > counts[","] else ","
    reader = csv.reader(io.StringIO(first[pos:].decode("utf-8", "surrogateescape"), newline=""),
                        delimiter=delimiter, strict=False)
    try:
        next(reader)
    except csv.Error:
        return (pos, pos + len(lines[0]), blank, delimiter)  # refused by _parse_header's own reading
    if reader.line_num >= len(lines) and not at_end:
        return None
    return pos, pos + sum(len(line) for line in lines[:reader.line_num]), blank, delimiter


def _parse_header(first: bytes, where: str, answer_ids: Sequence[str], at_end: bool = True) -> tuple[Header, int]:
    """The header from the first bytes of a file, and the byte offset where the data starts."""
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{where} is UTF-16, not UTF-8: re-save it as UTF-8 (e.g. 'CSV UTF-8' in a spreadsheet)")
    start, stop, blank, delimiter = _first_record(first, at_end) or _first_record(first, True)
    raw = first[start:stop]
    if not raw.strip():
        problem = f"line {blank + 1} is blank" if first[stop:].strip() else "is empty"
        raise InputError(f"{where} {problem}: give a CSV whose first line names the answer columns "
                         "(see `twitch-triage schema`)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = blank + 1 + raw[:exc.start].count(b"\n")
        raise InputError(f"{where} is not UTF-8 (byte 0x{raw[exc.start]:02x} at line {line}): "
                         "re-save it as UTF-8") from None
    try:
        names = tuple(next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)))
    except csv.Error as exc:
        raise InputError(f"{where} line {blank + 1}: the header cannot be read as CSV ({exc}): "
                         "the first line must name the columns") from None
    lines = blank + len(raw.splitlines())
    seen: dict[str, int] = {}
    for j, name in enumerate(names):
        if name in seen:
            raise InputError(f"{where} line {lines}: column '{name}' appears twice (fields {seen[name] + 1} and "
                             f"{j + 1}): rename or remove one")
        seen[name] = j
    clash = [n for n in names if _norm(n) in config.OUTPUT_COLUMNS]
    if clash:
        raise InputError(f"{where} already has the output column '{clash[0]}' (a scored file?): "
                         "remove the output columns or score the original file")
    answers = _answer_positions(names, answer_ids, where)
    warnings = _misspellings(names, answer_ids)
    if not answers:
        hint = f"; {warnings[0]}" if warnings else ""
        raise InputError(f"{where} has none of the answer columns (e.g. {', '.join(answer_ids[:3])}){hint}: "
                         "name the columns as `twitch-triage schema` lists them")
    return Header(names, delimiter, first.startswith(_BOM), lines, answers, warnings), stop


_LF, _CR, _QUOTE = 0x0A, 0x0D, 0x22
# g after f, for the maps of {0: outside, 1: in a quoted cell} onto itself coded f(0) + 2 * f(1): _AFTER[g, f]
_AFTER = np.array([[(g >> (f & 1) & 1) | (g >> (f >> 1) & 1) << 1 for f in range(4)] for g in range(4)], np.int8)


def _line_ends(data: bytes) -> int:
    """Line ends in ``data``: ``\\n``, ``\\r\\n`` or ``\\r`` alone, as pyarrow and Python's csv module end lines."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _in_quotes_after(runs: np.ndarray, before: bool) -> np.ndarray:
    """Whether a reader is in a quoted cell after each run of quotes, from the map each run applies
    (coded as in ``_AFTER``) and the state before the first: a prefix scan of the maps, in
    log2(len(runs)) vectorised steps."""
    done = runs.astype(np.int8)
    step = 1
    while step < done.size:
        done[step:] = _AFTER[done[step:], done[:-step]]
        step *= 2
    return (done >> int(before) & 1).astype(bool)


@dataclass(frozen=True)
class Block:
    """Whole records of a case file as written (empty lines between them included), and where each starts."""

    data: bytes
    starts: np.ndarray  # of shape (n_records,): the offset of each record in data
    lines: np.ndarray  # of shape (n_records,): the physical line each starts on

    def records(self) -> pa.Array:
        """Each record's text as written, without its line end (nor the empty lines after it)."""
        offsets = np.append(self.starts, len(self.data)).astype(np.int32)
        texts = pa.StringArray.from_buffers(self.starts.size, pa.py_buffer(offsets), pa.py_buffer(self.data))
        return pc.ascii_rtrim(texts, "\r\n")

    def line_at(self, offset: int) -> int:
        """The physical line of the byte at ``offset`` in data (in a record)."""
        record = max(int(np.searchsorted(self.starts, offset, side="right")) - 1, 0)
        return int(self.lines[record]) + _line_ends(self.data[self.starts[record]:offset])


class _Blocks:
    """A case file's data after its header, cut into :class:`Block`\\ s of whole records of about
    ``block_size`` bytes, each record with the physical line it starts on.

    The bytes are scanned as pyarrow parses them: a quote opens a quoted cell only first in a
    field, a quote in one closes it unless doubled, and a line end (``\\n``, ``\\r\\n`` or ``\\r``)
    outside quoted cells ends a record; empty lines are skipped. pyarrow then parses each block
    from memory, so none of its threads reads from Python, and a block ends where a record
    ends, whatever the reads.

    Raises
    ------
    InputError
        A record longer than ``block_size`` bytes (memory is bounded by a few blocks).
    """

    def __init__(self, prefix: bytes, stream: IO[bytes], *, name: str, delimiter: str, block_size: int, line: int,
                 offset: int = 0):
        self._stream, self._name, self._block_size = stream, name, block_size
        self._pending = bytearray()  # read, not yet in a block
        self._base = offset  # the file offset of _pending[0]
        self.bytes_read = offset
        self._ended = False
        # the scan: where the next byte stands
        self._delimiter = ord(delimiter)
        self._line = line  # its physical line
        self._in_quotes = False
        self._line_start = True  # it starts a line outside quoted cells
        self._last = _LF  # the byte before it
        self._unscanned = b""  # quotes or a carriage return last in a read: scanned with the next (that decides)
        self._starts: list[np.ndarray] = []  # the file offsets of the records found in _pending
        self._lines: list[np.ndarray] = []  # and their lines
        self.last_record_line: int | None = None
        self._feed(prefix)

    @property
    def open_quote(self) -> bool:
        """Whether a quoted cell is still open where the reading stands (at the end: never closed)."""
        return self._in_quotes

    def __iter__(self) -> Iterator[Block]:
        while True:
            cut = self._cut()
            while cut is None:  # (at the end, there is always one)
                self._feed(self._stream.read(self._block_size))
                cut = self._cut()
            if not cut:
                return
            block = self._take(cut)
            if block.starts.size:
                yield block

    def _cut(self) -> int | None:
        """Where the next block ends in the pending bytes: after the records that start within ``block_size``
        bytes of its first (where the reads fall does not matter); None while that needs more bytes."""
        starts, lines = self._records()
        scanned = len(self._pending) - len(self._unscanned)
        if not starts.size:
            if scanned > self._block_size:  # empty lines only, so far: dropped
                self._drop(scanned)
            return len(self._pending) if self._ended else None
        limit = starts[0] + self._block_size
        if scanned <= limit and not self._ended:
            return None
        later = starts[(starts > starts[0]) & (starts <= limit)]
        if later.size:
            return int(later[-1])
        if len(self._pending) > limit:
            raise InputError(f"{self._name}: a row from line {lines[0]} on is longer than "
                             f"{self._block_size:,} bytes, more than is read at a time: split or shorten its cells")
        return len(self._pending)

    def _records(self) -> tuple[np.ndarray, np.ndarray]:
        """The offset in the pending bytes of each record found there, and its line."""
        if not self._starts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(self._starts) - self._base, np.concatenate(self._lines)

    def _take(self, cut: int) -> Block:
        starts, lines = self._records()
        n = int(np.searchsorted(starts, cut))
        block = Block(bytes(self._pending[:cut]), starts[:n], lines[:n])
        self._starts, self._lines = ([starts[n:] + self._base], [lines[n:]]) if n < starts.size else ([], [])
        self._drop(cut)
        return block

    def _drop(self, n: int) -> None:
        del self._pending[:n]
        self._base += n

    def _feed(self, data: bytes) -> None:
        """Add ``data`` (the end when empty) to the pending bytes and scan it (see the class)."""
        self.bytes_read += len(data)
        self._pending += data
        if not data:
            self._ended = True
        data, self._unscanned = self._unscanned + data, b""
        if not self._ended:
            kept = len(data) - len(data.rstrip(b'"\r'))
            data, self._unscanned = data[:len(data) - kept], data[len(data) - kept:]
        if not data:
            return
        at = self._base + len(self._pending) - len(self._unscanned) - len(data)  # the file offset of data[0]
        buf = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero((buf == _LF) | (buf == _CR)) if b"\r" in data else np.flatnonzero(buf == _LF)
        crlf = (buf[ends] == _CR) & (buf[np.minimum(ends + 1, buf.size - 1)] == _LF) & (ends + 1 < buf.size)
        counted = ends[~crlf]  # one per line end: \r\n counts at its \n
        inside = np.full(ends.size, self._in_quotes)  # whether each line end is in a quoted cell
        if b'"' in data:
            quotes = np.flatnonzero(buf == _QUOTE)
            first = np.ones(quotes.size, dtype=bool)
            first[1:] = np.diff(quotes) != 1
            runs = quotes[first]
            odd = np.diff(np.append(np.flatnonzero(first), quotes.size)) % 2 == 1
            before = np.where(runs > 0, buf[runs - 1], self._last)
            opens = (before == self._delimiter) | (before == _LF) | (before == _CR)  # first in a field
            # outside, an odd run first in a field leaves a quoted cell open (an even one opens and closes
            # it), elsewhere its quotes are text; inside, an odd run closes the cell (pairs are quotes)
            after = _in_quotes_after((opens & odd) | (~odd) << 1, self._in_quotes)
            run = np.searchsorted(runs, ends) - 1  # the last run before each line end
            inside = np.where(run >= 0, after[np.maximum(run, 0)], self._in_quotes)
            self._in_quotes = bool(after[-1])
        starts = ends[~inside] + 1
        if self._line_start:
            starts = np.concatenate([[0], starts])
        starts = starts[starts < buf.size]
        starts = starts[(buf[starts] != _LF) & (buf[starts] != _CR)]  # empty lines are skipped
        if starts.size:
            lines = self._line + np.searchsorted(counted, starts)
            self._starts.append(at + starts)
            self._lines.append(lines)
            self.last_record_line = int(lines[-1])
        self._line += counted.size
        self._line_start = bool(ends.size) and ends[-1] == buf.size - 1 and not inside[-1]
        self._last = int(buf[-1])


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


class CaseReader:
    """Stream a case file as chunks of text cells, as written: every column ``pa.string()``,
    an empty cell (bare or quoted) the empty string.

    The file is read in blocks of whole records (see :class:`_Blocks`), each parsed by
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

    def __init__(self, source: str | os.PathLike | IO[bytes], *, answer_ids: Sequence[str] = config.ANSWERS,
                 block_size: int = DEFAULT_BLOCK_SIZE, typed: bool = False):
        self.name, handle, self.size = self._open(source)
        self._owned = handle if isinstance(source, (str, os.PathLike)) and str(source) != "-" else None
        try:
            first = handle.read(max(block_size, 1 << 16))
            more = first
            while more and _first_record(first, at_end=False) is None and len(first) < _HEADER_LIMIT:
                more = handle.read(1 << 20)
                first += more
            self.header, start = _parse_header(first, self.name, answer_ids, at_end=not more)
        except BaseException:
            self.close()
            raise
        names = list(self.header.names)
        self.stream = _Blocks(first[start:], handle, name=self.name, delimiter=self.header.delimiter,
                              block_size=block_size, line=self.header.lines + 1, offset=start)
        self._typed = typed
        answers = {j for a, j in self.header.answers.items() if a != config.DAYS_ANSWER}
        self._texts = [j for j in range(len(names)) if j not in answers]  # the columns read as text when typed
        spelt = {kind: sorted({v for w in spellings for v in (w, w.upper(), w.title())})
                 for kind, spellings in (("yes", config.YES_SPELLINGS), ("no", config.NO_SPELLINGS),
                                         ("unknown", config.UNKNOWN_SPELLINGS))}
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
            return (f"'{name}'" if isinstance(name, str) else "the input"), source, None
        if str(source) == "-":
            return "standard input", sys.stdin.buffer, None
        path = Path(source)
        where = f"'{path}'"
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
        data = b"\n" + block.data if block.data.startswith(_BOM) else block.data
        read = pacsv.ReadOptions(column_names=list(self.header.names), block_size=len(data) + 1, use_threads=False)
        parse = pacsv.ParseOptions(delimiter=self.header.delimiter, newlines_in_values=True, ignore_empty_lines=True,
                                   invalid_row_handler=on_invalid_row)
        with _quiet_invalid_rows(on_invalid_row):
            reader = pacsv.open_csv(pa.py_buffer(data), read_options=read, parse_options=parse,
                                    convert_options=self._convert[typed])
            batches = list(reader)
        batch = pa.concat_batches(batches) if batches else pa.record_batch([[] for _ in reader.schema],
                                                                           schema=reader.schema)
        return batch, (bad[0] if bad else None)

    def _typed_chunk(self, block: Block) -> Chunk | None:
        """``block`` with its yes/no answers as booleans, or None where that is not exact (see ``typed``)."""
        try:
            batch, bad = self._parse(block, typed=True)
        except pa.ArrowInvalid:  # e.g. a cell that is not a plain spelling
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
