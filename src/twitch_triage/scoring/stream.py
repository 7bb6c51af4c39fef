"""Streaming a case file through scoring, chunk by chunk, into its output file: :func:`score_file`."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import IO, Any, Callable

import numpy as np
import pyarrow as pa

from .. import contract
from .. import triage
from ..answers import AnswerError, parse_value
from ..io.casefiles import DEFAULT_BLOCK_SIZE, Chunk, Header, header_line, open_cases
from ..io.casefiles.cells import BOM, neutral_names, quoted, record_lines, rewritten
from ..io.files import InputError, atomic_output
from .format import input_columns, output_columns
from .frame import assess_chunk
from .parse import ParsedChunk, parse_chunk
from .blas import one_blas_thread
from .workers import read_ahead, write_behind

__all__ = ["ScoreSummary", "score_file", "output_header", "output_cells"]


@dataclass
class ScoreSummary:
    """What a batch-scoring run did: rows, rows with an invalid cell, rows per disposition."""

    rows: int = 0
    rows_with_errors: int = 0
    dispositions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(contract.LEVELS, 0))
    warnings: tuple[str, ...] = ()

    def line(self) -> str:
        levels = ", ".join(f"{level} {count:,}" for level, count in self.dispositions.items())
        return (f"scored {self.rows:,} row{'s' * (self.rows != 1)}, {self.rows_with_errors:,} with invalid cells "
                f"(scored as unknown); disposition: {levels}")


def score_file(source: str | os.PathLike | IO[bytes], output: str | os.PathLike, scorer: Any, kb: Any, *,
               strict: bool = False, block_size: int = DEFAULT_BLOCK_SIZE, progress: bool = False,
               on_warning: Callable[[str], None] | None = None) -> ScoreSummary:
    """Batch-score a case file chunk by chunk into ``output`` (``-`` for standard output).

    The output keeps the input's delimiter and byte-order mark and has every input row,
    in order, with its cells as written (formula-like text prefixed with ``'``), then the
    contract's output columns. It appears only when complete. Reading, scoring and
    writing overlap (one chunk each), so memory stays bounded whatever the file's size.

    Raises
    ------
    InputError
        The input is unusable (see :class:`CaseReader`), or ``strict`` and a cell is invalid.
    """
    summary = ScoreSummary()
    with open_cases(source, answer_ids=tuple(scorer.answer_ids), block_size=block_size, typed=True) as reader:
        header = reader.header
        summary.warnings = header.warnings
        for warning in header.warnings:
            if on_warning is not None:
                on_warning(warning)
        with atomic_output(output) as sink, _progress_bar(reader.size, progress) as bar:
            target = pa.PythonFile(sink, mode="w")

            target.write(output_header(header))
            answer_ids = tuple(scorer.answer_ids)

            def write_chunk(item: tuple[Chunk, ParsedChunk, triage.Outputs]) -> None:
                target.write(record_lines(*output_cells(*item, scorer, kb, header.delimiter), header.delimiter))

            # a file of one chunk is scored in this thread: there is nothing to overlap, and starting the two
            # workers costs more than scoring it (a run over thousands of small shards)
            serial = reader.size is not None and reader.size <= block_size
            # the answers are parsed in this thread, beside the model: the reading thread's CSV parse is the longest
            # of the three (a million rows: 1.35 s of CPU reading, 0.95 s scoring, 0.45 s writing; with the answers
            # parsed in the reading thread, the command took 2.23 s instead of 2.04 s, medians of 7 interleaved)
            with one_blas_thread(), contextlib.nullcontext(write_chunk) if serial else write_behind(write_chunk) \
                    as write, contextlib.closing(reader.chunks() if serial else read_ahead(reader.chunks())) as chunks:
                for chunk in chunks:
                    parsed = parse_chunk(chunk.batch, answer_ids)
                    bad = parsed.invalid_rows()
                    if strict and bad.any():
                        raise _strict_error(reader.name, header, chunk, int(np.argmax(bad)))
                    triaged = assess_chunk(parsed, scorer, kb)
                    summary.rows += len(bad)
                    summary.rows_with_errors += int(np.count_nonzero(bad))
                    for level, count in zip(contract.LEVELS,
                                            np.bincount(triaged.level, minlength=len(contract.LEVELS))):
                        summary.dispositions[level] += int(count)
                    write((chunk, parsed, triaged))  # formatted and written in the writing thread
                    if bar is not None:
                        bar.update(reader.stream.bytes_read - bar.n)
    return summary


def output_header(header: Header) -> bytes:
    """The first line of the output: the input's byte-order mark and names (neutralised), then the output columns."""
    names = neutral_names([*header.names, *contract.OUTPUT_COLUMNS])
    return (BOM if header.bom else b"") + header_line(names, header.delimiter)


def output_cells(chunk: Chunk, parsed: ParsedChunk, triaged: triage.Outputs, scorer: Any, kb: Any,
                 delimiter: str) -> tuple[pa.Array, list[pa.Array]]:
    """A scored chunk's output rows before they are joined into lines: each record as written (a row with a
    neutralised cell from its cells; a chunk read with boolean answers has none), and the output cells in the
    header's order (probabilities are digits, the others may need quotes)."""
    columns = output_columns(parsed, triaged, scorer, kb)
    inputs, neutralised = (None, None) if _typed(chunk) else input_columns(parsed)
    records = chunk.records if neutralised is None else rewritten(chunk.records, inputs, neutralised, delimiter)
    cells = [columns[name] if name.startswith("p_") else quoted(columns[name], delimiter)
             for name in contract.OUTPUT_COLUMNS]
    return records, cells


def _typed(chunk: Chunk) -> bool:
    """Whether ``chunk`` was read with its yes/no answers as booleans (see :class:`CaseReader`)."""
    return pa.bool_() in chunk.batch.schema.types


def _strict_error(name: str, header: Header, chunk: Chunk, row: int) -> InputError:
    """The first invalid cell of ``row`` (in the file's column order) with its line."""
    first = "an invalid cell"
    for answer, j in sorted(header.answers.items(), key=lambda item: item[1]):
        try:
            parse_value(answer, chunk.batch.column(j)[row].as_py())
        except AnswerError as exc:
            first = str(exc)
            break
    return InputError(f"{name} line {chunk.line_of(row)}: {first} (--strict refuses the whole file: fix that cell, "
                      "or leave out --strict to score invalid cells as unknown)")


def _progress_bar(total: int | None, progress: bool) -> contextlib.AbstractContextManager:
    """A bar of the bytes read (on a terminal) if ``progress``, else None; tqdm is imported only then."""
    if not progress:
        return contextlib.nullcontext()
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc="scoring", disable=None, leave=False)
