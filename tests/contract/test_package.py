"""The package's face: what ``import twitch_triage`` offers a program, and that importing it stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import twitch_triage as tt
from twitch_triage import interview, triage
from twitch_triage.model import ArtifactError


def test_the_face_lists_what_a_program_needs_and_nothing_it_does_not_define():
    assert tt.__all__ == ["__version__", "Settings", "load_kb", "load_model", "assess", "interview_step", "score_file"]
    for name in tt.__all__:
        assert hasattr(tt, name), name


def test_importing_the_package_loads_no_model_code_and_no_heavy_library():
    code = ("import sys, json, twitch_triage; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('twitch_triage') "
            "or m.split('.')[0] in ('numpy', 'pyarrow', 'sklearn', 'pandas', 'yaml'))))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert loaded == ["twitch_triage", "twitch_triage.settings"]


def test_load_kb_and_load_model_read_the_folders_the_settings_name(tmp_path, small_model_dir):
    settings = tt.Settings(models_dir=small_model_dir)
    kb = tt.load_kb(settings=settings)
    assert kb.sha256 and kb.label_ids
    model = tt.load_model(kb=kb, settings=settings)
    assert tuple(model.answer_ids) == kb.answer_ids and tuple(model.labels) == kb.label_ids
    with pytest.raises(ArtifactError):
        tt.load_model(tmp_path, kb=kb)  # an empty folder: one line saying there is no model


def test_assess_and_interview_step_give_what_the_packages_give(kb, predictor):
    case = {"loc_eyelid": "yes", "high_caffeine": "yes", "stress": "yes"}
    assert repr(tt.assess(case, predictor, kb)) == repr(triage.assess(case, predictor, kb))  # (NaN for unknown)
    assert tt.interview_step(case, kb=kb, model=predictor) == interview.step(case, kb=kb, model=predictor)


def test_score_file_scores_a_file_as_the_command_does(tmp_path, kb, predictor):
    source = tmp_path / "cases.csv"
    source.write_text("case_id,loc_eyelid,chest_pain\n1,yes,no\n2,no,yes\n", encoding="utf-8")
    summary = tt.score_file(source, tmp_path / "scored.csv", predictor, kb)
    assert summary.rows == 2 and summary.dispositions["emergency"] == 1
    assert (tmp_path / "scored.csv").read_text(encoding="utf-8").splitlines()[0].startswith("case_id,loc_eyelid,chest_pain,p_")
