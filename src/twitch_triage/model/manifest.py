"""The model's manifest: its files and their checksums, the library versions, and what the model learned from.

``manifest.json`` is written last by :func:`twitch_triage.model.artifact.save` and read first by
:func:`~twitch_triage.model.artifact.load`. Two of its fields say whether a model is still the one to use:
the SHA-256 of each file (a file that does not match is refused), and ``learned_from``, the fingerprint of
the knowledge base's numbers the model learned from (:func:`learned_from`; a model whose numbers changed since
is *stale*: it is used, with :data:`STALE_WARNING`).
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..io.digest import file_sha256
from ..io.files import InputError
from ..settings import Settings

if TYPE_CHECKING:  # for the annotations only: reading a manifest needs no YAML reader
    from ..knowledge import KnowledgeBase

__all__ = ["ArtifactError", "BUNDLE_NAME", "ARRAYS_NAME", "MANIFEST_NAME", "FIX", "STALE_WARNING", "models_folder",
           "bundle_path", "arrays_path", "manifest_path", "versions", "learned_from", "check_file", "read_manifest"]

BUNDLE_NAME = "model.joblib"
ARRAYS_NAME = "model.npz"
MANIFEST_NAME = "manifest.json"
FIX = "run `make train` to rebuild it"
STALE_WARNING = ("The knowledge base's numbers this model learned from (base rates, strengths, prevalences, leaks, "
                 "missing rates or durations) changed since it was trained, so its probabilities may lag behind "
                 "them: run `make train` to rebuild it.")

# The manifest's fields as `save` writes them, each with its type and that of its items (or values);
# a field that is there must have them.
_MANIFEST_TYPES: dict[str, tuple[type, type | tuple[type, ...] | None]] = {
    "file": (str, None), "sha256": (str, None), "inference_file": (str, None), "inference_sha256": (str, None),
    "inference_members": (dict, int), "labels": (list, str), "answer_ids": (list, str),
    "versions": (dict, str), "created": (str, None), "kb_sha256": (str, None), "learned_from": (str, None),
    "kb_path": (str, None), "train_seed": (int, None), "train_n": (int, None), "model": (str, None),
    "metrics": (dict, None), "train_seconds": (dict, None),
}
_JSON_NAMES = {dict: "an object", list: "a list", str: "text", int: "a whole number", (int, float): "a number",
               float: "a number", bool: "true or false", type(None): "null"}


class ArtifactError(InputError):
    """The model is missing, altered or from other library versions; the message says what to run (exit 2)."""


def models_folder(folder: str | Path | None = None) -> Path:
    """``folder``, or the settings' models folder when none is given."""
    return Path(folder or Settings.from_environment().models_dir)


def bundle_path(folder: str | Path | None = None) -> Path:
    """The scikit-learn pipeline of record, ``model.joblib``, in ``folder`` (default: the settings' models folder)."""
    return models_folder(folder) / BUNDLE_NAME


def arrays_path(folder: str | Path | None = None) -> Path:
    """The arrays scoring reads, ``model.npz``, in ``folder`` (default: the settings' models folder)."""
    return models_folder(folder) / ARRAYS_NAME


def manifest_path(folder: str | Path | None = None) -> Path:
    """The manifest, ``manifest.json``, in ``folder`` (default: the settings' models folder)."""
    return models_folder(folder) / MANIFEST_NAME


def versions() -> dict[str, str]:
    """The versions of Python, of the libraries the pipeline of record depends on, and of twitch-triage."""
    import joblib
    import numpy
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "joblib": joblib.__version__,
        "twitch-triage": __version__,
    }


def learned_from(kb: KnowledgeBase) -> str:
    """The fingerprint of what a model trained on ``kb`` learned from: the SHA-256 of the knowledge base's numbers
    that the generator samples its training cases and their exact posterior from, as canonical JSON.

    They are the answers (in order) with their role, whether they are inverse, their prevalence, leak and missing
    rate; the labels (in order) with their base rate; the links, risk factors and triggers with their strengths;
    the mean durations; the share and hiding rates of sparse cases (what
    :class:`twitch_triage.oracle.generator.NoisyOrModel` reads). The knowledge base's texts and sources are not
    part of it: editing a question or a quote leaves the model fresh. Numbers are written as floats (``0`` and
    ``0.0`` are one number), with Python's shortest exact repr, the same on every machine.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    duration, missingness = kb.duration, kb.missingness
    numbers = {
        "answer_ids": list(kb.answer_ids),
        "answers": [[a.role, bool(a.inverse), float(a.prevalence), float(a.leak), float(a.missing_rate)]
                    for a in kb.answers],
        "label_ids": list(kb.label_ids),
        "base_rates": [float(label.base_rate) for label in kb.labels],
        "links": [[link.label, link.answer, float(link.strength)] for link in kb.links],
        "risk_factors": [[f.cause, f.label, float(f.strength)] for f in kb.risk_factors],
        "triggers": [[t.cause, t.answer, float(t.strength)] for t in kb.triggers],
        "mean_days": [float(duration.mean_days_without_deficiency), float(duration.mean_days_with_deficiency)],
        "sparse": [float(missingness.sparse_share), float(missingness.sparse_hidden_min),
                   float(missingness.sparse_hidden_max)],
    }
    text = json.dumps(numbers, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_file(path: Path, sha256: str) -> None:
    """``path`` exists and its SHA-256 is ``sha256``.

    Raises
    ------
    ArtifactError
        The file is missing, unreadable or does not match.
    """
    if not path.is_file():
        raise ArtifactError(f"no model file {path}: {FIX}")
    try:
        found = file_sha256(path)
    except OSError as exc:
        raise ArtifactError(f"cannot read the model file {path} ({exc.strerror or exc}): {FIX}") from None
    if found != sha256:
        raise ArtifactError(f"the model file {path} does not match its manifest checksum (altered or corrupt): {FIX}")


def _type_problem(value: Any, expected: type | tuple[type, ...]) -> str | None:
    """Why ``value`` is not of the ``expected`` JSON type (true/false is not a number), or None."""
    if isinstance(value, expected) and not (isinstance(value, bool) and expected is not bool):
        return None
    return f"{_JSON_NAMES.get(type(value), type(value).__name__)}, not {_JSON_NAMES[expected]}"


def _checked(manifest: Any, path: Path) -> dict:
    """The manifest, if it is an object with a checksum and its fields have the types `save` writes."""
    if not isinstance(manifest, dict):
        raise ArtifactError(f"the model manifest {path} is not a JSON object: {FIX}")
    for name in ("sha256", "inference_sha256"):
        if name not in manifest:
            raise ArtifactError(f"the model manifest {path} has no checksum '{name}': {FIX}")
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
            raise ArtifactError(f"the model manifest {path} is malformed: '{name}' {problem}: {FIX}")
    return manifest


def read_manifest(folder: str | Path | None = None) -> dict:
    """The manifest in ``folder`` (default: the settings' models folder), its fields' types checked.

    Raises
    ------
    ArtifactError
        There is no manifest, or it is unreadable or malformed.
    """
    path = manifest_path(folder)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"no model in {path.parent}/: {FIX}") from None
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"the model manifest {path} is unreadable ({type(exc).__name__}): {FIX}") from None
    return _checked(manifest, path)
