"""Save and load the joblib bundle, its JSON manifest, and the integrity checks between them."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.exceptions import InconsistentVersionWarning

from . import __version__, config
from .csvio import atomic_output

__all__ = ["ArtifactError", "Predictor", "save", "load", "bundle_path", "manifest_path", "versions"]

BUNDLE_NAME = "model.joblib"
MANIFEST_NAME = "manifest.json"
_FIX = "run `make train` to rebuild it"


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
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def read_manifest(folder: str | Path | None = None) -> dict:
    path = manifest_path(folder)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"no model in {path.parent}/: {_FIX}") from None
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"the model manifest {path} is unreadable ({type(exc).__name__}): {_FIX}") from None
    if not isinstance(manifest, dict) or "sha256" not in manifest:
        raise ArtifactError(f"the model manifest {path} has no checksum: {_FIX}")
    return manifest


def load(folder: str | Path | None = None, *, kb_sha256: str | None = None) -> Predictor:
    """Load the model after checking it.

    The bundle's SHA-256 must match the manifest and the manifest's library
    versions must match this environment, both checked before anything is
    unpickled (``joblib.load`` can run code). ``kb_sha256``, when given, marks
    the predictor ``stale`` if the knowledge base changed since training.

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
            bundle = joblib.load(path)
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
    except (KeyError, TypeError) as exc:
        raise ArtifactError(f"the model file {path} lacks {exc}: {_FIX}") from None
    if predictor.labels != config.LABELS:
        raise ArtifactError(f"the model's labels {predictor.labels} differ from the contract's: {_FIX}")
    if kb_sha256 is not None and predictor.kb_sha256 != kb_sha256:
        predictor.stale = True
    return predictor
