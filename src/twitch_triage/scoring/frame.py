"""Scoring one chunk of cases: the model and the triage over its parsed answers, and the scored chunk as a table.

:func:`score_frame` is a pure function of one chunk, so the same code serves the command line
(:func:`~twitch_triage.scoring.stream.score_file` streams a file through its halves), the app, and
``dask.dataframe.map_partitions`` over partitions.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from .. import contract
from .. import triage
from .format import input_columns, output_columns
from .parse import ParsedChunk, parse_chunk

__all__ = ["score_frame", "assess_chunk"]


def score_frame(data: Any, scorer: Any, kb: Any, *, neutralise_text: bool = True) -> Any:
    """Score one chunk of cases: the same rows, every input column as text, then the output columns.

    A pure function of its arguments (no state between chunks), so a streaming loop
    or ``dask.dataframe.map_partitions`` can call it per chunk.

    Parameters
    ----------
    data : pyarrow Table or RecordBatch of text columns, or a pandas DataFrame
        (read it with ``dtype=str, keep_default_na=False`` so cells stay as written).
    scorer : :class:`twitch_triage.triage.Scorer` (the loaded :class:`~twitch_triage.model.artifact.Predictor`).
    kb : the knowledge base (red-flag rules).
    neutralise_text : prefix ``'`` to input cells a spreadsheet would run as formulas.

    Returns
    -------
    pyarrow Table (a pandas DataFrame with the same index for a DataFrame) of shape
    (n_rows, n_input_columns + len(contract.OUTPUT_COLUMNS)); every column is text,
    probabilities with 4 decimals, ``error`` one message per invalid cell, ``; ``-separated.

    Raises
    ------
    InputError
        If two columns name the same answer.
    """
    parsed = parse_chunk(data, tuple(scorer.answer_ids))
    inputs, _ = input_columns(parsed, neutralise_text)
    columns = output_columns(parsed, assess_chunk(parsed, scorer, kb), scorer, kb)
    result = pa.Table.from_arrays([*inputs, *(columns[name] for name in contract.OUTPUT_COLUMNS)],
                                  names=[*parsed.table.column_names, *contract.OUTPUT_COLUMNS])
    if parsed.index is None:
        return result
    frame = result.to_pandas()
    frame.index = parsed.index
    return frame


def assess_chunk(parsed: ParsedChunk, scorer: Any, kb: Any) -> triage.Outputs:
    """The model's probabilities for the chunk's answers (each label's, and ``p_nothing_lacking`` when the
    scorer gives it: :func:`triage.probabilities`), and the triage outputs."""
    P, nothing = triage.probabilities(scorer, parsed.X)  # (the model multiplies a slice of rows at a time)
    return triage.outputs(parsed.X, P, kb, tuple(scorer.answer_ids), tuple(scorer.labels), nothing)
