"""The SHA-256 of a file: one definition for every checksum of a file the package writes or checks."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["file_sha256"]


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of the file at ``path``, in hexadecimal, read in blocks (memory stays small whatever its size).

    Raises
    ------
    OSError
        The file cannot be read; callers say what that means for them.
    """
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
