"""`twitch-triage train` and `evaluate --json` as the contract says."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from twitch_triage import contract
from twitch_triage.settings import Settings
from twitch_triage import cli
from twitch_triage.model.evaluation import MIN_CASES
from twitch_triage.model.manifest import STALE_WARNING


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twitch_triage", *args], capture_output=True, text=True, timeout=300)


def test_evaluate_json_has_the_contract_shape(small_model_dir):
    r = run("evaluate", "--json", "--n", "1500", "--seed", "5", "--model", str(small_model_dir))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["n_cases"] == 1500 and out["seed"] == 5
    for scorer in ("model", "oracle", "rules"):
        block = out[scorer]
        nothing = {"nothing_lacking"} if scorer != "rules" else set()
        assert set(block) == {"macro_auroc", "mean_log_loss", "macro_brier", "max_ece", "per_label", "likely", *nothing}
        assert set(block["likely"]) == {"precision", "recall", "mean_count"}
        assert 0 < block["likely"]["precision"] <= 1 and 0 < block["likely"]["recall"] <= 1
        assert 0 < block["likely"]["mean_count"] <= contract.LIKELY_AT_MOST
        assert list(block["per_label"]) == list(contract.LABELS)
        for values in block["per_label"].values():
            assert set(values) == {"auroc", "log_loss", "brier", "ece"}
            assert 0 <= values["auroc"] <= 1 and values["log_loss"] > 0
    for scorer in ("model", "oracle"):
        block = out[scorer]["nothing_lacking"]
        assert set(block) == {"auroc", "log_loss", "brier", "ece"}
        assert 0.5 < block["auroc"] <= 1 and 0 < block["log_loss"] < 0.69 and 0 < block["brier"] < 0.25
        assert 0 <= block["ece"] < 0.1
    # the oracle is the best possible scorer: nothing beats its expected log-loss by much
    assert out["oracle"]["mean_log_loss"] <= out["model"]["mean_log_loss"] + 0.01
    assert out["oracle"]["nothing_lacking"]["log_loss"] <= out["model"]["nothing_lacking"]["log_loss"] + 0.01
    assert out["model"]["macro_auroc"] > out["rules"]["macro_auroc"]


def test_evaluate_is_deterministic_for_a_seed(small_model_dir):
    a = run("evaluate", "--json", "--n", "800", "--seed", "9", "--model", str(small_model_dir))
    b = run("evaluate", "--json", "--n", "800", "--seed", "9", "--model", str(small_model_dir))
    assert a.stdout == b.stdout


def test_evaluate_without_a_model_exits_2_and_says_to_run_make_train(tmp_path):
    r = run("evaluate", "--json", "--model", str(tmp_path))
    assert r.returncode == 2
    assert "run `make train`" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_evaluate_with_a_tampered_model_exits_2(small_model_dir, tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(small_model_dir, folder)
    (folder / "model.npz").write_bytes(b"not a model")
    r = run("evaluate", "--model", str(folder))
    assert r.returncode == 2 and "checksum" in r.stderr and "Traceback" not in r.stderr


def edited_kb(tmp_path, old: str, new: str) -> str:
    """A copy of the knowledge base with its first ``old`` replaced by ``new`` (its seeds beside it): its path."""
    shutil.copytree(Settings().seeds_dir, tmp_path / "seeds")
    edited = Settings().kb_path.read_text(encoding="utf-8")
    assert old in edited
    (tmp_path / "kb.yaml").write_text(edited.replace(old, new, 1), encoding="utf-8")
    return str(tmp_path / "kb.yaml")


def test_a_model_trained_on_other_numbers_of_the_knowledge_base_is_reported_as_stale(small_model_dir, tmp_path):
    kb = edited_kb(tmp_path, "base_rate: 0.22", "base_rate: 0.23")
    r = run("--kb", kb, "evaluate", "--n", "300", "--model", str(small_model_dir))
    assert r.returncode == 0
    assert r.stderr.splitlines()[0] == f"twitch-triage: warning: {STALE_WARNING}"
    assert "numbers this model learned from" in STALE_WARNING and "run `make train`" in STALE_WARNING
    r = run("evaluate", "--n", "300", "--model", str(small_model_dir))
    assert "changed" not in r.stderr


def test_a_model_is_not_stale_when_only_a_text_of_the_knowledge_base_changed(small_model_dir, tmp_path):
    kb = edited_kb(tmp_path, "question: Is an eyelid twitching?", "question: Is one of your eyelids twitching?")
    r = run("--kb", kb, "evaluate", "--n", "300", "--model", str(small_model_dir))
    assert r.returncode == 0, r.stderr
    assert "warning" not in r.stderr


@pytest.mark.slow
def test_train_writes_the_model_manifest_and_model_card_beside_the_model(tmp_path):
    models = tmp_path / "models"
    r = run("train", "--n", "3000", "--seed", "2", "--model", str(models))
    assert r.returncode == 0, r.stderr
    stages = [line.rsplit(": ", 1)[0] for line in r.stderr.splitlines()[:-1]]  # standard error is not a terminal
    assert stages == ["generate 3,000 cases", "oracle posterior of each (the network's targets)",
                      "fit the network (40 epochs)", "calibrate 11 outputs (the labels, p_nothing_lacking)",
                      f"evaluate on {contract.DEFAULT_EVAL_N:,} held-out cases", "figures and model card"]
    assert r.stderr.splitlines()[-1].startswith("trained on 3,000 cases (seed 2) in ")
    assert (models / "model.joblib").is_file() and (models / "manifest.json").is_file()
    card = (models / "model_card.md").read_text()
    for needle in ("| model |", "| oracle |", "| rules |", "not been validated on patients", "3,000 synthetic cases",
                   "| p_nothing_lacking | AUROC | log-loss | Brier | ECE |", "| log-loss within 3% of the oracle |"):
        assert needle in card
    assert (models / "figures" / "reliability.png").stat().st_size > 10_000
    assert (models / "figures" / "roc.png").stat().st_size > 10_000
    assert json.loads((models / "manifest.json").read_text())["train_n"] == 3000


@pytest.mark.parametrize("args", [["train", "--n", "0"], ["train", "--n", "500", "--quiet"], ["evaluate", "--n", "x"]])
def test_bad_train_and_evaluate_arguments_exit_2(args, tmp_path):
    r = run(*args, "--model", str(tmp_path))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("n", [1, MIN_CASES - 1])
def test_evaluate_refuses_too_few_cases_in_one_line_naming_the_minimum(n, capsys, tmp_path):
    code = cli.main(["evaluate", "--json", "--n", str(n), "--model", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err == f"twitch-triage evaluate: error: --n {n} is too small to evaluate on: use at least {MIN_CASES} cases\n"


def test_evaluate_at_the_minimum_prints_json_without_nan(small_model_dir):
    r = run("evaluate", "--json", "--n", str(MIN_CASES), "--seed", "3", "--model", str(small_model_dir))
    assert r.returncode == 0 and "Warning" not in r.stderr, r.stderr
    json.loads(r.stdout, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
