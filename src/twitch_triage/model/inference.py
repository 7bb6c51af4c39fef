"""The fitted model's forward pass in numpy alone: what scoring needs, without scikit-learn.

:class:`Network` holds the inference parameters of a fitted pipeline (the encoder's, the network's
float64 weights, the per-output Platt coefficients) as plain arrays, and computes what the pipeline's
``predict_proba`` computes with the same operations on the same whole tiles of rows, so the bits are
the same. :func:`encode` and :func:`sigmoid` are the one definition of those steps, which
:mod:`twitch_triage.model.estimators` uses too.

The first layer, the bulk of the work, is exact: its features and weights lie on binary grids, bounded so that
every sum it forms is a float32 (:func:`exact_first_layer`). Its products are then computed in float32, twice as
fast as in float64, to the same bits on any CPU and in any order; the layers after it, in float64.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

__all__ = ["TILE", "SLICE", "FEATURE_BITS", "encode", "sigmoid", "whole_tiles", "exact_first_layer", "Network"]

TILE = 32  # rows: the network multiplies whole tiles of rows, so every row goes through the same BLAS kernel
# Rows the layers multiply at a time: a whole number of tiles, and few enough that a slice's hidden layer
# (1,024 x 128 float64: 1 MiB) stays in a core's cache beside its features. Measured on a million rows in
# chunks of 6,561: 0.75 s of CPU against 1.28 s in slices of 8,192; the bits are the same (whole tiles).
SLICE = 1024
# The days features are rounded to multiples of 2^-FEATURE_BITS (log1p(days) to 0.8 %, days / 100 to 0.8 day),
# so that their products with weights on a grid lie on a grid too (see exact_first_layer).
FEATURE_BITS = 7
_SIGNIFICAND_BITS = 24  # of a float32: every multiple of 2^-k below 2^(24 - k) in size is one exactly


def _on_grid(values: np.ndarray, bits: int) -> np.ndarray:
    """``values`` rounded to the nearest multiple of 2^-bits (exactly: scaling by a power of two is exact)."""
    return np.round(values * 2.0 ** bits) / 2.0 ** bits


def encode(X: np.ndarray, days_index: int, days_cap: float, dtype: type = np.float64) -> np.ndarray:
    """Answers -> features in which "unknown" is missing information, not "no".

    Columns ``[0, A)`` are "is yes" and ``[A, 2A)`` are "is no" for the A answers in order, so an
    unknown answer is 0 in both; the days answer's two slots hold log1p(days) and days / 100 instead
    (0 when unknown; days above ``days_cap`` read as ``days_cap``), each rounded to a multiple of
    2^-:data:`FEATURE_BITS`, and the last column says whether the days are known. Two whole-matrix
    comparisons and no column gathering keep it fast.

    Parameters
    ----------
    X : ndarray of shape (n_samples, A), float64; 1 yes, 0 no, NaN unknown, days in column ``days_index``.
    dtype : float64, or float32 (every feature is one exactly while ``days_cap`` is below 2^(24 - FEATURE_BITS)).

    Returns
    -------
    ndarray of shape (n_samples, 2 A + 1), of ``dtype``.
    """
    A, d = X.shape[1], days_index
    out = np.empty((X.shape[0], 2 * A + 1), dtype=dtype)
    np.equal(X, 1, out=out[:, :A], casting="unsafe")
    np.equal(X, 0, out=out[:, A:2 * A], casting="unsafe")
    days = X[:, d]
    known = ~np.isnan(days)
    days = np.where(known, np.clip(days, 0, days_cap), 0)
    out[:, d] = _on_grid(np.log1p(days), FEATURE_BITS)
    out[:, A + d] = _on_grid(days / 100.0, FEATURE_BITS)
    out[:, 2 * A] = known
    return out


def sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _feature_bounds(n_answers: int, days_index: int, days_cap: float) -> np.ndarray:
    """The largest size each feature of :func:`encode` can take: 1, or the days features at the cap."""
    bounds = np.ones(2 * n_answers + 1)
    bounds[days_index] = np.log1p(days_cap) + 2.0 ** -FEATURE_BITS  # (rounding may go up by half a step)
    bounds[n_answers + days_index] = days_cap / 100.0 + 2.0 ** -FEATURE_BITS
    return bounds


def _largest_sum(weights: np.ndarray, bias: np.ndarray, bounds: np.ndarray) -> float:
    """A bound on the size of every partial sum of a layer's products (in any order, the bias included)."""
    return float(((np.abs(weights) * bounds[:, None]).sum(axis=0) + np.abs(bias)).max(initial=0.0))


def exact_first_layer(weights: np.ndarray, bias: np.ndarray, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first layer's weights and bias rounded to the finest binary grid on which the layer is exact in
    float32 (see :attr:`Network.exact_in_float32`) for features of :func:`encode` as large as ``features``'
    (the training cases': their days reach the encoder's cap), with one bit to spare.

    Rounding moves a weight by at most half a step (2^-12 for the weights the model learns): the network is
    then calibrated on these weights, and scoring computes with them.

    Raises
    ------
    ValueError
        No grid fits: the weights or the days cap are too large for float32's 24 bits.
    """
    size = _largest_sum(weights, bias, np.abs(features).max(axis=0, initial=1.0))
    bits = _SIGNIFICAND_BITS - FEATURE_BITS - max(math.ceil(math.log2(max(size, 1e-300))), 0) - 1
    if bits < 0:
        raise ValueError(f"a first layer whose sums reach {size:.3g} cannot be made exact in float32")
    return _on_grid(weights, bits), _on_grid(bias, bits)


def _grid_bits(values: np.ndarray, most: int = 60) -> int | None:
    """The smallest k for which every value is a multiple of 2^-k (up to ``most``), or None."""
    for bits in range(most + 1):
        scaled = values * 2.0 ** bits
        if np.array_equal(scaled, np.round(scaled)):
            return bits
    return None


def whole_tiles(features: np.ndarray) -> np.ndarray:
    """``features`` with rows of zeros added up to a whole number of :data:`TILE` rows."""
    padding = -features.shape[0] % TILE
    if not padding:
        return features
    return np.concatenate([features, np.zeros((padding, features.shape[1]), dtype=features.dtype)])


@dataclass(frozen=True, eq=False)
class Network:
    """Encoder, ReLU network and Platt calibration of a fitted pipeline, as arrays.

    Its outputs are P(label) for each label, then P(no label) (the case lacks none of them).

    Parameters
    ----------
    days_index : int
        The days answer's column.
    days_cap : float
        Days above this are read as this many.
    coefs : tuple of ndarray
        Layer weights, ``coefs[0]`` of shape (2 A + 1, hidden), the last of shape (hidden, n_outputs).
    intercepts : tuple of ndarray
        Layer biases, one of shape (width,) per layer.
    slope, intercept : ndarray of shape (n_outputs,)
        Per output, P = sigmoid(slope * logit + intercept).
    float32_first_layer : bool
        Compute the first layer in float32 where that is exact (:attr:`exact_in_float32`); the bits are the
        same either way, float32 is faster.

    Raises
    ------
    ValueError
        One line naming the array whose shape or values do not fit the others.
    """

    days_index: int
    days_cap: float
    coefs: tuple[np.ndarray, ...]
    intercepts: tuple[np.ndarray, ...]
    slope: np.ndarray
    intercept: np.ndarray
    float32_first_layer: bool = True

    def __post_init__(self) -> None:
        if not self.coefs or len(self.coefs) != len(self.intercepts):
            raise ValueError(f"{len(self.coefs)} weight matrices for {len(self.intercepts)} bias vectors")
        arrays = {**{f"coef_{i}": w for i, w in enumerate(self.coefs)},
                  **{f"intercept_{i}": b for i, b in enumerate(self.intercepts)},
                  "slope": self.slope, "intercept": self.intercept}
        dtype = self.coefs[0].dtype
        for name, array in arrays.items():
            if not isinstance(array, np.ndarray) or array.dtype != dtype or array.dtype.kind != "f":
                raise ValueError(f"'{name}' is not an array of {dtype} like 'coef_0'")
            if not np.isfinite(array).all():
                raise ValueError(f"'{name}' holds a value that is not a finite number")
        width = self.coefs[0].shape[0]
        for i, (w, b) in enumerate(zip(self.coefs, self.intercepts)):
            if w.ndim != 2 or w.shape[0] != width or b.shape != (w.shape[1],):
                raise ValueError(f"'coef_{i}' of shape {w.shape} and 'intercept_{i}' of shape {b.shape} "
                                 f"do not follow a layer of width {width}")
            width = w.shape[1]
        if self.slope.shape != (width,) or self.intercept.shape != (width,):
            raise ValueError(f"'slope' {self.slope.shape} and 'intercept' {self.intercept.shape} "
                             f"are not one per output ({width},)")
        if self.coefs[0].shape[0] % 2 != 1:
            raise ValueError(f"'coef_0' has {self.coefs[0].shape[0]} rows, not two per answer and one more")
        if not 0 <= self.days_index < self.n_answers:
            raise ValueError(f"'days_index' {self.days_index} is not one of {self.n_answers} answers")
        if not self.days_cap >= 0:
            raise ValueError(f"'days_cap' {self.days_cap} is not a number of days >= 0")

    @property
    def n_answers(self) -> int:
        return (self.coefs[0].shape[0] - 1) // 2

    @property
    def n_outputs(self) -> int:
        """The labels and P(no label)."""
        return self.coefs[-1].shape[1]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated P(label) for each label, then P(no label), as the fitted pipeline's ``predict_proba``
        gives them.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_answers)

        Returns
        -------
        ndarray of shape (n_samples, n_outputs), in the dtype of the weights.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_answers:
            raise ValueError(f"X must have shape (n, {self.n_answers}), got {X.shape}")
        n = X.shape[0]
        dtype = self.coefs[0].dtype
        features = encode(X, self.days_index, self.days_cap, np.float32 if self.exact_in_float32 else dtype)
        z = np.empty((n, self.n_outputs), dtype=dtype)
        whole = n - n % TILE
        for start in range(0, whole, SLICE):
            stop = min(start + SLICE, whole)
            z[start:stop] = self._layers(features[start:stop])
        if whole < n:  # the last rows, padded with rows of zeros to a whole tile
            z[whole:] = self._layers(whole_tiles(features[whole:]))[:n - whole]
        z *= self.slope
        z += self.intercept
        return sigmoid(z)

    def _layers(self, features: np.ndarray) -> np.ndarray:
        """The layers' output (before calibration) for whole tiles of encoded rows."""
        z = features
        coefs, intercepts = self.coefs, self.intercepts
        if self.exact_in_float32:  # the first layer in float32, to the bits float64 gives (see exact_first_layer)
            coefs, intercepts = (self._first_layer32[0], *coefs[1:]), (self._first_layer32[1], *intercepts[1:])
        last = len(coefs) - 1
        for i, (w, b) in enumerate(zip(coefs, intercepts)):
            z = z @ w
            z += b
            if i < last:
                np.maximum(z, 0, out=z)  # ReLU; the output layer is the identity
            if i == 0:
                z = z.astype(self.coefs[0].dtype, copy=False)
        return z

    @property
    def exact_in_float32(self) -> bool:
        """Whether the first layer is exact in float32: its weights and bias on a grid of 2^-k, and every sum of
        their products with the features (on a grid of 2^-FEATURE_BITS, or 0 and 1) below 2^(24 - k -
        FEATURE_BITS) in size, so a multiple of 2^-(k + FEATURE_BITS) that float32 holds exactly. A network
        trained by :mod:`~twitch_triage.model.estimators` is (see :func:`exact_first_layer`)."""
        return self._first_layer32 is not None

    @functools.cached_property
    def _first_layer32(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The first layer's weights and bias in float32 when it is exact there (checked once), else None."""
        weights, bias = self.coefs[0], self.intercepts[0]
        if not self.float32_first_layer or weights.dtype != np.float64:
            return None
        bits = _grid_bits(np.concatenate([weights.ravel(), bias]))
        size = _largest_sum(weights, bias, _feature_bounds(self.n_answers, self.days_index, self.days_cap))
        if bits is None or not size < 2.0 ** (_SIGNIFICAND_BITS - bits - FEATURE_BITS):
            return None
        return weights.astype(np.float32), bias.astype(np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        """The parameters as named arrays (for ``np.savez``); :meth:`from_arrays` reads them back."""
        return {
            "days_index": np.asarray(self.days_index, dtype=np.int64),
            "days_cap": np.asarray(self.days_cap, dtype=np.float64),
            **{f"coef_{i}": w for i, w in enumerate(self.coefs)},
            **{f"intercept_{i}": b for i, b in enumerate(self.intercepts)},
            "slope": self.slope,
            "intercept": self.intercept,
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Network:
        """The network whose :meth:`arrays` these are; raises ``ValueError`` naming a missing or odd array."""
        layers = 0
        while f"coef_{layers}" in arrays:
            layers += 1
        for name in ("days_index", "days_cap", "coef_0", "slope", "intercept",
                     *(f"intercept_{i}" for i in range(layers))):
            if name not in arrays:
                raise ValueError(f"no array '{name}'")
        days_index, days_cap = arrays["days_index"], arrays["days_cap"]
        if days_index.shape != () or days_index.dtype.kind not in "iu":
            raise ValueError("'days_index' is not one whole number")
        if days_cap.shape != () or days_cap.dtype.kind != "f":
            raise ValueError("'days_cap' is not one number")
        return cls(days_index=int(days_index), days_cap=float(days_cap),
                   coefs=tuple(arrays[f"coef_{i}"] for i in range(layers)),
                   intercepts=tuple(arrays[f"intercept_{i}"] for i in range(layers)),
                   slope=arrays["slope"], intercept=arrays["intercept"])
