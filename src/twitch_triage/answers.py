"""The answer vocabulary: spellings of yes / no / unknown and days, parsed one by one or by column."""

from __future__ import annotations

import math
import re
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import contract
from .io.arrow import text, texts, to_numpy

__all__ = ["AnswerError", "parse_value", "parse_column", "format_value", "format_days", "invalid_message", "quote",
           "QUOTE_AT"]

_YES = sorted(contract.YES_SPELLINGS)
_NO = sorted(contract.NO_SPELLINGS)
_UNKNOWN = sorted(contract.UNKNOWN_SPELLINGS)
_VOCAB = texts(_YES + _NO + _UNKNOWN)
_UNKNOWN_VOCAB = texts(_UNKNOWN)
_CODE = np.array([1.0] * len(_YES) + [0.0] * len(_NO) + [np.nan] * len(_UNKNOWN))
# Days as a person writes them: digits with at most one decimal point ("3", "2.5", ".5"). Not what else
# float() reads: "1_000", "1e3", "+3", "inf", "nan", digits of other scripts.
_DAYS = r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+"
_DAYS_TEXT = re.compile(_DAYS)
_LONGEST = 1000  # text longer than this is no answer, whatever it holds (days included: 1e308 has 309 digits)


QUOTE_AT = 60  # a quoted input longer than this is cut: an error line stays one short line


class AnswerError(ValueError):
    """A value that is not a valid answer; the message follows the contract's error column."""


def _escaped(char: str) -> str:
    return char if char.isprintable() else repr(char)[1:-1]


def quote(value: Any, at: int = QUOTE_AT) -> str:
    """``value`` as text for an error line: in single quotes, what is not printable (line breaks, escape
    sequences, other control characters) escaped as Python writes it (``\\n``, ``\\x1b``), and cut after ``at``
    characters with "…", so that input never reaches a terminal or a log as it is, nor whole."""
    text = value if isinstance(value, str) else str(value) if isinstance(value, (int, float, bool)) else repr(value)
    cut = len(text) > at
    text = "".join(_escaped(char) for char in text[:at])  # only what is shown is looked at: a huge value costs nothing
    return f"'{text}…'" if cut else f"'{text}'"


def invalid_message(answer_id: str, value: Any) -> str:
    if answer_id == contract.DAYS_ANSWER:
        return f"{answer_id}: {quote(value)} is not a number of days >= 0 or unknown"
    return f"{answer_id}: {quote(value)} is not yes/no/unknown"


def parse_value(answer_id: str, value: Any) -> float:
    """One answer: 1.0 yes, 0.0 no, NaN unknown; days as a float for ``duration_days``.

    Accepts the contract's spellings (case- and whitespace-insensitive), Python
    booleans, None and numbers; days as text only in plain decimals (``3``,
    ``2.5``). Raises :class:`AnswerError` for anything else.
    """
    if value is None:
        return math.nan
    if answer_id == contract.DAYS_ANSWER:
        if isinstance(value, bool):
            raise AnswerError(invalid_message(answer_id, value))
        if isinstance(value, (int, float)):  # judged as the same number written in a CSV cell: NaN is not "unknown"
            try:
                days = float(value)
            except OverflowError:  # an int beyond any float
                raise AnswerError(invalid_message(answer_id, value)) from None
        else:
            text = str(value).strip()
            if len(text) > _LONGEST:
                raise AnswerError(invalid_message(answer_id, value))
            text = text.lower()
            if text in contract.UNKNOWN_SPELLINGS:
                return math.nan
            if not _DAYS_TEXT.fullmatch(text):
                raise AnswerError(invalid_message(answer_id, value))
            days = float(text)
        if not math.isfinite(days) or days < 0:
            raise AnswerError(invalid_message(answer_id, value))
        return days
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float) and math.isnan(value):  # as a CSV cell 'nan' is: not an answer
        raise AnswerError(invalid_message(answer_id, value))
    if isinstance(value, (int, float)) and value in (0, 1):
        return float(value)
    text = str(value).strip()
    if len(text) > _LONGEST:  # no spelling is this long: not worth another copy
        raise AnswerError(invalid_message(answer_id, value))
    text = text.lower()
    if text in contract.YES_SPELLINGS:
        return 1.0
    if text in contract.NO_SPELLINGS:
        return 0.0
    if text in contract.UNKNOWN_SPELLINGS:
        return math.nan
    raise AnswerError(invalid_message(answer_id, value))


def parse_column(answer_id: str, values: pa.Array | pa.ChunkedArray | Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """A whole column of text cells at once.

    Returns
    -------
    codes : ndarray of shape (n,), float64 — 1 yes, 0 no, NaN unknown (or invalid); days for duration.
    invalid : ndarray of shape (n,), bool — cells that are not a valid answer (scored as unknown).
    """
    arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else texts(values)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    n = len(arr)
    clean = pc.utf8_lower(pc.utf8_trim_whitespace(pc.fill_null(arr, text(""))))
    if answer_id == contract.DAYS_ANSWER:
        unknown = to_numpy(pc.is_in(clean, value_set=_UNKNOWN_VOCAB))
        days = pc.if_else(pc.match_substring_regex(clean, f"^(?:{_DAYS})$"), clean, text(None))
        codes = to_numpy(pc.cast(days, pa.float64()))  # null (not days) is NaN
        invalid = ~unknown & ~np.isfinite(codes)  # not days, or too many digits for a float
        return np.where(invalid, np.nan, codes), invalid
    index = to_numpy(pc.index_in(clean, value_set=_VOCAB))
    invalid = np.isnan(index) if index.dtype.kind == "f" else np.zeros(n, dtype=bool)
    idx = np.where(invalid, 0, np.nan_to_num(index, nan=0)).astype(np.int64)
    codes = np.where(invalid, np.nan, _CODE[idx])
    return codes, invalid


def format_value(answer_id: str, value: float) -> str:
    """The canonical spelling of a parsed answer: yes / no / '' (unknown), or days."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if answer_id == contract.DAYS_ANSWER:
        return format_days(value)
    return "yes" if value == 1 else "no"


def format_days(days: float) -> str:
    """A number of days written exactly: the shortest decimal that reads back as the same float, never with an
    exponent (``14.000001``, not ``14``; ``0.00001``, not ``1e-05``), so that it parses back as a CSV cell does."""
    return np.format_float_positional(float(days), trim="-")
