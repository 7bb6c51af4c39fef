"""The saved bundle: metadata, checksum and version checks before unpickling, staleness."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from twitch_triage import artifact, config
from twitch_triage.artifact import ArtifactError


@pytest.fixture()
def model_copy(small_model_dir, tmp_path):
    folder = tmp_path / "models"
    shutil.copytree(small_model_dir, folder)
    return folder


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
