"""One shard's task, what every engine runs once per shard: the model loaded once per process, the shard scored.

:func:`score_shard` scores one shard with :func:`~twitch_triage.scoring.stream.score_file`: the local engine runs
it in this process, one shard after the other, and Dask on its workers (:mod:`twitch_triage.scoring.dask_engine`).
The model and the knowledge base are loaded once per process (:func:`load`), never once per shard.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from .. import knowledge
from ..io.digest import file_sha256
from ..io.files import InputError
from ..model import artifact
from .stream import ScoreSummary, score_file

__all__ = ["Job", "Result", "Loaded", "load", "score_shard", "input_record", "done_record", "timing_record"]


@dataclass(frozen=True)
class Job:
    """One shard to score: what a task needs, every path absolute (a worker may run elsewhere)."""

    source: str  # the input shard
    output: str  # the output shard
    model: str  # the model folder
    kb: str  # the knowledge base file
    model_sha256: str  # of the arrays scoring reads (the model manifest's inference_sha256)
    kb_sha256: str
    strict: bool
    previous: dict | None = None  # the manifest's record of the shard, done with this model, input and output
    # unchanged (their SHA-256 checked when planning): skipped


@dataclass(frozen=True)
class Result:
    """A shard's manifest record."""

    record: dict

    @property
    def name(self) -> str:
        return str(self.record["input"])


class Loaded(NamedTuple):
    """What scoring a shard needs: the model, and the knowledge base it was checked against."""

    predictor: artifact.Predictor
    kb: Any


@functools.lru_cache(maxsize=4)
def load(model: str, kb: str, model_sha256: str, kb_sha256: str) -> Loaded:
    """The model and the knowledge base, loaded once per process for each model and knowledge base.

    The one cache of scoring over shards. Why: loading takes longer than scoring a small shard, and a
    process (a Dask worker, the local engine) scores many. Keyed by the paths and the SHA-256 the run
    was planned with, so another model or knowledge base is loaded anew (the 4 most recent are kept);
    ``load.cache_clear()`` drops them. Loading has no effect on the process beyond this cache (the
    memory allocators are set where a scoring process starts: :func:`~twitch_triage.scoring.memory.lean_memory_pool`).

    Raises
    ------
    InputError
        The model or the knowledge base here is not the one the run was planned with (a worker that
        reads another copy), or the model is unusable.
    """
    loaded = knowledge.load_default(kb)
    if loaded.sha256 != kb_sha256:
        raise InputError(f"the knowledge base {kb} on {socket.gethostname()} differs from the one the run was "
                         "started with: give every worker the same file")
    if artifact.read_manifest(model)["inference_sha256"] != model_sha256:
        raise InputError(f"the model in {model} on {socket.gethostname()} differs from the one the run was "
                         "started with: give every worker the same model folder")
    return Loaded(artifact.load(model, kb=loaded), loaded)  # (checked against it: see artifact.load)


def score_shard(job: Job) -> Result:
    """Score one shard into its output (written aside and renamed): its manifest record. (A shard done before
    with the same input never reaches an engine: :func:`~twitch_triage.scoring.shards.run` skips it.)

    An unusable shard is not an exception: its record has status ``failed`` and the one-line error.

    Raises
    ------
    InputError
        The model or knowledge base cannot be loaded here (it concerns every shard, not this one).
    """
    loaded = load(job.model, job.kb, job.model_sha256, job.kb_sha256)
    started, start = _dt.datetime.now(_dt.timezone.utc), time.perf_counter()
    try:
        size: int | None = os.stat(job.source).st_size
    except OSError:
        size = None
    try:
        sha256: str | None = file_sha256(job.source)
    except OSError:
        sha256 = None  # (scoring it then says why, in one line)
    record = input_record(job, size, sha256)
    try:
        summary = score_file(job.source, job.output, loaded.predictor, loaded.kb, strict=job.strict)
    except InputError as exc:
        # the output of the shard's previous input (planning checked it is this command's) would pass for this
        # one's: removed
        with contextlib.suppress(FileNotFoundError):
            os.unlink(job.output)
        record |= {"status": "failed", "error": str(exc), "rows_in": None, "rows_out": 0}
    else:
        record |= done_record(summary, os.stat(job.output).st_size, file_sha256(job.output))
    return Result(record | timing_record(started, time.perf_counter() - start, socket.gethostname()))


def input_record(job: Job, size: int | None, sha256: str | None) -> dict:
    """The first fields of a shard's record: its input (size and SHA-256, None when unreadable) and the run's
    model, knowledge base and ``--strict``."""
    return {"input": Path(job.source).name, "path": job.source, "size": size, "sha256": sha256,
            "model_sha256": job.model_sha256, "kb_sha256": job.kb_sha256, "strict": job.strict}


def done_record(summary: ScoreSummary, output_size: int, output_sha256: str) -> dict:
    """The fields of a shard's record that say it was scored: its rows, dispositions, warnings and output."""
    # every row read is written (the contract drops none): the two counts are one
    return {"status": "done", "error": None, "rows_in": summary.rows, "rows_out": summary.rows,
            "rows_with_invalid_cells": summary.rows_with_errors, "dispositions": summary.dispositions,
            "warnings": list(summary.warnings), "output_size": output_size, "output_sha256": output_sha256}


def timing_record(started: _dt.datetime, seconds: float, host: str) -> dict:
    """The last fields of a shard's record: when it started, how long it took, and where."""
    return {"started": started.isoformat(timespec="seconds"), "seconds": round(seconds, 3), "host": host}
