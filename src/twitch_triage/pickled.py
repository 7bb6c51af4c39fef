"""Read the joblib bundle back, building nothing but what a twitch-triage model is made of."""

from __future__ import annotations

import inspect
import pickle
from pathlib import Path
from typing import Any

import numpy as np
from joblib.numpy_pickle import NumpyArrayWrapper, NumpyUnpickler
from joblib.numpy_pickle_utils import _validate_fileobject_and_memmap

__all__ = ["MODEL_GLOBALS", "Refused", "load"]

# Every global a bundle written by `artifact.save` refers to: unpickling builds these and nothing else (as
# skops.io loads only its trusted types), so a planted file cannot reach os.system, eval or any other callable.
MODEL_GLOBALS = frozenset({
    ("joblib.numpy_pickle", "NumpyArrayWrapper"),
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.random._mt19937", "MT19937"),
    ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random._pickle", "__randomstate_ctor"),
    ("sklearn.pipeline", "Pipeline"),
    ("sklearn.neural_network._multilayer_perceptron", "MLPRegressor"),
    ("sklearn.neural_network._stochastic_optimizers", "AdamOptimizer"),
    ("sklearn.linear_model._logistic", "LogisticRegression"),
    ("sklearn.isotonic", "IsotonicRegression"),
    ("twitch_triage.model", "AnswerEncoder"),
    ("twitch_triage.model", "DistilledMultiLabel"),
})


class Refused(pickle.UnpicklingError):
    """A bundle that holds something a model built by `artifact.save` never holds."""


class _ModelUnpickler(NumpyUnpickler):
    """joblib's unpickler, limited to :data:`MODEL_GLOBALS` and to arrays of numbers."""

    dispatch = NumpyUnpickler.dispatch.copy()

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in MODEL_GLOBALS:
            raise Refused(f"refers to {module}.{name}, which is not part of a twitch-triage model")
        return super().find_class(module, name)

    def load_build(self) -> None:
        instance, state = self.stack[-2], self.stack[-1]
        if isinstance(instance, type) or inspect.isroutine(instance):  # would change it for the whole process
            raise Refused(f"sets attributes of {getattr(instance, '__qualname__', instance)}, "
                          "which a twitch-triage model never does")
        if isinstance(instance, NumpyArrayWrapper):  # joblib reads an array of objects with a plain pickle.load
            dtype = state.get("dtype") if isinstance(state, dict) else None
            if not isinstance(dtype, np.dtype) or dtype.hasobject:
                raise Refused("holds an array of Python objects, which is not part of a twitch-triage model")
        NumpyUnpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = load_build


def load(path: Path) -> Any:
    """``joblib.load(path)`` that builds only what a twitch-triage model is made of; raises :class:`Refused`."""
    with path.open("rb") as handle, _validate_fileobject_and_memmap(handle, str(path)) as (stream, _):
        return _ModelUnpickler(str(path), stream, ensure_native_byte_order=True).load()
