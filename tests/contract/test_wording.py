"""Numbers and names as a person reads them (``twitch_triage.wording``)."""

from __future__ import annotations

import pytest

from twitch_triage.wording import closest, percent


@pytest.mark.parametrize("p, text", [(0.0, "0%"), (0.004, "0%"), (0.005, "0%"), (0.0051, "1%"), (0.237, "24%"),
                                     (1.0, "100%")])
def test_a_probability_reads_as_a_whole_percent(p, text):
    assert percent(p) == text


@pytest.mark.parametrize("p, text", [(0.0, "0%"), (1e-9, "<1%"), (0.0049, "<1%"), (0.005, "0%"), (0.006, "1%"),
                                     (0.5, "50%")])
def test_below_one_says_less_than_one_percent_for_a_chance_that_rounds_to_none(p, text):
    assert percent(p, below_one=True) == text


def test_closest_names_the_one_known_name_a_slip_meant_or_none():
    known = ["loc_eyelid", "loc_calves", "cramps"]
    assert closest("loc_eyeli", known) == "loc_eyelid"
    assert closest("cramp", known, cutoff=0.8) == "cramps"
    assert closest("zzz", known) is None


def test_closest_takes_nothing_below_its_cutoff():
    assert closest("cram", ["cramps"], cutoff=0.8) == "cramps"  # alike 0.8
    assert closest("cra", ["cramps"], cutoff=0.8) is None  # alike 0.67
    assert closest("cra", ["cramps"], cutoff=0.6) == "cramps"
