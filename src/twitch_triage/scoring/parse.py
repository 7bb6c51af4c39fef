"""Parsing a chunk's answers from its Arrow columns into the model's matrix, with one error message per invalid cell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import contract
from ..answers import invalid_message, parse_column
from ..io.arrow import from_numpy, texts, to_numpy
from ..io.casefiles import answer_positions
from ..io.casefiles.cells import to_array, to_string_array

__all__ = ["ParsedChunk", "parse_chunk"]


def _vocabulary() -> tuple[pa.Array, np.ndarray]:
    """The contract's spellings as written in lowercase, plus null (a missing cell), and then NaN for a spelling
    not among them: the codes of each, float32 as the model reads them."""
    vocabulary = texts([*sorted(contract.YES_SPELLINGS | contract.NO_SPELLINGS | contract.UNKNOWN_SPELLINGS), None])
    return vocabulary, np.append(parse_column(contract.ANSWERS[0], vocabulary)[0], np.nan).astype(np.float32)


# Built once, at import, from the contract's constants alone (so never stale, nothing to clear): building them
# costs 0.07 ms, which every chunk would pay again (a run over thousands of one-row shards).
_VOCABULARY, _VOCABULARY_CODES = _vocabulary()
_DAYS_SPELT = texts([*sorted(contract.UNKNOWN_SPELLINGS), None])  # the days' spellings that are vocabulary
_BOOL_CODES = np.array([np.nan, np.nan, 0.0, 1.0], dtype=np.float32)  # by value bit + 2 * validity bit


@dataclass(frozen=True)
class ParsedChunk:
    """A chunk as text columns (boolean ones kept: answers read as booleans) with its answers parsed: the first
    half of :func:`~twitch_triage.scoring.frame.score_frame`."""

    table: pa.Table
    index: Any  # the pandas index, or None
    X: np.ndarray  # of shape (n_rows, len(answer_ids)): the answers as the model reads them, NaN for unknown
    messages: list[tuple[int, np.ndarray, pa.Array]]  # per answer column with invalid cells: (position, mask, texts)
    spelt: set[int]  # positions of the answer columns whose every cell is a vocabulary spelling (nothing to neutralise)

    def invalid_rows(self) -> np.ndarray:
        """The rows with an invalid cell (whose ``error`` cell is not empty), of shape (n_rows,)."""
        masks = [mask for _, mask, _ in self.messages]
        return np.logical_or.reduce(masks) if masks else np.zeros(self.table.num_rows, dtype=bool)


def parse_chunk(data: Any, answer_ids: tuple[str, ...]) -> ParsedChunk:
    """A RecordBatch, Table or pandas DataFrame with its answers parsed (see :class:`ParsedChunk`).

    Raises
    ------
    InputError
        If two columns name the same answer.
    """
    table, index = _text_table(data)
    positions = answer_positions(table.column_names, answer_ids, "the input")
    return ParsedChunk(table, index, *_parse_answers(table, positions, answer_ids))


def _text_table(data: Any) -> tuple[pa.Table, Any]:
    """A RecordBatch, Table or pandas DataFrame -> a table of string columns (boolean ones kept: answers
    read as booleans), and the pandas index."""
    if isinstance(data, pa.RecordBatch):
        if all(t in (pa.string(), pa.bool_()) for t in data.schema.types):  # as CaseReader reads: as it is
            return pa.Table.from_batches([data]), None
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        return pa.Table.from_arrays([to_string_array(c) if c.type != pa.bool_() else c for c in data.columns],
                                    names=[str(n) for n in data.column_names]), None
    if hasattr(data, "columns") and hasattr(data, "index"):  # pandas, or a Dask partition
        arrays = [pa.array(data[n].astype("string"), type=pa.string(), from_pandas=True) for n in data.columns]
        return pa.Table.from_arrays(arrays, names=[str(n) for n in data.columns]), data.index
    raise TypeError(f"score_frame takes a pyarrow Table or RecordBatch or a pandas DataFrame, not {type(data).__name__}")


def _parse_answers(table: pa.Table, positions: dict[str, int], answer_ids: Sequence[str]
                   ) -> tuple[np.ndarray, list[tuple[int, np.ndarray, pa.Array]], set[int]]:
    """The answer matrix X (n, len(answer_ids)), NaN for unknown or invalid.

    Returns X, the error messages per answer column that has invalid cells (position,
    mask, texts), and the positions of answer columns whose every cell is a vocabulary
    spelling (they need no formula check). The cells of every yes/no answer column read as
    text are looked up in the vocabulary in one call; only cells not spelt exactly as the
    contract's lowercase spellings are parsed further (once per distinct spelling). The
    days are parsed once per distinct spelling, all of them: few of their cells are vocabulary.
    """
    n = table.num_rows
    present = [(k, answer, positions[answer]) for k, answer in enumerate(answer_ids) if answer in positions]
    read = [(k, j) for k, _, j in present if table.schema.field(j).type == pa.bool_()]
    bits = np.zeros((len(answer_ids), n), dtype=np.uint8)  # per answer and row: 0, unknown, unless read below
    if read and n:  # read as booleans already (CaseReader's typed chunks): null is unknown
        bits[[k for k, _ in read]] = _bool_bits([to_array(table.column(j)) for _, j in read])
    X = np.take(_BOOL_CODES, bits.T)  # (n, len(answer_ids)), float32 as the model reads it: in one gather
    if not present or not n:
        return X, [], {j for _, _, j in present}
    messages, spelt = [], {j for _, j in read}
    for k, answer, j in present:
        if answer == contract.DAYS_ANSWER and table.schema.field(j).type != pa.bool_():
            codes = np.empty(n, dtype=np.float32)
            invalid, errors, distinct = _parse_rest(answer, to_string_array(table.column(j)), None, codes)
            X[:, k] = codes
            if errors is not None:
                messages.append((j, invalid, errors))
            if pc.all(pc.is_in(distinct, value_set=_DAYS_SPELT, skip_nulls=False)).as_py():
                spelt.add(j)  # days are numbers, not vocabulary; "1" is one day, not yes
    present = [p for p in present if table.schema.field(p[2]).type != pa.bool_() and p[1] != contract.DAYS_ANSWER]
    if present:
        columns = [to_string_array(table.column(j)) for _, _, j in present]
        # null (a missing cell, e.g. NaN in a pandas frame) is in the vocabulary, as unknown
        found = pc.index_in(pa.concat_arrays(columns), value_set=_VOCABULARY, skip_nulls=False)
        index = np.nan_to_num(to_numpy(found), nan=len(_VOCABULARY)).astype(np.intp).reshape(len(present), n)
        all_codes = np.take(_VOCABULARY_CODES, index)
        for (k, answer, j), column, codes, miss in zip(present, columns, all_codes, index == len(_VOCABULARY)):
            if miss.any():
                invalid, errors, _ = _parse_rest(answer, column, miss, codes)
                if errors is not None:
                    messages.append((j, invalid, errors))
            else:
                spelt.add(j)
        X[:, [k for k, _, _ in present]] = all_codes.T
    messages.sort(key=lambda m: m[0])  # in the file's column order
    return X, messages, spelt


def _parse_rest(answer: str, values: pa.Array, miss: np.ndarray | None, codes: np.ndarray
                ) -> tuple[np.ndarray, pa.Array | None, pa.Array]:
    """Parse the cells ``values[miss]`` (not spelt exactly as the vocabulary; every cell when ``miss`` is None)
    into ``codes``.

    Each distinct spelling goes through :func:`answers.parse_column` once. Returns the
    invalid mask, the error message per cell (None when every cell is valid), and the
    distinct spellings.
    """
    rows = slice(None) if miss is None else np.flatnonzero(miss)
    invalid = np.zeros(len(values), dtype=bool)
    encoded = pc.dictionary_encode(values if miss is None else values.take(from_numpy(rows)), null_encoding="encode")
    distinct_codes, distinct_invalid = parse_column(answer, encoded.dictionary)
    indices = to_numpy(encoded.indices)
    with np.errstate(over="ignore"):  # a day count beyond float32 is inf: the model caps it (AnswerEncoder)
        codes[rows] = distinct_codes[indices]
    invalid[rows] = distinct_invalid[indices]
    if not invalid.any():
        return invalid, None, encoded.dictionary
    messages = texts([invalid_message(answer, v) if bad else "" for v, bad in
                      zip(encoded.dictionary.to_pylist(), distinct_invalid)])
    message_index = np.zeros(len(values), dtype=np.int32)
    message_index[rows] = indices
    return invalid, messages.take(from_numpy(message_index)), encoded.dictionary


def _bool_bits(arrays: Sequence[pa.Array]) -> np.ndarray:
    """Boolean columns of one length as their value bit + 2 * validity bit, shape (len(arrays), n), uint8: the
    index of their code in ``_BOOL_CODES``.

    From their bitmaps, all columns at once (the values and validity bits unpacked together).
    """
    n = len(arrays[0])
    width = max((n + a.offset + 7) // 8 for a in arrays)
    values = np.zeros((len(arrays), width), dtype=np.uint8)
    valid = np.full((len(arrays), width), 0xFF, dtype=np.uint8)  # no validity bitmap: every cell is valid
    for i, arr in enumerate(arrays):
        size = (n + arr.offset + 7) // 8
        bitmap, data = arr.buffers()
        values[i, :size] = np.frombuffer(data, dtype=np.uint8)[:size]
        if bitmap is not None:
            valid[i, :size] = np.frombuffer(bitmap, dtype=np.uint8)[:size]
    value_bits = np.unpackbits(values, axis=1, bitorder="little")
    known = np.unpackbits(valid, axis=1, bitorder="little")
    offsets = np.array([a.offset for a in arrays])
    if offsets.any():  # slices: each column's bits from its own offset
        take, rows = offsets[:, None] + np.arange(n)[None, :], np.arange(len(arrays))[:, None]
        value_bits, known = value_bits[rows, take], known[rows, take]
    return value_bits[:, :n] | (known[:, :n] << 1)
