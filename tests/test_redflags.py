"""Red-flag rules: deterministic, most severe level wins, unknown never fires, yes never lowers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from twitch_triage import config, redflags

CONTRACT = [
    ({"breathing_difficulty": 1}, "emergency"),
    ({"swallowing_or_speech_difficulty": 1}, "emergency"),
    ({"irregular_heartbeat": 1}, "urgent"),
    ({"weakness": 1}, "see_doctor"),
    ({"numbness": 1}, "see_doctor"),
    ({"poor_coordination": 1}, "see_doctor"),
    ({"progressive": 1}, "see_doctor"),
    ({"muscle_wasting": 1}, "see_doctor"),
    ({"duration_days": 15}, "see_doctor"),
    ({"loc_eyelid": 1, "loc_hands": 1}, "see_doctor"),
    ({"loc_eyelid": 1, "loc_hands": 1, "loc_feet": 1}, "see_doctor"),
    ({"loc_face": 1, "loc_mouth": 1, "loc_calves": 1, "loc_legs": 1}, "see_doctor"),
    ({"loc_widespread": 1}, "see_doctor"),
    ({"loc_eyelid": 1, "duration_days": 14}, "self_care"),
    ({"loc_eyelid": 1, "duration_days": 3}, "self_care"),
]


def _case(kb, fill: float, **answers) -> np.ndarray:
    x = np.full(len(kb.answer_ids), fill)
    x[kb.answer_ids.index(config.DAYS_ANSWER)] = np.nan if np.isnan(fill) else 1
    for name, value in answers.items():
        x[kb.answer_ids.index(name)] = value
    return x


@pytest.mark.parametrize(("answers", "level"), CONTRACT)
@pytest.mark.parametrize("others", [0.0, np.nan], ids=["others-no", "others-unknown"])
def test_every_contract_rule_fires_on_its_own(kb, answers, level, others):
    assert redflags.evaluate(kb, _case(kb, others, **answers)).level == level


def test_all_unknown_is_self_care(kb):
    result = redflags.evaluate(kb, _case(kb, np.nan))
    assert result.level == "self_care" and result.fired == ()


def _cases(kb):
    cell = st.sampled_from([0.0, 1.0, np.nan])
    n = len(kb.answer_ids)
    days = kb.answer_ids.index(config.DAYS_ANSWER)

    @st.composite
    def build(draw):
        x = np.array(draw(st.lists(cell, min_size=n, max_size=n)))
        x[days] = draw(st.floats(0, 120) | st.just(float("nan")))
        return x

    return build()


@given(data=st.data())
def test_the_level_is_the_most_severe_rule_that_fired(kb, data):
    x = data.draw(_cases(kb))
    result = redflags.evaluate(kb, x)
    if result.fired:
        assert result.level == min((r.level for r in result.fired), key=redflags.level_rank)
    else:
        assert result.level == "self_care"


@given(data=st.data())
def test_an_unknown_answer_never_fires_a_rule(kb, data):
    x = data.draw(_cases(kb))
    unknown_only = {kb.answer_ids[j] for j in np.flatnonzero(np.isnan(x))}
    for rule in redflags.evaluate(kb, x).fired:
        if rule.kind in ("any_yes", "above"):
            assert not set(rule.answers) <= unknown_only, rule.id


@given(data=st.data())
def test_an_added_yes_never_lowers_the_level(kb, data):
    x = data.draw(_cases(kb))
    j = data.draw(st.sampled_from([i for i, a in enumerate(kb.answer_ids) if a != config.DAYS_ANSWER]))
    before = redflags.level_rank(redflags.evaluate(kb, x).level)
    x[j] = 1.0
    assert redflags.level_rank(redflags.evaluate(kb, x).level) <= before


@given(data=st.data())
def test_a_longer_duration_never_lowers_the_level(kb, data):
    x = data.draw(_cases(kb))
    days = kb.answer_ids.index(config.DAYS_ANSWER)
    before = redflags.level_rank(redflags.evaluate(kb, x).level)
    x[days] = (0 if np.isnan(x[days]) else x[days]) + data.draw(st.floats(0, 100))
    assert redflags.level_rank(redflags.evaluate(kb, x).level) <= before


def test_the_matrix_version_agrees_with_one_case_at_a_time(kb, cases_20k):
    X = cases_20k.X[:500]
    level, fired = redflags.evaluate_matrix(kb, X)
    for i in range(len(X)):
        one = redflags.evaluate(kb, X[i])
        assert config.LEVELS[level[i]] == one.level
        assert {r.id for r in one.fired} == {kb.red_flags[k].id for k in np.flatnonzero(fired[i])}
