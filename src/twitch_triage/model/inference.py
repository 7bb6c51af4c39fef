"""The fitted model's forward pass in numpy alone: what scoring needs, without scikit-learn.

:class:`Network` holds the inference parameters of a fitted pipeline (the encoder's, the network's
float64 weights, the per-output Platt coefficients) as plain arrays, and computes what the pipeline's
``predict_proba`` computes with the same float64 operations on the same whole tiles of rows, so the
bits are the same. :func:`encode` and :func:`sigmoid` are the one definition of those steps, which
:mod:`twitch_triage.model.estimators` uses too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

__all__ = ["TILE", "SLICE", "encode", "sigmoid", "whole_tiles", "Network"]

TILE = 32  # rows: the network multiplies whole tiles of rows, so every row goes through the same BLAS kernel
# Rows the layers multiply at a time: a whole number of tiles, and few enough that a slice's hidden layer
# (1,024 x 128 float64: 1 MiB) stays in a core's cache beside its features. Measured on a million rows in
# chunks of 6,561: 0.75 s of CPU against 1.28 s in slices of 8,192; the bits are the same (whole tiles).
SLICE = 1024


def encode(X: np.ndarray, days_index: int, days_cap: float) -> np.ndarray:
    """Answers -> features in which "unknown" is missing information, not "no".

    Columns ``[0, A)`` are "is yes" and ``[A, 2A)`` are "is no" for the A answers in order, so an
    unknown answer is 0 in both; the days answer's two slots hold log1p(days) and days / 100 instead
    (0 when unknown; days above ``days_cap`` read as ``days_cap``), and the last column says whether
    the days are known. Two whole-matrix comparisons and no column gathering keep it fast.

    Parameters
    ----------
    X : ndarray of shape (n_samples, A), float64; 1 yes, 0 no, NaN unknown, days in column ``days_index``.

    Returns
    -------
    ndarray of shape (n_samples, 2 A + 1), float64.
    """
    A, d = X.shape[1], days_index
    out = np.empty((X.shape[0], 2 * A + 1))
    np.equal(X, 1, out=out[:, :A], casting="unsafe")
    np.equal(X, 0, out=out[:, A:2 * A], casting="unsafe")
    days = X[:, d]
    known = ~np.isnan(days)
    days = np.where(known, np.clip(days, 0, days_cap), 0)
    out[:, d] = np.log1p(days)
    out[:, A + d] = days / 100.0
    out[:, 2 * A] = known
    return out


def sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


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
        features = encode(X, self.days_index, self.days_cap).astype(self.coefs[0].dtype, copy=False)
        z = np.empty((n, self.n_outputs), dtype=features.dtype)
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
        last = len(self.coefs) - 1
        for i, (w, b) in enumerate(zip(self.coefs, self.intercepts)):
            z = z @ w
            z += b
            if i < last:
                np.maximum(z, 0, out=z)  # ReLU; the output layer is the identity
        return z

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
