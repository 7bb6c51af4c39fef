"""Save and load the model: the joblib pipeline of record, the arrays scoring reads (a :class:`Predictor`) and
their manifest, each file checked before it is read."""

from __future__ import annotations

import datetime as _dt
import json
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import contract
from ..io.digest import file_sha256
from ..io.files import atomic_output
from . import npz
from .inference import Network
from .manifest import (ARRAYS_NAME, BUNDLE_NAME, FIX, ArtifactError, arrays_path, bundle_path, check_file,
                       learned_from, manifest_path, models_folder, read_manifest, versions)

if TYPE_CHECKING:  # for the annotations only: loading a model needs no YAML reader
    from ..knowledge import KnowledgeBase

__all__ = ["ArtifactError", "Predictor", "save", "load", "check_against", "read_manifest"]

_FILE_FIELDS = ("file", "sha256", "inference_file", "inference_sha256", "inference_members")  # the rest is metadata


@dataclass
class Predictor:
    """A fitted model rebuilt from its files alone: answers in, calibrated probabilities out (each label's,
    and P(no label), ``p_nothing_lacking``).

    The probabilities come from :class:`~twitch_triage.model.inference.Network`, the model's forward pass in
    numpy; ``pipeline`` is the scikit-learn pipeline of record it was exported from, when at hand
    (after training, or ``load(..., pipeline=True)``).
    """

    network: Network
    labels: tuple[str, ...]
    answer_ids: tuple[str, ...]
    metadata: dict = field(default_factory=dict)
    stale: bool = False  # the knowledge base's numbers it learned from changed since (see load)
    pipeline: Any = None

    @classmethod
    def from_pipeline(cls, pipeline: Any, labels: tuple[str, ...], answer_ids: tuple[str, ...],
                      metadata: dict | None = None) -> Predictor:
        """The predictor of a fitted pipeline (:func:`twitch_triage.model.estimators.build_pipeline`), its network exported."""
        from .estimators import export

        return cls(export(pipeline), tuple(labels), tuple(answer_ids), dict(metadata or {}), pipeline=pipeline)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(label | answers): the first ``len(labels)`` columns of :meth:`predict_all`.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_answers), columns in ``answer_ids`` order.

        Returns
        -------
        ndarray of shape (n_samples, n_labels), values in [0, 1].
        """
        return self.predict_all(X)[:, :len(self.labels)]

    def predict_all(self, X: np.ndarray) -> np.ndarray:
        """P(label | answers) for each label, then P(no label | answers) (``p_nothing_lacking``), from one
        forward pass.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_answers), columns in ``answer_ids`` order.

        Returns
        -------
        ndarray of shape (n_samples, n_labels + 1), values in [0, 1].
        """
        X = np.asarray(X, dtype=np.float64)
        if X.shape[0] == 0:
            return np.zeros((0, len(self.labels) + 1))
        return self.network.predict_proba(X)

    @property
    def version(self) -> str:
        """The model in one line for people: when it was trained, from which knowledge base, by which release."""
        meta = self.metadata
        return (f"trained {meta.get('created', 'at an unknown time')} from knowledge base "
                f"{meta.get('kb_sha256', '')[:12] or 'unknown'} by twitch-triage {meta.get('versions', {}).get('twitch-triage', '?')}")


def save(predictor: Predictor, folder: str | Path | None = None) -> Path:
    """Write ``model.joblib`` (the pipeline of record), ``model.npz`` (the arrays scoring reads) and
    ``manifest.json`` (their SHA-256 + metadata) into ``folder``, each atomically, the manifest last."""
    if predictor.pipeline is None:
        raise ValueError("a predictor without its scikit-learn pipeline cannot be saved: load it with pipeline=True")
    import joblib

    folder = models_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    metadata = {
        **predictor.metadata,
        "labels": list(predictor.labels),
        "answer_ids": list(predictor.answer_ids),
        "versions": versions(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    bundle = {
        "pipeline": predictor.pipeline,
        "labels": tuple(predictor.labels),
        "answer_ids": tuple(predictor.answer_ids),
        "metadata": metadata,
    }
    with atomic_output(bundle_path(folder)) as handle:  # written aside, renamed when complete
        joblib.dump(bundle, handle, compress=3)
    arrays = {**predictor.network.arrays(), "labels": np.array(predictor.labels),
              "answer_ids": np.array(predictor.answer_ids)}
    with atomic_output(arrays_path(folder)) as handle:
        np.savez(handle, **arrays)
    manifest = {"file": BUNDLE_NAME, "sha256": file_sha256(bundle_path(folder)),
                "inference_file": ARRAYS_NAME, "inference_sha256": file_sha256(arrays_path(folder)),
                "inference_members": npz.members(arrays_path(folder)), **metadata}
    with atomic_output(manifest_path(folder)) as handle:
        handle.write((json.dumps(manifest, indent=2, sort_keys=False) + "\n").encode("utf-8"))
    predictor.metadata = metadata
    return bundle_path(folder)


def check_against(predictor: Predictor, kb: KnowledgeBase) -> None:
    """The model reads the knowledge base's answers and gives its labels, in the same order: a model trained on
    another knowledge base (or altered) would read one answer as another, without a word.

    Raises
    ------
    ArtifactError
        One line that says to run ``make train``.
    """
    if tuple(predictor.answer_ids) != tuple(kb.answer_ids):
        raise ArtifactError("the model's answers are not the knowledge base's (names or order): run `make train`")
    if tuple(predictor.labels) != tuple(kb.label_ids):
        raise ArtifactError("the model's labels are not the knowledge base's (names or order): run `make train`")


def load(folder: str | Path | None = None, *, kb: KnowledgeBase | None = None, pipeline: bool = False) -> Predictor:
    """Load the model after checking it.

    The manifest must be well formed. Scoring needs only ``model.npz``: plain arrays,
    read with ``allow_pickle=False``, so the file cannot run code. Its SHA-256 must match
    the manifest, and its arrays must fit each other, the answers and the contract's labels
    (one network output per label, then one for ``p_nothing_lacking``); the library versions
    do not matter to it (numpy's ``.npy`` format does not change with them).

    With ``pipeline=True`` the scikit-learn pipeline of record is loaded too (for training
    code and model inspection): ``model.joblib``'s SHA-256 and its library versions must
    match, all checked before anything is unpickled. Unpickling then builds only the classes
    a model is made of (:data:`twitch_triage.model.unpickler.MODEL_GLOBALS`) and arrays of numbers:
    a file that refers to anything else (``os.system``, ``eval``, ...) is refused before it
    runs, whatever its checksum.

    ``kb``, the knowledge base, when given, must have the model's answers and labels in the same order
    (:func:`check_against`), and marks the predictor ``stale`` if the numbers the model
    learned from are not ``kb``'s (:func:`twitch_triage.model.manifest.learned_from`; a model from
    before the manifest recorded them is stale too); its texts do not matter.

    Raises
    ------
    ArtifactError
        One line that says what is wrong and to run ``make train``.
    """
    folder = models_folder(folder)
    manifest = read_manifest(folder)
    if "inference_members" not in manifest:
        raise ArtifactError(f"the model manifest {manifest_path(folder)} does not list the arrays of {ARRAYS_NAME} "
                            f"(it was written by an older twitch-triage): {FIX}")
    predictor = _read_arrays(arrays_path(folder), manifest["inference_sha256"], manifest["inference_members"])
    predictor.metadata = {name: value for name, value in manifest.items() if name not in _FILE_FIELDS}
    if pipeline:
        predictor.pipeline = _read_pipeline(bundle_path(folder), manifest, predictor)
    if kb is not None:
        check_against(predictor, kb)
        predictor.stale = manifest.get("learned_from") != learned_from(kb)
    return predictor


def _text(arrays: dict[str, np.ndarray], name: str) -> tuple[str, ...]:
    array = arrays.get(name)
    if array is None or array.ndim != 1 or array.dtype.kind != "U":
        raise ValueError(f"'{name}' is not a list of names")
    return tuple(str(item) for item in array)


def _read_arrays(path: Path, sha256: str, members: dict[str, int]) -> Predictor:
    """The predictor held by ``model.npz``, checked (its members against the manifest's before any is read)."""
    check_file(path, sha256)
    try:
        npz.check_members(path, members)
    except (ValueError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ArtifactError(f"the model file {path} is malformed: {exc}: {FIX}") from None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except Exception as exc:  # noqa: BLE001 - any reading failure (not a zip, an array of objects...) means: rebuild
        raise ArtifactError(f"the model file {path} cannot be read ({type(exc).__name__}): {FIX}") from None
    try:
        network = Network.from_arrays(arrays)
        labels, answer_ids = _text(arrays, "labels"), _text(arrays, "answer_ids")
        if network.n_outputs != len(labels) + 1:
            raise ValueError(f"the network has {network.n_outputs} outputs, not {len(labels) + 1} (one per label, "
                             "then p_nothing_lacking, which a model trained before contract version 3 lacks)")
        if len(answer_ids) != network.n_answers or answer_ids[network.days_index] != contract.DAYS_ANSWER:
            raise ValueError(f"'answer_ids' do not fit the network's {network.n_answers} answers and days column")
        extra = sorted(set(arrays) - set(network.arrays()) - {"labels", "answer_ids"})
        if extra:
            raise ValueError(f"holds an array '{extra[0]}', which is not part of a twitch-triage model")
    except ValueError as exc:
        raise ArtifactError(f"the model file {path} is malformed: {exc}: {FIX}") from None
    if labels != contract.LABELS:
        raise ArtifactError(f"the model's labels {labels} differ from the contract's: {FIX}")
    return Predictor(network, labels, answer_ids)


def _read_pipeline(path: Path, manifest: dict, predictor: Predictor) -> Any:
    """The scikit-learn pipeline of record in ``model.joblib``, checked, then unpickled with the allow-list."""
    from sklearn.exceptions import InconsistentVersionWarning
    from sklearn.pipeline import Pipeline

    from . import unpickler

    check_file(path, manifest["sha256"])
    expected = manifest.get("versions", {})
    here = versions()
    for lib in ("scikit-learn", "numpy", "joblib"):
        if expected.get(lib) != here[lib]:
            raise ArtifactError(
                f"the model was built with {lib} {expected.get(lib)} but {here[lib]} is installed: {FIX}"
            )
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        try:
            bundle = unpickler.load(path)
        except unpickler.Refused as exc:
            raise ArtifactError(f"the model file {path} {exc}, so it was not loaded (it was not written by "
                                f"`make train`, or was altered since): {FIX}") from None
        except InconsistentVersionWarning as exc:
            raise ArtifactError(f"the model was pickled by another scikit-learn ({exc.original_sklearn_version}): {FIX}") from None
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means: rebuild
            raise ArtifactError(f"the model file {path} cannot be loaded ({type(exc).__name__}): {FIX}") from None
    try:
        found, labels, answer_ids = bundle["pipeline"], tuple(bundle["labels"]), tuple(bundle["answer_ids"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"the model file {path} lacks {exc}: {FIX}") from None
    if not isinstance(found, Pipeline):
        raise ArtifactError(f"the model file {path} holds no scikit-learn pipeline: {FIX}")
    if (labels, answer_ids) != (predictor.labels, predictor.answer_ids):
        raise ArtifactError(f"the model file {path} has other labels or answers than {ARRAYS_NAME}: {FIX}")
    return found
