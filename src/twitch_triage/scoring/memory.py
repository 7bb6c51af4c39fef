"""The memory allocators of a process that scores files: pyarrow's pool and glibc's malloc, set once as it starts.

Each changes the whole process: call :func:`lean_memory_pool` where a scoring process starts (the score
command, the local engine over shards, a Dask worker), never from a library function such as loading a model.
"""

from __future__ import annotations

import os

import pyarrow as pa

__all__ = ["lean_memory_pool"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def lean_memory_pool() -> None:
    """Set up the memory of a process that scores files (the score command).

    pyarrow's jemalloc pool becomes the default where the build has it: it hands freed chunks back
    sooner than the default (mimalloc), so a streaming run peaks lower (measured: 245 against 275 MB
    at a million rows). And glibc's malloc, numpy's, keeps the buffers a chunk frees (up to 32 MB each,
    64 MB at the top of its heap) for the next chunk, where by default it maps the large ones afresh
    for every chunk and hands them back: at 200,000 rows, 1,700 page faults instead of 53,000 and
    0.04 s of system time instead of 0.24 s, at the same peak memory.
    """
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # a pyarrow built without jemalloc: keep its default
        pass
    _keep_freed_buffers()


def _keep_freed_buffers() -> None:
    """glibc's malloc: allocations of up to 32 MB from its heap, and 64 MB of free heap kept (see
    :func:`lean_memory_pool`); nothing elsewhere."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
        libc.mallopt(_M_TRIM_THRESHOLD, 64 << 20)
    except (ValueError, OSError, AttributeError):  # not glibc (no such name, library or function)
        pass
