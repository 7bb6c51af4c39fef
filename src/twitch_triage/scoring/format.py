"""Formatting a scored chunk as Arrow text: the input columns as written out, and the contract's output columns."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import contract
from .. import triage
from ..io.arrow import from_numpy, text, texts, to_numpy
from ..io.casefiles import neutralise
from ..io.casefiles.cells import to_string_array
from .parse import ParsedChunk

__all__ = ["input_columns", "output_columns"]

_LEVELS = texts(contract.LEVELS)
_P_TEXT = np.frombuffer("".join(f"{k / 10_000:.4f}" for k in range(10_001)).encode(), dtype=np.uint8).reshape(
    10_001, 6).view("S6").ravel()  # 4-decimal text by lookup, not formatting: every one is 6 characters
_ERROR_SEP = "; "
_EMPTY = text("")


def input_columns(parsed: ParsedChunk, neutralise_text: bool = True) -> tuple[list[pa.Array], np.ndarray | None]:
    """The input columns as output (neutralised), and the rows with a neutralised cell (None when none)."""
    cells = [to_string_array(c) for c in parsed.table.columns]
    ins = [c if not neutralise_text or j in parsed.spelt else neutralise(c) for j, c in enumerate(cells)]
    # neutralise returns a column it leaves as it is: only the others are compared
    changed = [to_numpy(pc.not_equal(a, b)) for a, b in zip(ins, cells) if a is not b]
    return ins, (np.logical_or.reduce(changed) if changed else None)


def output_columns(parsed: ParsedChunk, triaged: triage.Outputs, scorer: Any, kb: Any) -> dict[str, pa.Array]:
    """The output columns by name, as text (``p_nothing_lacking`` empty from a scorer that does not give it)."""
    n = parsed.table.num_rows
    nothing = _empty_text(n) if triaged.nothing_ten_thousandths is None else \
        _probability_texts(triaged.nothing_ten_thousandths[:, None])[0]
    return {
        **{f"p_{label}": cells for label, cells in zip(scorer.labels, _probability_texts(triaged.p_ten_thousandths))},
        "p_nothing_lacking": nothing,
        "likely": _join_picked(triaged.likely_rows, triaged.likely_cols, scorer.labels, n),
        "disposition": _LEVELS.take(from_numpy(triaged.level.astype(np.int32))),
        "red_flags": _red_flags(triaged.fired, [rule.id for rule in kb.red_flags]),
        "error": _join_present([(mask, errors) for _, mask, errors in parsed.messages], _ERROR_SEP, n),
    }


def _empty_text(n: int) -> pa.Array:
    return pa.StringArray.from_buffers(n, pa.py_buffer(np.zeros(n + 1, dtype=np.int32)), pa.py_buffer(b""))


def _join_picked(rows: np.ndarray, picked: np.ndarray, names: Sequence[str], n: int, sep: str = ";") -> pa.Array:
    """Per row i < n, ``names[picked[k]]`` for the k with ``rows[k] == i`` in order, ``sep``-separated
    (``rows`` ascending); ``""`` when none.

    Vectorised: the output's bytes are gathered at once from the ``sep``-prefixed names, leaving
    out each row's leading separator; the offsets are the cumulative row lengths.
    """
    if not rows.size:
        return _empty_text(n)
    encoded = [(sep + name).encode("utf-8") for name in names]
    lengths = np.array([len(e) for e in encoded], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    source = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    first = np.ones(rows.size, dtype=bool)
    first[1:] = rows[1:] != rows[:-1]  # the first name of its row: its separator is left out
    skip = len(sep.encode("utf-8"))
    size = lengths[picked] - skip * first  # bytes each picked name adds
    from_ = starts[picked] + skip * first
    ends = np.cumsum(size)
    gather = np.arange(ends[-1], dtype=np.int64) + np.repeat(from_ - (ends - size), size)
    data = source[gather]
    row_len = np.bincount(rows, weights=size, minlength=n).astype(np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(row_len, out=offsets[1:])
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data))


def _red_flags(fired: np.ndarray, rule_ids: Sequence[str]) -> pa.Array:
    """Per row, the ids of the rules that fired, in the knowledge base's order, ``;``-separated."""
    rows, cols = np.nonzero(fired)  # row-major: each row's rules in order
    return _join_picked(rows, cols, rule_ids, fired.shape[0])


def _join_present(parts: list[tuple[np.ndarray, pa.Array]], sep: str, n: int) -> pa.Array:
    """Per row, the texts whose mask is set, in order, ``sep``-separated; ``""`` when none.

    (``binary_join_element_wise(null_handling="skip")`` drops all-null rows in pyarrow 26, so
    each present part gets a leading separator and the first one is sliced off.)
    """
    cols = [pc.if_else(from_numpy(mask), pc.binary_join_element_wise(text(sep), column, _EMPTY), _EMPTY)
            for mask, column in parts if mask.any()]
    if not cols:
        return _empty_text(n)
    joined = cols[0] if len(cols) == 1 else pc.binary_join_element_wise(*cols, _EMPTY)
    return pc.utf8_slice_codeunits(joined, len(sep))


def _probability_texts(written: np.ndarray) -> list[pa.Array]:
    """Each column of the probabilities as written, in ten-thousandths (``triage.Outputs.p_ten_thousandths``, shape
    (n_rows, n_columns)), as 4-decimal text; all share one offsets buffer."""
    n = written.shape[0]
    cells = np.take(_P_TEXT, written.T)
    offsets = pa.py_buffer(np.arange(0, 6 * n + 1, 6, dtype=np.int32))
    return [pa.StringArray.from_buffers(n, offsets, pa.py_buffer(column)) for column in cells]
