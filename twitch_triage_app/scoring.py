"""The "Score a file" page's one call into the library: uploaded bytes in, the scored file out.

It runs :func:`twitch_triage.batch.score_file`, the function behind
``twitch-triage score``, so the page and the command line read, validate and
write files the same way (delimiter, BOM, error column, formula-safe cells).
"""

from __future__ import annotations

import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from twitch_triage import batch, casefiles
from twitch_triage.batch import ScoreSummary
from twitch_triage.files import InputError
from twitch_triage.knowledge import KnowledgeBase

__all__ = ["InputError", "Scored", "score_upload"]


@dataclass
class Scored:
    """A scored upload.

    Attributes
    ----------
    csv : the scored file exactly as ``twitch-triage score`` writes it.
    preview : DataFrame of shape (min(n_rows, preview_rows), n_columns), the first rows of ``csv`` as text.
    summary : rows, rows with invalid cells, rows per disposition, warnings about the header.
    """

    csv: bytes
    preview: pd.DataFrame
    summary: ScoreSummary


class _NamedBytes(io.BytesIO):
    """Bytes with a file name, so the library's messages say which file they are about."""

    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.name = name


def _display_name(name: str) -> str:
    return re.sub(r"[^\w.\- ()]", "_", name)[:120] or "the upload"


def score_upload(data: bytes, name: str, scorer, kb: KnowledgeBase, *, preview_rows: int = 200) -> Scored:
    """Score an uploaded CSV with the command line's code.

    Raises
    ------
    InputError
        One line saying what makes the file unusable and how to fix it.
    """
    name = f"'{_display_name(name)}'"
    with casefiles.open_cases(_NamedBytes(data, name), answer_ids=tuple(scorer.answer_ids)) as reader:
        delimiter = reader.header.delimiter  # checks the header before any scoring
    with tempfile.TemporaryDirectory(prefix="twitch-triage-app-") as folder:
        target = Path(folder) / "scored.csv"
        summary = batch.score_file(_NamedBytes(data, name), target, scorer, kb)
        scored = target.read_bytes()
    preview = pd.read_csv(io.BytesIO(scored), sep=delimiter, dtype=str, keep_default_na=False,
                          nrows=preview_rows, encoding="utf-8-sig")
    return Scored(scored, preview, summary)
