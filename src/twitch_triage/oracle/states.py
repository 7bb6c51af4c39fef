"""The 0/1 states of n items (deficiencies, risk factors, triggers), in the order the oracle numbers them."""

from __future__ import annotations

import numpy as np

__all__ = ["binary_states"]


def binary_states(n: int) -> np.ndarray:
    """All 2^n states of ``n`` yes/no items as rows of 0.0/1.0: state s has item i = bit i of s.

    Returns
    -------
    ndarray of shape (2^n, n), float64; row 0 is all zeros.
    """
    s = np.arange(2**n)
    return ((s[:, None] >> np.arange(n)[None, :]) & 1).astype(np.float64)
