"""The result page of "Check a case" (the form that asks everything at once), driven by key through AppTest against
the session's small model: what to do first, whether anything is lacking at all, and what may be."""

from __future__ import annotations

import io
import json
import re

import pypdf
import pytest
from fhir.resources.R4B.bundle import Bundle

from app_driver import advice, all_markdown, answer, result_nodes, shown_text
from twitch_triage.report import case_report
from twitch_triage import contract
from twitch_triage.settings import EMERGENCY_NUMBER_ENV, Settings
from twitch_triage import triage
from twitch_triage_app.ui import charts, doctor_report

pytestmark = pytest.mark.usefixtures("fresh_cache")

# Eyelid twitching with coffee and stress, that eases with rest and began days ago: nothing lacking leads.
COFFEE_AND_STRESS = {"loc_eyelid": "yes", "high_caffeine": "yes", "stress": "yes", "improves_with_rest": "yes",
                     contract.DAYS_ANSWER: 3}
MAGNESIUM_CASE = {"loc_eyelid": "yes", "loc_calves": "yes", "cramps": "yes", "muscle_tightness": "yes"}
SWOLLEN_CALF = {"loc_calves": "yes", "cramps": "yes", "muscle_tightness": "yes", "calf_swelling": "yes"}
TETANY = {"loc_mouth": "yes", "tingling": "yes", "tetany": "yes"}
CHEST_PAIN = {"loc_eyelid": "yes", "chest_pain": "yes"}
NOTHING_LEADS = "Most likely, nothing is lacking"
NOTHING_LINE = re.compile(r"Nothing lacking \(twitching from another cause\): \*\*\d+%\*\*")


def headings(at) -> list[str]:
    """The result's subheaders and its "#####" headings, in reading order."""
    found = []
    for node in result_nodes(at):
        if node.type == "subheader":
            found.append(node.value)
        elif node.type == "markdown" and node.value.startswith("##### "):
            found.append(node.value.removeprefix("##### "))
    return found


# --------------------------------------------------------------------------- is it just coffee and stress?


def test_when_nothing_lacking_leads_it_comes_right_after_the_advice_with_both_triggers_named(app, kb):
    at = answer(app, COFFEE_AND_STRESS, none_of_these=True)
    assert not at.exception
    types = [node.type for node in result_nodes(at)]
    assert types[0] == "success"  # the advice (self-care)
    assert headings(at)[0] == NOTHING_LEADS
    first_heading = next(i for i, n in enumerate(result_nodes(at)) if n.type == "subheader")
    assert set(types[1:first_heading]) <= {"caption", "flex_container", "markdown"}  # only the advice's own lines
    section = shown_text(at)
    triggers = section[section.index(NOTHING_LEADS):section.index("What may be lacking")]
    assert kb.answer("stress").question in triggers and kb.answer("high_caffeine").question in triggers
    assert kb.text("nothing_lacking") in triggers and kb.text("nothing_lacking_triggers") in triggers
    assert kb.cited_text("nothing_lacking_triggers").source.quote in triggers


def test_nothing_lacking_gives_its_probability_what_to_try_and_when_to_see_a_doctor_anyway(app, predictor, kb):
    at = answer(app, COFFEE_AND_STRESS, none_of_these=True)
    assessment = triage.assess({**COFFEE_AND_STRESS, **{a: "no" for a in kb.answer_ids
                                                          if kb.answer(a).group == "warning"}}, predictor, kb)
    assert case_report.nothing_leads(assessment)
    text = shown_text(at)
    section = text[text.index(NOTHING_LEADS):text.index("What may be lacking")]
    assert f"**{100 * assessment.p_nothing_lacking:.0f}%** probability that none of the ten" in section
    assert headings(at)[:4] == [NOTHING_LEADS, "What to try", "When to see a doctor anyway", "What may be lacking"]
    assert all(step.text in section for step in kb.plan)
    assert kb.plan_note.text in section  # self-care: the plan's reassurance stays
    assert kb.text("see_doctor_anyway") in section
    assert kb.plan_title not in headings(at)  # the plan is not given twice


def test_nothing_lacking_leading_on_a_see_a_doctor_page_gives_the_plan_without_its_reassurance(app, kb):
    denied = ("loc_face", "loc_mouth", "loc_hands", "loc_feet", "loc_calves", "loc_legs", "loc_widespread", "cramps",
              "spasms", "muscle_tightness", "restless_legs", "tingling", "numbness", "burning", "weakness", "fatigue",
              "muscle_aches", "poor_coordination")  # the three-week story of the vignettes: nothing else is wrong
    at = answer(app, {**COFFEE_AND_STRESS, contract.DAYS_ANSWER: 21, "daily": "yes", **dict.fromkeys(denied, "no")},
                none_of_these=True)
    assert kb.level("see_doctor").title in advice(at)
    assert headings(at)[0] == NOTHING_LEADS
    assert kb.plan[0].text in shown_text(at)
    assert kb.plan_note.text not in shown_text(at)


def test_a_nutrient_more_probable_than_nothing_lacking_leads_the_explanations_instead(app):
    at = answer(app, MAGNESIUM_CASE, none_of_these=True)
    assert NOTHING_LEADS not in headings(at)
    assert headings(at)[0] == "What may be lacking"


@pytest.mark.parametrize("case", [COFFEE_AND_STRESS, MAGNESIUM_CASE, TETANY], ids=["self_care", "see_doctor", "urgent"])
def test_every_page_with_nutrient_figures_gives_the_probability_that_nothing_is_lacking(app, case):
    at = answer(app, case, none_of_these=True)
    assert NOTHING_LINE.search(all_markdown(at))


# --------------------------------------------------------------------------- safety nets


@pytest.mark.parametrize(("case", "level"), [
    (COFFEE_AND_STRESS, "self_care"), (MAGNESIUM_CASE, "see_doctor"), (TETANY, "urgent"), (CHEST_PAIN, "emergency"),
])
def test_the_level_s_safety_net_is_right_under_the_advice(app, kb, monkeypatch, case, level):
    monkeypatch.delenv(EMERGENCY_NUMBER_ENV, raising=False)
    at = answer(app, case, none_of_these=True)
    assert kb.level(level).title in advice(at)
    nodes = [n for n in result_nodes(at) if n.type in ("markdown", "error", "warning", "success")]
    net = kb.level(level).safety_net.fill()
    assert "your local emergency number" in net
    assert net in nodes[1].value  # the line after the banner


def test_self_care_names_the_emergency_signs_to_call_for(app, kb):
    at = answer(app, COFFEE_AND_STRESS, none_of_these=True)
    text = shown_text(at)
    assert "Call your local emergency number at once if you get chest pain" in text
    assert kb.level("self_care").safety_net.source.justification in text


def test_see_a_doctor_says_to_get_help_sooner_and_not_that_it_improves_within_weeks(app, kb):
    at = answer(app, MAGNESIUM_CASE, none_of_these=True)
    assert kb.level("see_doctor").title in advice(at)
    text = shown_text(at)
    assert "Get help sooner if things change" in text
    assert "improve within 1–3 weeks" not in text
    assert kb.plan[0].text in text  # the plan's steps stay


def test_self_care_keeps_the_plan_s_reassurance(app, kb):
    at = answer(app, {"loc_eyelid": "yes", "high_caffeine": "yes"}, none_of_these=True)
    assert kb.level("self_care").title in advice(at)
    assert kb.plan_note.text in shown_text(at)


def test_a_chest_pain_case_says_to_call_an_ambulance_before_anything_else(app, kb, monkeypatch):
    monkeypatch.delenv(EMERGENCY_NUMBER_ENV, raising=False)
    at = answer(app, CHEST_PAIN)
    banner = advice(at)
    ambulance = "Call an ambulance on your local emergency number: do not drive yourself."
    assert kb.text("ambulance") == ambulance
    assert banner.startswith(f"**{ambulance}**")
    assert banner.index(ambulance) < banner.index(kb.level("emergency").title)
    assert "tel:" not in shown_text(at) and not at.get("link_button")


def test_with_an_emergency_number_configured_it_is_a_link_that_dials_it(app, monkeypatch):
    monkeypatch.setenv(EMERGENCY_NUMBER_ENV, "112")
    at = answer(app, CHEST_PAIN)
    assert advice(at).startswith("**Call an ambulance on [112](tel:112): do not drive yourself.**")
    assert "your local emergency number" not in advice(at)
    calls = at.get("link_button")
    assert [(b.proto.label, b.proto.url) for b in calls] == [("Call 112", "tel:112")]
    assert "Call [112](tel:112) now" in all_markdown(at)  # the safety net too


def test_a_number_with_spaces_and_a_plus_dials_without_them(app, monkeypatch):
    monkeypatch.setenv(EMERGENCY_NUMBER_ENV, "+44 999")
    at = answer(app, CHEST_PAIN)
    assert "[+44 999](tel:+44999)" in advice(at)


def test_an_emergency_that_needs_no_ambulance_does_not_say_to_call_one(app, kb):
    at = answer(app, {"loc_eyelid": "yes", "fainting": "yes"})
    assert kb.level("emergency").title in advice(at)
    assert kb.text("ambulance") not in shown_text(at)


def test_a_page_that_is_not_an_emergency_has_no_call_button_even_with_a_number(app, monkeypatch):
    monkeypatch.setenv(EMERGENCY_NUMBER_ENV, "112")
    at = answer(app, MAGNESIUM_CASE, none_of_these=True)
    assert not at.get("link_button")
    assert "[112](tel:112)" in all_markdown(at)  # the safety net's number still dials


# --------------------------------------------------------------------------- urgent, not about nutrients


def test_a_swollen_calf_shows_no_nutrient_figures_or_tests_and_says_the_model_weighs_nutrients_only(app, kb):
    at = answer(app, SWOLLEN_CALF, none_of_these=True)
    assert not at.exception
    assert kb.level("urgent").title in advice(at) and "One calf swollen" in advice(at)
    text = shown_text(at)
    assert kb.text("nutrients_only") in text
    for name in ("Magnesium", "Potassium", "Calcium"):
        assert name not in text
    assert "Tests to ask for" not in text and "% for answers like yours" not in text
    assert not NOTHING_LINE.search(text)
    assert not at.get("vega_lite_chart") and not at.expander
    assert [d.proto.label for d in at.get("download_button")] == ["Report (PDF)", "Report (text)", "Report (FHIR)"]


def test_an_urgent_case_about_nutrients_still_keeps_them_folded_for_after_the_visit(app, kb):
    at = answer(app, TETANY, none_of_these=True)
    assert kb.text("nutrients_only") not in shown_text(at)
    assert at.expander[0].label.startswith("After you have been seen")


# --------------------------------------------------------------------------- base rates, supplements, sources


def test_base_rates_read_as_the_model_s_assumption(app):
    at = answer(app, MAGNESIUM_CASE, none_of_these=True)
    text = shown_text(at)
    assert re.search(r"The model assumes that about \d+% of people with twitching lack it: a modelling "
                     r"assumption, not a measured figure\.", text)
    assert re.sub(r"The model assumes that about \d+% of people with twitching lack it", "", text).count(
        "of people with twitching lack it") == 0
    assert any("the model assumes lack each one" in c.value for c in at.caption)


def test_the_chart_calls_its_ticks_the_model_s_assumption(predictor, kb):
    spec = charts.probabilities_chart(triage.assess(MAGNESIUM_CASE, predictor, kb, explain=False)).to_dict()
    titles = [t["title"] for t in spec["layer"][0]["encoding"]["tooltip"]]
    assert titles == ["Nutrient", "Probability", charts.ASSUMED] and "How common" not in str(spec)


@pytest.mark.parametrize("case", [MAGNESIUM_CASE, COFFEE_AND_STRESS, TETANY], ids=["see_doctor", "self_care", "urgent"])
def test_a_page_that_names_nutrients_warns_against_supplements_without_a_blood_test(app, kb, case):
    at = answer(app, case, none_of_these=True)
    assert kb.text("supplement_warning") in shown_text(at)


def test_why_this_advice_does_not_quote_the_level_s_source_when_only_the_model_s_rule_fired(app, kb):
    at = answer(app, {"loc_mouth": "yes", "spasms": "yes", "tingling": "yes", "cramps": "yes"}, none_of_these=True)
    assert "A deficiency that only a blood test can confirm" in advice(at)
    assert not any(c.value.startswith("Why this advice") for c in at.caption)
    assert kb.level("see_doctor").source.quote not in shown_text(at).replace(kb.text("see_doctor_anyway"), "")


def test_why_this_advice_quotes_the_level_s_source_when_a_rule_that_fired_rests_on_it(app, kb):
    at = answer(app, {"loc_eyelid": "yes", "weakness": "yes"}, none_of_these=True)
    level = kb.level("see_doctor")
    assert level.title in advice(at)
    assert any(c.value.startswith("Why this advice") and level.source.quote in c.value for c in at.caption)


def test_why_this_advice_quotes_the_level_s_source_when_no_rule_fired(app, kb):
    at = answer(app, {"loc_eyelid": "yes", "high_caffeine": "yes"}, none_of_these=True)
    assert any(c.value.startswith("Why this advice") and kb.level("self_care").source.quote in c.value
               for c in at.caption)


# --------------------------------------------------------------------------- warning signs left unsure


def test_an_unsure_chest_pain_is_named_right_after_the_advice_with_get_emergency_care_now(app, kb):
    at = answer(app, {**COFFEE_AND_STRESS, "chest_pain": "unknown"}, none_of_these=True)
    nodes = result_nodes(at)
    alerts = [n for n in nodes if n.type in ("success", "warning", "error")]
    assert kb.level("self_care").title in alerts[0].value
    unsure = alerts[1].value
    assert unsure.startswith("You were not sure whether you have: Chest pain, pressure or tightness. If you do, "
                             "get emergency care now.")
    assert nodes.index(alerts[1]) < next(i for i, n in enumerate(nodes) if n.type == "subheader")


def test_signs_left_untouched_are_named_once_per_level_most_severe_first(app, kb):
    at = answer(app, COFFEE_AND_STRESS)  # no warning sign answered
    unsure = next(w.value for w in at.warning if w.value.startswith("You were not sure"))
    emergency, urgent = unsure.split("\n\n")
    assert emergency.startswith("You were not sure whether you have: Difficulty breathing; ")
    assert "Chest pain, pressure or tightness" in emergency and "If you do, get emergency care now." in emergency
    assert "Muscle weakness that gets worse from week to week" in urgent and "If you do, see a doctor today." in urgent
    assert "Chest pain" not in urgent


def test_an_unsure_sign_asking_no_more_than_the_advice_is_not_repeated(app, kb):
    at = answer(app, {**TETANY, "dark_urine": "unknown", "chest_pain": "unknown"}, none_of_these=True)
    assert kb.level("urgent").title in advice(at)
    text = shown_text(at)
    assert "Chest pain" in text and "get emergency care now" in text
    assert "Dark brown" not in text  # it would call for a doctor today: the advice already says so


def test_the_report_offered_on_the_page_holds_the_triggers_and_the_unsure_signs(app, kb, downloads):
    at = answer(app, {**COFFEE_AND_STRESS, "chest_pain": "unknown"}, none_of_these=True)
    assert not at.exception
    report = " ".join(downloads["Report (text)"]().split())
    triggers = report[report.index("Everyday triggers: "):]
    assert triggers.index("stress [") < triggers.index("Possible causes")
    assert triggers.index("high caffeine [") < triggers.index("Possible causes")
    assert "You were not sure whether you have: Chest pain, pressure or tightness" in report
    assert "chest pain, pressure or tightness" in report[report.index("Not sure (answered"):]


@pytest.mark.parametrize("case", [MAGNESIUM_CASE, COFFEE_AND_STRESS], ids=["see_doctor", "self_care"])
def test_the_details_typed_on_the_result_page_are_in_each_report_it_offers(app, downloads, case):
    at = answer(app, case, none_of_these=True)
    at.text_input(key=doctor_report.REPORT_AGE).input("67")
    at.selectbox(key=doctor_report.REPORT_SEX).select("male")
    at.text_input(key=doctor_report.REPORT_MEDICINES).input("metformin 500 mg\ntwice a day").run()
    assert not at.exception and not at.error
    assert [d.proto.label for d in at.get("download_button")] == [doctor_report.REPORT_PDF, doctor_report.REPORT_TEXT,
                                                                   doctor_report.REPORT_FHIR]
    line = "Age: 67 \u00b7 Sex: male \u00b7 Current medicines: metformin 500 mg twice a day"
    assert line in downloads[doctor_report.REPORT_TEXT]()
    pdf = pypdf.PdfReader(io.BytesIO(downloads[doctor_report.REPORT_PDF]()))
    assert len(pdf.pages) == 1 and line in " ".join(pdf.pages[0].extract_text().split())
    bundle = json.loads(downloads[doctor_report.REPORT_FHIR]())
    Bundle.model_validate(bundle)
    kinds = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
    assert kinds["Patient"]["gender"] == "male"
    assert kinds["MedicationStatement"]["medicationCodeableConcept"]["text"] == "metformin 500 mg twice a day"


@pytest.mark.parametrize("age", ["131", "4x", "-1"])
def test_an_age_that_is_not_a_whole_number_from_0_to_130_is_refused_in_one_line_and_no_report_is_offered(app, age):
    at = answer(app, MAGNESIUM_CASE, none_of_these=True)
    at = at.text_input(key=doctor_report.REPORT_AGE).input(age).run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"Check your details: age '{age}' is not a whole number"
                                           + (" from 0 to 130: give the age in years, or leave it out" if age != "4x"
                                              else ": give the age in years, 0 to 130, or leave it out")]
    assert not at.get("download_button")
    at = at.text_input(key=doctor_report.REPORT_AGE).input("").run()
    assert not at.error and len(at.get("download_button")) == 3


def test_details_left_blank_are_not_given_in_the_report(app, downloads):
    at = answer(app, MAGNESIUM_CASE, none_of_these=True)
    assert "Age: not given \u00b7 Sex: not given \u00b7 Current medicines: not given" in downloads[doctor_report.REPORT_TEXT]()


# --------------------------------------------------------------------------- plain words


def test_no_page_a_person_reads_speaks_of_seeds(app, kb):
    foods = [text for label in kb.labels for text in (label.foods.text, label.foods.source.quote or "")]
    for case in (MAGNESIUM_CASE, COFFEE_AND_STRESS, TETANY):
        text = shown_text(answer(app, case, none_of_these=True))
        for food in foods:  # seeds one eats are not the articles the knowledge base was built from
            text = text.replace(food, "")
        assert "seed" not in text.lower()
    about = app.switch_page("twitch_triage_app/pages/about_model.py").run()
    assert "seed" not in shown_text(about).lower() and "seed" not in "\n".join(
        str(v) for df in about.dataframe for v in getattr(df.value, "data", df.value).columns).lower()


def test_a_text_with_the_emergency_number_stays_plain_text_around_the_link_that_dials_it(monkeypatch):
    from twitch_triage.knowledge import Cited, Source
    from twitch_triage_app.ui import shared

    text = Cited("Call {emergency_number} *now* or $5_000", Source("clinical", justification="j"))
    monkeypatch.delenv(EMERGENCY_NUMBER_ENV, raising=False)
    assert shared.filled(text) == r"Call your local emergency number \*now\* or \$5\_000"
    monkeypatch.setenv(EMERGENCY_NUMBER_ENV, "+1 911")
    assert shared.filled(text) == r"Call [+1 911](tel:+1911) \*now\* or \$5\_000"
