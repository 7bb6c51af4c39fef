"""Worker threads that overlap reading, scoring and writing, stopped and joined however a run ends."""

from __future__ import annotations

import contextlib
import queue
import threading
from typing import Any, Callable, Iterator

__all__ = ["read_ahead", "write_behind"]

# _DAEMON: both workers are joined however a run ends; they are daemons as well because a signal
# (SIGTERM, SIGHUP: raised in the main thread as an exception) may arrive during that cleanup itself,
# before the worker was told to stop or while the main thread waits for it: a worker left waiting then
# must not keep the process from exiting. None of pyarrow's threads calls Python, so a process may end
# with one of them still alive.


_JOIN_SECONDS = 2.0


def read_ahead(items: Iterator[Any], depth: int = 1) -> Iterator[Any]:
    """Iterate ``items`` in a worker thread, up to ``depth`` items ahead; its exceptions are raised here.

    pyarrow parses without holding the GIL, so the next chunk is read while this one is scored.
    However this ends (``items`` exhausted, an exception on either side, or closed early), the
    worker stops at its next item, closes ``items`` and is joined before it returns.
    """
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def hand(item: Any) -> bool:
        """Put ``item`` in the box, unless the consumer has stopped: whether it was put."""
        while not stop.is_set():
            with contextlib.suppress(queue.Full):
                box.put(item, timeout=0.05)
                return True
        return False

    def work() -> None:
        try:
            for item in items:
                if not hand((item, None)):
                    return
            hand((end, None))
        except BaseException as exc:  # noqa: BLE001 - handed over to the consumer
            hand((end, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator: in this thread, where it ran

    worker = threading.Thread(target=work, name="twitch-triage-read", daemon=True)  # (see _DAEMON)
    worker.start()
    try:
        while True:
            item, exc = box.get()
            if exc is not None:
                raise exc
            if item is end:
                return
            yield item
    finally:
        stop.set()
        # the worker stops at its next item; one blocked reading a pipe that stays open never does, and is left
        # (a daemon) when a signal or an error ends the run
        worker.join(_JOIN_SECONDS)


@contextlib.contextmanager
def write_behind(consume: Callable[[Any], None], depth: int = 1) -> Iterator[Callable[[Any], None]]:
    """A ``put`` that hands items to ``consume`` in a worker thread (pyarrow joins the lines without the GIL).

    An exception of ``consume`` is raised by the next ``put``, or on leaving. However the block is
    left, the worker is joined first (the items handed over are consumed, unless it is left by an
    exception).
    """
    box: queue.Queue = queue.Queue(maxsize=depth)
    failed: list[BaseException] = []
    stopped = threading.Event()

    def work() -> None:
        while (item := box.get()) is not None:
            if not failed and not stopped.is_set():
                try:
                    consume(item)
                except BaseException as exc:  # noqa: BLE001 - re-raised by the producer
                    failed.append(exc)

    def put(item: Any) -> None:
        if failed:
            raise failed[0]
        box.put(item)

    worker = threading.Thread(target=work, name="twitch-triage-write", daemon=True)  # (see _DAEMON)
    worker.start()
    try:
        yield put
    except BaseException:
        stopped.set()
        raise
    finally:
        box.put(None)  # (the worker takes every item: this waits at most for the one it is consuming)
        worker.join()
    if failed:
        raise failed[0]
