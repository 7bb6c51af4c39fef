"""The interview step: the checklist first, questions never asked twice, stopping only when no answer rule could
raise the disposition, and the same outputs as batch scoring."""

from __future__ import annotations

import math
import re

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, strategies as st

from twitch_triage import batch, config, interview, knowledge, redflags, vignettes

YES_NO = [a for a in config.ANSWERS if a != config.DAYS_ANSWER]
SPELLINGS = ["yes", "no", "unknown", "Y", " n ", "1", "0", "true", "F", "", "?", "n/a"]


@pytest.fixture(scope="module")
def interviewer(kb, predictor):
    return interview.Interviewer(kb, predictor)


@pytest.fixture(scope="module")
def patient(kb, predictor):
    """An interviewer that asks while anything is left."""
    return interview.Interviewer(kb, predictor, stop_below=0.0, cap=len(config.ANSWERS))


@pytest.fixture(scope="module")
def eager(kb, predictor):
    """An interviewer that stops as soon as it may: only the rules keep it asking."""
    return interview.Interviewer(kb, predictor, stop_below=math.inf)


def answer_sets(keys=config.ANSWERS):
    """Random answers: a few of ``keys``, or all but a few, each in some accepted spelling (days as text or a
    number)."""
    def value(key):
        if key == config.DAYS_ANSWER:
            return st.one_of(st.sampled_from(["", "unknown"]), st.integers(0, 400).map(str),
                             st.integers(0, 60))
        return st.sampled_from(SPELLINGS)

    few = st.lists(st.sampled_from(list(keys)), unique=True)
    all_but_a_few = st.lists(st.sampled_from(list(keys)), unique=True, max_size=4).map(
        lambda left: [k for k in keys if k not in left])
    return st.one_of(few, all_but_a_few).flatmap(lambda picked: st.fixed_dictionaries({k: value(k) for k in picked}))


def with_checklist(answers: dict, checklist: tuple[str, ...]) -> dict:
    """``answers`` with every warning sign answered, "no" unless given (no emergency unless given)."""
    return {**{a: "no" for a in checklist}, **answers}


def rule_level(interviewer, answers: dict) -> int:
    """The level of the answer rules alone (the rules on probabilities never fire without probabilities)."""
    x, _ = interviewer.parse(answers)
    level, _ = redflags.evaluate_matrix(interviewer.kb, x[None, :])
    return int(level[0])


def test_the_checklist_is_every_answer_that_alone_reaches_urgent_and_the_warning_group_agrees(kb, interviewer):
    alone = set()
    for a in YES_NO:
        level, _ = redflags.evaluate_matrix(kb, np.array([[1.0 if b == a else np.nan for b in kb.answer_ids]]))
        if level[0] <= redflags.level_rank("urgent"):
            alone.add(a)
    assert set(interviewer.checklist.answers) == alone
    assert alone == {a.id for a in kb.answers if a.group == "warning"}


def test_the_rule_answers_beyond_the_checklist_are_asked_as_screens_and_a_number(interviewer):
    screens = {q.id: q for q in interviewer.rule_questions}
    assert screens["where"].answers == tuple(a for a in config.ANSWERS if a.startswith("loc_"))
    assert screens[config.DAYS_ANSWER].kind == "number"
    assert set(screens[interview.OTHER_SIGNS].answers) == {
        "weakness", "numbness", "poor_coordination", "progressive", "muscle_wasting", "painful"}
    asked = [a for q in interviewer.questions for a in q.answers]
    assert sorted(asked) == sorted(config.ANSWERS)  # every answer asked once


def test_the_first_step_is_the_whole_checklist(interviewer):
    result = interviewer.step({})
    q = result["question"]
    assert q["type"] == "group_multiple" and q["id"] == interview.CHECKLIST
    assert [item["id"] for item in q["items"]] == list(interviewer.checklist.answers)
    assert result["asked"] == 0 and not result["should_stop"] and result["expected_gain"] > 0


@given(answers=answer_sets())
def test_the_checklist_comes_first_while_any_item_is_unanswered(interviewer, answers):
    missing = [a for a in interviewer.checklist.answers if a not in answers]
    result = interviewer.step(answers)
    if result["disposition"] == "emergency":
        assert result["question"] is None
    elif missing:
        assert result["question"]["id"] == interview.CHECKLIST
        assert [item["id"] for item in result["question"]["items"]] == missing


@given(answers=answer_sets())
def test_the_next_question_is_never_one_already_answered(patient, answers):
    answers = with_checklist(answers, patient.checklist.answers)
    result = patient.step(answers)
    q = result["question"]
    if q is not None:
        asked = [item["id"] for item in q["items"]] if q["type"] == "group_multiple" else [q["id"]]
        assert asked and not set(asked) & set(answers)
    elif result["disposition"] != "emergency":
        assert set(answers) == set(config.ANSWERS)


@given(answers=answer_sets(), sign=st.sampled_from(["breathing_difficulty", "chest_pain", "seizure", "confusion"]))
def test_an_emergency_answer_stops_at_once(interviewer, answers, sign):
    result = interviewer.step({**answers, sign: "yes"})
    assert result["disposition"] == "emergency"
    assert result["should_stop"] and result["question"] is None


@given(answers=answer_sets())
def test_it_never_stops_while_an_answer_rule_could_raise_the_disposition(eager, answers):
    answers = with_checklist(answers, eager.checklist.answers)
    result = eager.step(answers)
    if not result["should_stop"]:
        return
    level = rule_level(eager, answers)
    unanswered = [a for a in config.ANSWERS if a not in answers]
    every_yes = {**answers, **{a: "1000" if a == config.DAYS_ANSWER else "yes" for a in unanswered}}
    assert rule_level(eager, every_yes) >= level


CALM = {a: "no" for a in ("weakness", "numbness", "poor_coordination", "progressive", "muscle_wasting", "painful",
                           *(a for a in config.ANSWERS if a.startswith("loc_")))}
SINGLES = [a for a in YES_NO if a not in CALM]


@given(answers=answer_sets(SINGLES), where=st.sampled_from([a for a in config.ANSWERS if a.startswith("loc_")]))
def test_it_never_stops_while_one_more_answer_would_raise_the_disposition(eager, answers, where):
    """Cases with no answer rule left to fire, so that the rule on the model's probabilities is the one left."""
    answers = with_checklist({**CALM, "duration_days": "3", where: "yes", **answers}, eager.checklist.answers)
    result = eager.step(answers)
    if not result["should_stop"]:
        return
    level = config.LEVELS.index(result["disposition"])
    for a in config.ANSWERS:
        if a not in answers:
            for value in ("1000", "0") if a == config.DAYS_ANSWER else ("yes", "no"):
                assert config.LEVELS.index(eager.step({**answers, a: value})["disposition"]) >= level, (a, value)


def test_the_eager_interview_asks_until_no_rule_could_raise_the_disposition(eager):
    answers = with_checklist({"numbness": "yes"}, eager.checklist.answers)
    result = eager.step(answers)
    assert not result["should_stop"]
    q = result["question"]
    asked = [item["id"] for item in q["items"]] if q["type"] == "group_multiple" else [q["id"]]
    assert "poor_coordination" in asked  # numbness with poor coordination is urgent
    answers.update({"poor_coordination": "no", "weakness": "no", "progressive": "no", "muscle_wasting": "no",
                    "loc_eyelid": "no", "loc_calves": "no"})
    result = eager.step(answers)
    assert result["should_stop"]  # nothing left can raise see_doctor: the rest of the screens may stay open


@given(answers=answer_sets())
def test_the_outputs_are_what_batch_scoring_writes_for_the_same_answers(kb, predictor, interviewer, answers):
    result = interviewer.step(answers)
    table = pa.table({k: pa.array([str(v)], pa.string()) for k, v in answers.items()} or
                     {"case_id": pa.array(["c"], pa.string())})
    row = batch.score_frame(table, predictor, kb).to_pylist()[0]
    assert result["probabilities"] == {lab: float(row[f"p_{lab}"]) for lab in config.LABELS}
    assert ";".join(result["likely"]) == row["likely"]
    assert result["disposition"] == row["disposition"]
    assert ";".join(result["red_flags"]) == row["red_flags"]


@given(answers=answer_sets(YES_NO))
def test_an_answer_given_as_unknown_is_not_asked_again(patient, answers):
    unknown = {a for a, v in answers.items() if v in ("unknown", "", "?", "n/a")}
    answers = with_checklist(answers, patient.checklist.answers)
    q = patient.step(answers)["question"]
    if q is not None:
        asked = {item["id"] for item in q["items"]} if q["type"] == "group_multiple" else {q["id"]}
        assert not asked & unknown


def test_a_screen_counts_as_one_step(interviewer):
    answers = with_checklist({"loc_eyelid": "yes", "loc_face": "no", "cramps": "unknown"}, interviewer.checklist.answers)
    assert interviewer.step(answers)["asked"] == 3  # the checklist, the where screen, cramps


@pytest.mark.parametrize("answers, message", [
    ({"loc_eyeli": "yes"}, "'loc_eyeli' is not an answer: did you mean loc_eyelid?"),
    ({"blood_type": "A"}, "'blood_type' is not an answer: see `twitch-triage schema` for the names"),
    ({"loc_eyelid": "maybe"}, "loc_eyelid: 'maybe' is not yes/no/unknown"),
    ({"duration_days": -2}, "duration_days: '-2' is not a number of days >= 0 or unknown"),
])
def test_a_bad_key_or_value_is_a_one_line_value_error(interviewer, answers, message):
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        interviewer.step(answers)
    assert "\n" not in str(info.value)


def test_the_why_line_names_a_label_and_numbers(kb, interviewer):
    answers = with_checklist({}, interviewer.checklist.answers)
    names = [label.name for label in kb.labels]
    for _ in range(4):
        result = interviewer.step(answers)
        q = result["question"]
        assert any(name in q["why"] for name in names), q["why"]
        assert re.search(r"\d+% → \d+%", q["why"]), q["why"]
        if q["type"] == "group_multiple":
            answers.update({item["id"]: "no" for item in q["items"]})
        else:
            answers[q["id"]] = 3 if q["type"] == "number" else "yes"


def test_a_single_question_is_valued_as_the_generator_values_it(kb, predictor):
    joint = interview.Interviewer(kb, predictor, target="joint")
    x, _ = joint.parse({"loc_eyelid": "yes", "cramps": "no"})
    expected = joint.oracle.information_gain(x)
    for q in joint.singles[:6]:
        j = joint.index[q.id]
        got = joint.gains(x, [(q, q.answers)])[0]
        assert got == pytest.approx(expected[j] * (1 - kb.answer(q.id).missing_rate), rel=1e-9, abs=1e-12)


def test_what_if_gives_the_outputs_of_each_answer_the_other_way(interviewer):
    answers = {"loc_eyelid": "yes", "cramps": "no", "duration_days": 20, "stress": "unknown"}
    flipped = interviewer.what_if(answers)
    assert list(flipped) == ["loc_eyelid", "cramps"]
    assert flipped["loc_eyelid"]["answer"] == "yes" and flipped["loc_eyelid"]["other"] == "no"
    for answer, other in flipped.items():
        expected = interviewer.step({**answers, answer: other["other"]})
        assert other["probabilities"] == expected["probabilities"]
        assert other["disposition"] == expected["disposition"]


def test_form_order_starts_with_the_warning_signs_and_holds_every_answer(kb, interviewer):
    order = interview.form_order(kb)
    assert sorted(order) == sorted(config.ANSWERS)
    assert set(order[:len(interviewer.checklist.answers)]) == set(interviewer.checklist.answers)


def test_step_uses_the_given_knowledge_base_and_model(kb, predictor):
    assert interview.step({}, kb=kb, model=predictor) == interview.Interviewer(kb, predictor).step({})


LINKED = interview.Question("linked", "group_multiple", ("loc_calves", "cramps", "muscle_tightness", "numbness"),
                            "answers linked through an unknown trigger, and one that is not")


@pytest.mark.parametrize("question", [interview.CHECKLIST, "where", interview.OTHER_SIGNS, config.DAYS_ANSWER,
                                      "linked"])
@pytest.mark.parametrize("target", ["labels", "joint"])
def test_a_question_is_valued_over_every_answer_to_it_by_the_exact_joint(kb, predictor, question, target):
    it = interview.Interviewer(kb, predictor, target=target)
    x, _ = it.parse({"loc_face": "yes", "heavy_sweating": "yes", "fatigue": "no"})
    q = next((q for q in it.questions if q.id == question), LINKED)
    items = tuple(a for a in q.answers if np.isnan(x[it.index[a]]))
    cols = [it.index[a] for a in items]
    if q.kind == "number":
        rows = np.repeat(x[None, :], it.day_values.size, axis=0)
        rows[:, cols[0]] = it.day_values
    else:  # every configuration, brute force
        bits = (np.arange(2 ** len(cols))[:, None] >> np.arange(len(cols))[None, :]) & 1
        rows = np.repeat(x[None, :], bits.shape[0], axis=0)
        rows[:, cols] = bits
    lj = it.oracle.log_joint(np.vstack([x[None, :], rows]))
    log_z = np.logaddexp.reduce(lj, axis=1)
    post = np.exp(lj - log_z[:, None])
    if target == "joint":
        h = -(post * np.log2(np.where(post > 0, post, 1.0))).sum(axis=1)
    else:
        m = np.clip(post @ it.oracle.states, 1e-300, 1 - 1e-16)
        h = -(m * np.log2(m) + (1 - m) * np.log2(1 - m)).sum(axis=1)
    w = np.exp(log_z[1:] - log_z[0])
    expected = (h[0] - (w / w.sum()) @ h[1:]) * (1 - np.mean([kb.answer(a).missing_rate for a in items]))
    assert it.gains(x, [(q, items)])[0] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def interviewed(interviewer, story: dict) -> dict:
    """The answers a person with ``story``'s answers gives the interview until it stops: a screen's items
    they do not have are unticked ("no"), any other question they cannot answer from the story "unknown"."""
    answers: dict = {}
    for _ in range(len(config.ANSWERS) + 1):
        result = interviewer.step(answers)
        if result["should_stop"]:
            return answers
        question = result["question"]
        if question["type"] == "group_multiple":
            answers.update({item["id"]: story.get(item["id"], "no") for item in question["items"]})
        else:
            answers[question["id"]] = story.get(question["id"], "unknown")
    raise AssertionError("the interview did not stop")


@pytest.mark.parametrize("vignette", vignettes.load(knowledge.load_default()), ids=lambda v: v.id)
def test_a_vignette_told_through_the_interview_gets_at_least_its_expected_disposition(kb, interviewer, vignette):
    answers = interviewed(interviewer, {a: str(v).lower() for a, v in vignette.answers.items()})
    reached = interviewer.step(answers)["disposition"]
    assert redflags.level_rank(reached) <= redflags.level_rank(vignette.disposition), (reached, answers)
    assert rule_level(interviewer, answers) <= rule_level(interviewer, vignette.answers)  # no rule of its left out
