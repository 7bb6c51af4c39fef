"""The "Score a file" page's one call into the library: an uploaded file in, the scored file out, on disk.

It runs :func:`twitch_triage.scoring.stream.score_file`, the function behind
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

from twitch_triage.scoring import stream
from twitch_triage.io import casefiles
from twitch_triage import contract
from twitch_triage.scoring.stream import ScoreSummary
from twitch_triage.io.files import InputError
from twitch_triage.knowledge import KnowledgeBase

__all__ = ["InputError", "Scored", "score_upload", "columns", "template_csv", "PREVIEW_CELLS", "PREVIEW_CELL_CHARS",
           "NOTHING_TO_GO_ON"]

_COPY_BLOCK = 1 << 20
_COUNT_ROWS = 50_000  # rows read at a time to count the rows without an answer
PREVIEW_CELLS = 5_000  # at most this many cells in the preview (pandas' Styler gives up past 262,144)
_PREVIEW_MIN_ROWS = 20  # however wide the file, the preview shows this many rows (if it has them)
PREVIEW_CELL_CHARS = 200  # and each cell cut to this many characters: the preview stays under about 1 MB
_RESULTS = ("case_id", "error", "disposition", "likely", "red_flags")  # the preview's first columns, when present
NOTHING_TO_GO_ON = "nothing to go on"  # the preview's own column: marks a row without a single answer
_ANSWERED = frozenset(contract.YES_SPELLINGS) | frozenset(contract.NO_SPELLINGS)


def columns(kb: KnowledgeBase) -> pd.DataFrame:
    """Every column a file may have, as ``twitch-triage schema`` lists them: name, type, meaning, source."""
    groups = {g.id: g.title for g in kb.groups}
    rows = [{"Column": "case_id", "Answer": "any text", "Meaning": "Optional: your identifier for the row, passed "
             "through untouched", "Source": "–"}]
    for a in kb.answers:
        clinical = a.source is not None and not a.source.from_seeds
        rows.append({"Column": a.id, "Answer": "days (0 or more), blank if unknown" if a.role == "days"
                     else "yes / no, blank if unknown", "Meaning": f"{groups[a.group]}: {a.question}",
                     "Source": "general clinical knowledge" if clinical else "the articles"})
    return pd.DataFrame(rows)


def template_csv(kb: KnowledgeBase) -> bytes:
    """A CSV with the header of every column (``case_id`` first) and no rows, to fill in."""
    return (",".join(["case_id", *kb.answer_ids]) + "\n").encode("utf-8")


def _answered(frame: pd.DataFrame) -> pd.Series:
    """Per row: whether at least one answer cell holds an answer (yes, no or a number of days)."""
    found = pd.Series(False, index=frame.index)
    for name in frame.columns:
        cells = frame[name].fillna("").str.strip().str.lower()
        if name == contract.DAYS_ANSWER:
            found |= pd.to_numeric(cells, errors="coerce").ge(0)
        else:
            found |= cells.isin(_ANSWERED)
    return found


def _without_answers(path: Path, delimiter: str, answer_ids) -> int:
    """How many rows of the scored file hold not a single answer (read a block of rows at a time)."""
    names = pd.read_csv(path, sep=delimiter, dtype=str, nrows=0, encoding="utf-8-sig").columns
    wanted = [c for c in names if str(c).strip().lower() in set(answer_ids)]
    if not wanted:
        return 0
    count = 0
    for block in pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False, usecols=wanted,
                             encoding="utf-8-sig", chunksize=_COUNT_ROWS):
        block.columns = [str(c).strip().lower() for c in block.columns]
        count += int((~_answered(block)).sum())
    return count


def _free(name: str, taken) -> str:
    """``name``, or ``name`` with spaces added until no column of the file has it."""
    while name in taken:
        name += " "
    return name


def _preview(path: Path, delimiter: str, answer_ids, rows: int) -> pd.DataFrame:
    """The first rows of the scored file, bounded: at most :data:`PREVIEW_CELLS` cells (the results first, then
    as many of the file's columns as fit) of at most :data:`PREVIEW_CELL_CHARS` characters; a row without a
    single answer says so in the column :data:`NOTHING_TO_GO_ON`. ``rows`` is the most rows to show."""
    names = list(pd.read_csv(path, sep=delimiter, dtype=str, nrows=0, encoding="utf-8-sig").columns)
    first = [c for c in _RESULTS if c in names]
    rest = [c for c in names if c not in first]
    keep = (first + rest)[:PREVIEW_CELLS // _PREVIEW_MIN_ROWS]  # a wide file: its first columns
    rows = max(1, min(rows, PREVIEW_CELLS // (len(keep) + 1)))
    frame = pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False, nrows=rows, encoding="utf-8-sig",
                        usecols=keep)[keep]
    answers = [c for c in names if str(c).strip().lower() in set(answer_ids)]
    block = pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False, nrows=rows, encoding="utf-8-sig",
                        usecols=answers) if answers else pd.DataFrame(index=frame.index)
    block.columns = [str(c).strip().lower() for c in block.columns]
    note = pd.Series("", index=frame.index).where(_answered(block), "yes: no answer given")
    frame = frame.apply(lambda column: column.str.slice(0, PREVIEW_CELL_CHARS))
    frame.insert(len(first), _free(NOTHING_TO_GO_ON, names), note)
    return frame


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
    without_answers : rows that hold not a single answer (scored ``self_care`` as the contract says, with nothing
        to go on).
    """

    path: Path
    preview: pd.DataFrame
    summary: ScoreSummary
    folder: tempfile.TemporaryDirectory
    without_answers: int = 0

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
            summary = stream.score_file(handle, target, scorer, kb)
        source.unlink()
        preview = _preview(target, delimiter, scorer.answer_ids, preview_rows)
        without = _without_answers(target, delimiter, scorer.answer_ids)
    except BaseException:
        folder.cleanup()
        raise
    return Scored(target, preview, summary, folder, without)
