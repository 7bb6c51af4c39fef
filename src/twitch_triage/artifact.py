"""Save and load the joblib bundle, its JSON manifest, and the integrity checks between them."""

from __future__ import annotations

import datetime as _dt
import hashlib
import inspect
import json
import pickle
import platform
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from joblib.numpy_pickle import NumpyArrayWrapper, NumpyUnpickler
from joblib.numpy_pickle_utils import _validate_fileobject_and_memmap
from sklearn.exceptions import InconsistentVersionWarning
from sklearn.pipeline import Pipeline

from . import __version__, config
from .csvio import atomic_output

__all__ = ["ArtifactError", "Predictor", "save", "load", "bundle_path", "manifest_path", "versions"]

BUNDLE_NAME = "model.joblib"
MANIFEST_NAME = "manifest.json"
_FIX = "run `make train` to rebuild it"

# Every global a bundle written by `save` refers to: unpickling builds these and nothing else (as skops.io
# loads only its trusted types), so a planted file cannot reach os.system, eval or any other callable.
_MODEL_GLOBALS = frozenset({
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
# The manifest's fields as `save` writes them, each with its type and that of its items (or values);
# a field that is there must have them.
_MANIFEST_TYPES: dict[str, tuple[type, type | tuple[type, ...] | None]] = {
    "file": (str, None), "sha256": (str, None), "labels": (list, str), "answer_ids": (list, str),
    "thresholds": (list, (int, float)), "versions": (dict, str), "created": (str, None), "kb_sha256": (str, None),
    "kb_path": (str, None), "train_seed": (int, None), "train_n": (int, None), "model": (str, None),
    "metrics": (dict, None), "train_seconds": (dict, None),
}
_JSON_NAMES = {dict: "an object", list: "a list", str: "text", int: "a whole number", (int, float): "a number",
               float: "a number", bool: "true or false", type(None): "null"}


class ArtifactError(RuntimeError):
    """The model is missing, altered or from other library versions; the message says what to run."""


def bundle_path(folder: str | Path | None = None) -> Path:
    return Path(folder or config.MODELS_DIR) / BUNDLE_NAME


def manifest_path(folder: str | Path | None = None) -> Path:
    return Path(folder or config.MODELS_DIR) / MANIFEST_NAME


def code_fingerprint() -> str:
    """SHA-256 of the modules whose classes are pickled in the bundle: a change there needs a retrain."""
    digest = hashlib.sha256()
    for name in ("model.py",):
        digest.update((Path(__file__).with_name(name)).read_bytes())
    return digest.hexdigest()


def versions() -> dict[str, str]:
    """The library versions a bundle depends on, and the fingerprint of the pickled model code."""
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "joblib": joblib.__version__,
        "twitch-triage": __version__,
        "model-code": code_fingerprint(),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise ArtifactError(f"cannot read the model file {path} ({exc.strerror or exc}): {_FIX}") from None
    return digest.hexdigest()


class _Refused(pickle.UnpicklingError):
    """A bundle that holds something a model built by `save` never holds."""


class _ModelUnpickler(NumpyUnpickler):
    """joblib's unpickler, limited to :data:`_MODEL_GLOBALS` and to arrays of numbers."""

    dispatch = NumpyUnpickler.dispatch.copy()

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _MODEL_GLOBALS:
            raise _Refused(f"refers to {module}.{name}, which is not part of a twitch-triage model")
        return super().find_class(module, name)

    def load_build(self) -> None:
        instance, state = self.stack[-2], self.stack[-1]
        if isinstance(instance, type) or inspect.isroutine(instance):  # would change it for the whole process
            raise _Refused(f"sets attributes of {getattr(instance, '__qualname__', instance)}, "
                           "which a twitch-triage model never does")
        if isinstance(instance, NumpyArrayWrapper):  # joblib reads an array of objects with a plain pickle.load
            dtype = state.get("dtype") if isinstance(state, dict) else None
            if not isinstance(dtype, np.dtype) or dtype.hasobject:
                raise _Refused("holds an array of Python objects, which is not part of a twitch-triage model")
        NumpyUnpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = load_build


def _unpickle(path: Path) -> Any:
    """``joblib.load(path)`` that builds only what a twitch-triage model is made of; raises :class:`_Refused`."""
    with path.open("rb") as handle, _validate_fileobject_and_memmap(handle, str(path)) as (stream, _):
        return _ModelUnpickler(str(path), stream, ensure_native_byte_order=True).load()


@dataclass
class Predictor:
    """A fitted model rebuilt from its bundle alone: answers in, calibrated probabilities out."""

    pipeline: Any
    labels: tuple[str, ...]
    answer_ids: tuple[str, ...]
    thresholds: np.ndarray
    metadata: dict = field(default_factory=dict)
    stale: bool = False

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(label | answers).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_answers), columns in ``answer_ids`` order.

        Returns
        -------
        ndarray of shape (n_samples, n_labels), values in [0, 1].
        """
        X = np.asarray(X, dtype=np.float64)
        if X.shape[0] == 0:
            return np.zeros((0, len(self.labels)))
        return np.clip(self.pipeline.predict_proba(X), 0.0, 1.0)

    @property
    def kb_sha256(self) -> str:
        return self.metadata.get("kb_sha256", "")


def save(predictor: Predictor, folder: str | Path | None = None) -> Path:
    """Write ``model.joblib`` and ``manifest.json`` (SHA-256 + metadata) into ``folder``, atomically."""
    folder = Path(folder or config.MODELS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    metadata = {
        **predictor.metadata,
        "labels": list(predictor.labels),
        "answer_ids": list(predictor.answer_ids),
        "thresholds": [round(float(t), 6) for t in predictor.thresholds],
        "versions": versions(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    bundle = {
        "pipeline": predictor.pipeline,
        "labels": tuple(predictor.labels),
        "answer_ids": tuple(predictor.answer_ids),
        "thresholds": np.asarray(predictor.thresholds, dtype=float),
        "metadata": metadata,
    }
    with atomic_output(bundle_path(folder)) as handle:  # written aside, renamed when complete
        joblib.dump(bundle, handle, compress=3)
    manifest = {"file": BUNDLE_NAME, "sha256": _sha256(bundle_path(folder)), **metadata}
    with atomic_output(manifest_path(folder)) as handle:
        handle.write((json.dumps(manifest, indent=2, sort_keys=False) + "\n").encode("utf-8"))
    predictor.metadata = metadata
    return bundle_path(folder)


def _type_problem(value: Any, expected: type | tuple[type, ...]) -> str | None:
    """Why ``value`` is not of the ``expected`` JSON type (true/false is not a number), or None."""
    if isinstance(value, expected) and not (isinstance(value, bool) and expected is not bool):
        return None
    return f"{_JSON_NAMES.get(type(value), type(value).__name__)}, not {_JSON_NAMES[expected]}"


def _check_manifest(manifest: Any, path: Path) -> dict:
    """The manifest, if it is an object with a checksum and its fields have the types `save` writes."""
    if not isinstance(manifest, dict):
        raise ArtifactError(f"the model manifest {path} is not a JSON object: {_FIX}")
    if "sha256" not in manifest:
        raise ArtifactError(f"the model manifest {path} has no checksum: {_FIX}")
    for name, (kind, item) in _MANIFEST_TYPES.items():
        if name not in manifest:
            continue
        value = manifest[name]
        problem = _type_problem(value, kind)
        if problem:
            problem = f"is {problem}"
        elif item is not None:
            items = value.values() if isinstance(value, dict) else value
            problem = next((f"holds {p}" for v in items if (p := _type_problem(v, item))), None)
        if problem:
            raise ArtifactError(f"the model manifest {path} is malformed: '{name}' {problem}: {_FIX}")
    return manifest


def read_manifest(folder: str | Path | None = None) -> dict:
    path = manifest_path(folder)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"no model in {path.parent}/: {_FIX}") from None
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"the model manifest {path} is unreadable ({type(exc).__name__}): {_FIX}") from None
    return _check_manifest(manifest, path)


def load(folder: str | Path | None = None, *, kb_sha256: str | None = None) -> Predictor:
    """Load the model after checking it.

    The manifest must be well formed, the bundle's SHA-256 must match it and
    its library versions must match this environment, all checked before
    anything is unpickled. Unpickling then builds only the classes a model is
    made of (:data:`_MODEL_GLOBALS`) and arrays of numbers: a file that refers
    to anything else (``os.system``, ``eval``, ...) is refused before it runs,
    whatever its checksum. ``kb_sha256``, when given, marks the predictor
    ``stale`` if the knowledge base changed since training.

    Raises
    ------
    ArtifactError
        One line that says what is wrong and to run ``make train``.
    """
    folder = Path(folder or config.MODELS_DIR)
    manifest = read_manifest(folder)
    path = bundle_path(folder)
    if not path.is_file():
        raise ArtifactError(f"no model file {path}: {_FIX}")
    if _sha256(path) != manifest["sha256"]:
        raise ArtifactError(f"the model file {path} does not match its manifest checksum (altered or corrupt): {_FIX}")
    expected = manifest.get("versions", {})
    here = versions()
    for lib in ("scikit-learn", "numpy", "joblib"):
        if expected.get(lib) != here[lib]:
            raise ArtifactError(
                f"the model was built with {lib} {expected.get(lib)} but {here[lib]} is installed: {_FIX}"
            )
    if expected.get("model-code") != here["model-code"]:
        raise ArtifactError(f"the model was built by another version of twitch_triage/model.py: {_FIX}")
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        try:
            bundle = _unpickle(path)
        except _Refused as exc:
            raise ArtifactError(f"the model file {path} {exc}, so it was not loaded (it was not written by "
                                f"`make train`, or was altered since): {_FIX}") from None
        except InconsistentVersionWarning as exc:
            raise ArtifactError(f"the model was pickled by another scikit-learn ({exc.original_sklearn_version}): {_FIX}") from None
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means: rebuild
            raise ArtifactError(f"the model file {path} cannot be loaded ({type(exc).__name__}): {_FIX}") from None
    try:
        predictor = Predictor(
            pipeline=bundle["pipeline"],
            labels=tuple(bundle["labels"]),
            answer_ids=tuple(bundle["answer_ids"]),
            thresholds=np.asarray(bundle["thresholds"], dtype=float),
            metadata=dict(bundle["metadata"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"the model file {path} lacks {exc}: {_FIX}") from None
    if not isinstance(predictor.pipeline, Pipeline):
        raise ArtifactError(f"the model file {path} holds no scikit-learn pipeline: {_FIX}")
    if predictor.labels != config.LABELS:
        raise ArtifactError(f"the model's labels {predictor.labels} differ from the contract's: {_FIX}")
    if kb_sha256 is not None and predictor.kb_sha256 != kb_sha256:
        predictor.stale = True
    return predictor
