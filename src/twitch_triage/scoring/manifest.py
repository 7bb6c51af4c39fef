"""The manifest of a run over shards: ``manifest.json`` (every shard's record, compacted) and a journal beside it
that a run appends one line to per finished shard; the output folder's lock; what this command wrote there."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import stat
from pathlib import Path
from typing import Any

from ..io.files import InputError, atomic_output, shown

__all__ = ["SHARD_MANIFEST_NAME", "JOURNAL_NAME", "WRITTEN_BY", "FORCE", "lock", "read", "is_ours", "is_regular",
           "valid", "Journal", "compact"]

SHARD_MANIFEST_NAME = "manifest.json"
JOURNAL_NAME = ".manifest.journal"  # one JSON record a line, appended as shards finish; folded into the manifest
WRITTEN_BY = "twitch-triage score"
FORCE = "rerun with --force to score every shard again"
_OURS = (b'{\n "written_by": "twitch-triage score"', b'{\n "shards": {')  # how our manifests begin (then and now)
_STATUSES = ("done", "failed")
_TYPES: dict[str, tuple[type, ...]] = {
    "input": (str,), "path": (str,), "size": (int, type(None)), "sha256": (str, type(None)),
    "model_sha256": (str,), "kb_sha256": (str,), "strict": (bool,), "error": (str, type(None)),
}
_DONE_TYPES: dict[str, tuple[type, ...]] = {
    "rows_in": (int,), "rows_out": (int,), "rows_with_invalid_cells": (int,), "dispositions": (dict,),
    "warnings": (list,), "output_size": (int,),
}


def lock(folder: Path) -> int:
    """An exclusive lock on the output ``folder`` (a descriptor to close when the run ends).

    Raises
    ------
    InputError
        Another run holds it.
    """
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise InputError(f"another twitch-triage score is writing into {shown(folder)}: wait until it ends, "
                             "or choose another output folder") from None
        raise
    return fd


def valid(record: Any, name: str) -> bool:
    """Whether ``record`` is a shard record as this command writes it, for the shard ``name``."""
    if not isinstance(record, dict) or record.get("input") != name or record.get("status") not in _STATUSES:
        return False
    types = {**_TYPES, **(_DONE_TYPES if record["status"] == "done" else {})}
    if not all(isinstance(record.get(key), kinds) and not (isinstance(record.get(key), bool) and bool not in kinds)
               for key, kinds in types.items()):
        return False
    if record["status"] == "done":
        return all(isinstance(k, str) and type(v) is int for k, v in record["dispositions"].items()) and \
            all(isinstance(w, str) for w in record["warnings"]) and \
            isinstance(record.get("output_sha256", ""), str)
    return True


def is_regular(path: Path) -> bool:
    """Whether ``path`` is there as a regular file (not a link, a FIFO, a device...); refused if it is something else."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(found.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(found.st_mode) else "not a regular file"
        raise InputError(f"{shown(path)} is {kind}: this command writes only regular files of its own in the output "
                         "folder; remove it, or choose another folder")
    return True


def is_ours(path: Path) -> bool:
    """Whether the file at ``path`` begins as a manifest of this command begins (also when cut short)."""
    with open(path, "rb") as handle:
        return handle.read(64).startswith(_OURS)


def read(folder: Path, *, force: bool) -> dict[str, dict]:
    """The records of the previous runs into ``folder``: its manifest, then its journal (a run killed before it
    compacted it); none with ``force``. A file there that this command did not write is never replaced.

    Raises
    ------
    InputError
        The manifest is not this command's (even with ``force``), or is unreadable or holds a record this
        command did not write (unless ``force``).
    """
    path, journal = folder / SHARD_MANIFEST_NAME, folder / JOURNAL_NAME
    records: dict[str, dict] = {}
    if is_regular(path):
        if not is_ours(path):
            raise InputError(f"{shown(path)} is not a manifest this command wrote: it is never replaced, also not "
                             "with --force; choose another output folder")
        if not force:
            try:
                manifest = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError, RecursionError) as exc:
                raise InputError(f"the manifest {shown(path)} is unreadable ({type(exc).__name__}): remove it, "
                                 f"or {FORCE}") from None
            shards = manifest.get("shards") if isinstance(manifest, dict) else None
            if not isinstance(shards, dict):
                raise InputError(f"the manifest {shown(path)} is not one this command wrote: remove it, or {FORCE}")
            for name, record in shards.items():
                if not valid(record, name):
                    raise InputError(f"the manifest {shown(path)} holds a record of {shown(name, 80)} this command "
                                     f"did not write (edited?): remove it, or {FORCE}")
            records = shards
    if is_regular(journal) and not force:
        with open(journal, "rb") as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                except (ValueError, RecursionError):
                    continue  # the last line of a run killed while writing it: that shard is scored again
                if isinstance(record, dict) and valid(record, record.get("input")):
                    records[record["input"]] = record
    return records


class Journal:
    """The journal of a run: one line per finished shard, appended (O(the record), whatever the run's size)."""

    def __init__(self, folder: Path):
        self.path = folder / JOURNAL_NAME
        is_regular(self.path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o666)

    def add(self, record: dict) -> None:
        os.write(self._fd, (json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8"))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def compact(folder: Path, records: dict[str, dict]) -> None:
    """Write every record into ``manifest.json`` (aside, then renamed), then drop the journal."""
    path = folder / SHARD_MANIFEST_NAME
    is_regular(path)
    with atomic_output(path) as sink:
        sink.write((json.dumps({"written_by": WRITTEN_BY, "shards": dict(sorted(records.items()))}, indent=1)
                    + "\n").encode("utf-8"))
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / JOURNAL_NAME)
