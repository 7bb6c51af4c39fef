"""Output files that appear whole or not at all (or are written to as they come: a device, a pipe),
never over the input, and the one-line error for unusable input or output (exit 2)."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import socket
import stat
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterator

__all__ = ["InputError", "atomic_output", "refuse_output_over_input", "shown"]


class InputError(ValueError):
    """Unusable input or arguments: one line saying what is wrong and how to fix it (exit 2)."""


def shown(value: object, limit: int = 200) -> str:
    """``value`` (a path, a name, a cell) as a message shows input: quoted, with line breaks, escape sequences and
    other unprintable characters escaped, and cut to about ``limit`` characters (saying how long it was)."""
    text = os.fsdecode(value) if isinstance(value, (bytes, os.PathLike)) else str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{repr(text[:limit])}... ({len(text):,} characters)"


# errors that are the output's, not the program's: the user chooses another output (exit 2)
_UNWRITABLE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT, errno.EFBIG,
                         errno.ECONNREFUSED})


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """Open a binary stream whose content appears at ``path`` only when complete.

    ``-`` means standard output: the content is spooled to a temporary file and
    copied out on success, so a failed run writes nothing there either. A file is
    written beside its destination (beside the file a symbolic link points to) and
    renamed on success, keeping the mode and (where allowed) the owner of a file
    it replaces; on any error the partial file is removed. A character device, a
    FIFO, a socket, a terminal or an open file descriptor (``/dev/stdout``) is
    never replaced: it is written to directly, as the content comes.

    Raises
    ------
    InputError
        The output folder does not exist; the path is a folder or a block device;
        the file it would replace is not writable; or writing fails for a reason of
        the output's: a read-only file system, permission denied, a full disk.
    """
    if str(path) == "-":
        where, opened = "standard output", _spooled()
    else:
        target = Path(path)
        try:
            found: os.stat_result | None = target.stat()  # through a symbolic link
        except OSError:
            found = None  # nothing there yet (or a dangling link): a new file
        mode = found.st_mode if found is not None else stat.S_IFREG
        if stat.S_ISDIR(mode):
            raise InputError(f"output path {shown(target)} is a folder: give a file name, e.g. -o {target / 'scored.csv'}")
        if stat.S_ISBLK(mode):
            raise InputError(f"output path {shown(target)} is a block device (a disk): choose a file")
        if stat.S_ISREG(mode) and not (found is not None and _descriptor(target)):
            target = Path(os.path.realpath(target)) if target.is_symlink() else target
            where, opened = f"{shown(target.parent)}", _aside(target, found)
        else:
            where, opened = f"{shown(target)}", _streamed(target, mode)
    try:
        with opened as handle:
            yield handle
    except OSError as exc:
        if exc.errno not in _UNWRITABLE:
            raise
        raise InputError(f"cannot write to {where}: {os.strerror(exc.errno).lower()}; "
                         "choose another -o path") from None


@contextlib.contextmanager
def _spooled() -> Iterator[IO[bytes]]:
    """Standard output, written only on success (from a temporary file)."""
    with tempfile.TemporaryFile(prefix="twitch-triage-") as spool:
        yield spool
        spool.seek(0)
        shutil.copyfileobj(spool, sys.stdout.buffer, 1 << 20)
        sys.stdout.flush()


@contextlib.contextmanager
def _aside(target: Path, existing: os.stat_result | None) -> Iterator[IO[bytes]]:
    """A regular file, written beside ``target`` and renamed over it when complete, with the mode
    and (where allowed) the owner of the ``existing`` file it replaces."""
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"output folder {shown(folder)} does not exist: create it or choose another -o path")
    # the name is known before the file exists: a signal that lands just after it is created still finds it to remove
    tmp = str(folder / f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        try:  # (a read-only folder fails here)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
        # no write bit for anyone: refused even where access() says yes (as it always does to root)
        if existing is not None and (not existing.st_mode & 0o222 or not os.access(target, os.W_OK)):
            raise InputError(f"output file {shown(target)} is not writable (mode {stat.S_IMODE(existing.st_mode):04o}): "
                             "make it writable or choose another -o path")
        if existing is None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        else:
            with contextlib.suppress(OSError):  # another owner: only root may give the file to them
                os.chown(tmp, existing.st_uid, existing.st_gid)
            os.chmod(tmp, stat.S_IMODE(existing.st_mode))
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _descriptor(path: Path) -> bool:
    """Whether ``path`` leads, through symbolic links, to an open file descriptor (``/dev/stdout``,
    ``/dev/fd/N``, ``/proc/self/fd/N``): a file opened already, to be written to, not replaced."""
    for _ in range(40):  # as many links as the kernel follows
        if re.fullmatch(r"/proc/[^/]+/fd", os.path.realpath(path.parent)):
            return True
        if not path.is_symlink():
            return False
        path = path.parent / os.readlink(path)
    return False


@contextlib.contextmanager
def _streamed(target: Path, mode: int) -> Iterator[IO[bytes]]:
    """A character device, a FIFO, a socket, a terminal or an open file descriptor, written to as it
    is (never replaced; a file behind a descriptor is appended to, as a shell's ``>>`` asks)."""
    if stat.S_ISSOCK(mode):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(target))
            handle = sock.makefile("wb")
    else:
        handle = open(target, "ab")  # a FIFO waits here for its reader
    with handle:
        yield handle


def refuse_output_over_input(source: str | os.PathLike, output: str | os.PathLike) -> None:
    """Raise :class:`InputError` if ``output`` is the file ``source`` (``-``: standard input or output),
    also through a symbolic or a hard link: writing it would destroy what is being read.

    Call it before either is opened: the input is then left as it was.
    """
    ids = [_file_id(path, fd) for path, fd in ((source, 0), (output, 1))]
    if ids[0] is None or ids[0] != ids[1]:
        return
    paths = "-" not in (str(source), str(output))
    link = " (the same file through a link)" if paths and os.fspath(source) != os.fspath(output) else ""
    given = "on standard input" if str(source) == "-" else f"{shown(source)}"
    written = "-" if str(output) == "-" else shown(output)
    raise InputError(f"-o {written} is the input file {given}{link}: "
                     "writing it would destroy the input; choose another -o path")


def _file_id(path: str | os.PathLike, fd: int) -> tuple[int, int] | None:
    """(device, inode) of the regular file at ``path`` (``-``: at ``fd``); None for anything else."""
    try:
        found = os.fstat(fd) if str(path) == "-" else os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino) if stat.S_ISREG(found.st_mode) else None
