"""The interview's safety policy, branch by branch: the emergency stop, the checklist first, the urgent stop (and
going on for a report), the core history, the cap, and the answers an answer rule still needs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from twitch_triage import contract
from twitch_triage.triage import redflags
from twitch_triage.interview import policy, questions

LEVEL = {name: redflags.level_rank(name) for name in contract.LEVELS}


@pytest.fixture(scope="module")
def qs(kb):
    return questions.build(kb)


def vector(kb, answers: dict) -> tuple[np.ndarray, np.ndarray]:
    """Answers as the policy reads them: 1 yes, 0 no, NaN unknown, days; and which were given."""
    x = np.full(len(kb.answer_ids), np.nan)
    given = np.zeros(len(kb.answer_ids), dtype=bool)
    for a, v in answers.items():
        j = kb.answer_ids.index(a)
        x[j] = {"yes": 1.0, "no": 0.0, "unknown": np.nan}.get(v, v) if isinstance(v, str) else v
        given[j] = True
    return x, given


def through(qs, upto: int, **extra) -> dict:
    """The checklist answered no, then the first ``upto`` core screens answered no (days: 3), then ``extra``."""
    answers = {a: "no" for a in qs.checklist.answers}
    for q in qs.core[:upto]:
        answers.update({a: 3.0 if a == contract.DAYS_ANSWER else "no" for a in q.answers})
    return {**answers, **extra}


def decide(kb, qs, answers, level="self_care", screens=0, **kw):
    x, given_ = vector(kb, answers)
    return policy.decide(qs, kb, x, given_, LEVEL[level], screens, **kw)


def test_the_checklist_is_every_answer_that_alone_reaches_urgent_and_the_warning_group_agrees(kb, qs):
    alone = set()
    for a in kb.answer_ids:
        if a == contract.DAYS_ANSWER:
            continue
        level, _ = redflags.evaluate_matrix(kb, np.array([[1.0 if b == a else np.nan for b in kb.answer_ids]]))
        if level[0] <= LEVEL["urgent"]:
            alone.add(a)
    assert set(qs.checklist.answers) == alone == {a.id for a in kb.answers if a.group == "warning"}


def test_the_core_history_is_where_how_long_and_the_lifestyle_screen_and_every_answer_is_asked_once(kb, qs):
    where, days, lifestyle = qs.core
    assert (where.id, days.id, lifestyle.id) == (questions.WHERE, contract.DAYS_ANSWER, questions.LIFESTYLE)
    assert where.answers == tuple(a for a in contract.ANSWERS if a.startswith("loc_"))
    assert days.kind == "number" and set(lifestyle.answers) == set(contract.LIFESTYLE)
    asked = [*qs.checklist.answers, *(a for q in qs.core for a in q.answers),
             *(a for answers in qs.topics.values() for a in answers)]
    assert sorted(asked) == sorted(kb.answer_ids)


@given(for_report=st.booleans(), screens=st.integers(0, 40))
def test_an_emergency_stops_at_once_whatever_else(kb, qs, for_report, screens):
    d = decide(kb, qs, {}, "emergency", screens, for_report=for_report)
    assert d == policy.Decision(stop="emergency")


def test_the_checklist_comes_first_with_only_its_unanswered_items(kb, qs):
    d = decide(kb, qs, {"chest_pain": "no", "tetany": "unknown"}, "urgent")
    assert d.ask.id == questions.CHECKLIST and not d.stop
    assert d.ask.answers == tuple(a for a in qs.checklist.answers if a not in ("chest_pain", "tetany"))


def test_urgent_stops_once_every_checklist_item_has_an_answer(kb, qs):
    assert decide(kb, qs, through(qs, 0), "urgent").stop == "urgent"


def test_asked_for_a_report_an_urgent_case_goes_on_with_the_core_history(kb, qs):
    d = decide(kb, qs, through(qs, 0), "urgent", for_report=True)
    assert not d.stop and d.ask.id == questions.WHERE


@pytest.mark.parametrize("upto", [0, 1, 2])
def test_the_core_history_comes_in_order_after_the_checklist(kb, qs, upto):
    d = decide(kb, qs, through(qs, upto), "see_doctor", screens=30)  # before the cap
    assert d.ask == qs.core[upto] and not d.stop


def test_a_core_screen_asks_only_what_is_left_of_it(kb, qs):
    d = decide(kb, qs, through(qs, 0, loc_eyelid="yes", loc_face="unknown"))
    assert d.ask.id == questions.WHERE
    assert d.ask.answers == tuple(a for a in qs.core[0].answers if a not in ("loc_eyelid", "loc_face"))


@pytest.mark.parametrize("cap", [4, 5, 9])
def test_the_cap_stops_at_exactly_its_number_of_screens(kb, qs, cap):
    answers = through(qs, 3)
    assert decide(kb, qs, answers, screens=cap, cap=cap).stop == "cap"
    assert not decide(kb, qs, answers, screens=cap - 1, cap=cap).stop


def test_after_the_core_history_the_rule_answers_above_the_level_must_be_asked(kb, qs):
    d = decide(kb, qs, through(qs, 3))
    assert d == policy.Decision(must=d.must) and d.must
    assert {"weakness", "numbness", "poor_coordination", "progressive", "muscle_wasting", "painful"} <= set(d.must)


def test_with_weakness_the_answers_of_the_urgent_rules_on_weakness_are_still_needed(kb, qs):
    d = decide(kb, qs, through(qs, 3, weakness="yes"), "see_doctor")
    assert {"muscle_wasting", "progressive"} <= set(d.must)
    assert "painful" not in d.must  # a see-a-doctor rule cannot raise a see-a-doctor level


def test_an_answer_given_as_unknown_is_not_needed_again(kb, qs):
    d = decide(kb, qs, through(qs, 3, weakness="unknown", numbness="no"))
    assert "weakness" not in d.must and "numbness" not in d.must
    assert "poor_coordination" in d.must


def test_days_not_given_are_needed_when_their_rule_could_raise_the_level(kb):
    x, given_ = vector(kb, {})
    assert contract.DAYS_ANSWER in policy.must_ask(kb, x, given_)
    x, given_ = vector(kb, {contract.DAYS_ANSWER: 3.0})
    assert contract.DAYS_ANSWER not in policy.must_ask(kb, x, given_)


def test_nothing_is_needed_when_the_rules_are_at_the_level_any_rule_left_could_reach(kb, qs):
    answers = through(qs, 3, weakness="yes", muscle_wasting="yes")  # urgent already
    x, given_ = vector(kb, answers)
    assert policy.must_ask(kb, x, given_) == ()


@given(yes=st.lists(st.sampled_from(["weakness", "numbness", "poor_coordination", "progressive", "muscle_wasting",
                                     "painful", "loc_eyelid", "loc_hands"]), unique=True))
def test_what_must_be_asked_could_raise_the_rules_and_nothing_else_could(kb, qs, yes):
    answers = through(qs, 3, **{a: "yes" for a in yes})
    x, given_ = vector(kb, answers)
    now = redflags.evaluate_matrix(kb, x[None, :])[0][0]
    must = policy.must_ask(kb, x, given_)
    for a in kb.answer_ids:
        if given_[kb.answer_ids.index(a)]:
            assert a not in must
    # all the rest answered no: the rules stay; all the must answered yes: the rules rise if any is needed
    rest = np.where(given_, x, 0.0)
    assert redflags.evaluate_matrix(kb, rest[None, :])[0][0] == now
    top = rest.copy()
    top[[kb.answer_ids.index(a) for a in must]] = 1.0
    assert (redflags.evaluate_matrix(kb, top[None, :])[0][0] < now) == bool(must)


def test_a_rule_that_can_no_longer_fire_needs_nothing(kb, qs):
    answers = through(qs, 3, weakness="no", numbness="no")
    answers[contract.DAYS_ANSWER] = 20.0  # see a doctor: over two weeks
    x, given_ = vector(kb, answers)
    assert policy.must_ask(kb, x, given_) == ()  # the urgent rules need weakness or numbness, both "no"
