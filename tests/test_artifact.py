"""The saved bundle: metadata, checksum and version checks before unpickling, what unpickling may build, staleness."""

from __future__ import annotations

import builtins
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from twitch_triage import artifact, config
from twitch_triage.artifact import ArtifactError


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
    for key in ("sha256", "labels", "answer_ids", "thresholds", "kb_sha256", "train_seed", "train_n",
                "versions", "metrics", "created"):
        assert key in manifest, key
    assert manifest["labels"] == list(config.LABELS)
    assert manifest["kb_sha256"] == kb.sha256
    assert set(manifest["versions"]) >= {"python", "scikit-learn", "numpy"}
    assert set(manifest["metrics"]) == {"n_cases", "seed", "model", "oracle", "rules"}


def test_a_loaded_predictor_scores_like_the_saved_one(small_model_dir, predictor, cases_20k):
    again = artifact.load(small_model_dir)
    np.testing.assert_array_equal(again.predict_proba(cases_20k.X[:500]), predictor.predict_proba(cases_20k.X[:500]))


def test_a_tampered_bundle_is_refused_before_unpickling(model_copy):
    path = model_copy / "model.joblib"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match=r"does not match its manifest checksum .*run `make train`"):
        artifact.load(model_copy)


def test_a_bundle_from_other_library_versions_is_refused(model_copy):
    manifest = json.loads((model_copy / "manifest.json").read_text())
    manifest["versions"]["scikit-learn"] = "0.24.2"
    (model_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=r"built with scikit-learn 0.24.2 but .* is installed: run `make train`"):
        artifact.load(model_copy)


def test_a_missing_model_says_to_run_make_train(tmp_path):
    with pytest.raises(ArtifactError, match=r"no model in .*: run `make train`"):
        artifact.load(tmp_path)


def test_a_corrupt_manifest_says_to_run_make_train(model_copy):
    (model_copy / "manifest.json").write_text("{not json")
    with pytest.raises(ArtifactError, match=r"manifest .* is unreadable .*run `make train`"):
        artifact.load(model_copy)


def test_a_model_trained_on_another_knowledge_base_is_stale(small_model_dir, kb):
    assert artifact.load(small_model_dir, kb_sha256=kb.sha256).stale is False
    assert artifact.load(small_model_dir, kb_sha256="0" * 64).stale is True


def test_a_bundle_from_other_model_code_is_refused(model_copy):
    manifest = json.loads((model_copy / "manifest.json").read_text())
    manifest["versions"]["model-code"] = "f" * 64
    (model_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=r"another version of twitch_triage/model.py: run `make train`"):
        artifact.load(model_copy)


def test_the_saved_files_are_readable_by_others(small_model_dir):
    for name in ("model.joblib", "manifest.json"):
        assert (small_model_dir / name).stat().st_mode & 0o044 == 0o044


@pytest.mark.parametrize("name", ["os.system", "builtins.eval", "subprocess.call", "array of Python objects"])
def test_a_planted_model_file_with_a_matching_checksum_is_refused_without_running_its_code(planted_model, tmp_path,
                                                                                          name):
    marker = tmp_path / "ran"
    folder = planted_model(payloads(planted_model, marker)[name])
    with pytest.raises(ArtifactError) as caught:
        artifact.load(folder)
    assert not marker.exists()
    message = str(caught.value)
    assert name.split(".")[-1] in message or "Python objects" in message
    assert "run `make train`" in message and "\n" not in message


def test_the_refusal_names_the_global_it_refused(planted_model, tmp_path):
    folder = planted_model(payloads(planted_model, tmp_path / "ran")["os.system"])
    with pytest.raises(ArtifactError, match=r"refers to posix\.system, which is not part of a twitch-triage model"):
        artifact.load(folder)


def test_a_planted_file_cannot_change_a_class_it_may_build(planted_model):
    from sklearn.pipeline import Pipeline

    method = Pipeline.__dict__["predict_proba"]
    # GLOBAL Pipeline, BUILD with the slot state {"predict_proba": None}: setattr on the class itself
    folder = planted_model(b"\x80\x02csklearn.pipeline\nPipeline\nN}X\x0d\x00\x00\x00predict_probaNs\x86b.")
    try:
        with pytest.raises(ArtifactError, match=r"sets attributes of Pipeline, which a twitch-triage model never"):
            artifact.load(folder)
        assert Pipeline.__dict__["predict_proba"] is method
    finally:
        Pipeline.predict_proba = method


@pytest.mark.parametrize("pipeline", [5, "pipeline", None], ids=repr)
def test_a_bundle_whose_pipeline_is_not_a_pipeline_is_refused(planted_model, pipeline):
    with pytest.raises(ArtifactError, match=r"holds no scikit-learn pipeline: run `make train`"):
        artifact.load(planted_model(pipeline))


def test_a_model_calibrated_by_isotonic_regression_saves_and_loads(kb, tmp_path, cases_20k):
    from twitch_triage.model import build_pipeline

    pipeline = build_pipeline(kb.answer_ids, max_iter=1, hidden_layer_sizes=(8,), calibration="isotonic")
    pipeline.fit(cases_20k.X[:2000], cases_20k.Y[:2000])
    saved = artifact.Predictor(pipeline, kb.label_ids, kb.answer_ids, np.full(len(kb.label_ids), 0.5))
    artifact.save(saved, tmp_path)
    loaded = artifact.load(tmp_path)
    np.testing.assert_array_equal(loaded.predict_proba(cases_20k.X[:50]), saved.predict_proba(cases_20k.X[:50]))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("versions", ["scikit-learn"]),
        ("versions", {"scikit-learn": 1.9}),
        ("sha256", 5),
        ("labels", "magnesium"),
        ("thresholds", ["high"]),
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
