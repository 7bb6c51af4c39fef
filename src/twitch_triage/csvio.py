"""Reading and writing case files: parsing, validation, streaming, atomic output."""

from __future__ import annotations

import contextlib
import csv
import difflib
import io
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import config, redflags
from .answers import invalid_message, parse_column, parse_value, AnswerError

__all__ = [
    "InputError", "atomic_output", "write_frame", "header_line", "Header", "CaseReader", "open_cases",
    "score_frame", "neutralise", "ScoreSummary", "score_file", "DEFAULT_BLOCK_SIZE",
]

DEFAULT_BLOCK_SIZE = 4 << 20  # bytes of CSV per chunk: memory is bounded by a few chunks
_CASE_ID = "case_id"
_BOM = b"\xef\xbb\xbf"
_FORMULA_BYTES = np.frombuffer(b"=+-@\t\r\n", dtype=np.uint8)
_NUMBER = r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$"
_P_TEXT = pa.array([f"{k / 10_000:.4f}" for k in range(10_001)])  # 4-decimal text by lookup, not formatting
_ERROR_SEP = "; "


class InputError(ValueError):
    """Unusable input or arguments: one line saying what is wrong and how to fix it (exit 2)."""


# --------------------------------------------------------------------------- output


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """Open a binary stream whose content appears at ``path`` only when complete.

    ``-`` means standard output: the content is spooled to a temporary file and
    copied out on success, so a failed run writes nothing there either. A file is
    written beside its destination and renamed on success; on any error the
    partial file is removed.
    """
    if str(path) == "-":
        with tempfile.TemporaryFile(prefix="twitch-triage-") as spool:
            yield spool
            spool.seek(0)
            shutil.copyfileobj(spool, sys.stdout.buffer, 1 << 20)
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


def write_frame(frame, sink: IO[bytes], *, header: bool = True) -> None:
    """Write a frame of plain cells (no delimiters or quotes inside) as UTF-8 CSV with pyarrow."""
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


# --------------------------------------------------------------------------- reading


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


def _parse_header(first: bytes, where: str, answer_ids: Sequence[str]) -> tuple[Header, int]:
    """Header from the first bytes of a file; returns it and the byte offset where the data starts."""
    bom = first.startswith(_BOM)
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{where} is UTF-16, not UTF-8: re-save it as UTF-8 (e.g. 'CSV UTF-8' in a spreadsheet)")
    pos, lines = (3 if bom else 0), 0
    while pos < len(first) and first[pos:pos + 1] in (b"\n", b"\r"):  # blank lines before the header
        lines += first[pos:pos + 1] == b"\n" or first[pos:pos + 2] != b"\r\n"
        pos += 1
    start, quoted, end = pos, False, len(first)
    for i in range(pos, len(first)):
        byte = first[i]
        if byte == 0x22:
            quoted = not quoted
        elif byte in (0x0A, 0x0D) and not quoted:
            end = i
            break
    stop = end + (2 if first[end:end + 2] == b"\r\n" else 1)
    raw = first[start:end]
    if not raw.strip():
        raise InputError(f"{where} is empty: give a CSV whose first line names the answer columns "
                         "(see `twitch-triage schema`)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = lines + 1 + raw[:exc.start].count(b"\n")
        raise InputError(f"{where} is not UTF-8 (byte 0x{raw[exc.start]:02x} at line {line}): "
                         "re-save it as UTF-8") from None
    lines += 1 + raw.count(b"\n")
    fields = {d: next(csv.reader([text], delimiter=d, strict=False), []) for d in (",", ";")}
    delimiter = ";" if len(fields[";"]) > len(fields[","]) else ","
    names = tuple(fields[delimiter])
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
    return Header(names, delimiter, bom, lines, answers, warnings), min(stop, len(first))


class _Prefixed(io.RawIOBase):
    """``prefix`` then the rest of ``stream``; counts the bytes and quote characters read."""

    def __init__(self, prefix: bytes, stream: IO[bytes]):
        super().__init__()
        self._prefix, self._stream = memoryview(prefix), stream
        self.bytes_read = 0
        self.quotes = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if len(self._prefix):
            take = len(self._prefix) if n is None or n < 0 else min(n, len(self._prefix))
            data, self._prefix = self._prefix[:take].tobytes(), self._prefix[take:]
        else:
            data = self._stream.read(n) if n is not None and n >= 0 else self._stream.read()
        self.bytes_read += len(data)
        self.quotes += data.count(b'"')
        return data

    def readinto(self, b) -> int:  # pragma: no cover - pyarrow calls read()
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)


def _offsets(arr: pa.Array) -> np.ndarray:
    return np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset:arr.offset + len(arr) + 1]


def _newlines(arr: pa.Array) -> int:
    """Line feeds inside the cells of a string array (quoted multi-line cells)."""
    off = _offsets(arr)
    values = arr.buffers()[2]
    if values is None or off[-1] == off[0]:
        return 0
    return int(np.count_nonzero(np.frombuffer(values, dtype=np.uint8)[off[0]:off[-1]] == 0x0A))


class CaseReader:
    """Stream a case file as record batches of text cells (every column ``pa.string()``).

    Parameters
    ----------
    source : a path, ``-`` for standard input, or a binary file object.
    answer_ids : the answer names to look for in the header.
    block_size : bytes of CSV per batch.

    Raises
    ------
    InputError
        On opening (missing file, empty, not UTF-8, no answer column, duplicate
        column) or while iterating (a row with the wrong number of fields, not
        UTF-8, a quote never closed), with the line number.
    """

    def __init__(self, source: str | os.PathLike | IO[bytes], *, answer_ids: Sequence[str] = config.ANSWERS,
                 block_size: int = DEFAULT_BLOCK_SIZE):
        self.name, handle, self.size = self._open(source)
        self._owned = handle if not (source == "-" or hasattr(source, "read")) else None
        try:
            first = handle.read(max(block_size, 1 << 16))
            while first and not self._header_done(first):
                more = handle.read(1 << 20)
                if not more:
                    break
                first += more
            self.header, start = _parse_header(first, self.name, answer_ids)
        except BaseException:
            self.close()
            raise
        self.stream = _Prefixed(first[start:], handle)
        self.stream.bytes_read = start
        self.records = 0  # data records yielded so far
        self._breaks = 0  # line feeds inside the cells of those records
        self._bad_row: tuple[int, int, int] | None = None
        self._block_size = block_size
        self._last_line: int | None = None

    @staticmethod
    def _open(source) -> tuple[str, IO[bytes], int | None]:
        if hasattr(source, "read"):
            return getattr(source, "name", "the input") if isinstance(getattr(source, "name", None), str) \
                else "the input", source, None
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
            raise InputError(f"cannot read {where}: {exc.strerror}") from None
        if not path.is_file():
            handle.close()
            raise InputError(f"input {where} is not a regular file: give a CSV file")
        return where, handle, path.stat().st_size

    @staticmethod
    def _header_done(first: bytes) -> bool:
        quoted = False
        started = False
        for byte in first:
            if byte == 0x22:
                quoted = not quoted
            elif byte in (0x0A, 0x0D):
                if started and not quoted:
                    return True
            elif byte not in (0xEF, 0xBB, 0xBF):
                started = True
        return False

    def __enter__(self) -> "CaseReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def line_of(self, row: int, batch: pa.RecordBatch | None = None) -> int:
        """The physical line where ``row`` of the latest batch starts (or record ``row + 1`` before it)."""
        extra = 0
        if batch is not None and row:
            extra = sum(_newlines(col.slice(0, row)) for col in batch.columns)
        before = self.records - (batch.num_rows if batch is not None else 0)
        return self.header.lines + before + row + 1 + self._breaks + extra

    def _on_invalid_row(self, row) -> str:
        self._bad_row = (row.number if row.number is not None else -1, row.expected_columns, row.actual_columns)
        return "error"

    def _error(self, exc: pa.ArrowInvalid) -> InputError:
        if self._bad_row is not None:
            number, expected, actual = self._bad_row
            line = self.header.lines + number + self._breaks if number > 0 else None
            at = f" line {line}" if line else ""
            return InputError(f"{self.name}{at} has {actual} field{'s' if actual != 1 else ''} but the header has "
                              f"{expected}: fix that row (a stray '{self.header.delimiter}' or a missing quote?)")
        message = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        return InputError(f"{self.name} cannot be read as CSV after line {self.line_of(0)}: {message}")

    def _check_utf8(self, batch: pa.RecordBatch) -> None:
        for column in batch.columns:
            try:
                column.validate(full=True)
                continue
            except pa.ArrowInvalid:
                pass
            lo, hi = 0, len(column)  # bisect to the first invalid cell
            while hi - lo > 1:
                mid = (lo + hi) // 2
                try:
                    column.slice(lo, mid - lo).validate(full=True)
                    lo = mid
                except pa.ArrowInvalid:
                    hi = mid
            raw = column.view(pa.binary())[lo].as_py()
            try:
                raw.decode("utf-8")
                at = 0
            except UnicodeDecodeError as exc:
                at = exc.start
            line = self.line_of(lo, batch) + raw[:at].count(b"\n")
            raise InputError(f"{self.name} is not UTF-8 (byte 0x{raw[at]:02x} at line {line}): re-save it as UTF-8")

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        names = list(self.header.names)
        read = pacsv.ReadOptions(column_names=names, block_size=self._block_size, use_threads=False)
        parse = pacsv.ParseOptions(delimiter=self.header.delimiter, newlines_in_values=True,
                                   ignore_empty_lines=True, invalid_row_handler=self._on_invalid_row)
        convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, check_utf8=False,
                                       strings_can_be_null=False, quoted_strings_can_be_null=False)
        try:
            reader = pacsv.open_csv(pa.PythonFile(self.stream, mode="r"), read_options=read,
                                    parse_options=parse, convert_options=convert)
        except pa.ArrowInvalid as exc:
            if "Empty CSV" in str(exc) and self._bad_row is None:
                return
            raise self._error(exc) from None
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                raise self._error(exc) from None
            self.records += batch.num_rows
            self._check_utf8(batch)
            last = batch.num_rows - 1
            if last >= 0 and any(_newlines(col.slice(last)) for col in batch.columns):
                self._last_line = self.line_of(last, batch)
            elif last >= 0:
                self._last_line = None
            yield batch
            self._breaks += sum(_newlines(col) for col in batch.columns)
        if self.stream.quotes % 2 and self._last_line is not None:
            raise InputError(f"{self.name} line {self._last_line}: a quoted field is never closed, so the rest of "
                             "the file was read into it: add the missing '\"'")


def open_cases(source: str | os.PathLike | IO[bytes], **kwargs: Any) -> CaseReader:
    """Open a case file for streaming; see :class:`CaseReader`."""
    return CaseReader(source, **kwargs)


# --------------------------------------------------------------------------- scoring


def _empty_text(n: int) -> pa.Array:
    return pa.StringArray.from_buffers(n, pa.py_buffer(np.zeros(n + 1, dtype=np.int32)), pa.py_buffer(b""))


def _join_present(parts: list[tuple[np.ndarray, pa.Array | str]], sep: str, n: int) -> pa.Array:
    """Per row, the texts whose mask is set, in order, ``sep``-separated; ``""`` when none.

    (``binary_join_element_wise(null_handling="skip")`` drops all-null rows in pyarrow 26, so
    each present part gets a leading separator and the first one is sliced off.)
    """
    cols = []
    for mask, text in parts:
        if not mask.any():
            continue
        prefixed = pc.binary_join_element_wise(sep, text, "") if isinstance(text, pa.Array) else sep + text
        cols.append(pc.if_else(pa.array(mask), prefixed, ""))
    if not cols:
        return _empty_text(n)
    joined = cols[0] if len(cols) == 1 else pc.binary_join_element_wise(*cols, "")
    return pc.utf8_slice_codeunits(joined, len(sep))


def _likely(P: np.ndarray, thresholds: np.ndarray, labels: Sequence[str]) -> pa.Array:
    """Labels with P >= threshold, most probable first (ties in label order), ``;``-separated."""
    order = np.argsort(-P, axis=1, kind="stable")
    above = np.take_along_axis(P >= np.asarray(thresholds)[None, :], order, axis=1)
    names = pa.array(list(labels))
    return _join_present([(above[:, k], names.take(pa.array(order[:, k]))) for k in range(P.shape[1])],
                         ";", P.shape[0])


def _probability_text(p: np.ndarray) -> pa.Array:
    return _P_TEXT.take(pa.array(np.rint(np.clip(np.nan_to_num(p), 0.0, 1.0) * 10_000).astype(np.int32)))


def neutralise(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Prefix ``'`` to text cells that start with = + - @ tab CR or LF (OWASP CSV injection).

    Numbers such as ``-3`` or ``+1.5e3`` are left alone. Vectorised: only cells whose
    first byte is one of those characters are looked at individually.
    """
    arr = _single(values)
    n = len(arr)
    data = arr.buffers()[2] if n else None
    if data is None:
        return arr
    off = _offsets(arr)
    nonempty = off[1:] > off[:-1]
    first = np.zeros(n, dtype=np.uint8)
    first[nonempty] = np.frombuffer(data, dtype=np.uint8)[off[:-1][nonempty]]
    risky = np.isin(first, _FORMULA_BYTES)
    if arr.null_count:
        risky &= arr.is_valid().to_numpy(zero_copy_only=False)
    if not risky.any():
        return arr
    idx = np.flatnonzero(risky)
    numeric = pc.match_substring_regex(arr.take(pa.array(idx)), _NUMBER).to_numpy(zero_copy_only=False)
    mask = np.zeros(n, dtype=bool)
    mask[idx[~numeric]] = True
    if not mask.any():
        return arr
    return pc.if_else(pa.array(mask), pc.binary_join_element_wise("'", arr, ""), arr)


def _neutral_name(name: str) -> str:
    return "'" + name if name[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") and not _is_number(name) else name


def _is_number(text: str) -> bool:
    return bool(pc.match_substring_regex(pa.array([text]), _NUMBER)[0].as_py())


def _single(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if values.type != pa.string():
        values = pc.cast(values, pa.string())
    return values


def _text_table(data: Any) -> tuple[pa.Table, Any]:
    """Any of RecordBatch / Table / pandas DataFrame -> a table of string columns, and the pandas index."""
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        return pa.table({str(n): _single(c) for n, c in zip(data.column_names, data.columns)}), None
    if hasattr(data, "columns") and hasattr(data, "index"):  # pandas (or a Dask partition)
        columns = {str(n): pa.array(data[n].astype("string"), type=pa.string(), from_pandas=True)
                   for n in data.columns}
        return pa.table(columns) if columns else pa.table({}).slice(0, 0), data.index
    raise TypeError(f"score_frame needs a pyarrow Table/RecordBatch or a pandas DataFrame, not {type(data).__name__}")


def score_frame(data: Any, scorer: Any, kb: Any, *, neutralise_text: bool = True) -> Any:
    """Score one chunk of cases: the same rows, every input column as text, then the output columns.

    A pure function of its arguments (no state between chunks), so a streaming loop
    or ``dask.dataframe.map_partitions`` can call it per chunk.

    Parameters
    ----------
    data : pyarrow Table or RecordBatch of text columns, or a pandas DataFrame
        (read it with ``dtype=str, keep_default_na=False`` so cells stay as written).
    scorer : :class:`twitch_triage.triage.Scorer` (the loaded :class:`~twitch_triage.artifact.Predictor`).
    kb : the knowledge base (red-flag rules).
    neutralise_text : prefix ``'`` to input cells a spreadsheet would run as formulas.

    Returns
    -------
    pyarrow Table (a pandas DataFrame with the same index for a DataFrame) of shape
    (n_rows, n_input_columns + len(config.OUTPUT_COLUMNS)); every column is text,
    probabilities with 4 decimals.

    Raises
    ------
    InputError
        If two columns name the same answer.
    """
    table, index = _text_table(data)
    n = table.num_rows
    answer_ids = tuple(scorer.answer_ids)
    positions = _answer_positions(table.column_names, answer_ids, "the input")
    X = np.full((n, len(answer_ids)), np.nan)
    messages = []
    for k, answer in enumerate(answer_ids):
        if answer not in positions:
            continue
        column = _single(table.column(positions[answer]))
        if column.null_count:
            column = pc.fill_null(column, "")
        encoded = pc.dictionary_encode(column)  # parse each distinct spelling once
        codes, invalid = parse_column(answer, encoded.dictionary)
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        X[:, k] = codes[indices]
        if invalid.any():
            texts = [invalid_message(answer, v) if bad else "" for v, bad in
                     zip(encoded.dictionary.to_pylist(), invalid)]
            messages.append((positions[answer], invalid[indices], pa.array(texts).take(encoded.indices)))
    messages.sort(key=lambda m: m[0])  # in the file's column order

    P = scorer.predict_proba(X) if n else np.zeros((0, len(scorer.labels)))
    level, fired = redflags.evaluate_matrix(kb, X, answer_ids)
    rule_ids = [rule.id for rule in kb.red_flags]
    out = {name: (neutralise(col) if neutralise_text else _single(col))
           for name, col in zip(table.column_names, table.columns)}
    for j, label in enumerate(scorer.labels):
        out[f"p_{label}"] = _probability_text(P[:, j])
    out["likely"] = _likely(P, scorer.thresholds, scorer.labels)
    out["disposition"] = pa.array(list(config.LEVELS)).take(pa.array(level.astype(np.int32)))
    out["red_flags"] = _join_present([(fired[:, r], rid) for r, rid in enumerate(rule_ids)], ";", n)
    out["error"] = _join_present([(mask, text) for _, mask, text in messages], _ERROR_SEP, n)
    result = pa.Table.from_arrays(list(out.values()), names=list(out))
    if index is not None:
        frame = result.to_pandas()
        frame.index = index
        return frame
    return result


def _blank_as_null(arr: pa.Array) -> pa.Array:
    """Empty strings -> null, sharing the buffers, so the writer leaves empty cells unquoted."""
    arr = _single(arr)
    off = _offsets(arr)
    valid = off[1:] > off[:-1]
    if arr.null_count:
        valid &= arr.is_valid().to_numpy(zero_copy_only=False)
    if valid.all():
        return arr
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.StringArray.from_buffers(len(arr), pa.py_buffer(np.ascontiguousarray(off)), arr.buffers()[2],
                                       bitmap, int((~valid).sum()))


@dataclass
class ScoreSummary:
    """What a batch-scoring run did: rows, rows with an invalid cell, rows per disposition."""

    rows: int = 0
    rows_with_errors: int = 0
    dispositions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(config.LEVELS, 0))
    warnings: tuple[str, ...] = ()

    def line(self) -> str:
        levels = ", ".join(f"{level} {count:,}" for level, count in self.dispositions.items())
        return (f"scored {self.rows:,} rows ({self.rows_with_errors:,} with invalid cells, scored as unknown): "
                f"{levels}")


def _strict_message(reader: CaseReader, batch: pa.RecordBatch, row: int, answer_ids: Sequence[str]) -> str:
    """The first invalid cell of ``row``, in the file's column order, with its line."""
    first = ""
    for j, name in enumerate(reader.header.names):
        if _norm(name) in reader.header.answers and reader.header.answers[_norm(name)] == j:
            try:
                parse_value(_norm(name), batch.column(j)[row].as_py())
            except AnswerError as exc:
                first = str(exc)
                break
    return (f"{reader.name} line {reader.line_of(row, batch)}: {first} (--strict refuses the whole file: fix that "
            "cell, or leave out --strict to score invalid cells as unknown)")


def score_file(source: str | os.PathLike | IO[bytes], output: str | os.PathLike, scorer: Any, kb: Any, *,
               strict: bool = False, block_size: int = DEFAULT_BLOCK_SIZE, progress: bool = False,
               on_warning: Callable[[str], None] | None = None) -> ScoreSummary:
    """Batch-score a case file chunk by chunk into ``output`` (``-`` for standard output).

    The output keeps the input's delimiter and byte-order mark, has every input row in
    order with its cells as written (formula-like text prefixed with ``'``), then the
    contract's output columns. It appears only when complete.

    Raises
    ------
    InputError
        The input is unusable (see :class:`CaseReader`), or ``strict`` and a cell is invalid.
    """
    from tqdm import tqdm

    summary = ScoreSummary()
    with open_cases(source, answer_ids=tuple(scorer.answer_ids), block_size=block_size) as reader:
        header = reader.header
        summary.warnings = header.warnings
        for warning in header.warnings:
            if on_warning:
                on_warning(warning)
        names = [*header.names, *config.OUTPUT_COLUMNS]
        schema = pa.schema([(name, pa.string()) for name in names])
        options = pacsv.WriteOptions(include_header=False, delimiter=header.delimiter, quoting_style="needed")
        with atomic_output(output) as sink, tqdm(total=reader.size, unit="B", unit_scale=True, desc="scoring",
                                                  disable=None if progress else True, leave=False) as bar:
            sink.write((_BOM if header.bom else b"") + header_line([_neutral_name(c) for c in names],
                                                                   header.delimiter))
            target = pa.PythonFile(sink, mode="w")
            writer = pacsv.CSVWriter(target, schema, write_options=options)
            for batch in reader:
                scored = score_frame(batch, scorer, kb)
                bad = pc.greater(pc.binary_length(scored.column("error")), 0)
                n_bad = pc.sum(bad).as_py() or 0
                if strict and n_bad:
                    row = int(np.argmax(bad.to_numpy(zero_copy_only=False)))
                    raise InputError(_strict_message(reader, batch, row, scorer.answer_ids))
                summary.rows += scored.num_rows
                summary.rows_with_errors += n_bad
                counts = pc.value_counts(scored.column("disposition"))
                for item in counts.to_pylist():
                    summary.dispositions[item["values"]] += item["counts"]
                writer.write_table(pa.Table.from_arrays([_blank_as_null(c) for c in scored.columns], schema=schema))
                bar.update(reader.stream.bytes_read - bar.n)
            writer.close()
            target.flush()
    return summary
