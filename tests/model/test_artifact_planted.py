"""Planted and forged model files, their checksums recomputed as whoever plants them would: refused before they
run code, crash the process or fill its memory."""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from twitch_triage.model import artifact, npz
from twitch_triage.model.artifact import ArtifactError
from twitch_triage.model.manifest import ARRAYS_NAME, BUNDLE_NAME, MANIFEST_NAME


def payloads(planted, marker: Path) -> dict[str, object]:
    """Ways a pickle can run code, each creating ``marker`` if it runs."""
    return {
        "os.system": planted.Planted(os.system, f"touch '{marker}'"),
        "builtins.eval": planted.Planted(builtins.eval, f"open({str(marker)!r}, 'w').close()"),
        "subprocess.call": planted.Planted(subprocess.call, ["touch", str(marker)]),
        # joblib reads an array of Python objects with a plain pickle.load
        "array of Python objects": np.array([planted.Planted(os.system, f"touch '{marker}'")], dtype=object),
    }


@pytest.mark.parametrize("name", ["os.system", "builtins.eval", "subprocess.call", "array of Python objects"])
def test_a_planted_model_file_with_a_matching_checksum_is_refused_without_running_its_code(planted_model, tmp_path,
                                                                                          name):
    marker = tmp_path / "ran"
    folder = planted_model(payloads(planted_model, marker)[name])
    with pytest.raises(ArtifactError) as caught:
        artifact.load(folder, pipeline=True)
    assert not marker.exists()
    message = str(caught.value)
    assert name.split(".")[-1] in message or "Python objects" in message
    assert "run `make train`" in message and "\n" not in message


def test_loading_for_scoring_never_unpickles_a_planted_pipeline(planted_model, tmp_path):
    marker = tmp_path / "ran"
    folder = planted_model(payloads(planted_model, marker)["os.system"])
    assert artifact.load(folder).pipeline is None
    assert not marker.exists()


def test_a_planted_array_of_python_objects_is_refused_without_running_its_code(plant_arrays, planted_model, tmp_path):
    marker = tmp_path / "ran"
    folder = plant_arrays(slope=np.array([planted_model.Planted(os.system, f"touch '{marker}'")], dtype=object))
    with pytest.raises(ArtifactError, match=r"model.npz is malformed: its member 'slope.npy' holds object, not "
                                            r"numbers or text: run `make train`"):
        artifact.load(folder)
    assert not marker.exists()


def test_the_refusal_names_the_global_it_refused(planted_model, tmp_path):
    folder = planted_model(payloads(planted_model, tmp_path / "ran")["os.system"])
    with pytest.raises(ArtifactError, match=r"refers to posix\.system, which is not part of a twitch-triage model"):
        artifact.load(folder, pipeline=True)


def test_a_planted_file_cannot_change_a_class_it_may_build(planted_model):
    from sklearn.pipeline import Pipeline

    method = Pipeline.__dict__["predict_proba"]
    # GLOBAL Pipeline, BUILD with the slot state {"predict_proba": None}: setattr on the class itself
    folder = planted_model(b"\x80\x02csklearn.pipeline\nPipeline\nN}X\x0d\x00\x00\x00predict_probaNs\x86b.")
    try:
        with pytest.raises(ArtifactError, match=r"sets attributes of Pipeline, which a twitch-triage model never"):
            artifact.load(folder, pipeline=True)
        assert Pipeline.__dict__["predict_proba"] is method
    finally:
        Pipeline.predict_proba = method


@pytest.mark.parametrize("pipeline", [5, "pipeline", None], ids=repr)
def test_a_bundle_whose_pipeline_is_not_a_pipeline_is_refused(planted_model, pipeline):
    with pytest.raises(ArtifactError, match=r"holds no scikit-learn pipeline: run `make train`"):
        artifact.load(planted_model(pipeline), pipeline=True)


# --------------------------------------------------------------------------- forged pickles, zip bombs, other answers


class Forged:
    """Pickled as ``how(*args)`` then ``__setstate__(state)``: the pickle of a forged numpy object."""

    def __init__(self, how, args, state=None):
        self.how, self.args, self.state = how, args, state

    def __reduce__(self):
        return (self.how, self.args) if self.state is None else (self.how, self.args, self.state)


def _forged_dtype(field: np.dtype) -> Forged:
    """``numpy.dtype('V8')`` given a field of ``field`` by ``__setstate__``, with flags 0 (that hide an object)."""
    return Forged(np.dtype, ("V8", False, True), (3, "|", None, ("f",), {"f": (field, 0)}, 8, 1, 0))


def _pointer_array(how) -> Forged:
    """An array over 8 raw bytes read as an object pointer: touching its item would crash the process."""
    import copyreg

    dtype = _forged_dtype(np.dtype(object))
    if how == "numpy.ndarray(buffer=...)":
        return Forged(np.ndarray, ((1,), dtype, 0, b"\x41" * 8))
    return _ForgedNew(copyreg.__newobj__, (np.ndarray, (1,), dtype, b"\x41" * 8))  # pickled as NEWOBJ


class _ForgedNew(Forged):
    """Pickled as ``ndarray.__new__(ndarray, *args)`` (NEWOBJ): pickle checks that the class is the object's."""

    @property
    def __class__(self):
        return np.ndarray


@pytest.mark.parametrize("payload", [
    pytest.param(lambda: _pointer_array("numpy.ndarray(buffer=...)"), id="ndarray(buffer=...)"),
    pytest.param(lambda: _pointer_array("ndarray.__new__"), id="ndarray.__new__"),
    pytest.param(lambda: _forged_dtype(np.dtype("f8")), id="a record dtype made by __setstate__"),
    pytest.param(lambda: Forged(np.dtype, ("O8", False, True)), id="an object dtype"),
])
def test_a_pickle_that_forges_object_pointers_from_allowed_names_is_refused_without_crashing(planted_model, payload):
    """Only allowed globals (numpy.dtype, numpy.ndarray), checksum recomputed: refused before anything touches it."""
    from twitch_triage.model import unpickler

    folder = planted_model(payload())
    with pytest.raises(unpickler.Refused, match="numpy type|array"):
        unpickler.load(folder / BUNDLE_NAME)
    with pytest.raises(ArtifactError, match=r"model.joblib (holds the numpy type|builds an array).*run `make train`"):
        artifact.load(folder, pipeline=True)


def _rewrite_npz(folder: Path, write) -> None:
    """``model.npz`` rewritten by ``write(zipfile)``, its checksum and member list recomputed in the manifest."""
    import zipfile

    path = folder / ARRAYS_NAME
    with np.load(path) as data:
        saved = {name: data[name] for name in data.files}
    with zipfile.ZipFile(path, "w") as archive:
        write(archive, saved)
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    manifest["inference_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest["inference_members"] = npz.members(path)
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))


def _npy_header(shape: tuple[int, ...]) -> bytes:
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def _bomb(archive, saved) -> None:
    """coef_0 as 256 MB of zeros, deflated to a few hundred kB."""
    import zipfile

    for name, array in saved.items():
        if name != "coef_0":
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, array)
    info = zipfile.ZipInfo("coef_0.npy")
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as member:
        member.write(_npy_header((4096, 8192)))
        zeros = bytes(1 << 20)
        for _ in range(256):
            member.write(zeros)


def _huge_header(archive, saved) -> None:
    """coef_0 stored, but its header announces 2**40 numbers."""
    for name, array in saved.items():
        with archive.open(f"{name}.npy", "w") as member:
            if name == "coef_0":
                member.write(_npy_header((1 << 20, 1 << 20)) + bytes(64))
            else:
                np.lib.format.write_array(member, array)


def test_a_zip_bomb_in_the_array_file_is_refused_before_it_is_inflated(model_copy):
    import tracemalloc

    _rewrite_npz(model_copy, _bomb)
    assert (model_copy / ARRAYS_NAME).stat().st_size < 2_000_000
    tracemalloc.start()
    try:
        with pytest.raises(ArtifactError, match=r"model.npz is malformed: (its member 'coef_0.npy' is compressed|its "
                                                r"manifest lists [0-9,]+ bytes of arrays, more than).*make train"):
            artifact.load(model_copy)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak:,} bytes"


def test_an_array_whose_header_announces_more_than_its_data_is_refused_before_reading(model_copy):
    _rewrite_npz(model_copy, _huge_header)
    with pytest.raises(ArtifactError, match=r"member 'coef_0.npy' announces an array of shape \(1048576, 1048576\), "
                                            r"which is not the size of its data"):
        artifact.load(model_copy)


@pytest.mark.parametrize("change, message", [
    (lambda members: {**members, "coef_0.npy": members["coef_0.npy"] + 8}, "is not the size its manifest lists"),
    (lambda members: {name: size for name, size in members.items() if name != "slope.npy"},
     "are not the ones its manifest lists"),
    (lambda members: {**members, "coef_0.npy": 1 << 40}, "bytes of arrays, more than a model holds"),
])
def test_an_array_file_is_checked_against_the_members_its_manifest_lists(model_copy, change, message):
    manifest = json.loads((model_copy / MANIFEST_NAME).read_text())
    manifest["inference_members"] = change(manifest["inference_members"])
    (model_copy / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=f"model.npz is malformed: .*{message}"):
        artifact.load(model_copy)
