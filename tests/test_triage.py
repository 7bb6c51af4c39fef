"""assess(): one case in, probabilities, likely labels, disposition, red flags and reasons out."""

from __future__ import annotations

import numpy as np

from twitch_triage import config, triage

MAGNESIUM = {"loc_eyelid": "yes", "loc_calves": "yes", "cramps": "yes", "muscle_tightness": "yes"}


def test_a_seed_magnesium_case_puts_magnesium_first_with_its_quote(kb, predictor):
    a = triage.assess(MAGNESIUM, predictor, kb)
    first = a.labels[0]
    assert first.label == "magnesium" and first.likely
    pushes = {e.answer: e for e in first.evidence}
    assert pushes["loc_eyelid"].effect > 0 and pushes["loc_eyelid"].agrees_with_kb is True
    assert pushes["loc_eyelid"].source.quote == "Eyelid twitching → magnesium deficiency"
    assert [t.text for t in first.tests] == ["Magnesium (clinical assessment)"]
    assert a.disposition == "see_doctor"  # two locations: eyelid and calves
    assert [r.id for r in a.red_flags] == ["multiple_locations"]


def test_breathing_difficulty_is_an_emergency_whatever_the_model_says(kb, predictor):
    a = triage.assess({**MAGNESIUM, "breathing_difficulty": "yes", "irregular_heartbeat": "yes"}, predictor, kb)
    assert a.disposition == "emergency" and a.level.id == "emergency"
    assert [r.id for r in a.red_flags][:1] == ["breathing_difficulty"]
    assert "irregular_heartbeat" in {r.id for r in a.red_flags}


def test_invalid_values_are_reported_and_taken_as_unknown(kb, predictor):
    a = triage.assess({"loc_eyelid": "maybe", "duration_days": "-3", "weakness": "YES "}, predictor, kb)
    assert a.errors == ("loc_eyelid: 'maybe' is not yes/no/unknown",
                        "duration_days: '-3' is not a number of days >= 0 or unknown")
    assert np.isnan(a.answers["loc_eyelid"]) and a.answers["weakness"] == 1.0
    assert a.disposition == "see_doctor"


def test_nothing_answered_is_self_care_with_no_evidence(kb, predictor):
    a = triage.assess({}, predictor, kb)
    assert a.disposition == "self_care" and a.answered == 0
    assert all(not r.evidence for r in a.labels)
    assert set(a.probabilities) == set(config.LABELS)


def test_the_batch_version_agrees_with_one_case_at_a_time(kb, predictor, cases_20k):
    X = cases_20k.X[:200]
    batch = triage.assess_matrix(X, predictor, kb)
    for i in (0, 17, 199):
        case = {a: X[i, j] for j, a in enumerate(kb.answer_ids)}
        one = triage.assess(case, predictor, kb, explain=False)
        np.testing.assert_allclose([one.probabilities[lab] for lab in config.LABELS], batch.P[i], atol=1e-6)
        assert one.disposition == batch.disposition[i]
        assert ";".join(one.likely) == batch.likely[i]
        assert {r.id for r in one.red_flags} == set(filter(None, batch.red_flags[i].split(";")))
