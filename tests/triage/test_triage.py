"""assess(): one case in, probabilities, likely labels, disposition, red flags and reasons out."""

from __future__ import annotations

import math
import csv
import io

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

from twitch_triage import scoring
from twitch_triage import contract
from twitch_triage import triage

import reference_triage

MAGNESIUM = {"loc_eyelid": "yes", "loc_calves": "yes", "cramps": "yes", "muscle_tightness": "yes"}


def test_a_seed_magnesium_case_puts_magnesium_first_with_its_quote(kb, predictor):
    a = triage.assess(MAGNESIUM, predictor, kb)
    first = a.labels[0]
    assert first.label == "magnesium" and first.likely
    pushes = {e.answer: e for e in first.evidence}
    assert pushes["loc_eyelid"].effect > 0 and pushes["loc_eyelid"].agrees_with_kb is True
    assert pushes["loc_eyelid"].source.quote == "Eyelid twitching → magnesium deficiency"
    assert [t.text for t in first.tests] == ["Magnesium (clinical assessment)"]
    assert a.disposition == "see_doctor"  # two locations (eyelid and calves), and magnesium more likely than not
    assert [r.id for r in a.red_flags] == ["multiple_locations", "probable_deficiency"]


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
    assert set(a.probabilities) == set(contract.LABELS)


def test_the_batch_version_agrees_with_one_case_at_a_time(kb, predictor, cases_20k):
    X = cases_20k.X[:200]
    batch = reference_triage.assess_matrix(X, predictor, kb)
    for i in (0, 17, 199):
        case = {a: X[i, j] for j, a in enumerate(kb.answer_ids)}
        one = triage.assess(case, predictor, kb, explain=False)
        np.testing.assert_allclose([one.probabilities[lab] for lab in contract.LABELS], batch.P[i], atol=1e-6)
        assert one.disposition == batch.disposition[i]
        assert ";".join(one.likely) == batch.likely[i]
        assert {r.id for r in one.red_flags} == set(filter(None, batch.red_flags[i].split(";")))


class FixedScorer:
    """A stand-in for the model: the same probabilities for every case."""

    labels = contract.LABELS
    answer_ids = contract.ANSWERS

    def __init__(self, probabilities: dict[str, float]):
        self.p = np.array([probabilities.get(label, 0.1) for label in contract.LABELS])

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.tile(self.p, (len(X), 1))


AT_ONE_HALF = FixedScorer({"magnesium": 0.5, "calcium": 0.4999, "potassium": 0.75})


def test_a_probability_of_exactly_one_half_is_likely_for_one_case(kb):
    a = triage.assess({"loc_eyelid": "yes", "cramps": "no"}, AT_ONE_HALF, kb)
    assert a.likely == ("potassium", "magnesium")
    assert {r.label for r in a.labels if r.likely} == {"potassium", "magnesium"}


def test_a_probability_of_exactly_one_half_is_likely_in_a_file(kb, tmp_path):
    source, scored = tmp_path / "cases.csv", tmp_path / "scored.csv"
    source.write_text("case_id,loc_eyelid,cramps\nc1,yes,no\n", encoding="utf-8")
    scoring.score_file(source, scored, AT_ONE_HALF, kb)
    row = next(csv.DictReader(io.StringIO(scored.read_text(encoding="utf-8"))))
    assert (row["p_magnesium"], row["p_calcium"]) == ("0.5000", "0.4999")
    assert row["likely"] == "potassium;magnesium"


def test_a_scorer_without_predict_all_leaves_p_nothing_lacking_unknown(kb, tmp_path):
    assert math.isnan(triage.assess({"loc_eyelid": "yes"}, AT_ONE_HALF, kb).p_nothing_lacking)
    assert reference_triage.assess_matrix(np.full((2, len(contract.ANSWERS)), np.nan), AT_ONE_HALF, kb).nothing is None
    source, scored = tmp_path / "cases.csv", tmp_path / "scored.csv"
    source.write_text("case_id,loc_eyelid\nc1,yes\n", encoding="utf-8")
    scoring.score_file(source, scored, AT_ONE_HALF, kb)
    row = next(csv.DictReader(io.StringIO(scored.read_text(encoding="utf-8"))))
    assert (row["p_magnesium"], row["p_nothing_lacking"]) == ("0.5000", "")


def test_the_model_gives_one_case_p_nothing_lacking_as_its_row_in_a_matrix(kb, predictor, cases_20k):
    X = cases_20k.X[:40]
    every = predictor.predict_all(X)
    for i in (0, 13, 39):
        one = triage.assess({a: X[i, j] for j, a in enumerate(kb.answer_ids)}, predictor, kb)
        assert 0 <= one.p_nothing_lacking <= 1 and one.p_nothing_lacking == every[i, -1]
    out = triage.outputs(X, every[:, :-1], kb, predictor.answer_ids, predictor.labels, every[:, -1])
    np.testing.assert_array_equal(out.nothing_ten_thousandths, np.rint(every[:, -1] * 10_000).astype(int))
    assert triage.outputs(X, every[:, :-1], kb, predictor.answer_ids, predictor.labels).nothing_ten_thousandths is None


def _likely(P) -> list[list[str]]:
    rows, cols = triage.likely_picks(np.asarray(P, dtype=float))
    out: list[list[str]] = [[] for _ in range(len(P))]
    for i, j in zip(rows, cols):
        out[i].append(contract.LABELS[j])
    return out


def test_likely_lists_at_most_three_labels_most_probable_first():
    p = [0.55, 0.9, 0.6, 0.7, 0.51, 0.2, 0.0, 1.0, 0.5, 0.3]
    assert _likely([p]) == [["iron", "calcium", "sodium"]]


def test_likely_judges_the_probability_as_written_with_4_decimals_and_breaks_ties_in_label_order():
    p = np.full(10, 0.1)
    p[[2, 0, 5]] = 0.49995, 0.49994, 0.5  # written 0.5000, 0.4999, 0.5000
    assert _likely([p]) == [["potassium", "vitamin_b12"]]
    assert _likely([[0.6] * 10]) == [["magnesium", "calcium", "potassium"]]


def test_nothing_more_likely_than_not_lists_nothing():
    assert _likely([[0.4999] * 10, [0.0] * 10]) == [[], []]
    rows, cols = triage.likely_picks(np.zeros((0, 10)))
    assert rows.size == cols.size == 0


@given(P=arrays(np.float64, st.tuples(st.integers(0, 40), st.just(10)), elements=st.floats(0, 1)))
def test_likely_of_a_matrix_is_what_the_contract_says_of_each_row(P):
    for row, listed in zip(P, _likely(P)):
        written = np.round(row * 10_000)
        expected = [contract.LABELS[j] for j in sorted(range(10), key=lambda j: -written[j]) if written[j] >= 5_000][:3]
        assert listed == expected


def test_one_case_gets_the_outputs_of_its_row_in_a_matrix(kb, predictor, cases_20k):
    X = cases_20k.X[:300]
    P = predictor.predict_proba(X)
    many = triage.outputs(X, P, kb, predictor.answer_ids, predictor.labels)
    for i in range(0, 300, 7):
        one = triage.outputs(X[i:i + 1], P[i:i + 1], kb, predictor.answer_ids, predictor.labels)
        assert np.array_equal(one.likely_cols, many.likely_cols[many.likely_rows == i])
        assert one.level[0] == many.level[i] and np.array_equal(one.fired[0], many.fired[i])


def test_a_probable_deficiency_raises_self_care_to_see_a_doctor(kb):
    for label, level in (("iron", "see_doctor"), ("protein", "self_care"), ("dehydration", "self_care")):
        a = triage.assess({"loc_eyelid": "yes", "weakness": "no"}, FixedScorer({label: 0.95}), kb)
        assert a.disposition == level, label
        assert [r.id for r in a.red_flags] == (["probable_deficiency"] if level == "see_doctor" else [])


def test_the_model_never_lowers_an_emergency(kb):
    a = triage.assess({"chest_pain": "yes"}, FixedScorer({"magnesium": 0.99}), kb)
    assert a.disposition == "emergency"
    assert [r.id for r in a.red_flags] == ["chest_pain", "probable_deficiency"]


def test_each_label_shows_how_common_it_is_beside_its_probability(kb, predictor, noisy_or):
    a = triage.assess({"loc_eyelid": "yes"}, predictor, kb)
    common = dict(zip(kb.label_ids, noisy_or.label_prevalence))
    assert {r.label: r.prevalence for r in a.labels} == pytest.approx(common)
    assert max(common, key=common.get) == "magnesium"


VERSION_2 = ("painful", "chest_pain", "fainting", "seizure", "confusion", "sudden_weakness", "tetany", "dark_urine",
             "calf_swelling")
VERSION_3 = ("weakness_worsening",)


def test_a_version_1_file_without_the_new_answers_scores_them_as_unknown(kb, predictor, tmp_path):
    old = [a for a in contract.ANSWERS if a not in VERSION_2 + VERSION_3]
    assert len(old) == 44
    row = {a: "no" for a in old} | {"loc_eyelid": "yes", "weakness": "yes", contract.DAYS_ANSWER: "3"}
    v1, v2 = tmp_path / "v1.csv", tmp_path / "v2.csv"
    v1.write_text(",".join(old) + "\n" + ",".join(row[a] for a in old) + "\n", encoding="utf-8")
    v2.write_text(",".join(contract.ANSWERS) + "\n" + ",".join(row.get(a, "") for a in contract.ANSWERS) + "\n",
                  encoding="utf-8")
    outputs = []
    for source in (v1, v2):
        scoring.score_file(source, tmp_path / "out.csv", predictor, kb)
        scored = next(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8"))))
        outputs.append({c: scored[c] for c in contract.OUTPUT_COLUMNS})
    assert outputs[0] == outputs[1]
    assert outputs[0]["disposition"] == "see_doctor" and outputs[0]["red_flags"].startswith("weakness")
