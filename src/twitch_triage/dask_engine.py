"""Scoring shards on Dask: one task per shard, on a running cluster or on a ``LocalCluster`` of this machine.

Each task runs :func:`twitch_triage.shards.score_shard`, the local engine's function: the shard is read by
the streaming reader inside the task (Dask never cuts a CSV by bytes: a quoted cell may hold a line end),
and the model is loaded once per worker process from the model folder, which every worker reads at the
same path.
"""

from __future__ import annotations

import contextlib
import os
from typing import Callable, Iterator

from .files import InputError
from .shards import Job, Result, score_shard

__all__ = ["engine", "local_cluster"]

_CONNECT_SECONDS = 30
_TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"  # (see local_cluster)


def engine(scheduler: str | None = None, workers: int | None = None) -> Callable[[list[Job]], Iterator[Result]]:
    """The Dask engine: on the cluster whose scheduler is at ``scheduler``, or else on a ``LocalCluster`` of
    ``workers`` processes (one thread each; default: one per core), started for the run and closed after.

    Raises
    ------
    InputError
        Dask is not installed (checked here, before any work).
    """
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise InputError("--engine dask needs Dask: pip install 'twitch-triage[dask]' "
                         "(or leave out --engine to score on this machine)") from None

    def completed(jobs: list[Job]) -> Iterator[Result]:
        with _client(scheduler, workers) as client:
            futures = client.map(score_shard, jobs, pure=False)
            for future in distributed.as_completed(futures):
                yield future.result()

    return completed


@contextlib.contextmanager
def local_cluster(workers: int | None = None) -> Iterator["distributed.LocalCluster"]:
    """A ``LocalCluster`` of ``workers`` processes (default: one per core), one thread each, no dashboard (its
    scheduler's small HTTP server on a free port, not Dask's 8787, which it warns of when taken).

    Its workers start without the ``MALLOC_TRIM_THRESHOLD_`` Dask's nanny gives them by default: setting it
    fixes glibc's threshold for serving an allocation with its own pages, so each chunk's arrays of a few
    MB are faulted in afresh (measured: a shard took 1.5x as long as in the local engine).
    """
    import dask
    import distributed

    with dask.config.set({_TRIM: None}), \
            distributed.LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                     processes=True, dashboard_address=None,
                                     scheduler_kwargs={"dashboard_address": ":0"}) as cluster:
        yield cluster


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int | None) -> Iterator["distributed.Client"]:
    import distributed

    if scheduler is None:
        with local_cluster(workers) as cluster, distributed.Client(cluster) as client:
            yield client
        return
    try:
        client = distributed.Client(scheduler, timeout=_CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__}): start one with "
                         "`dask scheduler` and give its address, e.g. --scheduler tcp://10.0.0.1:8786") from None
    with client:
        yield client
