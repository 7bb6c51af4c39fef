"""Output files that appear whole or not at all, and the one-line error for unusable input or output (exit 2)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterator

__all__ = ["InputError", "atomic_output", "output_errors"]


class InputError(ValueError):
    """Unusable input or arguments: one line saying what is wrong and how to fix it (exit 2)."""


@contextlib.contextmanager
def output_errors(path: str | os.PathLike) -> Iterator[None]:
    """Report an OSError writing the output ``path`` (a full disk, a file size limit, no permission) as an
    :class:`InputError` in one line; a broken pipe stays what it is."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        where = "standard output" if str(path) == "-" else f"'{path}'"
        raise InputError(f"cannot write {where}: {exc.strerror or exc}: check the space and permissions of its "
                         "folder, or choose another -o path") from None


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """Open a binary stream whose content appears at ``path`` only when complete.

    ``-`` means standard output: the content is spooled to a temporary file and
    copied out on success, so a failed run writes nothing there either. A file is
    written beside its destination and renamed on success; on any error the
    partial file is removed. Errors of its own writing are reported by :func:`output_errors`.
    """
    if str(path) == "-":
        with tempfile.TemporaryFile(prefix="twitch-triage-") as spool:
            yield spool
            spool.seek(0)
            with output_errors(path):
                shutil.copyfileobj(spool, sys.stdout.buffer, 1 << 20)
                sys.stdout.flush()
        return
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"output folder '{folder}' does not exist: create it or choose another -o path")
    if target.is_dir():
        raise InputError(f"output path '{target}' is a folder: give a file name, e.g. -o {target / 'scored.csv'}")
    with output_errors(path):
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            with output_errors(path):
                handle.flush()
        with output_errors(path):
            os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
