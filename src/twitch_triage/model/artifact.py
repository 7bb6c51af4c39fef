"""Save and load the model's files (the joblib pipeline of record, the arrays scoring reads, their JSON
manifest) and the integrity checks between them."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import platform
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import contract
from ..settings import Settings
from .. import __version__
from ..io.files import atomic_output
from .inference import Network

__all__ = ["ArtifactError", "Predictor", "save", "load", "check_against", "bundle_path", "arrays_path", "manifest_path",
           "versions", "npz_members"]

BUNDLE_NAME = "model.joblib"
ARRAYS_NAME = "model.npz"
MANIFEST_NAME = "manifest.json"
_FIX = "run `make train` to rebuild it"
_CODE = ("estimators.py", "inference.py")  # the code that defines what the saved pipeline and arrays mean

# The manifest's fields as `save` writes them, each with its type and that of its items (or values);
# a field that is there must have them.
_MANIFEST_TYPES: dict[str, tuple[type, type | tuple[type, ...] | None]] = {
    "file": (str, None), "sha256": (str, None), "inference_file": (str, None), "inference_sha256": (str, None),
    "inference_members": (dict, int), "labels": (list, str), "answer_ids": (list, str),
    "versions": (dict, str), "created": (str, None), "kb_sha256": (str, None),
    "kb_path": (str, None), "train_seed": (int, None), "train_n": (int, None), "model": (str, None),
    "metrics": (dict, None), "train_seconds": (dict, None),
}
_FILE_FIELDS = ("file", "sha256", "inference_file", "inference_sha256", "inference_members")
MAX_ARRAYS_BYTES = 64 << 20  # model.npz holds a few MB of weights; more than this is not a twitch-triage model  # the manifest's own; the rest is metadata
_JSON_NAMES = {dict: "an object", list: "a list", str: "text", int: "a whole number", (int, float): "a number",
               float: "a number", bool: "true or false", type(None): "null"}


class ArtifactError(RuntimeError):
    """The model is missing, altered or from other library versions; the message says what to run."""


def bundle_path(folder: str | Path | None = None) -> Path:
    return Path(folder or Settings.from_environment().models_dir) / BUNDLE_NAME


def arrays_path(folder: str | Path | None = None) -> Path:
    return Path(folder or Settings.from_environment().models_dir) / ARRAYS_NAME


def manifest_path(folder: str | Path | None = None) -> Path:
    return Path(folder or Settings.from_environment().models_dir) / MANIFEST_NAME


def code_fingerprint() -> str:
    """SHA-256 of the modules that define the saved pipeline and arrays: a change there needs a retrain."""
    digest = hashlib.sha256()
    for name in _CODE:
        digest.update((Path(__file__).with_name(name)).read_bytes())
    return digest.hexdigest()


def versions() -> dict[str, str]:
    """The library versions the pipeline depends on, and the fingerprint of the model code."""
    import joblib
    import sklearn

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


def _check_file(path: Path, sha256: str) -> None:
    """``path`` exists and its SHA-256 is ``sha256``."""
    if not path.is_file():
        raise ArtifactError(f"no model file {path}: {_FIX}")
    if _sha256(path) != sha256:
        raise ArtifactError(f"the model file {path} does not match its manifest checksum (altered or corrupt): {_FIX}")


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
    stale: bool = False
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
    def kb_sha256(self) -> str:
        return self.metadata.get("kb_sha256", "")

    @property
    def version(self) -> str:
        """The model in one line for people: when it was trained, from which knowledge base, by which release."""
        meta = self.metadata
        return (f"trained {meta.get('created', 'at an unknown time')} from knowledge base "
                f"{self.kb_sha256[:12] or 'unknown'} by twitch-triage {meta.get('versions', {}).get('twitch-triage', '?')}")


def save(predictor: Predictor, folder: str | Path | None = None) -> Path:
    """Write ``model.joblib`` (the pipeline of record), ``model.npz`` (the arrays scoring reads) and
    ``manifest.json`` (their SHA-256 + metadata) into ``folder``, each atomically, the manifest last."""
    if predictor.pipeline is None:
        raise ValueError("a predictor without its scikit-learn pipeline cannot be saved: load it with pipeline=True")
    import joblib

    folder = Path(folder or Settings.from_environment().models_dir)
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
    manifest = {"file": BUNDLE_NAME, "sha256": _sha256(bundle_path(folder)),
                "inference_file": ARRAYS_NAME, "inference_sha256": _sha256(arrays_path(folder)),
                "inference_members": npz_members(arrays_path(folder)), **metadata}
    with atomic_output(manifest_path(folder)) as handle:
        handle.write((json.dumps(manifest, indent=2, sort_keys=False) + "\n").encode("utf-8"))
    predictor.metadata = metadata
    return bundle_path(folder)


def npz_members(path: Path) -> dict[str, int]:
    """The members of an ``.npz`` file and their sizes in bytes, as its zip directory says (nothing is inflated):
    what ``save`` records in the manifest, and what :func:`load` checks before reading an array."""
    with zipfile.ZipFile(path) as archive:
        return {info.filename: info.file_size for info in archive.infolist()}


def check_against(predictor: Predictor, kb: Any) -> None:
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


def _type_problem(value: Any, expected: type | tuple[type, ...]) -> str | None:
    """Why ``value`` is not of the ``expected`` JSON type (true/false is not a number), or None."""
    if isinstance(value, expected) and not (isinstance(value, bool) and expected is not bool):
        return None
    return f"{_JSON_NAMES.get(type(value), type(value).__name__)}, not {_JSON_NAMES[expected]}"


def _check_manifest(manifest: Any, path: Path) -> dict:
    """The manifest, if it is an object with a checksum and its fields have the types `save` writes."""
    if not isinstance(manifest, dict):
        raise ArtifactError(f"the model manifest {path} is not a JSON object: {_FIX}")
    for name in ("sha256", "inference_sha256"):
        if name not in manifest:
            raise ArtifactError(f"the model manifest {path} has no checksum '{name}': {_FIX}")
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


def load(folder: str | Path | None = None, *, kb_sha256: str | None = None, pipeline: bool = False) -> Predictor:
    """Load the model after checking it.

    The manifest must be well formed, and the model code that wrote the files must be this
    one (``versions["model-code"]``, the fingerprint of ``model.py`` and ``inference.py``,
    which define what the files mean). Scoring needs only ``model.npz``: plain arrays,
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

    ``kb_sha256``, when given, marks the predictor ``stale`` if the knowledge base changed
    since training.

    Raises
    ------
    ArtifactError
        One line that says what is wrong and to run ``make train``.
    """
    folder = Path(folder or Settings.from_environment().models_dir)
    manifest = read_manifest(folder)
    if manifest.get("versions", {}).get("model-code") != code_fingerprint():
        raise ArtifactError(f"the model was built by another version of twitch_triage's model code "
                            f"({', '.join(_CODE)}): {_FIX}")
    if "inference_members" not in manifest:
        raise ArtifactError(f"the model manifest {manifest_path(folder)} does not list the arrays of {ARRAYS_NAME} "
                            f"(it was written by an older twitch-triage): {_FIX}")
    predictor = _read_arrays(arrays_path(folder), manifest["inference_sha256"], manifest["inference_members"])
    predictor.metadata = {name: value for name, value in manifest.items() if name not in _FILE_FIELDS}
    if pipeline:
        predictor.pipeline = _read_pipeline(bundle_path(folder), manifest, predictor)
    if kb_sha256 is not None and predictor.kb_sha256 != kb_sha256:
        predictor.stale = True
    return predictor


def _text(arrays: dict[str, np.ndarray], name: str) -> tuple[str, ...]:
    array = arrays.get(name)
    if array is None or array.ndim != 1 or array.dtype.kind != "U":
        raise ValueError(f"'{name}' is not a list of names")
    return tuple(str(item) for item in array)


def _quoted(name: str, at: int = 60) -> str:
    """A member's name for an error line: escaped as Python writes it, cut after ``at`` characters."""
    return repr(name[:at]) + ("…" if len(name) > at else "")


def _check_members(path: Path, members: dict[str, int]) -> None:
    """Before anything is inflated: ``model.npz`` holds exactly the manifest's members, stored or deflated (as
    ``np.savez`` and ``np.savez_compressed`` write them), each of the size the manifest lists, all together at most
    :data:`MAX_ARRAYS_BYTES` (whoever alters the file can alter the manifest, not this bound; and ``zipfile`` never
    inflates a member beyond its listed size), and each ``.npy`` header announces an array of numbers or text that
    fills its member exactly."""
    total = sum(members.values())
    if total > MAX_ARRAYS_BYTES or any(size < 0 for size in members.values()):
        raise ValueError(f"its manifest lists {total:,} bytes of arrays, more than a model holds "
                         f"({MAX_ARRAYS_BYTES:,})")
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        if len(names) != len(set(names)):
            raise ValueError("it holds a member twice")
        extra, lacking = sorted(set(names) - set(members)), sorted(set(members) - set(names))
        if extra or lacking:
            which = f"holds {_quoted(extra[0])}, which" if extra else f"lacks {_quoted(lacking[0])}, which"
            raise ValueError(f"its arrays are not the ones its manifest lists: it {which} its manifest "
                             f"{'does not list' if extra else 'lists'}")
        for info in infos:
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
                raise ValueError(f"its member {_quoted(info.filename)} is compressed in a way or encrypted, which "
                                 "numpy never writes")
            if info.file_size != members[info.filename]:
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


def _read_arrays(path: Path, sha256: str, members: dict[str, int]) -> Predictor:
    """The predictor held by ``model.npz``, checked (its members against the manifest's before any is read)."""
    _check_file(path, sha256)
    try:
        _check_members(path, members)
    except (ValueError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ArtifactError(f"the model file {path} is malformed: {exc}: {_FIX}") from None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except Exception as exc:  # noqa: BLE001 - any reading failure (not a zip, an array of objects...) means: rebuild
        raise ArtifactError(f"the model file {path} cannot be read ({type(exc).__name__}): {_FIX}") from None
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
        raise ArtifactError(f"the model file {path} is malformed: {exc}: {_FIX}") from None
    if labels != contract.LABELS:
        raise ArtifactError(f"the model's labels {labels} differ from the contract's: {_FIX}")
    return Predictor(network, labels, answer_ids)


def _read_pipeline(path: Path, manifest: dict, predictor: Predictor) -> Any:
    """The scikit-learn pipeline of record in ``model.joblib``, checked, then unpickled with the allow-list."""
    from sklearn.exceptions import InconsistentVersionWarning
    from sklearn.pipeline import Pipeline

    from . import unpickler

    _check_file(path, manifest["sha256"])
    expected = manifest.get("versions", {})
    here = versions()
    for lib in ("scikit-learn", "numpy", "joblib"):
        if expected.get(lib) != here[lib]:
            raise ArtifactError(
                f"the model was built with {lib} {expected.get(lib)} but {here[lib]} is installed: {_FIX}"
            )
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        try:
            bundle = unpickler.load(path)
        except unpickler.Refused as exc:
            raise ArtifactError(f"the model file {path} {exc}, so it was not loaded (it was not written by "
                                f"`make train`, or was altered since): {_FIX}") from None
        except InconsistentVersionWarning as exc:
            raise ArtifactError(f"the model was pickled by another scikit-learn ({exc.original_sklearn_version}): {_FIX}") from None
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means: rebuild
            raise ArtifactError(f"the model file {path} cannot be loaded ({type(exc).__name__}): {_FIX}") from None
    try:
        found, labels, answer_ids = bundle["pipeline"], tuple(bundle["labels"]), tuple(bundle["answer_ids"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"the model file {path} lacks {exc}: {_FIX}") from None
    if not isinstance(found, Pipeline):
        raise ArtifactError(f"the model file {path} holds no scikit-learn pipeline: {_FIX}")
    if (labels, answer_ids) != (predictor.labels, predictor.answer_ids):
        raise ArtifactError(f"the model file {path} has other labels or answers than {ARRAYS_NAME}: {_FIX}")
    return found
