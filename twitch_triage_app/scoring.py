"""The "Score a file" page's one call into the library: uploaded bytes in, scored table out.

The command line's ``twitch-triage score`` and this page must read files the same
way; this adapter is the single place to point at the library's batch scorer.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from twitch_triage import answers, config, triage
from twitch_triage.csvio import InputError
from twitch_triage.knowledge import KnowledgeBase

__all__ = ["InputError", "Scored", "score_upload", "to_csv_bytes"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


@dataclass
class Scored:
    """A scored upload.

    Attributes
    ----------
    frame : DataFrame of shape (n_rows, n_input_columns + len(config.OUTPUT_COLUMNS)),
        every input column as text, then the contract's output columns.
    warnings : one line per problem that does not stop scoring (e.g. "did you mean loc_eyelid?").
    """

    frame: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def csv(self) -> bytes:
        """The scored table as the file to download (see :func:`to_csv_bytes`)."""
        return to_csv_bytes(self.frame)

    @property
    def n_errors(self) -> int:
        """Rows with at least one invalid cell (scored with those answers as unknown)."""
        return int((self.frame["error"] != "").sum())


def _delimiter(data: bytes) -> str:
    header = data.split(b"\n", 1)[0]
    return ";" if header.count(b";") > header.count(b",") else ","


def _read(data: bytes) -> pd.DataFrame:
    if not data.strip():
        raise InputError("the file is empty: upload a CSV with a header row of answer columns (see `twitch-triage schema`)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the file is not UTF-8 text (byte {exc.start}): save it as 'CSV UTF-8' and upload it again"
        ) from None
    try:
        return pd.read_csv(io.BytesIO(data), sep=_delimiter(data), dtype=str, keep_default_na=False,
                           encoding="utf-8-sig", skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise InputError("the file has no header row: the first line must name the columns") from None
    except pd.errors.ParserError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "malformed CSV"
        raise InputError(f"the file is not a readable CSV ({first}): check its delimiters and quotes") from None


def _formula_safe(column: pd.Series) -> pd.Series:
    """OWASP CSV injection: prefix text cells that a spreadsheet would run as a formula; numbers stay."""
    text = column.astype(str)
    risky = text.str.startswith(_FORMULA_START) & pd.to_numeric(text, errors="coerce").isna()
    return text.where(~risky, "'" + text)


def score_upload(data: bytes, predictor: triage.Scorer, kb: KnowledgeBase) -> Scored:
    """Parse, validate and score an uploaded CSV as the contract describes.

    Raises
    ------
    InputError
        One line saying what makes the file unusable and how to fix it.
    """
    frame = _read(data)
    columns = [str(c) for c in frame.columns]
    present = [a for a in predictor.answer_ids if a in columns]
    warnings = []
    for column in columns:
        if column in predictor.answer_ids or column == "case_id":
            continue
        close = difflib.get_close_matches(column.strip().lower(), predictor.answer_ids, n=1, cutoff=0.8)
        if close and close[0] not in present:
            warnings.append(f"column '{column}' is not an answer: did you mean {close[0]}? (passed through unscored)")
    if not present:
        raise InputError(
            "no answer column found in the header: name columns as in `twitch-triage schema` "
            f"(e.g. {', '.join(config.ANSWERS[:3])})"
        )

    n = len(frame)
    X = np.full((n, len(predictor.answer_ids)), np.nan)
    problems = [[] for _ in range(n)]
    for j, answer in enumerate(predictor.answer_ids):
        if answer not in present:
            continue
        codes, invalid = answers.parse_column(answer, frame[answer].tolist())
        X[:, j] = codes
        for i in np.flatnonzero(invalid):
            problems[i].append(answers.invalid_message(answer, frame[answer].iat[i]))

    result = triage.assess_matrix(X, predictor, kb)
    out = frame.copy()
    for j, label in enumerate(predictor.labels):
        out[f"p_{label}"] = np.round(result.P[:, j], 4)
    out["likely"] = result.likely
    out["disposition"] = result.disposition.astype(str)
    out["red_flags"] = result.red_flags
    out["error"] = ["; ".join(p) for p in problems]
    return Scored(out, warnings)


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The scored table as UTF-8 CSV, probabilities with 4 decimals, safe to open in a spreadsheet."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = _formula_safe(safe[column])
    safe.columns = ["'" + c if c.startswith(_FORMULA_START) else c for c in map(str, safe.columns)]
    return safe.to_csv(index=False, float_format="%.4f", lineterminator="\n").encode("utf-8")
