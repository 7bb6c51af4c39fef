"""Scoring runs of small shards together (the local engine): one read, parse, model call and formatting for many
shards, each shard's output and manifest record exactly those of scoring it alone.

A shard costs about 2 ms of set-up when scored alone (a reader, pyarrow's CSV parser, the model, the formatting),
far more than scoring its few rows: a run over thousands of one-row shards is all set-up. :func:`score_jobs`
scores runs of consecutive small shards (:data:`GROUP_LIMIT` bytes at most, not ``--strict``) whose first line
is the same (byte-order mark included) as one case file, their header then each shard's rows, and cuts the
output rows back into each shard's output: each row goes to the shard whose physical lines hold the line its
record starts on.

That is exact because the records a shard's rows are read as do not depend on what comes before or after them
when the shard's data after its header ends outside a quoted cell and with a line end (one is added where the
last line has none): a shard whose data ends in an open quoted cell is scored alone. Its header is one line
(no ``\\r`` but a last ``\\r\\n``), so every shard's header and the group's are the same record. And scoring is
row by row (the model multiplies whole tiles of rows: a row's probabilities do not depend on its neighbours).
A group that fails in any way (a ragged row, a cell not UTF-8...: an :class:`InputError`) is scored again one
shard at a time with :func:`~twitch_triage.scoring.task.score_shard`, so that each shard's record and error are
those of scoring it alone.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import os
import socket
import stat
import time
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np
import pyarrow as pa

from .. import contract
from ..io.casefiles import DEFAULT_BLOCK_SIZE, Header, open_cases
from ..io.casefiles.header import read_header
from ..io.casefiles.cells import offsets, record_line_texts, values
from ..io.casefiles.stream import RecordBlocks, line_ends
from ..io.files import InputError, atomic_output
from .blas import one_blas_thread
from .frame import assess_chunk
from .parse import parse_chunk
from .stream import ScoreSummary, output_cells, output_header
from . import task
from .task import Job, Result, score_shard

__all__ = ["GROUP_LIMIT", "GROUP_BYTES", "GROUP_SHARDS", "score_jobs"]

GROUP_LIMIT = 64 << 10  # bytes: a shard at most this large may be scored with others (0: every shard alone)
GROUP_BYTES = DEFAULT_BLOCK_SIZE  # bytes of the shards of a group at most (about one block of the reader)
GROUP_SHARDS = 1024  # shards of a group at most: their records are written as their outputs are


@dataclass(frozen=True)
class _Shard:
    """A small shard read whole: its job, its bytes, and the length of its first line."""

    job: Job
    data: bytes
    head: int

    @property
    def key(self) -> tuple:
        """What the shards of a group share: the first line, and the run's model and knowledge base."""
        job = self.job
        return self.data[:self.head], job.model, job.kb, job.model_sha256, job.kb_sha256


def score_jobs(jobs: Iterable[Job]) -> Iterator[Result]:
    """Each job's result, in order: runs of consecutive small shards with the same first line scored together,
    the others alone (:func:`~twitch_triage.scoring.task.score_shard`)."""
    pending: list[_Shard] = []
    size = 0
    for job in jobs:
        shard = _small(job)
        if pending and (shard is None or shard.key != pending[0].key or size + len(shard.data) > GROUP_BYTES
                        or len(pending) >= GROUP_SHARDS):
            yield from _score_group(pending)
            pending, size = [], 0
        if shard is None:
            yield score_shard(job)
        else:
            pending.append(shard)
            size += len(shard.data)
    if pending:
        yield from _score_group(pending)


def _small(job: Job) -> _Shard | None:
    """The shard read whole, when it may be scored with others: not ``--strict``, a regular
    file of :data:`GROUP_LIMIT` bytes at most whose first line ends in ``\\n`` (or ``\\r\\n``) and holds no
    other ``\\r``; else None."""
    if job.strict or GROUP_LIMIT <= 0:
        return None
    try:
        with open(job.source, "rb") as handle:
            found = os.fstat(handle.fileno())
            if not stat.S_ISREG(found.st_mode) or found.st_size > GROUP_LIMIT:
                return None
            data = handle.read(GROUP_LIMIT + 1)
    except OSError:
        return None  # (scoring it alone says why, in one line)
    head = data.find(b"\n") + 1
    if not head or len(data) > GROUP_LIMIT:
        return None
    first_line = data[:head - 1].removesuffix(b"\r")
    return None if b"\r" in first_line else _Shard(job, data, head)  # (a lone \r ends a header record)


def _ends_outside_quotes(body: bytes, delimiter: str) -> bool:
    """Whether the records of ``body`` (a shard's data after its header) end outside a quoted cell, as the reader
    cuts records: the next shard's data is then read as it is read alone."""
    if b'"' not in body:
        return True
    blocks = RecordBlocks(body, io.BytesIO(), name="", delimiter=delimiter, block_size=len(body) + 1, line=1)
    for _ in blocks:
        pass
    return not blocks.open_quote


def _score_group(shards: list[_Shard]) -> Iterator[Result]:
    """The shards' results: scored together (see the module) when that works, else each alone."""
    first = shards[0].job
    loaded = task.load(first.model, first.kb, first.model_sha256, first.kb_sha256)
    answer_ids = tuple(loaded.predictor.answer_ids)
    head = shards[0].data[:shards[0].head]
    try:
        header = read_header(io.BytesIO(head), "", answer_ids, len(head))[0]
    except InputError:
        header = None  # (every shard fails alone: scored alone, each says so)
    if header is None or len(shards) == 1:
        yield from map(score_shard, (shard.job for shard in shards))
        return
    together, alone = [], []
    for shard in shards:
        body = shard.data[shard.head:]
        (together if _ends_outside_quotes(body, header.delimiter) else alone).append(shard)
    if len(together) > 1:
        yield from _together(together, header, loaded)
    else:
        alone = shards
    yield from map(score_shard, (shard.job for shard in alone))


def _together(shards: list[_Shard], header: Header, loaded: task.Loaded) -> Iterator[Result]:
    """The shards scored as one file, then each output written and its record given as it is written; each shard
    alone if scoring them together fails."""
    started, start = _dt.datetime.now(_dt.timezone.utc), time.perf_counter()
    head = shards[0].data[:shards[0].head]
    bodies = [shard.data[shard.head:] for shard in shards]
    bodies = [body if not body or body.endswith(b"\n") else body + b"\n" for body in bodies]
    lines = np.array([line_ends(body) for body in bodies], dtype=np.int64)
    first_lines = 2 + np.concatenate([[0], np.cumsum(lines)[:-1]])  # each shard's first line after the header
    try:
        scored = _score(head + b"".join(bodies), first_lines, header, loaded)
    except (InputError, pa.ArrowException):
        yield from map(score_shard, (shard.job for shard in shards))
        return
    text, summaries, bounds = scored
    out_head = output_header(header)
    seconds = (time.perf_counter() - start) / len(shards)
    host = socket.gethostname()
    for k, shard in enumerate(shards):
        begin = time.perf_counter()
        content = out_head + text[bounds[k]:bounds[k + 1]]
        try:
            with atomic_output(shard.job.output) as sink:
                sink.write(content)
        except InputError:
            yield score_shard(shard.job)  # (which fails as it does alone, and says so)
            continue
        record = task.input_record(shard.job, len(shard.data), hashlib.sha256(shard.data).hexdigest()) \
            | task.done_record(summaries[k], len(content), hashlib.sha256(content).hexdigest()) \
            | task.timing_record(started, seconds + time.perf_counter() - begin, host)
        yield Result(record)


def _score(data: bytes, first_lines: np.ndarray, header: Header, loaded: task.Loaded
           ) -> tuple[bytes, list[ScoreSummary], np.ndarray]:
    """The output rows of the case file ``data`` (its first line ``header``), each shard's summary, and where each
    shard's rows begin in the output (a last bound: the end), the shards' data beginning on ``first_lines``.

    Raises
    ------
    InputError
        ``data`` is unusable as it is scored alone (see :class:`CaseReader`), or its header is not ``header``.
    """
    scorer, kb = loaded.predictor, loaded.kb
    answer_ids = tuple(scorer.answer_ids)
    n = first_lines.size
    texts: list[bytes] = []
    ends: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
    shard_of: list[np.ndarray] = []
    invalid: list[np.ndarray] = []
    levels: list[np.ndarray] = []
    with open_cases(io.BytesIO(data), answer_ids=answer_ids, block_size=DEFAULT_BLOCK_SIZE, typed=True) as reader, \
            one_blas_thread():
        if reader.header != header:
            raise InputError("the group's header is not its shards' header")
        for chunk in reader.chunks():
            parsed = parse_chunk(chunk.batch, answer_ids)
            triaged = assess_chunk(parsed, scorer, kb)
            rows = record_line_texts(*output_cells(chunk, parsed, triaged, scorer, kb, header.delimiter),
                                     header.delimiter)
            off = offsets(rows).astype(np.int64)
            texts.append(values(rows)[off[0]:off[-1]].tobytes())
            ends.append(off[1:] - off[0] + ends[-1][-1])
            shard_of.append(np.searchsorted(first_lines, chunk.lines, side="right") - 1)
            invalid.append(parsed.invalid_rows())
            levels.append(np.asarray(triaged.level))
    shard = np.concatenate(shard_of) if shard_of else np.zeros(0, dtype=np.int64)
    if shard.size and (shard[0] < 0 or np.any(np.diff(shard) < 0)):
        raise InputError("a record of the group lies before its shards' data")  # (never: the header is one line)
    counts = np.bincount(shard, minlength=n)
    errors = np.bincount(shard, weights=np.concatenate(invalid) if invalid else None, minlength=n)
    by_level = np.zeros((n, len(contract.LEVELS)), dtype=np.int64)
    if shard.size:
        np.add.at(by_level, (shard, np.concatenate(levels)), 1)
    summaries = [ScoreSummary(int(counts[k]), int(errors[k]), dict(zip(contract.LEVELS, map(int, by_level[k]))),
                              header.warnings) for k in range(n)]
    row_ends = np.concatenate(ends)
    bounds = row_ends[np.concatenate([[0], np.cumsum(counts)])]
    return b"".join(texts), summaries, bounds
