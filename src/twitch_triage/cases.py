"""Reading case files: header and delimiter detection, validation, and streaming in chunks."""

from __future__ import annotations

import collections
import contextlib
import csv
import difflib
import io
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import config
from .csvio import _BOM, InputError, neutralise

__all__ = ["Header", "Chunk", "CaseReader", "open_cases", "DEFAULT_BLOCK_SIZE"]

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


class _Prefixed(io.RawIOBase):
    """``prefix`` then the rest of ``stream``, as pyarrow reads it, with the physical line of every record.

    Each read is scanned as pyarrow parses it: a quote opens a quoted cell only first in a
    field, a quote in one closes it unless doubled, and a line end (``\\n``, ``\\r\\n`` or ``\\r``)
    outside quoted cells ends a record; empty lines are skipped. The line each record starts on
    is kept until its batch is handed out (:meth:`handed`), so that every error names its line.
    The last few reads are kept too (a bounded amount) so that a byte pyarrow rejects can be
    found with its line.

    pyarrow reads ahead in a thread of its own, up to 32 blocks; here it waits while it is
    more than :attr:`AHEAD` blocks ahead of the batches handed out, which bounds the memory of
    a run. Until the first batch whose records hold a quote character, the bytes not yet handed
    out as records are kept (:meth:`records`): while no cell is quoted, a record is a line.
    """

    _KEEP = 4
    AHEAD = 3  # blocks read beyond the last batch handed out
    _PATIENCE = 0.5  # seconds to wait for a batch before reading on anyway (blocks without a record)

    def __init__(self, prefix: bytes, stream: IO[bytes], delimiter: str, *, rewindable: bool = False,
                 line: int = 1, bytes_before: int = 0):
        super().__init__()
        self._prefix, self._stream = memoryview(prefix), stream
        self.bytes_read = bytes_before
        self._offset = 0  # bytes this stream has read: a read at 0 starts a record, no character is cut there
        self.recent: list[tuple[int, int, bytes]] = []  # (offset, line, data) of the last reads
        self._reads = self._batches = 0
        self._turn = threading.Condition()
        self._waiting = True  # False once reading on could only be held up (see _PATIENCE), or at the end
        self._blocks: collections.deque[bytes] | None = collections.deque()  # not yet handed out; None: stopped
        self._rewindable = rewindable  # keep every byte not handed out, quotes or not (see detach)
        self._reading = 0  # reads under way
        self._detached = False
        self._no_records = False
        self._at_end = False
        # the scan: where the next byte stands
        self._delimiter = ord(delimiter)
        self._line = self._first_line = line  # its physical line
        self._in_quotes = False
        self._line_start = True  # it starts a line outside quoted cells
        self._last = _LF  # the byte before it
        self._unscanned = b""  # a run of quotes last in a read, scanned with the next (where it ends decides)
        self._lines: collections.deque[np.ndarray] = collections.deque()  # of the records not yet handed out
        self.handed_records = 0
        self._last_handed: int | None = None  # the line of the last one
        self.last_record_line: int | None = None  # the line of the last record read

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        with self._turn:
            if self._waiting and not self._turn.wait_for(lambda: self._reads - self._batches < self.AHEAD
                                                         or not self._waiting, timeout=self._PATIENCE):
                self._waiting = False
            if self._detached:
                return b""
            self._reading += 1
        try:
            return self._read(n)
        finally:
            with self._turn:
                self._reading -= 1
                self._turn.notify_all()

    def _read(self, n: int | None) -> bytes:
        """``n`` bytes (all when ``n`` is None or negative), fewer only at the end, and never a carriage
        return last but at the end (it is kept for the next read).

        pyarrow takes each read for a block: a short one can leave a row that does not end in the
        block after it, which it refuses as a row longer than a block; and it drops a line feed first
        in a block after a carriage return last in the one before, even inside a quoted cell.
        """
        if n is None or n < 0:
            data, self._prefix = self._prefix.tobytes() + self._stream.read(), memoryview(b"")
        else:
            data, self._prefix = self._prefix[:n].tobytes(), self._prefix[n:]
            while len(data) < n and (more := self._stream.read(n - len(data))):
                data = data + more if data else more
            if len(data) > 1 and data.endswith(b"\r"):
                data, self._prefix = data[:-1], memoryview(b"\r" + self._prefix.tobytes())
        with self._turn:
            self.recent = [*self.recent[1 - self._KEEP:], (self._offset, self._line, data)]
            self._offset += len(data)
            self.bytes_read += len(data)
            self._scan(data, final=not data and n != 0)
            self._reads += 1
            if not data and n != 0:
                self._at_end = True
            if self._blocks is not None and data:
                self._blocks.append(data)
        return data

    def _scan(self, data: bytes, final: bool) -> None:
        """Find the records that start in ``data`` and their lines (see the class), going on from the last read."""
        if self._unscanned:
            data, self._unscanned = self._unscanned + data, b""
        if not final and data.endswith(b'"'):
            kept = len(data) - len(data.rstrip(b'"'))
            data, self._unscanned = data[:-kept], data[-kept:]
        if not data:
            return
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
            self._lines.append(lines)
            self.last_record_line = int(lines[-1])
        self._line += counted.size
        self._line_start = bool(ends.size) and ends[-1] == buf.size - 1 and not inside[-1]
        self._last = int(buf[-1])

    @property
    def open_quote(self) -> bool:
        """Whether a quoted cell is still open where the reading stands (at the end: never closed)."""
        return self._in_quotes

    def record_line(self, k: int) -> int | None:
        """The physical line where record ``k`` (0-based, from this stream's start) starts, if read and not
        handed out."""
        k -= self.handed_records
        with self._turn:
            for lines in self._lines:
                if k < lines.size:
                    return int(lines[k]) if k >= 0 else None
                k -= lines.size
        return None

    def next_line(self) -> int:
        """The physical line of the next record not handed out (where the reading stands if none is read)."""
        found = self.record_line(self.handed_records)
        return found if found is not None else self._line

    def resume_line(self) -> int:
        """The physical line where the bytes not handed out as records begin (see :meth:`detach`)."""
        return self._first_line if self._last_handed is None else self._last_handed + 1

    def handed(self, n: int) -> np.ndarray:
        """A batch of the next ``n`` records has been handed out (reading may go on): the line each starts on."""
        with self._turn:
            self._batches += 1
            self._turn.notify_all()
            parts, need = [], n
            while need:
                lines = self._lines.popleft()
                parts.append(lines[:need])
                if lines.size > need:
                    self._lines.appendleft(lines[need:])
                need -= parts[-1].size
        self.handed_records += n
        lines = np.concatenate(parts) if len(parts) != 1 else parts[0]
        if n:
            self._last_handed = int(lines[-1])
        return lines

    def detach(self) -> bytes:
        """Stop reading (pyarrow's reader then meets the end) and return the bytes read but not
        handed out, then those never read: where a new reader takes over. Only when rewindable."""
        with self._turn:
            self._detached, self._waiting = True, False
            self._turn.notify_all()
            self._turn.wait_for(lambda: not self._reading)
            rest = b"".join(self._blocks or ()) + self._prefix.tobytes()
            self._blocks, self._prefix = None, memoryview(b"")
        return rest

    def release(self) -> None:
        """Stop holding reads back (the reading is over, or stopped)."""
        with self._turn:
            self._waiting = False
            self._turn.notify_all()

    def records(self, n: int) -> pa.Array | None:
        """The next ``n`` records as written (without their line ends), or None when that cannot be known.

        Only while no record has held a quote character: then a record is a line that is not
        empty, as pyarrow reads it (``\\n`` or ``\\r\\n`` ends it, empty lines are skipped). From
        the first ``n`` records with a quote, or a carriage return alone (which pyarrow also reads
        as a line end), it stops for the rest of the file: a caller then writes the parsed cells
        back instead. (Where that happens depends on the records alone, not on how far pyarrow
        has read ahead, so that the output does not either.)
        """
        with self._turn:
            head = b""
            while self._blocks is not None and not self._no_records:
                found = self._split(head, n)
                if found is not None:
                    return found
                if not self._blocks:
                    break
                head += self._blocks.popleft()
            if self._rewindable and self._blocks is not None:
                self._blocks.appendleft(head)  # kept for detach
            else:
                self._blocks = None
            return None

    def _split(self, head: bytes, n: int) -> pa.Array | None:
        """The first ``n`` records of ``head`` (the rest goes back to the front of the blocks), or None."""
        buf = np.frombuffer(head, dtype=np.uint8)
        ends = np.flatnonzero(buf == _LF)
        if self._at_end and not self._blocks and buf.size and buf[-1] != _LF:
            ends = np.append(ends, buf.size)  # the last line, without a line end
        starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
        content = ends - starts - (buf[np.maximum(ends - 1, 0)] == _CR) * (ends > starts)
        lines = np.flatnonzero(content > 0)  # pyarrow skips empty lines
        if lines.size < n:
            return None
        stop = min(int(ends[lines[n - 1]]) + 1 if n else 0, buf.size)
        after = np.flatnonzero(buf[:stop] == _CR) + 1
        if head.find(b'"', 0, stop) >= 0 or \
                after.size and ((after >= buf.size) | (buf[np.minimum(after, buf.size - 1)] != _LF)).any():
            self._no_records = True  # a quote, or a carriage return alone: a line end to pyarrow, not here
            return None
        if stop < len(head):
            self._blocks.appendleft(head[stop:])
        offsets = np.empty(n + 1, dtype=np.int32)
        offsets[0] = 0
        offsets[1:] = np.minimum(ends[lines[:n]] + 1, stop)  # each record with the empty lines before it
        records = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(head))
        return pc.utf8_trim(records, "\r\n")

    def readinto(self, b) -> int:  # pragma: no cover - pyarrow calls read()
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def first_invalid_utf8(self) -> tuple[int, int] | None:
        """(byte, physical line) of the first byte in the recent reads that is not UTF-8."""
        if not self.recent:
            return None
        start, line = self.recent[0][:2]
        data = b"".join(d for _, _, d in self.recent)
        skip = 0
        while start and skip < min(3, len(data)) and 0x80 <= data[skip] <= 0xBF:  # a character cut by a read
            skip += 1
        try:
            data[skip:].decode("utf-8")
        except UnicodeDecodeError as exc:
            at = skip + exc.start
            if exc.reason == "unexpected end of data" and self.recent[-1][2]:
                return None  # cut by the last read, not known to be wrong
            return data[at], line + _line_ends(data[:at])
        return None


@dataclass(frozen=True)
class Chunk:
    """A batch of records and the physical line each starts on."""

    batch: pa.RecordBatch
    lines: np.ndarray  # of shape (batch.num_rows,)
    line: int  # the first record's (where the reading stood, for a batch without records)
    records: pa.Array | None = None  # each record's text as written, when known (no quote so far)

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

    Parameters
    ----------
    source : a path, ``-`` for standard input, or a binary file object.
    answer_ids : the answer names to look for in the header.
    block_size : bytes of CSV per chunk.
    typed : read the yes/no answers (not ``duration_days``) as booleans (null for unknown)
        while that is exact: while every record is a line (no quote so far) and every such
        cell is spelt as the contract spells it in lower, upper or title case, and no text
        cell needs neutralising. Each such chunk comes with its records as written. From the
        first chunk where that fails on, the rest of the file is read as text, from that chunk.

    Raises
    ------
    InputError
        On opening (missing file, empty, not UTF-8, no answer column, duplicate
        column) or while iterating (a row with the wrong number of fields, not
        UTF-8, a quote never closed), with the line number.
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
        self._handle, self._typed = handle, typed
        self.stream = _Prefixed(first[start:], handle, self.header.delimiter, rewindable=typed,
                                line=self.header.lines + 1, bytes_before=start)
        self._block_size = block_size
        self._rest = b""  # after typed chunks: the bytes from the first chunk not handed out
        self._bad_row: tuple[int, int, int] | None = None

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
        if hasattr(self, "stream"):
            self.stream.release()
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def _on_invalid_row(self, row: Any) -> str:
        if self._bad_row is None:  # skipped, so that its chunk arrives and the line can be counted exactly
            self._bad_row = (row.number if row.number is not None else -1, row.expected_columns, row.actual_columns)
        return "skip"

    def _ragged(self) -> InputError:
        number, expected, actual = self._bad_row or (-1, 0, 0)
        line = self.stream.record_line(number - 1) if number > 0 else None
        at = f" line {line}" if line is not None else ""
        return InputError(f"{self.name}{at} has {actual} field{'s' if actual != 1 else ''} but the header has "
                          f"{expected}: fix that row (a stray '{self.header.delimiter}' or a missing quote?)")

    def _error(self, exc: pa.ArrowInvalid) -> InputError:
        if "UTF8" in str(exc):
            found = self.stream.first_invalid_utf8()
            if found is not None:
                return InputError(f"{self.name} is not UTF-8 (byte 0x{found[0]:02x} at line {found[1]}): "
                                  "re-save it as UTF-8")
            return InputError(f"{self.name} is not UTF-8 (after line {self.stream.next_line() - 1})"
                              ": re-save it as UTF-8")
        if self._bad_row is not None:
            return self._ragged()
        ragged = re.search(r"Row #(\d+): Expected (\d+) columns?, got (\d+)", str(exc))
        if ragged:  # a row pyarrow could not hand to _on_invalid_row (its text is not UTF-8)
            found = self.stream.first_invalid_utf8()
            if found is not None:
                return InputError(f"{self.name} is not UTF-8 (byte 0x{found[0]:02x} at line {found[1]}): "
                                  "re-save it as UTF-8")
            self._bad_row = (int(ragged[1]), int(ragged[2]), int(ragged[3]))
            return self._ragged()
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        line = self.stream.next_line()
        if "straddl" in message:
            return InputError(f"{self.name}: a row from line {line} on is longer than {self._block_size:,} bytes, "
                              "more than is read at a time: split or shorten its cells")
        return InputError(f"{self.name} cannot be read as CSV from line {line}: {message}")

    def chunks(self) -> Iterator[Chunk]:
        """The records, a chunk at a time, each with the line each record starts on."""
        if self._typed:
            if (yield from self._typed_chunks()):
                return
            old, rest = self.stream, self._rest  # from the first chunk not handed out on, as text
            self.stream = _Prefixed(rest, self._handle, self.header.delimiter, line=old.resume_line(),
                                    bytes_before=old.bytes_read - len(rest))
        yield from self._text_chunks()

    def _chunk(self, batch: pa.RecordBatch, records: pa.Array | None = None) -> Chunk:
        """``batch`` handed out, with the line of each record."""
        line = self.stream.next_line()
        return Chunk(batch, self.stream.handed(batch.num_rows), line, records)

    def _reader(self, parse: pacsv.ParseOptions, convert: pacsv.ConvertOptions) -> pacsv.CSVStreamingReader:
        """pyarrow's streaming reader over the current stream, a block at a time, in this thread."""
        read = pacsv.ReadOptions(column_names=list(self.header.names), block_size=self._block_size, use_threads=False)
        return pacsv.open_csv(pa.PythonFile(self.stream, mode="r"), read_options=read, parse_options=parse,
                              convert_options=convert)

    def _typed_chunks(self) -> Iterator[Chunk]:
        """Chunks with the yes/no answers as booleans (see ``typed``); returns whether the file ended."""
        names, delimiter = list(self.header.names), self.header.delimiter
        answers = {j for a, j in self.header.answers.items() if a != config.DAYS_ANSWER}
        texts = [j for j in range(len(names)) if j not in answers]
        odd: list[Any] = []

        def on_invalid_row(row: Any) -> str:  # told again, with its line, when read as text
            odd.append(row)
            return "skip"

        spelt = {kind: sorted({v for w in spellings for v in (w, w.upper(), w.title())})
                 for kind, spellings in (("yes", config.YES_SPELLINGS), ("no", config.NO_SPELLINGS),
                                         ("unknown", config.UNKNOWN_SPELLINGS))}
        parse = pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=True, invalid_row_handler=on_invalid_row)
        convert = pacsv.ConvertOptions(
            column_types={n: pa.bool_() if j in answers else pa.string() for j, n in enumerate(names)},
            check_utf8=True, true_values=spelt["yes"], false_values=spelt["no"], null_values=spelt["unknown"])
        with _quiet_invalid_rows(on_invalid_row):
            try:
                reader = self._reader(parse, convert)
            except pa.ArrowInvalid:
                self._rest = self.stream.detach()
                return False
            try:
                return (yield from self._typed_batches(reader, texts, odd))
            finally:  # while pyarrow's reader is there: its reading thread stops at the detached end
                self._rest = self.stream.detach()

    def _typed_batches(self, reader: pacsv.CSVStreamingReader, texts: list[int], odd: list) -> Iterator[Chunk]:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return not odd
            except pa.ArrowInvalid:  # e.g. a cell that is not a plain spelling: read as text from here
                return False
            if odd or any(neutralise(column) is not column for column in map(batch.column, texts)):
                return False  # (neutralise returns a column it leaves as it is)
            records = self.stream.records(batch.num_rows)
            if records is None:  # a quote, or a carriage return alone
                return False
            yield self._chunk(batch, records)

    def _text_chunks(self) -> Iterator[Chunk]:
        parse = pacsv.ParseOptions(delimiter=self.header.delimiter, newlines_in_values=True,
                                   ignore_empty_lines=True, invalid_row_handler=self._on_invalid_row)
        # every cell as text, an empty one as "" (not null: null cells cost the writer a slow path)
        convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in self.header.names}, check_utf8=True)
        with _quiet_invalid_rows(self._on_invalid_row):
            try:
                reader = self._reader(parse, convert)
            except pa.ArrowInvalid as exc:
                if "Empty CSV" in str(exc) and self._bad_row is None:
                    return
                raise self._error(exc) from None
            try:
                yield from self._batches(reader)
            finally:
                self.stream.release()  # before pyarrow's reader goes: its reading thread may be held back

    def _batches(self, reader: pacsv.CSVStreamingReader) -> Iterator[Chunk]:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                if self._bad_row is not None:
                    raise self._ragged() from None
                break
            except pa.ArrowInvalid as exc:
                raise self._error(exc) from None
            before = None if self._bad_row is None else self._bad_row[0] - 1 - self.stream.handed_records
            if before is not None and before <= batch.num_rows:  # (pyarrow may parse ahead: once its chunk is here)
                if before > 0:  # the rows before it first, so that an error in them is found first
                    yield self._chunk(batch.slice(0, before), self.stream.records(before))
                raise self._ragged()
            yield self._chunk(batch, self.stream.records(batch.num_rows))
        if self.stream.open_quote:
            raise InputError(f"{self.name} line {self.stream.last_record_line}: a quoted field is never closed, so "
                             "the rest of the file was read into it: add the missing '\"'")

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return (chunk.batch for chunk in self.chunks())


def open_cases(source: str | os.PathLike | IO[bytes], **kwargs: Any) -> CaseReader:
    """Open a case file for streaming; see :class:`CaseReader`."""
    return CaseReader(source, **kwargs)
