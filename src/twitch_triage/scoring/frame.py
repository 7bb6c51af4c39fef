"""Scoring one chunk of cases: the model and the triage over its parsed answers, and the scored chunk as a table.

:func:`score_frame` is a pure function of one chunk, so the same code serves the command line
(:func:`~twitch_triage.scoring.stream.score_file` streams a file through its halves), the app, and
``dask.dataframe.map_partitions`` over partitions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from .. import contract
from .. import triage
from ..model.inference import TILE
from .format import input_columns, output_columns
from .parse import ParsedChunk, parse_chunk

__all__ = ["score_frame", "assess_chunk", "PREDICT_ROWS"]

# Rows per forward pass: a whole number of the model's tiles (no padding copy), and few enough that a slice's
# hidden layer (1,024 x 128 float64: 1 MiB) stays in a core's cache beside its features. Measured on a million
# rows read in 1 MiB chunks: 0.75 s of CPU against 1.28 s with slices of 8,192 rows; the bits are the same.
PREDICT_ROWS = 1024


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
    X = parsed.X
    P = np.zeros((len(X), len(scorer.labels)))
    nothing = np.zeros(len(X)) if hasattr(scorer, "predict_all") else None
    # slices keep the model's temporaries small; all but the last of whole tiles, which the model then
    # multiplies as they are (it pads a partial tile with rows of zeros: a copy)
    whole = len(X) - len(X) % TILE
    bounds = sorted({*range(0, whole, PREDICT_ROWS), whole, len(X)})
    for start, stop in zip(bounds, bounds[1:]):
        P[start:stop], part = triage.probabilities(scorer, X[start:stop])
        if nothing is not None:
            nothing[start:stop] = part
    return triage.outputs(X, P, kb, tuple(scorer.answer_ids), tuple(scorer.labels), nothing)
