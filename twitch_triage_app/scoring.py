"""The "Score a file" page's one call into the library: an uploaded file in, the scored file out, on disk.

It runs :func:`twitch_triage.batch.score_file`, the function behind
``twitch-triage score``, file to file, so the page and the command line read,
validate and write files the same way (delimiter, BOM, error column,
formula-safe cells), and the page's memory stays bounded whatever the file's
size: the upload is streamed into a temporary folder, scored there, and only a
preview is read back.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from twitch_triage import batch, casefiles
from twitch_triage.batch import ScoreSummary
from twitch_triage.files import InputError
from twitch_triage.knowledge import KnowledgeBase

__all__ = ["InputError", "Scored", "score_upload"]

_COPY_BLOCK = 1 << 20


@dataclass
class Scored:
    """A scored upload, kept in a temporary folder of its own until :meth:`close`.

    The folder also goes when the object is garbage-collected (as when the
    session that holds it ends), or at the latest when the process exits.

    Attributes
    ----------
    path : the scored file exactly as ``twitch-triage score`` writes it.
    preview : DataFrame of shape (min(n_rows, preview_rows), n_columns), the first rows of ``path`` as text.
    summary : rows, rows with invalid cells, rows per disposition, warnings about the header.
    """

    path: Path
    preview: pd.DataFrame
    summary: ScoreSummary
    folder: tempfile.TemporaryDirectory

    def read_bytes(self) -> bytes:
        """The scored file, for the download button (read only when the person downloads it)."""
        return self.path.read_bytes()

    def close(self) -> None:
        """Delete the temporary folder and the scored file in it."""
        self.folder.cleanup()


def _display_name(name: str) -> str:
    return re.sub(r"[^\w.\- ()]", "_", name)[:120] or "the upload"


def score_upload(upload: BinaryIO, name: str, scorer, kb: KnowledgeBase, *, preview_rows: int = 200) -> Scored:
    """Score an uploaded CSV with the command line's code, file to file in a new temporary folder.

    ``upload`` is read from its current position to its end; ``name`` is the
    file's name as the person gave it, used in messages about the file.

    Raises
    ------
    InputError
        One line saying what makes the file unusable and how to fix it (the folder is deleted).
    """
    folder = tempfile.TemporaryDirectory(prefix="twitch-triage-app-")
    try:
        source, target = Path(folder.name) / "upload.csv", Path(folder.name) / "scored.csv"
        with source.open("wb") as handle:
            shutil.copyfileobj(upload, handle, _COPY_BLOCK)
        with source.open("rb") as handle:
            handle.raw.name = _display_name(name)  # messages name the person's file, not this folder
            with casefiles.open_cases(handle, answer_ids=tuple(scorer.answer_ids)) as reader:
                delimiter = reader.header.delimiter  # the scored file keeps it
            handle.seek(0)
            summary = batch.score_file(handle, target, scorer, kb)
        source.unlink()
        preview = pd.read_csv(target, sep=delimiter, dtype=str, keep_default_na=False, nrows=preview_rows,
                              encoding="utf-8-sig")
    except BaseException:
        folder.cleanup()
        raise
    return Scored(target, preview, summary, folder)
