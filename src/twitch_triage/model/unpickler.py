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
    ("twitch_triage.model.estimators", "AnswerEncoder"),
    ("twitch_triage.model.estimators", "DistilledMultiLabel"),
})


class Refused(pickle.UnpicklingError):
    """A bundle that holds something a model built by `artifact.save` never holds."""


def _check_dtype(dtype: Any) -> None:
    """A dtype a model's arrays have: plain numbers, booleans or text. Not objects, not records (fields or
    sub-arrays): a record dtype can be given an object field by ``__setstate__`` with flags that hide it, and an
    array of it then reads raw bytes as object pointers (touching one crashes the process)."""
    if not isinstance(dtype, np.dtype) or dtype.hasobject or dtype.kind not in _PLAIN_KINDS \
            or dtype.fields is not None or dtype.subdtype is not None:
        raise Refused(f"holds the numpy type {dtype!r}, with fields or Python objects, which is not part of a "
                      "twitch-triage model")


_PLAIN_KINDS = "biufcUS"  # bool, integers, floats, complex, text


class _ModelUnpickler(NumpyUnpickler):
    """joblib's unpickler, limited to :data:`MODEL_GLOBALS` and to arrays of numbers.

    An array is made only by joblib, from the bytes after a ``NumpyArrayWrapper`` whose dtype is checked: an
    array that the pickle itself builds (``numpy.ndarray(shape, dtype, buffer)``, ``ndarray.__new__``, or an
    array's ``__setstate__``) is refused, and so is every dtype but a plain one, checked after it is made and
    after each ``__setstate__``.
    """

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
        if isinstance(instance, np.ndarray):
            raise Refused("sets an array's memory and type itself (__setstate__), which a twitch-triage model never "
                          "does")
        if isinstance(instance, NumpyArrayWrapper):  # joblib reads an array of objects with a plain pickle.load
            dtype = state.get("dtype") if isinstance(state, dict) else None
            if not isinstance(dtype, np.dtype) or dtype.hasobject:
                raise Refused("holds an array of Python objects, which is not part of a twitch-triage model")
            _check_dtype(dtype)
        NumpyUnpickler.load_build(self)
        if isinstance(instance, np.dtype):
            _check_dtype(instance)

    def _made(self, opcode: bytes) -> None:
        """Run the opcode that calls a class or function (REDUCE, NEWOBJ, ...), refusing arrays and dtypes but plain
        ones among what it makes."""
        at = {pickle.REDUCE: -2, pickle.NEWOBJ: -2, pickle.NEWOBJ_EX: -3}.get(opcode)
        made_by = self.stack[at] if at is not None and len(self.stack) >= -at else None
        if isinstance(made_by, type) and issubclass(made_by, np.ndarray):
            raise Refused("builds an array from raw memory itself, which a twitch-triage model never does")
        _ORIGINAL[opcode[0]](self)
        made = self.stack[-1]
        if isinstance(made, np.ndarray):
            raise Refused("builds an array itself, which a twitch-triage model never does")
        if isinstance(made, np.dtype):
            _check_dtype(made)

    dispatch[pickle.BUILD[0]] = load_build


_ORIGINAL = {code[0]: NumpyUnpickler.dispatch[code[0]]
             for code in (pickle.REDUCE, pickle.NEWOBJ, pickle.NEWOBJ_EX, pickle.OBJ, pickle.INST)}
for _code in (pickle.REDUCE, pickle.NEWOBJ, pickle.NEWOBJ_EX, pickle.OBJ, pickle.INST):
    _ModelUnpickler.dispatch[_code[0]] = lambda self, _code=_code: self._made(_code)


def load(path: Path) -> Any:
    """``joblib.load(path)`` that builds only what a twitch-triage model is made of; raises :class:`Refused`."""
    with path.open("rb") as handle, _validate_fileobject_and_memmap(handle, str(path)) as (stream, _):
        return _ModelUnpickler(str(path), stream, ensure_native_byte_order=True).load()
