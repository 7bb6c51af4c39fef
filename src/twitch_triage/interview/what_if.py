"""What if an answer were the other way: each yes/no answer turned round, in one batched model call."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import contract
from ..answers import format_value

__all__ = ["what_if"]


def what_if(interviewer, x: np.ndarray) -> dict[str, dict[str, Any]]:
    """For each yes/no answer given in ``x``, the outputs if it were the other way.

    Returns
    -------
    dict of answer id -> ``{"answer": "yes", "other": "no", "probabilities": {...}, "p_nothing_lacking": ...,
    "likely": [...], "disposition": ..., "red_flags": [...]}``, in the knowledge base's order.
    """
    kb = interviewer.kb
    flip = [j for j in np.flatnonzero(~np.isnan(x)) if kb.answer_ids[j] != contract.DAYS_ANSWER]
    rows = np.repeat(x[None, :], len(flip), axis=0)
    rows[np.arange(len(flip)), flip] = 1.0 - x[flip]
    _, out = interviewer.outputs(rows)
    return {kb.answer_ids[j]: {"answer": format_value(kb.answer_ids[j], x[j]),
                               "other": format_value(kb.answer_ids[j], 1.0 - x[j]), **interviewer.shown(out, i)}
            for i, j in enumerate(flip)}
