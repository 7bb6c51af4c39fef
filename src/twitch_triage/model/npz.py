"""Check ``model.npz`` against the members its manifest lists, before any array is inflated."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["MAX_ARRAYS_BYTES", "members", "check_members"]

MAX_ARRAYS_BYTES = 64 << 20  # model.npz holds a few MB of weights; more than this is not a twitch-triage model


def members(path: Path) -> dict[str, int]:
    """The members of an ``.npz`` file and their sizes in bytes, as its zip directory says (nothing is inflated):
    what ``save`` records in the manifest (``inference_members``), and what :func:`check_members` checks."""
    with zipfile.ZipFile(path) as archive:
        return {info.filename: info.file_size for info in archive.infolist()}


def _quoted(name: str, at: int = 60) -> str:
    """A member's name for an error line: escaped as Python writes it, cut after ``at`` characters."""
    return repr(name[:at]) + ("…" if len(name) > at else "")


def check_members(path: Path, listed: dict[str, int]) -> None:
    """Before anything is inflated: ``model.npz`` holds exactly the ``listed`` members, stored or deflated (as
    ``np.savez`` and ``np.savez_compressed`` write them), each of the listed size, all together at most
    :data:`MAX_ARRAYS_BYTES` (whoever alters the file can alter the manifest, not this bound; and ``zipfile`` never
    inflates a member beyond its listed size), and each ``.npy`` header announces an array of numbers or text that
    fills its member exactly.

    Raises
    ------
    ValueError
        What is wrong, as the end of a sentence that starts with the file ("its member ... is ...").
    zipfile.BadZipFile, OSError, EOFError
        The file is not a readable zip.
    """
    total = sum(listed.values())
    if total > MAX_ARRAYS_BYTES or any(size < 0 for size in listed.values()):
        raise ValueError(f"its manifest lists {total:,} bytes of arrays, more than a model holds "
                         f"({MAX_ARRAYS_BYTES:,})")
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        if len(names) != len(set(names)):
            raise ValueError("it holds a member twice")
        extra, lacking = sorted(set(names) - set(listed)), sorted(set(listed) - set(names))
        if extra or lacking:
            which = f"holds {_quoted(extra[0])}, which" if extra else f"lacks {_quoted(lacking[0])}, which"
            raise ValueError(f"its arrays are not the ones its manifest lists: it {which} its manifest "
                             f"{'does not list' if extra else 'lists'}")
        for info in infos:
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
                raise ValueError(f"its member {_quoted(info.filename)} is compressed in a way or encrypted, which "
                                 "numpy never writes")
            if info.file_size != listed[info.filename]:
                raise ValueError(f"its member {_quoted(info.filename)} is not the size its manifest lists")
            with archive.open(info) as member:
                version = np.lib.format.read_magic(member)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(member)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(member)
                else:
                    raise ValueError(f"its member {_quoted(info.filename)} is an .npy file of version {version}")
                if dtype.hasobject or dtype.kind not in "biufU":
                    raise ValueError(f"its member {_quoted(info.filename)} holds {dtype}, not numbers or text")
                if member.tell() + math.prod(shape) * dtype.itemsize != info.file_size:
                    raise ValueError(f"its member {_quoted(info.filename)} announces an array of shape {shape}, "
                                     "which is not the size of its data")
