"""The report for the doctor: Markdown and PDF say the same things, from the knowledge base, in a readable PDF."""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import io
import re
import tomllib

import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twitch_triage import case_report, config, interview, triage

WHEN = dt.date(2026, 11, 30)
VERSION = "trained 2026-11-30T10:00:00+00:00 from knowledge base 0123456789ab by twitch-triage 0.1.0"
MAGNESIUM_CASE = {"loc_eyelid": "yes", "loc_calves": "yes", "cramps": "yes", "chest_pain": "no", "duration_days": 21}
EMERGENCY_CASE = {"chest_pain": "yes", "loc_eyelid": "no"}
NOT_SURE = "Not sure (answered"  # the heading of the answers "don't know" / "not sure"


def words(text: str) -> str:
    """Text with its line breaks and runs of spaces made single spaces (a PDF wraps lines)."""
    return " ".join(text.split())


def pdf_text(data: bytes) -> str:
    return words("\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages))


def between(text: str, start: str, end: str) -> str:
    return text[text.index(start) + len(start):text.index(end, text.index(start))]


def both(case: dict, predictor, kb) -> tuple[triage.Assessment, str, str]:
    """The assessment of ``case``, its report as Markdown and the PDF's text."""
    assessment = triage.assess(case, predictor, kb, explain=False)
    md = case_report.markdown(assessment, kb, model_version=VERSION, when=WHEN)
    data = case_report.pdf(assessment, kb, model_version=VERSION, when=WHEN)
    assert data.startswith(b"%PDF-")
    return assessment, words(md), pdf_text(data)


def questions(kb, case: dict, value: str) -> list[str]:
    return [kb.answer(a).question for a, v in case.items() if v == value]


def test_the_pdf_holds_the_disposition_the_answers_the_days_and_the_at_least_sign(predictor, kb):
    assessment, _, text = both(MAGNESIUM_CASE, predictor, kb)
    assert words(assessment.level.title) in text and words(assessment.level.action) in text
    positives = between(text, "Answered yes (pertinent positives)", "Answered no")
    negatives = between(text, "Answered no (pertinent negatives)", NOT_SURE)
    assert positives.count("\u2022") == 3 and negatives.count("\u2022") == 1
    for question in questions(kb, MAGNESIUM_CASE, "yes"):
        assert question in positives
    assert kb.answer("chest_pain").question in negatives
    assert f"{kb.answer('duration_days').question} 21 days." in text
    assert "Likely (\u2265 50%)" in text
    assert "Date: 30 November 2026" in text and VERSION in text
    assert words(kb.disclaimer.text) in text


def test_the_markdown_holds_the_same_facts_as_the_pdf(predictor, kb):
    assessment, md, text = both(MAGNESIUM_CASE, predictor, kb)
    for fact in (assessment.level.title, assessment.level.action, *questions(kb, MAGNESIUM_CASE, "yes"),
                 kb.answer("chest_pain").question, "21 days", "\u2265 50%", "30 November 2026", VERSION,
                 kb.disclaimer.text, *(rule.reason for rule in assessment.red_flags)):
        assert words(fact) in md and words(fact) in text, fact
    names = [r.name for r in assessment.labels]  # every cause, most probable first
    assert re.findall(r"\| ([A-Z][\w ]+?) \| \d", md) == names
    assert sorted(names, key=text.index) == names


def test_an_interview_s_unasked_questions_are_counted_not_listed_as_not_sure(predictor, kb):
    case = {**MAGNESIUM_CASE, "numbness": "unknown"}  # asked, and the person does not know
    assessment = triage.assess(case, predictor, kb, explain=False)
    md = words(case_report.markdown(assessment, kb, model_version=VERSION, when=WHEN, asked=tuple(case)))
    text = pdf_text(case_report.pdf(assessment, kb, model_version=VERSION, when=WHEN, asked=tuple(case)))
    unasked = len(kb.answers) - len(case)
    for report in (md, text):
        not_sure = between(report, NOT_SURE, "Not asked")
        assert kb.answer("numbness").question in not_sure
        assert kb.answer("loc_face").question not in report  # never asked: neither yes, no nor not sure
        assert f"{unasked} more questions" in report
    every = words(case_report.markdown(assessment, kb, model_version=VERSION, when=WHEN))  # a form: all asked
    assert kb.answer("loc_face").question in between(every, NOT_SURE, "Possible causes")
    assert "Not asked" not in every


def test_every_cause_is_listed_with_its_probability_and_the_share_the_model_assumes(predictor, kb):
    assessment, md, _ = both(MAGNESIUM_CASE, predictor, kb)
    for result in assessment.labels:
        likely = "likely" if result.likely else ""
        assert words(f"| {result.name} | {100 * result.probability:.0f}% | {100 * result.prevalence:.0f}% | "
                     f"{likely} |") in md


def test_an_emergency_report_leads_with_what_to_do_now_and_the_red_flag_with_its_source(predictor, kb):
    assessment, md, text = both(EMERGENCY_CASE, predictor, kb)
    assert assessment.disposition == "emergency"
    level = kb.level("emergency")
    ambulance = kb.cited_text("ambulance")
    assert re.search(r"## ([^#]+?) ##", md).group(1).startswith(
        f"\u26a0 What to do now **{ambulance.fill()}** *Source: {ambulance.source.cite()}* **{level.title}. "
        f"{level.action}**")
    assert text.index("What to do now") < text.index(kb.text("ambulance")) < text.index(level.title) < text.index(
        "How long")
    rule = next(r for r in kb.red_flags if r.id == "chest_pain")
    assert words(f"{rule.reason} Source: {rule.source.cite()}") in text


def test_a_report_without_an_emergency_gives_the_answers_before_the_advice(predictor, kb):
    assessment, md, text = both(MAGNESIUM_CASE, predictor, kb)
    assert assessment.disposition not in ("emergency", "urgent")
    assert "What to do now" not in md and "What to do now" not in text
    assert md.index("Answered yes") < md.index("## Advice") < md.index("## Possible causes")


def test_seed_sources_are_cited_by_their_article_titles_not_their_file_names(predictor, kb):
    _, md, text = both(MAGNESIUM_CASE, predictor, kb)
    titles = dict(kb.sources)
    for report in (md, text):
        assert ".txt" not in report
        assert titles["001_8a44768adfb669a4.txt"] in report


def test_the_tests_to_ask_for_are_those_of_the_likely_causes_with_their_sources(predictor, kb):
    assessment = triage.assess(MAGNESIUM_CASE, predictor, kb, explain=False)
    report = case_report.build(assessment, kb, model_version=VERSION, when=WHEN)
    tests = next(s for s in report.sections if s.title == "Tests to ask for")
    likely = [r for r in assessment.labels if r.likely]
    assert likely
    expected = {t.text for r in likely for t in r.tests}
    assert {item.text.rsplit(" (for ", 1)[0] for item in tests.items} == expected
    assert all(item.note for item in tests.items)


def test_with_no_likely_cause_the_tests_are_those_of_the_most_probable_one(predictor, kb):
    assessment = triage.assess({"loc_eyelid": "yes", "high_caffeine": "yes", "stress": "yes"}, predictor, kb,
                               explain=False)
    assert not assessment.likely
    report = case_report.build(assessment, kb, model_version=VERSION, when=WHEN)
    tests = next(s for s in report.sections if s.title == "Tests to ask for")
    top = assessment.labels[0]
    assert top.name in tests.paragraphs[-1].text
    assert [item.text for item in tests.items] == [f"{t.text} (for {top.name})" for t in top.tests]


def test_markdown_from_the_knowledge_base_is_shown_as_text(predictor, kb):
    answer = kb.answer("loc_eyelid")
    hostile = type(kb)(**{**kb.__dict__, "answers": tuple(
        type(a)(**{**a.__dict__, "question": "Is *it* a [link](http://x.test) | cell <b>?"}) if a is answer else a
        for a in kb.answers)})
    assessment = triage.assess(MAGNESIUM_CASE, predictor, kb, explain=False)
    md = case_report.markdown(assessment, hostile, model_version=VERSION, when=WHEN)
    assert r"- Is \*it\* a \[link\](http://x.test) \| cell \<b\>?" in md


def test_the_same_case_gives_the_same_pdf_bytes(predictor, kb):
    assessment = triage.assess(MAGNESIUM_CASE, predictor, kb, explain=False)
    first = case_report.pdf(assessment, kb, model_version=VERSION, when=WHEN)
    assert case_report.pdf(assessment, kb, model_version=VERSION, when=WHEN) == first


def test_the_fonts_and_their_licence_are_installed_with_the_package():
    project = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["twitch_triage"]
    bundled = sorted(p.relative_to(case_report.FONTS_DIR.parent).as_posix() for p in case_report.FONTS_DIR.iterdir())
    assert {"fonts/DejaVuSans.ttf", "fonts/DejaVuSans-Bold.ttf", "fonts/LICENSE.txt"} <= set(bundled)
    for name in bundled:
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name
    assert "Bitstream Vera" in (case_report.FONTS_DIR / "LICENSE.txt").read_text(encoding="utf-8")


_VALUES = st.sampled_from(["yes", "no", None])


@settings(max_examples=12)
@given(data=st.data())
def test_any_answers_render_in_both_forms_and_they_agree_on_the_advice_and_the_answers(predictor, kb, data):
    case = {a.id: data.draw(_VALUES, label=a.id) for a in kb.answers if a.id != config.DAYS_ANSWER}
    case[config.DAYS_ANSWER] = data.draw(st.none() | st.integers(0, 400), label="days")
    assessment, md, text = both(case, predictor, kb)
    for report in (md, text):
        assert words(f"{assessment.level.title}. {assessment.level.action}") in report
        for rule in assessment.red_flags:
            assert rule.reason in report
        positives = between(report, "Answered yes (pertinent positives)", "Answered no")
        negatives = between(report, "Answered no (pertinent negatives)", NOT_SURE)
        for question in questions(kb, case, "yes"):
            assert question in positives and question not in negatives
        for question in questions(kb, case, "no"):
            assert question in negatives and question not in positives
    yes, no = len(questions(kb, case, "yes")), len(questions(kb, case, "no"))
    assert between(text, "Answered yes (pertinent positives)", "Answered no").count("\u2022") == max(yes, 1)
    assert between(text, "Answered no (pertinent negatives)", NOT_SURE).count("\u2022") == max(no, 1)
    days = case[config.DAYS_ANSWER]
    expected = f"{days} days." if days is not None else "Not sure."
    assert f"{kb.answer(config.DAYS_ANSWER).question} {expected}" in md and expected in text


def test_the_model_version_names_when_and_from_which_knowledge_base_the_model_was_trained(predictor, kb):
    assert predictor.metadata["created"] in predictor.version
    assert f"knowledge base {kb.sha256[:12]}" in predictor.version


# --------------------------------------------------------------------------- version 3: what else the report says

NOTHING_CASE = {"loc_eyelid": "yes", "high_caffeine": "yes", "stress": "yes", "improves_with_rest": "yes",
                "duration_days": 3, "chest_pain": "unknown", "tetany": "unknown"}
CALF_CASE = {"loc_calves": "yes", "cramps": "yes", "calf_swelling": "yes", "loc_eyelid": "yes"}
UNSURE = (("chest_pain", "emergency"), ("tetany", "urgent"))


def report_of(case: dict, predictor, kb, **extra) -> tuple[triage.Assessment, str, str]:
    """The assessment of ``case``, its Markdown report and its PDF's text, made with ``extra`` (triggers, unsure)."""
    assessment = triage.assess(case, predictor, kb, explain=False)
    md = case_report.markdown(assessment, kb, model_version=VERSION, when=WHEN, asked=tuple(case), **extra)
    text = pdf_text(case_report.pdf(assessment, kb, model_version=VERSION, when=WHEN, asked=tuple(case), **extra))
    return assessment, words(md), text


@pytest.mark.parametrize("spelling", ["unknown", "?", "n/a", ""])
def test_an_answer_of_dont_know_or_not_sure_is_listed_under_not_sure(predictor, kb, spelling):
    case = {"loc_eyelid": "yes", "cramps": spelling, "tetany": "no"}
    _, md, text = report_of(case, predictor, kb)
    for report in (md, text):
        assert "Not sure (answered \u201cdon't know\u201d or \u201cnot sure\u201d)" in report
        assert kb.answer("cramps").question in between(report, NOT_SURE, "Not asked")
        assert kb.answer("cramps").question not in between(report, "Answered yes", NOT_SURE)
        assert "Answered \u201cdon't know\u201d" not in report


def test_the_probability_that_nothing_is_lacking_is_a_row_of_the_causes(predictor, kb):
    assessment, md, text = report_of(NOTHING_CASE, predictor, kb)
    row = f"| Nothing lacking (another cause) | {100 * assessment.p_nothing_lacking:.0f}% | | |"
    assert row in md
    assert f"Nothing lacking (another cause) {100 * assessment.p_nothing_lacking:.0f}%" in text


def test_the_everyday_triggers_are_listed_with_the_source_that_links_them_to_the_person_s_signs(predictor, kb):
    triggers = interview.triggers(NOTHING_CASE, kb=kb, model=predictor)
    assert set(triggers) == {"stress", "high_caffeine"}
    _, md, text = report_of(NOTHING_CASE, predictor, kb, triggers=triggers)
    for report in (md, text):
        listed = between(report, "Everyday triggers answered yes", "Tests to ask for")
        for cause in triggers:
            assert kb.answer(cause).question in listed
        assert "Occasional twitching can be normal after exercise, stress, or caffeine intake." in listed
    _, without, _ = report_of(NOTHING_CASE, predictor, kb)
    assert "Everyday triggers" not in without


def test_each_warning_sign_left_unsure_is_named_with_what_it_would_call_for(predictor, kb):
    assert interview.unsure(NOTHING_CASE, kb) == UNSURE
    _, md, text = report_of(NOTHING_CASE, predictor, kb, unsure=UNSURE)
    chest = kb.text("unsure_sign", sign="Chest pain, pressure or tightness", action="get emergency care now")
    tetany = kb.text("unsure_sign", sign="Hands or feet locked in spasm (tetany)", action="see a doctor today")
    for report in (md, text):
        listed = between(report, "Warning signs the person was not sure of", "Possible causes")
        assert chest in listed and tetany in listed and listed.index(chest) < listed.index(tetany)
        assert kb.level("emergency").if_unsure.source.cite() in listed


def test_a_warning_sign_without_a_rule_of_its_own_is_named_by_its_question(kb):
    assert case_report.sign_name(kb, "chest_pain") == "Chest pain, pressure or tightness"
    assert case_report.sign_name(kb, "loc_eyelid") == kb.answer("loc_eyelid").question.rstrip("?")


def test_unsure_signs_of_the_advice_s_level_or_below_can_be_left_out(kb):
    assert [item.text for item in case_report.unsure_items(UNSURE, kb, beyond="urgent")] == [
        kb.text("unsure_sign", sign="Chest pain, pressure or tightness", action="get emergency care now")]
    assert case_report.unsure_items(UNSURE, kb, beyond="emergency") == ()
    assert len(case_report.unsure_items(UNSURE, kb, beyond="see_doctor")) == 2


@pytest.mark.parametrize("case", [NOTHING_CASE, MAGNESIUM_CASE, CALF_CASE, EMERGENCY_CASE],
                         ids=["self_care", "see_doctor", "urgent", "emergency"])
def test_the_advice_gives_when_to_get_help_sooner(predictor, kb, monkeypatch, case):
    monkeypatch.delenv(config.EMERGENCY_NUMBER_ENV, raising=False)
    assessment, md, text = report_of(case, predictor, kb)
    net = words(assessment.level.safety_net.fill())
    assert "your local emergency number" in net
    assert net in md and net in text


def test_the_safety_net_names_the_configured_emergency_number(predictor, kb, monkeypatch):
    monkeypatch.setenv(config.EMERGENCY_NUMBER_ENV, "112")
    _, md, text = report_of(NOTHING_CASE, predictor, kb)
    assert "Call 112 at once" in md and "Call 112 at once" in text
    assert "your local emergency number" not in words(between(md, "## Advice", "## Possible causes"))


def test_an_emergency_that_needs_no_ambulance_does_not_say_to_call_one(predictor, kb):
    assessment, md, _ = report_of({"fainting": "yes"}, predictor, kb)
    assert assessment.disposition == "emergency"
    assert kb.text("ambulance") not in md


def test_the_share_of_each_cause_reads_as_the_model_s_assumption(predictor, kb):
    _, md, text = report_of(MAGNESIUM_CASE, predictor, kb)
    for report in (md, text):
        assert "Model assumes" in report and "not a measured figure" in report
        assert "How common" not in report and "who have it" not in report
        assert kb.cited_text("base_rate").source.cite() in report


def test_an_urgent_report_about_a_cause_the_model_does_not_weigh_gives_no_nutrient_tests(predictor, kb):
    assessment, md, text = report_of(CALF_CASE, predictor, kb)
    assert assessment.disposition == "urgent" and not case_report.nutrients_apply(assessment)
    for report in (md, text):
        assert "Tests to ask for" not in report and "(clinical assessment)" not in report
        assert words(kb.text("nutrients_only")) in between(report, "Possible causes", "About this report")
    _, tetany, _ = report_of({"tetany": "yes", "loc_mouth": "yes"}, predictor, kb)
    assert "Tests to ask for" in tetany and words(kb.text("nutrients_only")) not in tetany


def test_the_tests_come_with_the_warning_against_supplements_without_a_blood_test(predictor, kb):
    _, md, text = report_of(MAGNESIUM_CASE, predictor, kb)
    warning = words(kb.text("supplement_warning"))
    for report in (md, text):
        assert warning in between(report, "Tests to ask for", "About this report")


@pytest.mark.parametrize("case", [NOTHING_CASE, MAGNESIUM_CASE, CALF_CASE], ids=["self_care", "see_doctor", "urgent"])
def test_no_report_says_that_many_people_improve_within_weeks(predictor, kb, case):
    _, md, text = report_of(case, predictor, kb)
    assert kb.plan_note.text not in md and kb.plan_note.text not in text


def test_nothing_leads_when_it_is_at_least_every_nutrient_as_written_with_four_decimals(predictor, kb):
    assessment = triage.assess(MAGNESIUM_CASE, predictor, kb, explain=False)
    labels = dict.fromkeys(assessment.probabilities, 0.1)

    def leads(nothing: float, top: float) -> bool:
        return case_report.nothing_leads(dataclasses.replace(
            assessment, p_nothing_lacking=nothing, probabilities={**labels, "iron": top}))

    assert leads(0.30004, 0.30001)  # both written 0.3000: a tie leads
    assert leads(0.3001, 0.3000)
    assert not leads(0.29994, 0.29996)  # 0.2999 against 0.3000
    assert not leads(float("nan"), 0.0)
