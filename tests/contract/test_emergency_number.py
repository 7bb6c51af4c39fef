"""The emergency number is a setting: a number from the environment, or "your local emergency number"."""

from __future__ import annotations

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
