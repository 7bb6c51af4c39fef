"""Behavioural tests of the trained model: directional, invariance, minimum functionality."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from twitch_triage import contract
from twitch_triage.model import training
from twitch_triage import triage


def _vector(kb, **answers) -> np.ndarray:
    x = np.full((1, len(kb.answer_ids)), np.nan)
    for name, value in answers.items():
        x[0, kb.answer_ids.index(name)] = value
    return x


BASE = {"loc_calves": 1, "fatigue": 1, "stress": 0, "breathing_difficulty": 0, "daily": 1}


DOCUMENTED = [("numbness", "vitamin_b12"), ("low_sun_exposure", "vitamin_d"), ("high_water_intake", "sodium"),
              ("loc_eyelid", "magnesium"), ("restless_legs", "iron"), ("loc_mouth", "calcium")]


@pytest.mark.parametrize(("answer", "label"), DOCUMENTED)
def test_answering_yes_to_a_documented_sign_raises_its_deficiency(kb, predictor, answer, label):
    j = contract.LABELS.index(label)
    without = predictor.predict_proba(_vector(kb, **BASE))[0, j]
    with_yes = predictor.predict_proba(_vector(kb, **BASE, **{answer: 1}))[0, j]
    with_no = predictor.predict_proba(_vector(kb, **BASE, **{answer: 0}))[0, j]
    assert with_yes > without >= with_no - 0.02
    assert with_yes > with_no


@pytest.mark.parametrize(("answer", "label"), DOCUMENTED)
def test_an_unknown_answer_lies_strictly_between_no_and_yes(kb, predictor, noisy_or, answer, label):
    j = contract.LABELS.index(label)
    for name, scorer in (("model", predictor.predict_proba), ("oracle", noisy_or.posterior)):
        no, unknown, yes = (scorer(_vector(kb, **BASE, **{answer: value}))[0, j] for value in (0, np.nan, 1))
        assert no < unknown < yes, (name, no, unknown, yes)


ELECTROLYTES = ("magnesium", "calcium", "potassium", "sodium")
# Seed 000's "Twitching Patterns That Point to Deficiency": the pattern's answers, and what must lead.
SEED_PATTERNS = [
    (("loc_eyelid",), 1, {"magnesium"}),  # Eyelid twitching → magnesium deficiency
    (("loc_calves", "cramps"), 2, {"magnesium", "potassium"}),  # Calf cramps → magnesium or potassium
    (("numbness",), 1, {"vitamin_b12"}),  # Twitching with numbness → B12 deficiency
    (("loc_widespread",), 1, {"vitamin_d", *ELECTROLYTES}),  # Diffuse twitching → vitamin D or electrolytes
]


@pytest.mark.parametrize(("yes", "top", "expected"), SEED_PATTERNS, ids=lambda v: "+".join(v) if isinstance(v, tuple) else None)
@pytest.mark.parametrize("scorer", ["model", "oracle"])
def test_each_line_of_the_seed_pattern_list_leads_on_realistic_sparse_answers(kb, predictor, noisy_or, yes, top,
                                                                               expected, scorer):
    """The pattern's answers yes, the other places no, everything else unknown: as people answer."""
    places = {a: 0 for a in kb.answer_ids if a.startswith("loc_")}
    x = _vector(kb, **{**places, **{a: 1 for a in yes}})
    p = (predictor.predict_proba if scorer == "model" else noisy_or.posterior)(x)[0]
    leading = {contract.LABELS[j] for j in np.argsort(-p, kind="stable")[:top]}
    assert leading <= expected, dict(zip(contract.LABELS, p.round(3)))


def test_answering_that_it_improves_with_rest_lowers_magnesium_and_that_it_persists_raises_it(kb, predictor):
    j = contract.LABELS.index("magnesium")
    case = {"loc_eyelid": 1, "at_rest": 1, "daily": 1}
    improves, unknown, persists = (predictor.predict_proba(_vector(kb, **case, improves_with_rest=v))[0, j]
                                   for v in (1, np.nan, 0))
    assert improves < unknown < persists


def test_corticosteroids_raise_potassium(kb, predictor):
    j = contract.LABELS.index("potassium")
    case = {"cramps": 1, "weakness": 1}
    no, yes = (predictor.predict_proba(_vector(kb, **case, corticosteroids=v))[0, j] for v in (0, 1))
    assert yes > no + 0.1


def test_case_id_key_order_and_extra_keys_do_not_change_the_scores(kb, predictor):
    case = {"loc_eyelid": "yes", "cramps": "no", "duration_days": "20", "stress": "Y", "numbness": "?"}
    base = triage.assess(case, predictor, kb).probabilities
    shuffled = dict(reversed(list(case.items())))
    extra = {"case_id": "abc-1", "clinic": "north", **case, "note": "=1+1"}
    assert triage.assess(shuffled, predictor, kb).probabilities == base
    assert triage.assess(extra, predictor, kb).probabilities == base


@given(rows=st.lists(st.lists(st.sampled_from([0.0, 1.0, np.nan]), min_size=len(contract.ANSWERS) - 1,
                              max_size=len(contract.ANSWERS) - 1), min_size=1, max_size=30))
def test_probabilities_are_in_0_1_and_independent_of_the_other_rows(kb, predictor, rows):
    X = np.array(rows)
    X = np.insert(X, kb.answer_ids.index(contract.DAYS_ANSWER), np.nan, axis=1)
    P = predictor.predict_proba(X)
    assert P.shape == (len(X), 10) and np.all((P >= 0) & (P <= 1))
    np.testing.assert_allclose(P[-1:], predictor.predict_proba(X[-1:]), atol=1e-6)


def test_the_model_beats_the_rules_and_follows_the_oracle_on_held_out_cases(predictor):
    metrics = predictor.metadata["metrics"]
    m, o, r = metrics["model"], metrics["oracle"], metrics["rules"]
    assert m["macro_auroc"] > r["macro_auroc"] + 0.1
    assert m["mean_log_loss"] < r["mean_log_loss"]
    # a small test model: looser than the project's targets, which `make bench` checks on the real one
    assert m["macro_auroc"] > o["macro_auroc"] - 0.03
    assert m["mean_log_loss"] < o["mean_log_loss"] * 1.15
    assert m["max_ece"] < 0.06


def test_likely_is_more_likely_than_not_most_probable_first(kb, predictor):
    a = triage.assess({"loc_eyelid": "yes", "loc_calves": "yes", "cramps": "yes", "muscle_tightness": "yes"},
                      predictor, kb)
    assert a.likely[0] == "magnesium"
    assert list(a.likely) == [r.label for r in a.labels if r.probability >= 0.5][:3]
    assert [r.label for r in a.labels if r.likely] == list(a.likely)


def test_visible_wasting_alone_lists_no_nutrient(kb, predictor, noisy_or):
    x = _vector(kb, muscle_wasting=1)
    for scorer in (predictor.predict_proba, noisy_or.posterior):
        assert scorer(x)[0].max() < 0.5
    assert triage.assess({"muscle_wasting": "yes"}, predictor, kb).likely == ()




# --------------------------------------------------------------------------- durations the model has not seen

# Generated durations reach about 280 days; the app accepts 36,500 and a file any number.
DURATIONS = [0, 1, 7, 14, 15, 30, 90, 180, 277, 365, 730, 3650, 36_500, 1e6]
PATTERNS = [{}, {"cramps": 1}, *({answer: 1} for answer, _ in DOCUMENTED),
            {"loc_calves": 1, "at_night": 1, "strenuous_exercise": 1, "heavy_sweating": 1},
            {"tingling": 1, "numbness": 1}, {"loc_eyelid": 1, "cramps": 0, "fatigue": 0, "tingling": 0}]
# The network is distilled from the oracle, not equal to it: on answers this sparse (one to four known, the
# rest unknown) it is up to about 0.09 from the oracle at the durations most cases report (0 to 30 days), 0.008
# on average over held-out cases. What this guards against is the network's own guess beyond the days it was
# trained on (magnesium at 0.00 against the oracle's 0.36 at 3,650 days): at any duration the error may exceed
# the pattern's error at 0 to 30 days by at most SLACK, and never TOLERANCE.
TOLERANCE = 0.15
SLACK = 0.03


def _durations(kb, pattern: dict) -> np.ndarray:
    X = np.repeat(_vector(kb, **pattern), len(DURATIONS), axis=0)
    X[:, kb.answer_ids.index(contract.DAYS_ANSWER)] = DURATIONS
    return X


@pytest.fixture(scope="module")
def full_predictor(kb):
    """A model trained as `make train` trains it (200,000 cases, the default network): the accuracy of record."""
    return training.train(kb, eval_n=1000, quiet=True, save=False).predictor


def test_the_oracle_no_longer_moves_beyond_the_days_the_model_keeps(kb, predictor, noisy_or, cases_20k):
    days = kb.answer_ids.index(contract.DAYS_ANSWER)
    at_cap, beyond = cases_20k.X.copy(), cases_20k.X.copy()
    at_cap[:, days], beyond[:, days] = predictor.network.days_cap, 1e6
    assert 30 < predictor.network.days_cap < 280
    np.testing.assert_allclose(noisy_or.posterior(beyond), noisy_or.posterior(at_cap), atol=0.005)


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: "+".join(p) or "nothing")
def test_beyond_the_days_it_keeps_the_model_answers_as_it_does_at_the_last_of_them(kb, predictor, pattern):
    X = _durations(kb, pattern)
    beyond = np.array(DURATIONS) >= predictor.network.days_cap
    assert beyond[DURATIONS.index(277):].all()  # every duration past the longest generated ones
    at_cap = X[:1].copy()
    at_cap[0, kb.answer_ids.index(contract.DAYS_ANSWER)] = predictor.network.days_cap
    P = predictor.predict_proba(X)
    np.testing.assert_array_equal(P[beyond], np.repeat(predictor.predict_proba(at_cap), beyond.sum(), axis=0))
    assert not np.array_equal(P[0], P[-1])  # shorter durations still count


@pytest.mark.slow
@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: "+".join(p) or "nothing")
def test_any_duration_gives_probabilities_close_to_the_oracles(kb, full_predictor, noisy_or, pattern):
    X = _durations(kb, pattern)
    error = np.abs(full_predictor.predict_proba(X) - noisy_or.posterior(X)).max(axis=1)
    usual = error[np.array(DURATIONS) <= 30].max()
    assert error.max() <= min(usual + SLACK, TOLERANCE), dict(zip(DURATIONS, error.round(3)))
