"""The vignettes written from the seeds: never under-triaged, and the first label the seeds point to."""

from __future__ import annotations

import re

import numpy as np
import pytest

from twitch_triage import contract
from twitch_triage.settings import Settings
from twitch_triage.model import vignettes
from twitch_triage import triage


@pytest.fixture(scope="module")
def cases(kb):
    return vignettes.load(kb)


@pytest.fixture(scope="module")
def results(cases, kb, predictor, noisy_or):
    return {"model": vignettes.run(cases, kb, predictor.predict_all),
            "oracle": vignettes.run(cases, kb, noisy_or.posterior_all)}


def test_there_are_at_least_40_vignettes_at_every_level_each_citing_a_seed_sentence_verbatim(cases):
    assert len(cases) >= 40
    for level in contract.LEVELS:
        assert sum(v.disposition == level for v in cases) >= 5, level
    for v in cases:
        seed = re.sub(r"\s+", " ", (Settings().seeds_dir / v.doc).read_text(encoding="utf-8"))
        assert re.sub(r"\s+", " ", v.quote) in seed, v.id


def test_a_warning_sign_a_vignette_does_not_list_is_no_as_in_the_checklist(cases, kb):
    warning = [a.id for a in kb.answers if a.group == "warning"]
    eyelid = next(v for v in cases if v.id == "eyelid_alone")
    assert all(eyelid.answers[a] == "no" for a in warning)
    assert "stress" not in eyelid.answers  # everything else unlisted stays unknown


@pytest.mark.parametrize("scorer", ["model", "oracle"])
def test_no_vignette_is_under_triaged(results, scorer):
    assert [r.vignette.id for r in results[scorer] if r.under_triaged] == []


@pytest.mark.parametrize("scorer", ["model", "oracle"])
def test_nine_vignettes_in_ten_put_first_a_label_the_seeds_point_to(results, scorer):
    agree = sum(r.top_agrees for r in results[scorer])
    assert agree >= 0.9 * len(results[scorer]), [(r.vignette.id, r.top) for r in results[scorer] if not r.top_agrees]


def test_a_bad_vignette_is_refused_naming_it(kb, tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text("vignettes:\n- {id: x, story: s, source: {doc: d, quote: q}, answers: {eyelid: yes},\n"
                    "   expect: {disposition: self_care, top: [magnesium]}}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"vignettes\[0\] \(x\): unknown answer 'eyelid'"):
        vignettes.load(kb, path)


def test_the_results_table_names_every_vignette_and_marks_under_triage(results):
    lines = vignettes.markdown(results)
    assert lines[2].startswith("| model | ") and lines[3].startswith("| oracle | ")
    assert sum(line.startswith("| ") for line in lines) == 2 + 2 + 2 + len(results["model"])


def test_expect_top_may_name_nothing_lacking_but_no_other_name(kb, tmp_path):
    path = tmp_path / "v.yaml"
    entry = ("vignettes:\n- {{id: x, story: s, source: {{doc: d, quote: q}}, answers: {{loc_eyelid: yes}},\n"
             "   expect: {{disposition: self_care, top: [{top}]}}}}\n")
    path.write_text(entry.format(top="nothing_lacking, magnesium"), encoding="utf-8")
    assert vignettes.load(kb, path)[0].top == ("nothing_lacking", "magnesium")
    path.write_text(entry.format(top="nothing"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"vignettes\[0\] \(x\): expected top must list labels of the knowledge base "
                                         r"or 'nothing_lacking'"):
        vignettes.load(kb, path)


def _p_nothing_lacking(noisy_or, x) -> float:
    log_joint = noisy_or.log_joint(x[None, :])[0]  # state 0: no label lacking
    return float(np.exp(log_joint[0] - np.logaddexp.reduce(log_joint)))


def test_the_oracle_puts_nothing_lacking_first_where_only_it_is_expected_first(cases, kb, noisy_or):
    """A three-week eyelid twitch with coffee and stress and nothing else: see a doctor (over two weeks), though
    most likely nothing is lacking."""
    only = [v for v in cases if v.top == (vignettes.NOTHING_LACKING,)]
    assert "eyelid_three_weeks_coffee_and_stress" in {v.id for v in only}
    for v in only:
        x = triage.case_vector(v.answers, kb.answer_ids)[0]
        assert _p_nothing_lacking(noisy_or, x) > noisy_or.posterior(x[None, :])[0].max(), v.id


@pytest.mark.parametrize(("vignette", "answer", "value", "disposition"), [
    ("mouth_twitch_then_hand_claw", "tetany", True, "urgent"),
    ("weak_thinner_thigh", "muscle_wasting", True, "urgent"),
    ("swollen_calf_without_cramps", "calf_swelling", True, "urgent"),
    ("weakness_worse_each_week_twitching_not", "progressive", False, "urgent"),
    ("night_calf_cramp_eases_with_stretching", "tetany", False, "self_care"),
    ("anxious_racing_heart_regular", "irregular_heartbeat", False, "self_care"),
    ("light_headed_in_hot_shower", "fainting", False, "self_care"),
    ("numb_feet_poor_balance_little_protein", "low_protein_diet", True, "urgent"),
    ("eyelid_three_weeks_coffee_and_stress", "duration_days", 21, "see_doctor"),
])
def test_look_alikes_and_warning_cases_are_there_with_the_answers_a_person_gives(cases, vignette, answer, value,
                                                                                 disposition):
    v = next(v for v in cases if v.id == vignette)
    assert v.answers[answer] == value and v.disposition == disposition  # YAML reads yes/no as True/False


def test_numb_feet_with_poor_balance_put_b12_first_for_the_oracle(results):
    r = next(r for r in results["oracle"] if r.vignette.id == "numb_feet_poor_balance_little_protein")
    assert r.top == "vitamin_b12" and r.disposition == "urgent"


def test_the_eyelid_coffee_and_stress_story_puts_nothing_lacking_first(results):
    for scorer in ("model", "oracle"):
        found = next(r for r in results[scorer] if r.vignette.id == "eyelid_three_weeks_coffee_and_stress")
        assert found.top == vignettes.NOTHING_LACKING and found.top_agrees, (scorer, found)
        assert found.disposition == "see_doctor"  # over two weeks, whatever the cause
