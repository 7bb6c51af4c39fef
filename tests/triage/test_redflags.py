"""Red-flag rules: deterministic, most severe level wins, unknown never fires, yes never lowers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, strategies as st

from twitch_triage import contract
from twitch_triage.triage import redflags

import reference_triage

# The contract's rule table (version 3), each row on its own: (answers, level, the rules that fire).
CONTRACT = [
    *(({a: 1}, "emergency", {a}) for a in ("breathing_difficulty", "swallowing_or_speech_difficulty", "chest_pain",
                                           "fainting", "seizure", "confusion", "sudden_weakness")),
    *(({a: 1}, "urgent", {a}) for a in ("irregular_heartbeat", "tetany", "dark_urine", "calf_swelling")),
    ({"weakness": 1, "muscle_wasting": 1}, "urgent", {"weakness_with_wasting", "weakness", "muscle_wasting"}),
    ({"weakness": 1, "progressive": 1}, "urgent", {"progressive_weakness", "weakness", "progressive"}),
    ({"numbness": 1, "poor_coordination": 1}, "urgent",
     {"numbness_with_poor_coordination", "numbness", "poor_coordination"}),
    ({"weakness_worsening": 1}, "urgent", {"weakness_worsening"}),  # version 3
    *(({a: 1}, "see_doctor", {a}) for a in ("weakness", "numbness", "poor_coordination", "progressive",
                                            "muscle_wasting", "painful")),
    ({"duration_days": 15}, "see_doctor", {"long_duration"}),
    ({"loc_eyelid": 1, "loc_hands": 1}, "see_doctor", {"multiple_locations"}),
    ({"loc_eyelid": 1, "loc_hands": 1, "loc_feet": 1}, "see_doctor", {"multiple_locations"}),
    ({"loc_face": 1, "loc_mouth": 1, "loc_calves": 1, "loc_legs": 1}, "see_doctor", {"multiple_locations"}),
    ({"loc_widespread": 1}, "see_doctor", {"widespread"}),
    ({"loc_eyelid": 1, "duration_days": 14}, "self_care", set()),
    ({"loc_eyelid": 1, "duration_days": 3}, "self_care", set()),
]
COMBINATIONS = {"weakness_with_wasting": ("weakness", "muscle_wasting"), "progressive_weakness": ("weakness", "progressive"),
                "numbness_with_poor_coordination": ("numbness", "poor_coordination")}
BLOOD_TEST = ("magnesium", "calcium", "potassium", "sodium", "vitamin_d", "vitamin_b12", "vitamin_b6", "iron")


def _case(kb, fill: float, **answers) -> np.ndarray:
    x = np.full(len(kb.answer_ids), fill)
    x[kb.answer_ids.index(contract.DAYS_ANSWER)] = np.nan if np.isnan(fill) else 1
    for name, value in answers.items():
        x[kb.answer_ids.index(name)] = value
    return x


def _probabilities(**p: float) -> np.ndarray:
    return np.array([p.get(label, 0.1) for label in contract.LABELS])


@pytest.mark.parametrize(("answers", "level", "rules"), CONTRACT)
@pytest.mark.parametrize("others", [0.0, np.nan], ids=["others-no", "others-unknown"])
def test_every_contract_rule_fires_on_its_own(kb, answers, level, rules, others):
    result = reference_triage.evaluate(kb, _case(kb, others, **answers), p=_probabilities())
    assert result.level == level
    assert {rule.id for rule in result.fired} == rules


@pytest.mark.parametrize("combination", list(COMBINATIONS))
def test_each_part_of_a_combination_alone_gives_only_its_own_level(kb, combination):
    for part in COMBINATIONS[combination]:
        result = reference_triage.evaluate(kb, _case(kb, 0.0, **{part: 1}))
        assert result.level == "see_doctor" and combination not in {rule.id for rule in result.fired}


def test_weakness_that_gets_worse_is_urgent_alone_and_twitching_that_gets_worse_is_not(kb):
    """Version 3: `progressive` is about the twitching; `weakness_worsening` about the weakness itself."""
    worsening = reference_triage.evaluate(kb, _case(kb, 0.0, weakness_worsening=1, progressive=0))
    assert (worsening.level, [r.id for r in worsening.fired]) == ("urgent", ["weakness_worsening"])
    progressive = reference_triage.evaluate(kb, _case(kb, 0.0, progressive=1))
    assert (progressive.level, [r.id for r in progressive.fired]) == ("see_doctor", ["progressive"])
    both = reference_triage.evaluate(kb, _case(kb, np.nan, weakness=1, progressive=1))
    assert both.level == "urgent" and "progressive_weakness" in {r.id for r in both.fired}
    assert reference_triage.evaluate(kb, _case(kb, np.nan, weakness_worsening=np.nan, progressive=1)).level == "see_doctor"


def test_fourteen_days_do_not_fire_and_fifteen_do(kb):
    assert reference_triage.evaluate(kb, _case(kb, 0.0, duration_days=14)).fired == ()
    assert [r.id for r in reference_triage.evaluate(kb, _case(kb, 0.0, duration_days=15)).fired] == ["long_duration"]
    assert [r.id for r in reference_triage.evaluate(kb, _case(kb, 0.0, duration_days=14.01)).fired] == ["long_duration"]


# ---------------------------------------------------------------- probable_deficiency: the rule that reads the model


@pytest.mark.parametrize("label", BLOOD_TEST)
def test_probable_deficiency_fires_at_one_half_and_not_at_0_4999(kb, label):
    x = _case(kb, 0.0)
    at = reference_triage.evaluate(kb, x, p=_probabilities(**{label: 0.5}))
    below = reference_triage.evaluate(kb, x, p=_probabilities(**{label: 0.4999}))
    assert (at.level, [r.id for r in at.fired]) == ("see_doctor", ["probable_deficiency"])
    assert (below.level, below.fired) == ("self_care", ())


def test_probable_deficiency_judges_the_probability_as_written_with_4_decimals(kb):
    x = _case(kb, 0.0)
    assert reference_triage.evaluate(kb, x, p=_probabilities(iron=0.49995)).level == "see_doctor"  # written 0.5000
    assert reference_triage.evaluate(kb, x, p=_probabilities(iron=0.49994)).level == "self_care"  # written 0.4999


@pytest.mark.parametrize("label", ["protein", "dehydration"])
def test_probable_deficiency_never_fires_for_protein_or_dehydration(kb, label):
    result = reference_triage.evaluate(kb, _case(kb, 0.0), p=_probabilities(**{label: 0.99}))
    assert result.level == "self_care" and result.fired == ()


@given(data=st.data())
def test_probable_deficiency_never_lowers_a_level(kb, data):
    x = data.draw(_cases(kb))
    p = np.array(data.draw(st.lists(st.floats(0, 1), min_size=len(contract.LABELS), max_size=len(contract.LABELS))))
    by_answers = reference_triage.evaluate(kb, x)
    with_model = reference_triage.evaluate(kb, x, p=p)
    assert redflags.level_rank(with_model.level) <= redflags.level_rank(by_answers.level)
    assert {r.id for r in with_model.fired} - {r.id for r in by_answers.fired} <= {"probable_deficiency"}


def test_without_probabilities_the_rule_on_probabilities_cannot_fire(kb):
    assert reference_triage.evaluate(kb, _case(kb, 0.0)).fired == ()


def test_all_unknown_is_self_care(kb):
    result = reference_triage.evaluate(kb, _case(kb, np.nan))
    assert result.level == "self_care" and result.fired == ()


def _cases(kb):
    cell = st.sampled_from([0.0, 1.0, np.nan])
    n = len(kb.answer_ids)
    days = kb.answer_ids.index(contract.DAYS_ANSWER)

    @st.composite
    def build(draw):
        x = np.array(draw(st.lists(cell, min_size=n, max_size=n)))
        x[days] = draw(st.floats(0, 120) | st.just(float("nan")))
        return x

    return build()


@given(data=st.data())
def test_the_level_is_the_most_severe_rule_that_fired(kb, data):
    x = data.draw(_cases(kb))
    result = reference_triage.evaluate(kb, x)
    if result.fired:
        assert result.level == min((r.level for r in result.fired), key=redflags.level_rank)
    else:
        assert result.level == "self_care"


@given(data=st.data())
def test_an_unknown_answer_never_fires_a_rule(kb, data):
    x = data.draw(_cases(kb))
    unknown = np.isnan(x)
    fired = {rule.id for rule in reference_triage.evaluate(kb, x).fired}
    # the same case with its unknown answers as "no" (and unknown days as 0) fires the same rules
    assert {rule.id for rule in reference_triage.evaluate(kb, np.where(unknown, 0.0, x)).fired} == fired
    for rule in kb.red_flags:
        if rule.answers and all(unknown[kb.answer_ids.index(a)] for a in rule.answers):
            assert rule.id not in fired


_YES_NO = [i for i, a in enumerate(contract.ANSWERS) if a != contract.DAYS_ANSWER]


@given(yes=st.lists(st.sampled_from(_YES_NO), unique=True, max_size=6), added=st.sampled_from(_YES_NO))
def test_from_all_answers_no_adding_any_yes_never_lowers_the_level(kb, yes, added):
    x = _case(kb, 0.0)
    x[yes] = 1.0
    before = reference_triage.evaluate(kb, x)
    x[added] = 1.0
    after = reference_triage.evaluate(kb, x)
    assert redflags.level_rank(after.level) <= redflags.level_rank(before.level)
    assert {r.id for r in before.fired} <= {r.id for r in after.fired}


@given(data=st.data())
def test_a_longer_duration_never_lowers_the_level(kb, data):
    x = data.draw(_cases(kb))
    days = kb.answer_ids.index(contract.DAYS_ANSWER)
    before = redflags.level_rank(reference_triage.evaluate(kb, x).level)
    x[days] = (0 if np.isnan(x[days]) else x[days]) + data.draw(st.floats(0, 100))
    assert redflags.level_rank(reference_triage.evaluate(kb, x).level) <= before


def test_the_matrix_version_agrees_with_one_case_at_a_time(kb, cases_20k):
    X = cases_20k.X[:500]
    level, fired = redflags.evaluate_matrix(kb, X)
    for i in range(len(X)):
        one = reference_triage.evaluate(kb, X[i])
        assert contract.LEVELS[level[i]] == one.level
        assert {r.id for r in one.fired} == {kb.red_flags[k].id for k in np.flatnonzero(fired[i])}


def _one_rule_at_a_time(rules, X, answer_ids, written, labels):
    """The rules applied one by one, each as it reads: what the vectorised evaluate_matrix must equal."""
    index, label_index = {a: j for j, a in enumerate(answer_ids)}, {b: j for j, b in enumerate(labels)}
    fired = np.zeros((len(X), len(rules)), dtype=bool)
    for r, rule in enumerate(rules):
        for i, x in enumerate(X):
            yes = [x[index[a]] == 1 for a in rule.answers]  # an answer listed twice counts twice
            fired[i, r] = {"any_yes": lambda: any(yes), "all_yes": lambda: all(yes),
                           "count_yes": lambda: sum(yes) >= rule.threshold,
                           "above": lambda: any(x[index[a]] > rule.threshold for a in rule.answers),
                           "probability_at_least": lambda: any(
                               written[i, label_index[b]] >= round(rule.threshold * 10_000) for b in rule.labels),
                           }[rule.kind]()
    ranks = [contract.LEVELS.index(rule.level) for rule in rules]
    level = np.array([min([k for k, on in zip(ranks, row) if on], default=len(contract.LEVELS) - 1) for row in fired])
    return level, fired


@given(data=st.data())
def test_any_table_of_rules_fires_as_each_rule_reads_alone(kb, data):
    """Random tables of the knowledge base's rules, their answers redrawn (some listed twice), against the rules
    applied one by one: the yes answers counted in one matrix product, the level from what fired."""
    binary = [a for a in kb.answer_ids if a != contract.DAYS_ANSWER]
    binary = data.draw(st.lists(st.sampled_from(binary), min_size=1, max_size=4, unique=True), label="from")  # (repeats)
    rules = []
    for rule in data.draw(st.lists(st.sampled_from(kb.red_flags), min_size=1, max_size=8), label="rules"):
        if rule.kind in ("any_yes", "all_yes", "count_yes"):
            answers = data.draw(st.lists(st.sampled_from(binary), min_size=1, max_size=5), label="answers")
            threshold = data.draw(st.integers(1, 4), label="threshold") if rule.kind == "count_yes" else rule.threshold
            rule = dataclasses.replace(rule, answers=tuple(answers), threshold=float(threshold),
                                       level=data.draw(st.sampled_from(contract.LEVELS[:-1]), label="level"))
        rules.append(rule)
    table = dataclasses.replace(kb, red_flags=tuple(rules))
    n = data.draw(st.integers(1, 12), label="cases")
    X = np.array(data.draw(st.lists(st.lists(st.sampled_from([0.0, 1.0, np.nan]), min_size=len(kb.answer_ids),
                                             max_size=len(kb.answer_ids)), min_size=n, max_size=n), label="X"))
    X[:, kb.answer_ids.index(contract.DAYS_ANSWER)] = data.draw(
        st.lists(st.sampled_from([np.nan, 0.0, 14.0, 15.0, 400.0]), min_size=n, max_size=n), label="days")
    written = np.array(data.draw(st.lists(st.lists(st.integers(0, 10_000), min_size=len(kb.label_ids),
                                                   max_size=len(kb.label_ids)), min_size=n, max_size=n)))
    level, fired = redflags.evaluate_matrix(table, X, written=written)
    expected_level, expected_fired = _one_rule_at_a_time(rules, X, kb.answer_ids, written, kb.label_ids)
    np.testing.assert_array_equal(fired, expected_fired)
    np.testing.assert_array_equal(level, expected_level)
