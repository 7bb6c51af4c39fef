"""The saved model: metadata, checksums and version checks before reading, the arrays scoring reads and the
pipeline they reproduce, what unpickling the pipeline may build, staleness."""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from twitch_triage.model import artifact
from twitch_triage import contract
from twitch_triage.model.artifact import ArtifactError


@pytest.fixture()
def model_copy(small_model_dir, tmp_path):
    folder = tmp_path / "models"
    shutil.copytree(small_model_dir, folder)
    return folder


def payloads(planted, marker: Path) -> dict[str, object]:
    """Ways a pickle can run code, each creating ``marker`` if it runs."""
    return {
        "os.system": planted.Planted(os.system, f"touch '{marker}'"),
        "builtins.eval": planted.Planted(builtins.eval, f"open({str(marker)!r}, 'w').close()"),
        "subprocess.call": planted.Planted(subprocess.call, ["touch", str(marker)]),
        # joblib reads an array of Python objects with a plain pickle.load
        "array of Python objects": np.array([planted.Planted(os.system, f"touch '{marker}'")], dtype=object),
    }


def test_the_bundle_holds_everything_needed_to_rebuild_the_predictor(small_model_dir, kb):
    manifest = json.loads((small_model_dir / "manifest.json").read_text())
    for key in ("sha256", "inference_sha256", "labels", "answer_ids", "kb_sha256", "train_seed",
                "train_n", "versions", "metrics", "created"):
        assert key in manifest, key
    assert "thresholds" not in manifest
    assert manifest["labels"] == list(contract.LABELS)
    assert manifest["kb_sha256"] == kb.sha256
    assert set(manifest["versions"]) >= {"python", "scikit-learn", "numpy"}
    assert set(manifest["metrics"]) == {"n_cases", "seed", "model", "oracle", "rules"}


@pytest.fixture(scope="module")
def with_pipeline(small_model_dir) -> artifact.Predictor:
    return artifact.load(small_model_dir, pipeline=True)


@pytest.fixture()
def plant_arrays(small_model_dir, tmp_path):
    """``plant(**arrays)``: a copy of the small model whose ``model.npz`` has these arrays added or replaced
    (``None`` removes one), its checksum updated to match."""

    def plant(**changes):
        folder = tmp_path / "planted"
        shutil.copytree(small_model_dir, folder)
        path = folder / artifact.ARRAYS_NAME
        with np.load(path) as data:
            saved = {name: data[name] for name in data.files}
        saved.update(changes)
        np.savez(path, **{name: value for name, value in saved.items() if value is not None})
        manifest = json.loads((folder / artifact.MANIFEST_NAME).read_text())
        manifest["inference_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        manifest["inference_members"] = artifact.npz_members(path)  # as one who alters the file recomputes it
        (folder / artifact.MANIFEST_NAME).write_text(json.dumps(manifest))
        return folder

    return plant


def test_a_loaded_predictor_scores_like_the_saved_one(small_model_dir, predictor, cases_20k):
    again = artifact.load(small_model_dir)
    np.testing.assert_array_equal(again.predict_proba(cases_20k.X[:500]), predictor.predict_proba(cases_20k.X[:500]))


def test_the_saved_arrays_give_the_saved_pipelines_probabilities_to_the_last_bit(with_pipeline, cases_20k):
    np.testing.assert_array_equal(with_pipeline.predict_all(cases_20k.X),
                                  with_pipeline.pipeline.predict_proba(cases_20k.X))


def test_predict_proba_gives_the_labels_and_predict_all_adds_p_nothing_lacking_from_the_same_pass(predictor,
                                                                                                  cases_20k):
    X = cases_20k.X[:500]
    every, labels = predictor.predict_all(X), predictor.predict_proba(X)
    assert every.shape == (500, len(contract.LABELS) + 1) and labels.shape == (500, len(contract.LABELS))
    np.testing.assert_array_equal(every[:, :-1], labels)
    assert np.all((every >= 0) & (every <= 1))
    assert predictor.predict_all(np.zeros((0, len(contract.ANSWERS)))).shape == (0, len(contract.LABELS) + 1)


def test_loading_for_scoring_reads_neither_the_pipeline_nor_scikit_learn(small_model_dir):
    code = ("import sys; from twitch_triage.model import artifact; "
            f"p = artifact.load({str(small_model_dir)!r}); assert p.pipeline is None; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'joblib', 'pandas'}))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_a_tampered_array_file_is_refused_before_reading(model_copy, tamper):
    tamper(model_copy / artifact.ARRAYS_NAME)
    with pytest.raises(ArtifactError, match=r"model.npz does not match its manifest checksum .*run `make train`"):
        artifact.load(model_copy)


def test_a_tampered_pipeline_is_refused_before_unpickling_and_does_not_stop_scoring(model_copy, tamper):
    tamper(model_copy / artifact.BUNDLE_NAME)
    with pytest.raises(ArtifactError, match=r"model.joblib does not match its manifest checksum .*run `make train`"):
        artifact.load(model_copy, pipeline=True)
    assert artifact.load(model_copy).predict_proba(np.full((1, len(contract.ANSWERS)), np.nan)).shape == (1, 10)


def test_a_pipeline_from_other_library_versions_is_refused_and_the_arrays_still_load(model_copy):
    manifest = json.loads((model_copy / "manifest.json").read_text())
    manifest["versions"]["scikit-learn"] = "0.24.2"
    (model_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=r"built with scikit-learn 0.24.2 but .* is installed: run `make train`"):
        artifact.load(model_copy, pipeline=True)
    assert artifact.load(model_copy).pipeline is None


def test_a_missing_model_says_to_run_make_train(tmp_path):
    with pytest.raises(ArtifactError, match=r"no model in .*: run `make train`"):
        artifact.load(tmp_path)


@pytest.mark.parametrize("name", [artifact.ARRAYS_NAME, artifact.BUNDLE_NAME])
def test_a_missing_model_file_says_to_run_make_train(model_copy, name):
    (model_copy / name).unlink()
    with pytest.raises(ArtifactError, match=rf"no model file .*{name}: run `make train`"):
        artifact.load(model_copy, pipeline=True)


def test_a_corrupt_manifest_says_to_run_make_train(model_copy):
    (model_copy / "manifest.json").write_text("{not json")
    with pytest.raises(ArtifactError, match=r"manifest .* is unreadable .*run `make train`"):
        artifact.load(model_copy)


def test_a_model_trained_on_another_knowledge_base_is_stale(small_model_dir, kb):
    assert artifact.load(small_model_dir, kb_sha256=kb.sha256).stale is False
    assert artifact.load(small_model_dir, kb_sha256="0" * 64).stale is True


@pytest.mark.parametrize("pipeline", [False, True])
def test_a_model_from_other_model_code_is_refused(model_copy, pipeline):
    manifest = json.loads((model_copy / "manifest.json").read_text())
    manifest["versions"]["model-code"] = "f" * 64
    (model_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=r"another version of twitch_triage's model code \(estimators.py, "
                                            r"inference.py\): run `make train`"):
        artifact.load(model_copy, pipeline=pipeline)


def test_the_saved_files_are_readable_by_others(small_model_dir):
    for name in ("model.joblib", "model.npz", "manifest.json"):
        assert (small_model_dir / name).stat().st_mode & 0o044 == 0o044


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


@pytest.mark.parametrize(("changes", "message"), [
    ({"coef_1": np.zeros((3, 11))}, r"'coef_1' of shape \(3, 11\) and 'intercept_1' of shape \(11,\) do not "
                                    r"follow a layer of width 128"),
    ({"slope": np.zeros(10)}, r"'slope' \(10,\) and 'intercept' \(11,\) are not one per output \(11,\)"),
    ({"intercept_0": None}, r"no array 'intercept_0'"),
    ({"coef_0": np.full((89, 64), np.inf)}, r"'coef_0' holds a value that is not a finite number"),
    ({"coef_0": np.zeros((89, 64), dtype=np.float32)}, r"'coef_1' is not an array of float32 like 'coef_0'"),
    ({"days_index": np.array(99)}, rf"'days_index' 99 is not one of {len(contract.ANSWERS)} answers"),
    ({"days_cap": np.array(-1.0)}, r"'days_cap' -1.0 is not a number of days >= 0"),
    ({"thresholds": np.zeros(10)}, r"holds an array 'thresholds', which is not part of a twitch-triage model"),
    ({"answer_ids": np.array(["a", "b"])}, rf"'answer_ids' do not fit the network's {len(contract.ANSWERS)} answers and days column"),
    ({"labels": np.arange(10.0)}, r"'labels' is not a list of names"),
    ({"extra": np.zeros(1)}, r"holds an array 'extra', which is not part of a twitch-triage model"),
], ids=lambda v: next(iter(v)) if isinstance(v, dict) else None)
def test_an_array_file_whose_arrays_do_not_fit_is_refused_in_one_line(plant_arrays, changes, message):
    with pytest.raises(ArtifactError, match=rf"model.npz is malformed: {message}: run `make train`") as caught:
        artifact.load(plant_arrays(**changes))
    assert "\n" not in str(caught.value)


def test_an_array_file_with_other_labels_is_refused(plant_arrays):
    labels = np.array(list(contract.LABELS[::-1]))
    with pytest.raises(ArtifactError, match=r"labels .* differ from the contract's: run `make train`"):
        artifact.load(plant_arrays(labels=labels))


@pytest.fixture()
def old_format(small_model_dir, plant_arrays):
    """A copy of the small model whose network has one output per label and none for p_nothing_lacking, as
    models trained before contract version 3 have."""
    with np.load(small_model_dir / artifact.ARRAYS_NAME) as data:
        last = max(int(name.split("_")[1]) for name in data.files if name.startswith("coef_"))
        labels_only = {name: data[name][..., :len(contract.LABELS)]
                       for name in (f"coef_{last}", f"intercept_{last}", "slope", "intercept")}
    return plant_arrays(**labels_only)


def test_a_model_without_p_nothing_lacking_is_refused_in_one_line(old_format):
    with pytest.raises(ArtifactError, match=r"model.npz is malformed: the network has 10 outputs, not 11 \(one per "
                                            r"label, then p_nothing_lacking, .*\): run `make train`") as caught:
        artifact.load(old_format)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("command", ["score", "evaluate"])
def test_scoring_or_evaluating_with_a_model_without_p_nothing_lacking_exits_2_in_one_line(old_format, tmp_path,
                                                                                          command):
    source, out = tmp_path / "cases.csv", tmp_path / "scored.csv"
    source.write_text("case_id,loc_eyelid\nc1,yes\n", encoding="utf-8")
    args = [str(source), "-o", str(out)] if command == "score" else ["--json", "--n", "200"]
    r = subprocess.run([sys.executable, "-m", "twitch_triage", command, *args, "--model", str(old_format)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == "" and not out.exists()
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "the network has 10 outputs, not 11" in r.stderr and "run `make train`" in r.stderr


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


def test_a_predictor_without_its_pipeline_is_not_saved(predictor, tmp_path):
    with pytest.raises(ValueError, match="without its scikit-learn pipeline cannot be saved"):
        artifact.save(predictor, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("versions", ["scikit-learn"]),
        ("versions", {"scikit-learn": 1.9}),
        ("sha256", 5),
        ("labels", "magnesium"),
        ("train_n", "many"),
        ("train_n", True),
        ("metrics", []),
        ("created", None),
    ],
    ids=lambda v: str(v),
)
def test_a_manifest_field_of_the_wrong_type_is_refused_in_one_line(model_copy, field, value):
    manifest = json.loads((model_copy / "manifest.json").read_text())
    manifest[field] = value
    (model_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=rf"manifest .* '{field}' .*: run `make train`") as caught:
        artifact.load(model_copy)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("manifest", ["[]", "null", "\"text\"", "{}"])
def test_a_manifest_that_is_not_an_object_with_a_checksum_is_refused(model_copy, manifest):
    (model_copy / "manifest.json").write_text(manifest)
    with pytest.raises(ArtifactError, match=r"manifest .*run `make train`"):
        artifact.load(model_copy)


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
        unpickler.load(folder / artifact.BUNDLE_NAME)
    with pytest.raises(ArtifactError, match=r"model.joblib (holds the numpy type|builds an array).*run `make train`"):
        artifact.load(folder, pipeline=True)


def _rewrite_npz(folder: Path, write) -> None:
    """``model.npz`` rewritten by ``write(zipfile)``, its checksum and member list recomputed in the manifest."""
    import zipfile

    path = folder / artifact.ARRAYS_NAME
    with np.load(path) as data:
        saved = {name: data[name] for name in data.files}
    with zipfile.ZipFile(path, "w") as archive:
        write(archive, saved)
    manifest = json.loads((folder / artifact.MANIFEST_NAME).read_text())
    manifest["inference_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest["inference_members"] = artifact.npz_members(path)
    (folder / artifact.MANIFEST_NAME).write_text(json.dumps(manifest))


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
    assert (model_copy / artifact.ARRAYS_NAME).stat().st_size < 2_000_000
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
    manifest = json.loads((model_copy / artifact.MANIFEST_NAME).read_text())
    manifest["inference_members"] = change(manifest["inference_members"])
    (model_copy / artifact.MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=f"model.npz is malformed: .*{message}"):
        artifact.load(model_copy)


def test_the_manifest_lists_the_array_files_members_and_sizes(small_model_dir):
    manifest = json.loads((small_model_dir / artifact.MANIFEST_NAME).read_text())
    assert manifest["inference_members"] == artifact.npz_members(small_model_dir / artifact.ARRAYS_NAME)
    assert "coef_0.npy" in manifest["inference_members"]


def test_a_manifest_without_the_member_list_says_to_run_make_train(model_copy):
    manifest = json.loads((model_copy / artifact.MANIFEST_NAME).read_text())
    del manifest["inference_members"]
    (model_copy / artifact.MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=r"does not list the arrays of model.npz .*: run `make train`"):
        artifact.load(model_copy)


def _permuted(plant_arrays):
    ids = list(contract.ANSWERS)
    i, j = ids.index("loc_eyelid"), ids.index("chest_pain")
    ids[i], ids[j] = ids[j], ids[i]
    return plant_arrays(answer_ids=np.array(ids))


def test_a_model_whose_answers_are_in_another_order_is_not_the_knowledge_bases(plant_arrays, kb):
    predictor = artifact.load(_permuted(plant_arrays))
    with pytest.raises(ArtifactError, match=r"^the model's answers are not the knowledge base's \(names or order\): "
                                            r"run `make train`$"):
        artifact.check_against(predictor, kb)


def test_the_model_of_the_knowledge_base_passes_the_check(predictor, kb):
    artifact.check_against(predictor, kb)


@pytest.mark.parametrize("command", ["score", "next", "evaluate"])
def test_every_command_refuses_a_model_whose_answers_are_permuted_in_one_line(plant_arrays, tmp_path, command):
    folder = _permuted(plant_arrays)
    source, out = tmp_path / "cases.csv", tmp_path / "scored.csv"
    source.write_text("case_id,loc_eyelid\nc1,yes\n", encoding="utf-8")
    args = {"score": [str(source), "-o", str(out)], "next": ['{"chest_pain": "yes"}'],
            "evaluate": ["--json", "--n", "200"]}[command]
    r = subprocess.run([sys.executable, "-m", "twitch_triage", command, *args, "--model", str(folder)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == "" and not out.exists(), r.stderr
    assert r.stderr == (f"twitch-triage {command}: error: the model's answers are not the knowledge base's "
                        "(names or order): run `make train`\n")
