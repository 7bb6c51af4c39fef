"""What if an answer were the other way: each yes/no answer turned round, in one batched model call."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import contract
from ..triage import redflags
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
    labels = kb.label_ids
    result = {}
    for i, j in enumerate(flip):
        result[kb.answer_ids[j]] = {
            "answer": format_value(kb.answer_ids[j], x[j]),
            "other": format_value(kb.answer_ids[j], 1.0 - x[j]),
            "probabilities": {lab: int(w) / redflags.WRITTEN_SCALE for lab, w in zip(labels, out.p_ten_thousandths[i])},
            "p_nothing_lacking": int(out.nothing_ten_thousandths[i]) / redflags.WRITTEN_SCALE,
            "likely": [labels[c] for r, c in zip(out.likely_rows, out.likely_cols) if r == i],
            "disposition": contract.LEVELS[int(out.level[i])],
            "red_flags": [rule.id for rule, on in zip(kb.red_flags, out.fired[i]) if on],
        }
    return result
