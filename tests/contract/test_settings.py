"""Settings: the project and model folders, the debug flag and the emergency number, read from the environment when asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from twitch_triage.settings import EMERGENCY_NUMBER_DEFAULT_TEXT, EMERGENCY_NUMBER_ENV, Settings


@pytest.mark.parametrize(("value", "number"), [
    ("112", "112"), (" 911 ", "911"), ("+44 20 7946-0000", "+44 20 7946-0000"), ("000", "000"),
    ("", None), ("   ", None), ("---", None), ("112; rm -rf /", None), ("call 112", None), ("112\n113", None),
    ("<a href=x>112</a>", None), ("[112](javascript:x)", None), ("1l2", None),
])
def test_only_digits_spaces_plus_and_minus_make_a_number(monkeypatch, value, number):
    monkeypatch.setenv(EMERGENCY_NUMBER_ENV, value)
    assert Settings.from_environment().emergency_number == number
    assert Settings.from_environment().emergency_number_text == (number or "your local emergency number")


def test_without_the_setting_the_text_says_your_local_emergency_number(monkeypatch):
    monkeypatch.delenv(EMERGENCY_NUMBER_ENV, raising=False)
    assert Settings.from_environment().emergency_number is None
    assert Settings.from_environment().emergency_number_text == EMERGENCY_NUMBER_DEFAULT_TEXT == "your local emergency number"
    assert EMERGENCY_NUMBER_ENV == "TWITCH_TRIAGE_EMERGENCY_NUMBER"


def test_the_settings_read_the_project_folder_the_model_folder_and_debug_from_the_environment(tmp_path):
    settings = Settings.from_environment({"TWITCH_TRIAGE_ROOT": str(tmp_path), "TWITCH_TRIAGE_DEBUG": "1"})
    assert settings.kb_path == tmp_path / "data" / "knowledge_base.yaml"
    assert settings.seeds_dir == tmp_path / "data" / "seeds"
    assert settings.models_dir == tmp_path / "models" and settings.reports_dir == tmp_path / "reports"
    assert settings.debug and settings.emergency_number is None
    elsewhere = Settings.from_environment({"TWITCH_TRIAGE_ROOT": str(tmp_path), "TWITCH_TRIAGE_MODELS": "/srv/model"})
    assert elsewhere.models_dir == Path("/srv/model") and not elsewhere.debug


def test_settings_are_read_when_asked_not_when_the_package_is_imported(monkeypatch, tmp_path):
    monkeypatch.setenv("TWITCH_TRIAGE_ROOT", str(tmp_path))
    assert Settings.from_environment().root == tmp_path
    monkeypatch.delenv("TWITCH_TRIAGE_ROOT")
    assert Settings.from_environment().root == Settings().root != tmp_path
