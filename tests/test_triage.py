"""assess(): one case in, probabilities, likely labels, disposition, red flags and reasons out."""

from __future__ import annotations

import csv
import io

import numpy as np

from twitch_triage import batch, config, triage

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


class FixedScorer:
    """A stand-in for the model: the same probabilities for every case."""

    labels = config.LABELS
    answer_ids = config.ANSWERS

    def __init__(self, probabilities: dict[str, float], threshold: float = 0.5):
        self.p = np.array([probabilities.get(label, 0.1) for label in config.LABELS])
        self.thresholds = np.full(len(config.LABELS), threshold)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.tile(self.p, (len(X), 1))


AT_THRESHOLD = FixedScorer({"magnesium": 0.5, "calcium": 0.4999, "potassium": 0.75})


def test_a_probability_exactly_at_the_threshold_is_likely_for_one_case(kb):
    a = triage.assess({"loc_eyelid": "yes", "cramps": "no"}, AT_THRESHOLD, kb)
    assert a.likely == ("potassium", "magnesium")
    assert {r.label for r in a.labels if r.likely} == {"potassium", "magnesium"}


def test_a_probability_exactly_at_the_threshold_is_likely_in_a_file(kb, tmp_path):
    source, scored = tmp_path / "cases.csv", tmp_path / "scored.csv"
    source.write_text("case_id,loc_eyelid,cramps\nc1,yes,no\n", encoding="utf-8")
    batch.score_file(source, scored, AT_THRESHOLD, kb)
    row = next(csv.DictReader(io.StringIO(scored.read_text(encoding="utf-8"))))
    assert (row["p_magnesium"], row["p_calcium"]) == ("0.5000", "0.4999")
    assert row["likely"] == "potassium;magnesium"
