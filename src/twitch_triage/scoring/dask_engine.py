"""Scoring shards on Dask: one task per shard, on a running cluster or on a ``LocalCluster`` of this machine.

Each task runs :func:`twitch_triage.scoring.task.score_shard`, the local engine's function: the shard is read by
the streaming reader inside the task (Dask never cuts a CSV by bytes: a quoted cell may hold a line end),
and the model is loaded once per worker process from the model folder, which every worker reads at the
same path.
"""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Callable, Iterator

from ..io.files import InputError, shown
from .memory import lean_memory_pool
from .task import Job, Result, score_shard

__all__ = ["engine", "local_cluster", "max_workers", "check_workers", "check_scheduler"]

_CONNECT_SECONDS = 5  # to reach a scheduler (one that refuses, or is not Dask's, says so at once)
_WORKERS_SECONDS = 10  # for a running scheduler to have a worker
_WORKER_BYTES = 1 << 30  # memory a worker process takes at most, about: Python, Dask, the model and a few chunks
_START = "start one with `dask scheduler` and give its address, e.g. --scheduler tcp://10.0.0.1:8786"


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def max_workers() -> int:
    """The most worker processes this machine can run at once: one per core, and about 1 GB of memory each."""
    memory = _memory()
    return max(1, min(_cores(), memory // _WORKER_BYTES if memory else _cores()))


def check_workers(workers: int | None) -> None:
    """Refuse more local workers than :func:`max_workers` (they would only contend and run out of memory)."""
    most = max_workers()
    if workers is not None and workers > most:
        memory = _memory()
        has = f"{_cores()} core{'s' * (_cores() != 1)}" + (f", {memory / (1 << 30):.0f} GB of memory" if memory else "")
        raise InputError(f"--workers {workers} is more than this machine can run ({has}; one core and about 1 GB "
                         f"a worker): give at most --workers {most}, or leave it out")


def check_scheduler(address: str) -> None:
    """Refuse a scheduler address this command cannot use: only ``tcp://`` (or no scheme, which is tcp)."""
    scheme = address.split("://", 1)[0].lower() if "://" in address else "tcp"
    if scheme != "tcp":
        raise InputError(f"--scheduler {shown(address, 100)}: the {shown(scheme, 20)} protocol needs settings this "
                         "command does not take (certificates, UCX); give the scheduler's tcp:// address, "
                         "e.g. --scheduler tcp://10.0.0.1:8786")


_TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"  # (see local_cluster)


def engine(scheduler: str | None = None, workers: int | None = None) -> Callable[[list[Job]], Iterator[Result]]:
    """The Dask engine: on the cluster whose scheduler is at ``scheduler``, or else on a ``LocalCluster`` of
    ``workers`` processes (one thread each; default: one per core), started for the run and closed after.

    No cluster is started (nor a scheduler reached) for a run with no shard to score.

    Raises
    ------
    InputError
        Dask is not installed, the scheduler's address is not tcp://, or more workers than this machine can
        run (checked here, before any work); the scheduler cannot be reached, or has no worker (when used).
    """
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise InputError("--engine dask needs Dask: pip install 'twitch-triage[dask]' "
                         "(or leave out --engine to score on this machine)") from None
    if scheduler is not None:
        check_scheduler(scheduler)
    check_workers(workers)

    def completed(jobs: list[Job]) -> Iterator[Result]:
        if not jobs:
            return
        with _client(scheduler, workers) as client:
            client.register_worker_callbacks(setup=lean_memory_pool)  # each worker is a process that scores files
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
            distributed.LocalCluster(n_workers=workers or max_workers(), threads_per_worker=1,
                                     processes=True, dashboard_address=None,
                                     scheduler_kwargs={"dashboard_address": ":0"}) as cluster:
        yield cluster


def _probe(scheduler: str, where: str) -> None:
    """Check, within seconds, that a Dask scheduler listens at ``scheduler``: a Dask server speaks first (its
    handshake, a frame of a few hundred bytes); a server of another kind (HTTP) is silent, or says otherwise.

    Dask's own connection waits for ever on a silent server, and reads another's answer as a frame's length
    (an HTTP server's: "Unable to allocate 3.07 EiB").
    """
    import struct

    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        host, port = parse_host_port(parse_address(scheduler if "://" in scheduler else f"tcp://{scheduler}")[1])
    except (ValueError, TypeError):
        raise InputError(f"--scheduler {where} is not an address: give host:port, e.g. "
                         "--scheduler tcp://10.0.0.1:8786") from None
    first = b""
    try:
        with socket.create_connection((host, port), timeout=_CONNECT_SECONDS) as sock:
            sock.settimeout(_CONNECT_SECONDS)
            while len(first) < 8:
                more = sock.recv(8 - len(first))
                if not more:
                    break
                first += more
    except TimeoutError:
        if not first:
            raise InputError(f"no Dask scheduler answers at {where} within {_CONNECT_SECONDS} s: {_START}") from None
    except OSError as exc:
        raise InputError(f"cannot reach a Dask scheduler at {where} ({exc.strerror or type(exc).__name__}): "
                         f"{_START}") from None
    if len(first) < 8 or not 0 < struct.unpack("<Q", first)[0] < 1 << 24:
        raise InputError(f"the server at {where} is not a Dask scheduler: {_START}")


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int | None) -> Iterator["distributed.Client"]:
    import distributed

    if scheduler is None:
        with local_cluster(workers) as cluster, distributed.Client(cluster) as client:
            yield client
        return
    import dask

    where = shown(scheduler, 100)
    _probe(scheduler, where)
    try:
        with dask.config.set({"distributed.comm.timeouts.connect": f"{_CONNECT_SECONDS}s"}):
            client = distributed.Client(scheduler, timeout=_CONNECT_SECONDS)
    except Exception as exc:  # noqa: BLE001 - refused, timed out, not Dask (an HTTP server: a "frame" of EiB)
        why = "no answer" if isinstance(exc, TimeoutError) else type(exc).__name__
        raise InputError(f"cannot reach a Dask scheduler at {where} ({why} within {_CONNECT_SECONDS} s): "
                         f"{_START}") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=_WORKERS_SECONDS)
        except (TimeoutError, OSError):
            raise InputError(f"the Dask scheduler at {where} has no worker after {_WORKERS_SECONDS} s: start "
                             f"workers with `dask worker ADDRESS`") from None
        yield client
