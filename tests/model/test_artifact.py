"""The saved model: checksums and version checks before reading, the arrays scoring reads and the pipeline they
reproduce, arrays that do not fit, and the check against the knowledge base's answers and labels."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from twitch_triage import contract
from twitch_triage.model import artifact
from twitch_triage.model.artifact import ArtifactError
from twitch_triage.model.manifest import ARRAYS_NAME, BUNDLE_NAME


@pytest.fixture(scope="module")
def with_pipeline(small_model_dir) -> artifact.Predictor:
    return artifact.load(small_model_dir, pipeline=True)


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
    tamper(model_copy / ARRAYS_NAME)
    with pytest.raises(ArtifactError, match=r"model.npz does not match its manifest checksum .*run `make train`"):
        artifact.load(model_copy)


def test_a_tampered_pipeline_is_refused_before_unpickling_and_does_not_stop_scoring(model_copy, tamper):
    tamper(model_copy / BUNDLE_NAME)
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


@pytest.mark.parametrize("name", [ARRAYS_NAME, BUNDLE_NAME])
def test_a_missing_model_file_says_to_run_make_train(model_copy, name):
    (model_copy / name).unlink()
    with pytest.raises(ArtifactError, match=rf"no model file .*{name}: run `make train`"):
        artifact.load(model_copy, pipeline=True)


def test_a_corrupt_manifest_says_to_run_make_train(model_copy):
    (model_copy / "manifest.json").write_text("{not json")
    with pytest.raises(ArtifactError, match=r"manifest .* is unreadable .*run `make train`"):
        artifact.load(model_copy)


def test_the_saved_files_are_readable_by_others(small_model_dir):
    for name in ("model.joblib", "model.npz", "manifest.json"):
        assert (small_model_dir / name).stat().st_mode & 0o044 == 0o044


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
    with np.load(small_model_dir / ARRAYS_NAME) as data:
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


def test_a_predictor_without_its_pipeline_is_not_saved(predictor, tmp_path):
    with pytest.raises(ValueError, match="without its scikit-learn pipeline cannot be saved"):
        artifact.save(predictor, tmp_path)
    assert list(tmp_path.iterdir()) == []


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


def test_loading_a_model_for_a_knowledge_base_checks_it_against_it_for_every_caller(plant_arrays, kb):
    with pytest.raises(ArtifactError, match=r"^the model's answers are not the knowledge base's \(names or order\): "
                                            r"run `make train`$"):
        artifact.load(_permuted(plant_arrays), kb=kb)  # as the app, the interview and the shards load it


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
