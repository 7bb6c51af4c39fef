"""The first line of a case file: its delimiter and byte-order mark, its answer columns (one column per
answer), and a did-you-mean warning for a column named almost like an answer."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import IO, Sequence

from ... import contract
from ..files import InputError, shown
from .cells import BOM
from ...wording import closest

__all__ = ["Header", "read_header", "answer_positions"]

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


def answer_positions(names: Sequence[str], answer_ids: Sequence[str], where: str) -> dict[str, int]:
    """answer id -> column position; two columns naming the same answer are refused."""
    wanted = set(answer_ids)
    positions: dict[str, int] = {}
    for j, name in enumerate(names):
        key = _norm(str(name))
        if key in wanted:
            if key in positions:
                raise InputError(f"{where}: columns {shown(names[positions[key]])} and {shown(name)} are both the answer "
                                 f"{key}: keep one of them")
            positions[key] = j
    return positions


def _near_misses(names: Sequence[str], answer_ids: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Each column that is not an answer but whose name is close to one, with that answer: a near spelling
    (``cramp`` -> cramps), or a whole part of exactly one answer's name (``duration`` -> duration_days,
    ``caffeine`` -> high_caffeine; ``-`` and spaces read as ``_``). The labels (a generated file's true labels,
    ``protein``) and the output columns are known names, never near misses."""
    known = {*answer_ids, _CASE_ID, *contract.OUTPUT_COLUMNS, *contract.LABELS}
    parts = {a: a.split("_") for a in answer_ids}
    out = []
    for name in names:
        key = _norm(name)
        if key in known:
            continue
        close = [m] if (m := closest(key, answer_ids, cutoff=0.8)) else []
        words = re.sub(r"[\s-]+", "_", key).strip("_").split("_")
        if not close and len("".join(words)) >= 4:
            close = [a for a, p in parts.items()
                     if any(p[i:i + len(words)] == words for i in range(len(p) - len(words) + 1))]
        if len(close) == 1:
            out.append((name, close[0]))
    return tuple(out)


def _misspellings(names: Sequence[str], answer_ids: Sequence[str]) -> tuple[str, ...]:
    """One warning per near miss (:func:`_near_misses`)."""
    return tuple(f"column '{name}' is not an answer; did you mean {answer}? (passed through unscored)"
                 for name, answer in _near_misses(names, answer_ids))


_MOST_SUGGESTED = 5  # near misses named in the error of a file with no answer column; the rest are counted


def _suggestions(names: Sequence[str], answer_ids: Sequence[str]) -> str:
    """Every near miss as "; did you mean cramps for 'cramp', duration_days for 'duration'?", the first few named."""
    misses = _near_misses(names, answer_ids)
    if not misses:
        return ""
    named = ", ".join(f"{answer} for {shown(name)}" for name, answer in misses[:_MOST_SUGGESTED])
    more = f" and {len(misses) - _MOST_SUGGESTED} more" if len(misses) > _MOST_SUGGESTED else ""
    return f"; did you mean {named}{more}?"


def _fields(line: str, delimiter: str) -> int:
    """How many fields ``line`` splits into at ``delimiter``, as the csv module counts them, whatever their
    length (the csv module refuses a field over its limit, which a whole header split at the other delimiter
    may be: that is no reason to take the header as ended)."""
    try:
        return len(next(csv.reader([line], delimiter=delimiter, strict=False), []))
    except csv.Error:  # a field over the limit: count the delimiters outside quoted fields instead
        unquoted = re.sub(r'(^|(?<=' + re.escape(delimiter) + r'))"(?:[^"]|"")*("|$)', "", line)
        return unquoted.count(delimiter) + 1


def _first_record(first: bytes, at_end: bool) -> tuple[int, int, int, str] | None:
    """Where the header record lies in ``first``: (start, stop, blank lines before it, delimiter).

    The record is read as Python's csv module (and pyarrow) read it: a quote opens a quoted
    field only at the start of a field. None when it may go on past ``first`` (read more).
    """
    pos = len(BOM) if first.startswith(BOM) else 0
    lines = first[pos:].splitlines(keepends=True)
    blank = 0
    while blank < len(lines) and not lines[blank].strip(b"\r\n"):
        pos += len(lines[blank])
        blank += 1
    lines = lines[blank:]
    if not lines:
        return (pos, pos, blank, ",") if at_end else None
    first_line = lines[0].decode("utf-8", "surrogateescape").rstrip("\r\n")
    counts = {d: _fields(first_line, d) for d in (",", ";")}
    delimiter = ";" if counts[";"] > counts[","] else ","
    try:  # (a field longer than the csv module's limit is refused by _parse_header's own reading)
        reader = csv.reader(io.StringIO(first[pos:].decode("utf-8", "surrogateescape"), newline=""),
                            delimiter=delimiter, strict=False)
        next(reader)
    except csv.Error:
        return (pos, pos + len(lines[0]), blank, delimiter)  # refused by _parse_header's own reading
    if reader.line_num >= len(lines) and not at_end:
        return None
    return pos, pos + sum(len(line) for line in lines[:reader.line_num]), blank, delimiter


# the first bytes of file formats people mistake for a case file
_MAGIC = ((b"\x1f\x8b", "a gzip archive"), (b"PK\x03\x04", "a zip archive or an Excel workbook"),
          (b"\x89PNG", "a PNG image"), (b"%PDF", "a PDF document"), (b"\xff\xd8\xff", "a JPEG image"),
          (b"\xd0\xcf\x11\xe0", "an old Excel or Word file"))


def _binary_kind(first: bytes) -> str | None:
    """What a file that is not text looks like, from its magic number, else None. (A NUL byte alone
    proves nothing: it may stand in a cell of a valid CSV.)"""
    for magic, kind in _MAGIC:
        if first.startswith(magic):
            return f"it looks like {kind}"
    return None


def _parse_header(first: bytes, where: str, answer_ids: Sequence[str], at_end: bool = True) -> tuple[Header, int]:
    """The header from the first bytes of a file, and the byte offset where the data starts."""
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{where} is UTF-16, not UTF-8: re-save it as UTF-8 (e.g. 'CSV UTF-8' in a spreadsheet)")
    kind = _binary_kind(first)
    if kind is not None:
        raise InputError(f"{where} is not a text CSV file ({kind}): export the cases as CSV, "
                         "e.g. 'CSV UTF-8' in a spreadsheet")
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
        problem = (f"a column name is longer than {csv.field_size_limit():,} characters"
                   if "field limit" in str(exc) else f"the header cannot be read as CSV ({exc})")
        raise InputError(f"{where} line {blank + 1}: {problem}: the first line must name the columns "
                         "(see `twitch-triage schema`)") from None
    lines = blank + len(raw.splitlines())
    seen: dict[str, int] = {}
    for j, name in enumerate(names):
        if name in seen:
            raise InputError(f"{where} line {lines}: column {shown(name)} appears twice (fields {seen[name] + 1} and "
                             f"{j + 1}): rename or remove one")
        seen[name] = j
    clash = [n for n in names if _norm(n) in contract.OUTPUT_COLUMNS]
    if clash:
        raise InputError(f"{where} already has the output column {shown(clash[0])} (a scored file?): "
                         "remove the output columns or score the original file")
    answers = answer_positions(names, answer_ids, where)
    warnings = _misspellings(names, answer_ids)
    if not answers:
        hint = _suggestions(names, answer_ids)
        raise InputError(f"{where} has none of the answer columns (e.g. {', '.join(answer_ids[:3])}){hint}: "
                         "name the columns as `twitch-triage schema` lists them")
    return Header(names, delimiter, first.startswith(BOM), lines, answers, warnings), stop


def read_header(handle: IO[bytes], where: str, answer_ids: Sequence[str], size: int) -> tuple[Header, bytes, int]:
    """The header of the case file ``handle`` reads (``size`` bytes first, more while its record goes on),
    the bytes read after it, and the file offset where they begin.

    Raises
    ------
    InputError
        Empty, UTF-16, not UTF-8, unreadable, a column twice, an output column, no answer column.
    """
    first = handle.read(size)
    more = first
    while more and _first_record(first, at_end=False) is None and len(first) < _HEADER_LIMIT:
        more = handle.read(1 << 20)
        first += more
    if more and _first_record(first, at_end=False) is None:
        raise InputError(f"{where}: the header (first line) goes on past {_HEADER_LIMIT >> 20} MiB: the first "
                         "line must name the columns (a quote never closed?)")
    header, start = _parse_header(first, where, answer_ids, at_end=not more)
    return header, first[start:], start
