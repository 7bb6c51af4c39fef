"""A case file's data cut into blocks of whole records, as pyarrow reads records, each with its physical line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..files import InputError

__all__ = ["Block", "RecordBlocks", "line_ends"]

_LF, _CR, _QUOTE = 0x0A, 0x0D, 0x22
# g after f, for the maps of {0: outside, 1: in a quoted cell} onto itself coded f(0) + 2 * f(1): _AFTER[g, f]
_AFTER = np.array([[(g >> (f & 1) & 1) | (g >> (f >> 1) & 1) << 1 for f in range(4)] for g in range(4)], np.int8)


def line_ends(data: bytes) -> int:
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
        return int(self.lines[record]) + line_ends(self.data[self.starts[record]:offset])


class RecordBlocks:
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
        if prefix:  # (nothing after the header yet is not the end: _feed takes b"" as the end of the file)
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
