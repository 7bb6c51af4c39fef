"""The interview step (contract version 3): the checklist first, the stop at an emergency or at urgent (and going
on for a report), the core history before anything chosen by value, questions never asked twice, the progress it
reports, and the same outputs as batch scoring."""

from __future__ import annotations

import math
import re

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from twitch_triage import scoring
from twitch_triage import contract
from twitch_triage.triage import redflags
from twitch_triage.model import vignettes
from twitch_triage import interview, knowledge
from twitch_triage.interview import policy
from twitch_triage.interview.value import Valuer

YES_NO = [a for a in contract.ANSWERS if a != contract.DAYS_ANSWER]
SPELLINGS = ["yes", "no", "unknown", "Y", " n ", "1", "0", "true", "F", "", "?", "n/a"]
KEYS = ("question", "should_stop", "expected_gain", "probabilities", "p_nothing_lacking", "likely", "disposition",
        "red_flags", "triggers", "asked", "stopped_because", "remaining")


@pytest.fixture(scope="module")
def interviewer(kb, predictor):
    return interview.Interviewer(kb, predictor, samples=256)


@pytest.fixture(scope="module")
def eager(kb, predictor):
    """An interviewer that stops as soon as the policy lets it: only the rules keep it asking."""
    return interview.Interviewer(kb, predictor, stop_below=math.inf, samples=64)


def answer_sets(keys=contract.ANSWERS):
    """Random answers: a few of ``keys``, or all but a few, each in some accepted spelling (days as text or a
    number)."""
    def value(key):
        if key == contract.DAYS_ANSWER:
            return st.one_of(st.sampled_from(["", "unknown"]), st.integers(0, 400).map(str), st.integers(0, 60))
        return st.sampled_from(SPELLINGS)

    few = st.lists(st.sampled_from(list(keys)), unique=True, max_size=12)
    all_but_a_few = st.lists(st.sampled_from(list(keys)), unique=True, max_size=4).map(
        lambda left: [k for k in keys if k not in left])
    return st.one_of(few, all_but_a_few).flatmap(lambda picked: st.fixed_dictionaries({k: value(k) for k in picked}))


def with_checklist(answers: dict, checklist: tuple[str, ...]) -> dict:
    """``answers`` with every warning sign answered, "no" unless given."""
    return {**{a: "no" for a in checklist}, **answers}


def asked_ids(question: dict) -> list[str]:
    return [item["id"] for item in question["items"]] if question["type"] == "group_multiple" else [question["id"]]


def walk(it, story: dict, *, for_report: bool = False, untouched: str = "unknown", checklist: str = "no",
         limit: int = 40, start: dict | None = None) -> list[dict]:
    """Every step of the interview of a person whose answers are ``story``, from the answers ``start``: a warning
    sign not in their story is ``checklist`` ("None of these" by default), another item of a screen ``untouched``
    (left as "not sure" by default), any other question they cannot answer "unknown". Returns the steps, the last
    one the stop."""
    answers: dict = dict(start or {})
    steps = []
    for _ in range(limit):
        result = it.step(answers, for_report=for_report)
        steps.append({**result, "answers": dict(answers)})
        if result["should_stop"]:
            return steps
        q = result["question"]
        for a in asked_ids(q):
            answers[a] = story.get(a, untouched if q["type"] == "group_multiple" else "unknown")
            if q["id"] == interview.CHECKLIST and a not in story:
                answers[a] = checklist
    raise AssertionError("the interview did not stop")


def test_the_first_step_is_the_whole_checklist_with_every_key_of_the_contract(interviewer):
    result = interviewer.step({})
    assert set(KEYS) <= set(result)
    q = result["question"]
    assert q["type"] == "group_multiple" and q["id"] == interview.CHECKLIST
    assert [item["id"] for item in q["items"]] == list(interviewer.checklist.answers)
    assert "weakness_worsening" in asked_ids(q)
    assert result["asked"] == 0 and not result["should_stop"] and result["stopped_because"] is None
    assert result["remaining"] >= 5  # the checklist, the three core screens, more


@given(answers=answer_sets())
def test_the_checklist_comes_first_while_any_item_is_unanswered(interviewer, answers):
    missing = [a for a in interviewer.checklist.answers if a not in answers]
    result = interviewer.step(answers)
    if result["disposition"] == "emergency":
        assert result["question"] is None and result["stopped_because"] == "emergency"
    elif missing:
        assert result["question"]["id"] == interview.CHECKLIST
        assert asked_ids(result["question"]) == missing


@given(answers=answer_sets(), sign=st.sampled_from(["breathing_difficulty", "chest_pain", "seizure", "confusion"]),
       for_report=st.booleans())
def test_an_emergency_answer_stops_at_once_even_for_a_report(eager, answers, sign, for_report):
    result = eager.step({**answers, sign: "yes"}, for_report=for_report)
    assert result["disposition"] == "emergency" and result["stopped_because"] == "emergency"
    assert result["should_stop"] and result["question"] is None and result["remaining"] == 0


@pytest.mark.parametrize("sign", ["tetany", "dark_urine", "calf_swelling", "irregular_heartbeat",
                                  "weakness_worsening"])
def test_an_urgent_sign_stops_once_the_checklist_is_answered_and_a_report_goes_on(interviewer, sign):
    answers = with_checklist({sign: "yes"}, interviewer.checklist.answers)
    stop = interviewer.step(answers)
    assert stop["disposition"] == "urgent" and stop["should_stop"] and stop["stopped_because"] == "urgent"
    assert stop["remaining"] == 0 and stop["question"] is None
    steps = walk(interviewer, {}, for_report=True, start=answers)
    assert all(s["disposition"] == "urgent" for s in steps)
    assert all(not s["should_stop"] and s["stopped_because"] is None for s in steps[:-1])
    assert steps[0]["question"]["id"] == interview.WHERE  # the core history, for the doctor
    assert steps[-1]["stopped_because"] == "urgent" and steps[-1]["remaining"] == 0


def test_an_urgent_sign_does_not_stop_while_another_warning_sign_is_unanswered(interviewer):
    result = interviewer.step({"tetany": "yes"})
    assert not result["should_stop"] and result["question"]["id"] == interview.CHECKLIST


@given(answers=answer_sets(YES_NO))
@settings(max_examples=25)
def test_the_core_history_comes_before_anything_chosen_by_value(interviewer, answers):
    answers = with_checklist(answers, interviewer.checklist.answers)
    result = interviewer.step(answers)
    if result["disposition"] in ("emergency", "urgent"):
        assert result["should_stop"]
        return
    open_core = [q for q in interviewer.questions.core if any(a not in answers for a in q.answers)]
    if open_core:
        assert result["question"]["id"] == open_core[0].id
        assert asked_ids(result["question"]) == [a for a in open_core[0].answers if a not in answers]


def test_a_person_who_answers_nothing_is_asked_the_whole_core_history(interviewer):
    steps = walk(interviewer, {})
    seen = {a for s in steps[:-1] for a in asked_ids(s["question"])}
    assert {a for q in interviewer.questions.core for a in q.answers} <= seen
    assert steps[-1]["remaining"] == 0


@given(answers=answer_sets())
@settings(max_examples=25)
def test_the_next_question_is_never_one_already_answered(interviewer, answers):
    result = interviewer.step(answers)
    q = result["question"]
    if q is not None:
        asked = asked_ids(q)
        assert asked and not set(asked) & set(answers)
    else:
        assert result["stopped_because"] in ("emergency", "urgent", "enough", "cap", "nothing_left")


@given(answers=answer_sets())
@settings(max_examples=25)
def test_it_never_stops_while_an_answer_rule_could_raise_the_disposition(eager, answers):
    answers = with_checklist(answers, eager.checklist.answers)
    result = eager.step(answers)
    if not result["should_stop"] or result["stopped_because"] == "cap":
        return
    x, given_ = eager.parse(answers)
    level = redflags.evaluate_matrix(eager.kb, x[None, :])[0][0]
    every_yes = np.where(given_, x, 1.0)
    every_yes[eager.index[contract.DAYS_ANSWER]] = x[eager.index[contract.DAYS_ANSWER]] if given_[
        eager.index[contract.DAYS_ANSWER]] else 1e6
    assert redflags.evaluate_matrix(eager.kb, every_yes[None, :])[0][0] >= min(level, redflags.level_rank("urgent"))


@given(answers=answer_sets())
@settings(max_examples=25)
def test_the_outputs_are_what_batch_scoring_writes_for_the_same_answers(kb, predictor, interviewer, answers):
    result = interviewer.step(answers)
    table = pa.table({k: pa.array([str(v)], pa.string()) for k, v in answers.items()} or
                     {"case_id": pa.array(["c"], pa.string())})
    row = scoring.score_frame(table, predictor, kb).to_pylist()[0]
    assert result["probabilities"] == {lab: float(row[f"p_{lab}"]) for lab in contract.LABELS}
    assert result["p_nothing_lacking"] == float(row["p_nothing_lacking"])
    assert ";".join(result["likely"]) == row["likely"]
    assert result["disposition"] == row["disposition"]
    assert ";".join(result["red_flags"]) == row["red_flags"]


@given(answers=answer_sets(YES_NO))
@settings(max_examples=25)
def test_an_answer_given_as_unknown_is_not_asked_again(interviewer, answers):
    unknown = {a for a, v in answers.items() if v in ("unknown", "", "?", "n/a")}
    q = interviewer.step(with_checklist(answers, interviewer.checklist.answers))["question"]
    if q is not None:
        assert not set(asked_ids(q)) & unknown


@given(answers=answer_sets())
@settings(max_examples=15)
def test_remaining_is_zero_exactly_at_the_stop_and_one_only_when_the_stop_after_it_is_certain(interviewer, answers):
    result = interviewer.step(answers)
    assert (result["remaining"] == 0) == result["should_stop"]
    if result["remaining"] == 1:
        q = result["question"]
        assert q["type"] == "single"
        for value in ("yes", "no", "unknown"):
            assert interviewer.step({**answers, q["id"]: value})["should_stop"]


def test_the_screens_answered_count_the_checklist_each_core_screen_and_each_run_of_a_topic(interviewer):
    answers = with_checklist({"loc_eyelid": "yes", "loc_face": "no", contract.DAYS_ANSWER: 4, "stress": "yes",
                              "cramps": "no", "numbness": "no", "at_night": "yes", "fatigue": "unknown"},
                             interviewer.checklist.answers)
    # checklist, where, days, lifestyle, then what_else (cramps, numbness), when (at_night), what_else (fatigue)
    assert interviewer.step(answers)["asked"] == 7
    assert interviewer.step({})["asked"] == 0


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


def test_the_same_answers_give_the_same_step(kb, predictor):
    answers = with_checklist({"loc_eyelid": "yes", contract.DAYS_ANSWER: 9}, ())
    first = interview.Interviewer(kb, predictor).step(answers)
    assert interview.Interviewer(kb, predictor).step(dict(answers)) == first


def test_triggers_are_the_lifestyle_answers_linked_to_a_sign_the_person_has(interviewer):
    result = interviewer.step({"loc_eyelid": "yes", "high_caffeine": "yes", "stress": "yes",
                               "strenuous_exercise": "yes", "heavy_sweating": "yes"})
    assert set(result["triggers"]) == {"high_caffeine", "stress"}  # exercise: no sign of its; sweating: no trigger
    assert interviewer.step({"loc_eyelid": "no", "high_caffeine": "yes"})["triggers"] == []


def test_triggers_come_most_influential_first(kb, interviewer):
    answers = {"loc_eyelid": "yes", "at_rest": "yes", "muscle_tightness": "no", "high_caffeine": "yes",
               "stress": "yes"}
    result = interviewer.step(answers)
    x, _ = interviewer.parse(answers)
    rows = np.repeat(x[None, :], 2, axis=0)
    for k, a in enumerate(result["triggers"]):
        rows[k, interviewer.index[a]] = np.nan
    p = interviewer.outputs(rows)[0][:, -1]
    assert p[0] <= p[1]  # taking the first away lowers p_nothing_lacking at least as much as the second


def test_a_warning_sign_left_unsure_is_named_with_what_it_calls_for(kb, interviewer):
    x, given_ = interviewer.parse({"chest_pain": "unknown", "tetany": "unknown", "cramps": "unknown",
                                   "fainting": "no"})
    assert interview.unsure_signs(kb, x, given_) == (("chest_pain", "emergency"), ("tetany", "urgent"))


def test_a_question_s_value_is_zero_when_no_answer_to_it_can_change_what_is_shown(kb, interviewer):
    x, given_ = interviewer.parse(with_checklist({"chest_pain": "yes"}, interviewer.checklist.answers))
    valuer = Valuer(interviewer.oracle, interviewer.outcome, interviewer.missing_rate, x, given_, 64)
    assert valuer.unsettled == 0.0  # an emergency stays an emergency
    assert np.all(valuer.values([[interviewer.index["cramps"]], [interviewer.index["stress"]]]) == 0.0)
    assert np.all(valuer.needed([interviewer.index["cramps"]]) == 0.0)


def test_the_value_of_a_screen_is_at_most_what_is_unsettled(kb, interviewer):
    x, given_ = interviewer.parse(with_checklist({"loc_eyelid": "yes"}, interviewer.checklist.answers))
    valuer = Valuer(interviewer.oracle, interviewer.outcome, interviewer.missing_rate, x, given_, 128)
    everything = [j for j, g in enumerate(given_) if not g]
    values = valuer.values([[interviewer.index["cramps"]], everything])
    assert values[0] <= valuer.unsettled + 1e-12
    assert values[1] == pytest.approx(valuer.unsettled)  # all of the answers: what all answers show


def test_what_if_gives_the_outputs_of_each_answer_the_other_way(kb, predictor, interviewer):
    answers = {"loc_eyelid": "yes", "cramps": "no", "duration_days": 20, "stress": "unknown"}
    flipped = interview.what_if(answers, kb=kb, model=predictor)
    assert list(flipped) == ["loc_eyelid", "cramps"]
    assert flipped["loc_eyelid"]["answer"] == "yes" and flipped["loc_eyelid"]["other"] == "no"
    for answer, other in flipped.items():
        expected = interviewer.step({**answers, answer: other["other"]})
        assert other["probabilities"] == expected["probabilities"]
        assert other["p_nothing_lacking"] == expected["p_nothing_lacking"]
        assert other["disposition"] == expected["disposition"]


def test_form_order_starts_with_the_warning_signs_and_holds_every_answer(kb, interviewer):
    order = interview.form_order(kb)
    assert sorted(order) == sorted(contract.ANSWERS)
    assert set(order[:len(interviewer.checklist.answers)]) == set(interviewer.checklist.answers)


def test_step_uses_the_given_knowledge_base_and_model(kb, predictor):
    assert interview.step({}, kb=kb, model=predictor) == interview.Interviewer(kb, predictor).step({})


def test_a_capped_interview_stops_at_its_cap(kb, predictor):
    it = interview.Interviewer(kb, predictor, cap=4, samples=64)
    steps = walk(it, with_checklist({"loc_eyelid": "yes", contract.DAYS_ANSWER: 3}, it.checklist.answers))
    assert steps[-1]["stopped_because"] == "cap" and steps[-1]["asked"] == 4


STORIES = vignettes.load(knowledge.load_default())
URGENT_OR_MORE = ("emergency", "urgent")


@pytest.mark.parametrize("vignette", STORIES, ids=lambda v: v.id)
def test_a_vignette_told_through_the_interview_gets_its_disposition_core_history_and_stop(kb, interviewer,
                                                                                        vignette):
    story = {a: str(v).lower() for a, v in vignette.answers.items()}
    steps = walk(interviewer, story)  # a warning sign not listed is "no", any other answer not listed unknown
    last = steps[-1]
    x_all, _ = interviewer.parse(vignette.answers)
    x_stop, _ = interviewer.parse(last["answers"])
    assert redflags.level_rank(last["disposition"]) <= redflags.level_rank(vignette.disposition), last
    rules = lambda x: redflags.evaluate_matrix(kb, x[None, :])[0][0]  # noqa: E731
    assert rules(x_stop) <= rules(x_all)  # no rule of the story left out
    if last["disposition"] in URGENT_OR_MORE:
        assert last["stopped_because"] == last["disposition"]
        assert all(redflags.level_rank(s["disposition"]) > redflags.level_rank("urgent") for s in steps[:-1])
    else:
        core = [a for q in interviewer.questions.core for a in q.answers]
        assert all(a in last["answers"] for a in core), "the core history was not asked"


EYELID_COFFEE_STRESS = {  # a daily eyelid twitch for three weeks, five coffees a day, a stressful job
    "loc_eyelid": "yes", contract.DAYS_ANSWER: 21, "high_caffeine": "yes", "stress": "yes", "daily": "yes",
    "improves_with_rest": "yes",
}


def test_the_eyelid_coffee_and_stress_story_is_asked_both_and_nothing_lacking_leads_with_them(interviewer):
    steps = walk(interviewer, EYELID_COFFEE_STRESS, untouched="no")  # nothing else is wrong: "no" to the rest
    lifestyle = next(s["question"] for s in steps if s["question"] and s["question"]["id"] == interview.LIFESTYLE)
    assert {"high_caffeine", "stress"} <= set(asked_ids(lifestyle))
    last = steps[-1]
    assert last["disposition"] == "see_doctor" and "long_duration" in last["red_flags"]  # over two weeks
    assert last["p_nothing_lacking"] >= max(last["probabilities"].values()), last
    assert set(last["triggers"][:2]) == {"high_caffeine", "stress"}
    assert len(steps) <= 12
