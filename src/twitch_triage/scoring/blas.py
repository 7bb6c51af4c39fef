"""The model's matrix products on one BLAS thread, beside the reading and writing threads."""

from __future__ import annotations

import contextlib
import functools
from typing import Any

__all__ = ["one_blas_thread"]


@functools.cache
def _blas_controller() -> Any:
    """The BLAS libraries loaded in this process (numpy's), found once: the one cache of this module.

    Why: scanning the loaded libraries costs 0.5 ms (3 ms the first time) on every call, a fifth of scoring a
    one-row file, and a run over thousands of shards or an interview step asks for it every time. Keyed by
    nothing: a library once loaded stays loaded. ``_blas_controller.cache_clear()`` scans again (after a BLAS
    library is loaded later, or in a test).
    """
    from threadpoolctl import ThreadpoolController  # a declared dependency, imported once scoring starts

    return ThreadpoolController()


def one_blas_thread() -> contextlib.AbstractContextManager:
    """Run the model's matrix products on one thread: on chunks this small (a file's, or an interview
    step's), BLAS threads only contend with each other and with the reading and writing threads (3x to
    4x slower measured on the shared 2 cores)."""
    return _blas_controller().limit(limits=1, user_api="blas")
