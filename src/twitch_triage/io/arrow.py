"""Arrow arrays to and from numpy arrays and text, through their buffers.

pyarrow imports pandas (when it is installed) the first time it converts a list, a numpy array or a
Python scalar to Arrow, or an Arrow array to numpy: about 0.2 s of a scoring process's start-up,
for nothing it needs. These build and read the same arrays from their buffers instead.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa

__all__ = ["from_numpy", "to_numpy", "texts", "text"]

_TYPES = {np.dtype(np.bool_): pa.bool_(), np.dtype(np.int32): pa.int32(), np.dtype(np.int64): pa.int64()}
_NUMBERS = {pa.int32(): np.int32, pa.int64(): np.int64, pa.float32(): np.float32, pa.float64(): np.float64}


def from_numpy(values: np.ndarray) -> pa.Array:
    """A one-dimensional bool, int32 or int64 array as the Arrow array of its type (no nulls)."""
    values = np.ascontiguousarray(values)
    kind = _TYPES.get(values.dtype)
    if kind is None or values.ndim != 1:
        raise TypeError(f"from_numpy takes a one-dimensional bool, int32 or int64 array, not {values.ndim}-d "
                        f"{values.dtype}")
    data = np.packbits(values, bitorder="little") if kind == pa.bool_() else values
    return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(data)])


def _bits(buffer: pa.Buffer, offset: int, n: int) -> np.ndarray:
    """``n`` bits of a bitmap from bit ``offset``, as bools."""
    bits = np.unpackbits(np.frombuffer(buffer, dtype=np.uint8), count=offset + n, bitorder="little")
    return bits[offset:].view(np.bool_)


def to_numpy(values: pa.Array) -> np.ndarray:
    """A boolean or numeric Arrow array as numpy: booleans as bools (null as False); numbers in their own
    type, or as float64 with NaN for null when there are nulls (as ``pa.Array.to_numpy`` gives them)."""
    n, offset = len(values), values.offset
    validity, data = values.buffers()[:2]
    if values.type == pa.bool_():
        out = _bits(data, offset, n) if n else np.zeros(0, dtype=bool)
        return out & _bits(validity, offset, n) if values.null_count else out
    dtype = _NUMBERS.get(values.type)
    if dtype is None:
        raise TypeError(f"to_numpy takes a boolean, int32, int64, float32 or float64 array, not {values.type}")
    out = np.frombuffer(data, dtype=dtype, count=offset + n)[offset:] if n else np.zeros(0, dtype=dtype)
    if not values.null_count:
        return out
    return np.where(_bits(validity, offset, n), out, np.nan)


def texts(items: Sequence[str | None]) -> pa.Array:
    """Text (None for null) as an Arrow string array."""
    encoded = [b"" if item is None else item.encode("utf-8") for item in items]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    valid = np.array([item is not None for item in items], dtype=bool)
    nulls = len(valid) - int(np.count_nonzero(valid))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    return pa.Array.from_buffers(pa.string(), len(encoded), [bitmap, pa.py_buffer(offsets),
                                                             pa.py_buffer(b"".join(encoded))], null_count=nulls)


def text(item: str | None) -> pa.Scalar:
    """Text (None for null) as an Arrow string scalar, for pyarrow.compute's arguments."""
    return texts([item])[0]
