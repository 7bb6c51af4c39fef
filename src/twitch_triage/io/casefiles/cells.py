"""Cells as case files hold them: text columns, formula neutralising, CSV quoting, and lines of records and cells."""

from __future__ import annotations

import csv
import io
import re
from typing import IO, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..arrow import from_numpy, text, texts, to_numpy

__all__ = ["BOM", "offsets", "values", "to_array", "to_string_array", "neutralise", "neutral_names", "quoted", "rewritten",
           "record_line_texts", "record_lines", "header_line", "write_frame"]

BOM = b"\xef\xbb\xbf"
_FORMULA_START = np.zeros(256, dtype=bool)
_FORMULA_START[list(b"=+-@\t\r\n")] = True  # first bytes a spreadsheet may run as a formula
_NUMBER = r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$"
_EMPTY, _QUOTE, _LINE_END = text(""), text('"'), text("\n")  # arguments of pyarrow.compute


def offsets(arr: pa.Array) -> np.ndarray:
    """The offsets of a string array's cells in its data (``len(arr) + 1`` of them)."""
    return np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset:arr.offset + len(arr) + 1]


def values(arr: pa.Array) -> np.ndarray:
    """The bytes of a string array's data."""
    data = arr.buffers()[2]
    return np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)


def to_array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The column as one array of its type (chunks combined; a single chunk as it is)."""
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column


def to_string_array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The column as one string array (chunks combined, other types cast to text)."""
    column = to_array(column)
    if column.type != pa.string():
        column = pc.cast(column, pa.string())
    return column


def _is_number(cells: pa.Array) -> np.ndarray:
    return to_numpy(pc.match_substring_regex(cells, _NUMBER))


def neutralise(cells: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Prefix ``'`` to text cells that start with = + - @ tab CR or LF (OWASP CSV injection).

    Numbers such as ``-3`` or ``+1.5e3`` are left alone. Vectorised: the first byte of
    every cell is looked up at once; only the few suspicious cells are looked at further.
    """
    arr = to_string_array(cells)
    buf = values(arr)
    if not len(arr) or not buf.size:
        return arr
    off = offsets(arr)
    suspect = _FORMULA_START[buf[np.minimum(off[:-1], buf.size - 1)]]
    if not suspect.any():
        return arr
    suspect &= off[1:] > off[:-1]
    if arr.null_count:
        suspect &= to_numpy(arr.is_valid())
    idx = np.flatnonzero(suspect)
    idx = idx[~_is_number(arr.take(from_numpy(idx)))] if idx.size else idx
    if not idx.size:
        return arr
    mask = np.zeros(len(arr), dtype=bool)
    mask[idx] = True
    return pc.if_else(from_numpy(mask), pc.binary_join_element_wise(text("'"), arr, _EMPTY), arr)


def neutral_names(names: Sequence[str]) -> list[str]:
    """``names`` as :func:`neutralise` writes cells (in one call: a header may have thousands)."""
    return neutralise(texts(list(names))).to_pylist()


def quoted(cells: pa.Array, delimiter: str) -> pa.Array:
    """The cells that hold the delimiter, a quote or a line break in quotes (inner quotes doubled), as CSV has them."""
    if _nothing_to_quote(cells, delimiter):
        return cells
    special = pc.match_substring_regex(cells, f'["\\r\\n{re.escape(delimiter)}]')
    written = pc.binary_join_element_wise(_QUOTE, pc.replace_substring(cells, '"', '""'), _QUOTE, _EMPTY)
    return pc.if_else(special, written, cells)


def _nothing_to_quote(cells: pa.Array, delimiter: str) -> bool:
    """Whether no cell holds a byte that CSV must quote: the delimiter, a quote or a line break."""
    arr = to_string_array(cells)
    off = offsets(arr)
    data = values(arr)[off[0]:off[-1]].tobytes()
    return not any(byte in data for byte in (delimiter.encode(), b'"', b"\n", b"\r"))


def rewritten(records: pa.Array, cells: Sequence[pa.Array], rows: np.ndarray, delimiter: str) -> pa.Array:
    """``records``, those of ``rows`` written from their ``cells`` instead (quoted where CSV needs it)."""
    rebuilt = pc.binary_join_element_wise(*(quoted(c, delimiter) for c in cells), text(delimiter))
    return pc.if_else(from_numpy(rows), rebuilt, records)


def record_line_texts(records: pa.Array, cells: Sequence[pa.Array], delimiter: str) -> pa.Array:
    """Each record, then its ``cells`` as they are: one line per row (each ended by ``\\n``), as text."""
    ended = pc.binary_join_element_wise(cells[-1], _LINE_END, _EMPTY)  # the last cell ends the line
    return pc.binary_join_element_wise(records, *cells[:-1], ended, text(delimiter))


def record_lines(records: pa.Array, cells: Sequence[pa.Array], delimiter: str) -> pa.Buffer:
    """Each record, then its ``cells`` as they are, one line per row (ended by ``\\n``): the bytes."""
    lines = record_line_texts(records, cells, delimiter)
    off = offsets(lines)
    return lines.buffers()[2].slice(int(off[0]), int(off[-1] - off[0]))


def write_frame(frame, sink: IO[bytes], *, header: bool = True) -> None:
    """Write a frame of cells with nothing to quote (no delimiters, quotes or line breaks inside) as UTF-8 CSV with pyarrow."""
    if header:
        sink.write(header_line(frame.columns))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    pacsv.write_csv(table, sink, write_options=options)


def header_line(columns: Sequence[str], delimiter: str = ",") -> bytes:
    """A CSV header row, quoting only the names that need it."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerow([str(c) for c in columns])
    return buffer.getvalue().encode("utf-8")


