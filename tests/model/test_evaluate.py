"""Metrics and the seeds' rule scorer."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from twitch_triage import contract
from twitch_triage.model.evaluation import RuleScorer, expected_calibration_error, likely_metrics, metrics


def test_ece_is_near_zero_when_calibrated_and_equals_a_constant_shift():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.2, 0.8, 200_000)
    y = (rng.random(p.size) < p).astype(int)
    assert expected_calibration_error(y, p) < 0.01
    assert expected_calibration_error(y, p - 0.1) == pytest.approx(0.1, abs=0.01)


def test_metrics_have_the_contract_keys_and_reward_the_truth():
    rng = np.random.default_rng(1)
    P = rng.random((5_000, len(contract.LABELS)))
    Y = (rng.random(P.shape) < P).astype(int)
    good, noise = metrics(Y, P, contract.LABELS), metrics(Y, rng.random(P.shape), contract.LABELS)
    assert set(good) == {"macro_auroc", "mean_log_loss", "macro_brier", "max_ece", "per_label"}
    assert good["macro_auroc"] > noise["macro_auroc"] + 0.2
    assert good["mean_log_loss"] < noise["mean_log_loss"]


def test_the_likely_block_counts_over_all_labels_of_all_cases():
    Y = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 0]])
    listed = np.array([[1, 1, 0], [0, 0, 0], [1, 0, 0]], dtype=bool)
    # listed 3, right 2; lacking 4, found 2; 3 listed over 3 cases
    assert likely_metrics(Y, listed) == {"precision": round(2 / 3, 6), "recall": 0.5, "mean_count": 1.0}


def test_a_likely_block_with_nothing_listed_or_nothing_lacking_has_null_not_nan():
    assert likely_metrics(np.ones((2, 3)), np.zeros((2, 3), bool)) == {"precision": None, "recall": 0.0,
                                                                       "mean_count": 0.0}
    assert likely_metrics(np.zeros((2, 3)), np.ones((2, 3), bool))["recall"] is None
    json.dumps(likely_metrics(np.zeros((0, 3)), np.zeros((0, 3), bool)), allow_nan=False)


def test_the_rule_scorer_counts_the_seed_patterns_that_name_a_label(kb):
    x = np.full((1, len(kb.answer_ids)), np.nan)
    for answer in ("loc_eyelid", "loc_calves", "cramps", "fatigue"):
        x[0, kb.answer_ids.index(answer)] = 1
    scores = dict(zip(kb.label_ids, RuleScorer(kb).scores(x)[0]))
    # eyelid -> magnesium; calf cramps -> magnesium or potassium; seed 001's table rows for magnesium
    # (eyes/calves + fatigue) and vitamin D (calves/eyelids + fatigue)
    assert scores["magnesium"] == 3 and scores["potassium"] == 1 and scores["vitamin_d"] == 1
    assert scores["iron"] == 0 and scores["vitamin_b12"] == 0


def test_a_label_no_case_has_gets_a_null_auroc_and_the_macro_averages_the_others():
    rng = np.random.default_rng(2)
    P = rng.random((500, 3))
    Y = (rng.random(P.shape) < P).astype(int)
    Y[:, 1] = 0
    block = metrics(Y, P, ("a", "b", "c"))
    assert block["per_label"]["b"]["auroc"] is None
    assert block["macro_auroc"] == pytest.approx(np.mean([block["per_label"][k]["auroc"] for k in "ac"]), abs=1e-6)
    assert block["per_label"]["b"]["log_loss"] > 0


@given(arrays(np.int8, st.tuples(st.integers(1, 6), st.just(2)), elements=st.integers(0, 1)), st.data())
def test_the_metrics_of_any_cases_are_valid_json_without_nan(Y, data):
    P = data.draw(arrays(np.float64, Y.shape, elements=st.floats(0, 1)))
    block = metrics(Y, P, ("a", "b"))
    json.dumps(block, allow_nan=False)
    defined = [v["auroc"] for v in block["per_label"].values() if v["auroc"] is not None]
    assert (block["macro_auroc"] is None) == (not defined)
