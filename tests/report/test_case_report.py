"""The report for the doctor: one A4 page read back with pypdf, the advice first, the negatives on one line by
short names, the person's details, numbered sources; the PDF and the plain text say the same things."""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import io
import tomllib

import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twitch_triage.report import case_report
from twitch_triage import contract
from twitch_triage.settings import EMERGENCY_NUMBER_ENV, Settings
from twitch_triage.report import layout
from twitch_triage import interview, triage
from twitch_triage.report.person import Person

WHEN = dt.date(2026, 11, 30)
VERSION = "trained 2026-11-30T10:00:00+00:00 from knowledge base 0123456789ab by twitch-triage 0.1.0"
PERSON = Person(age=42, sex="female", medicines="ramipril 5 mg; vitamin D 1000 IU")


def every_no(kb, **answers) -> dict:
    """A long case: every question answered no (the days left out), then ``answers`` over it."""
    return {**{a.id: "no" for a in kb.answers if a.id != contract.DAYS_ANSWER}, **answers}


def self_care_case(kb) -> dict:
    """Eyelid twitching with coffee, stress and tiredness, for five days; two signs not sure."""
    return every_no(kb, loc_eyelid="yes", high_caffeine="yes", stress="yes", improves_with_rest="yes",
                    fatigue="yes", at_night="yes", duration_days=5, bone_pain="unknown", burning="unknown")


def see_doctor_case(kb) -> dict:
    """Eyelid and calves for a month, with cramps, spasms, weakness, numbness and pain, after sweating and
    exercise; three answers not sure, two of them warning signs."""
    return every_no(kb, loc_eyelid="yes", loc_calves="yes", cramps="yes", spasms="yes", muscle_tightness="yes",
                    fatigue="yes", weakness="yes", numbness="yes", painful="yes", at_rest="yes", daily="yes",
                    heavy_sweating="yes", strenuous_exercise="yes", duration_days=30, chest_pain="unknown",
                    tetany="unknown", tingling="unknown")


EMERGENCY_CASE = {"chest_pain": "yes", "loc_eyelid": "yes", "cramps": "no"}
URGENT_CASE = {"loc_calves": "yes", "cramps": "yes", "calf_swelling": "yes", "loc_eyelid": "no"}


def words(text: str) -> str:
    """Text with its line breaks and runs of spaces made single spaces (a PDF wraps lines)."""
    return " ".join(text.split())


def pages(data: bytes) -> list[str]:
    return [words(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def made(case: dict, predictor, kb, person: Person = PERSON) -> tuple[triage.Assessment, case_report.Report,
                                                                          list[str], str]:
    """The assessment of ``case``, its report, the PDF's pages as text and the plain text, as an interview
    gives them (the case's keys asked, its triggers and unsure signs)."""
    assessment = triage.assess(case, predictor, kb, explain=False)
    what = dict(model_version=VERSION, when=WHEN, asked=tuple(case), person=person,
                triggers=interview.triggers(case, kb=kb, model=predictor), unsure=interview.unsure(case, kb))
    data = case_report.pdf(assessment, kb, **what)
    assert data.startswith(b"%PDF-")
    return assessment, case_report.build(assessment, kb, **what), pages(data), words(case_report.text(
        assessment, kb, **what))


def between(text: str, start: str, end: str) -> str:
    return text[text.index(start) + len(start):text.index(end, text.index(start))]


def answered(case: dict, value: str) -> list[str]:
    return [a for a, v in case.items() if v == value and a != contract.DAYS_ANSWER]


# --------------------------------------------------------------------------- one page


@pytest.mark.parametrize("make, level", [(self_care_case, "self_care"), (see_doctor_case, "see_doctor")])
def test_a_long_case_gives_one_a4_page_numbered_page_1_of_1(predictor, kb, make, level):
    case = make(kb)
    assessment, report, text, _ = made(case, predictor, kb)
    assert assessment.disposition == level
    assert len(answered(case, "no")) >= 30 and len(answered(case, "yes")) >= 6
    assert len(text) == 1 and "Page 1 of 1" in text[0]
    page = pypdf.PdfReader(io.BytesIO(case_report.pdf(assessment, kb, model_version=VERSION, when=WHEN))).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4 in points
    for n, note in enumerate(report.sources, start=1):  # every source made it onto the page
        assert f"[{n}] {words(note)}" in text[0]


_VALUES = st.sampled_from(["yes", "no", "unknown"])


@settings(max_examples=10)
@given(data=st.data())
def test_any_case_without_a_warning_sign_fits_one_page(predictor, kb, data):
    case = {a.id: "no" if a.group == "warning" else data.draw(_VALUES, label=a.id)
            for a in kb.answers if a.id != contract.DAYS_ANSWER}
    case[contract.DAYS_ANSWER] = data.draw(st.integers(0, 400), label="days")
    assessment, _, text, plain = made(case, predictor, kb)
    if assessment.disposition in ("self_care", "see_doctor"):
        assert len(text) == 1, assessment.disposition
    assert words(f"{assessment.level.title}. {assessment.level.action}") in text[0] and plain.count("Page 1 of 1")


def test_the_type_never_shrinks_below_a_readable_size():
    assert layout.SCALES[0] == 1.0 and min(layout.SCALES) >= 0.8  # body text never below 6.8 pt


# --------------------------------------------------------------------------- what comes first


def test_the_advice_and_the_key_findings_come_before_the_causes_and_the_negatives_last(predictor, kb):
    case = see_doctor_case(kb)
    assessment, _, (text,), plain = made(case, predictor, kb)
    for report in (text, plain):
        order = [report.index(s) for s in (assessment.level.title, "Red flags: ", "Key findings", "How long: 30 days.",
                                           "Yes: ", "Possible causes", "Tests to ask for", "No: ",
                                           "Not sure (answered", "About this report", "Sources")]
        assert order == sorted(order)


def test_the_negatives_are_one_line_of_short_names_not_the_patient_questions(predictor, kb):
    case = see_doctor_case(kb)
    _, _, (text,), plain = made(case, predictor, kb)
    for report in (text, plain):
        negatives = between(report, "No: ", "Not sure (answered")
        for answer in answered(case, "no"):
            assert case_report.short_name(kb, answer)[1:] in negatives, answer
            assert words(kb.answer(answer).question) not in report, answer
        assert "?" not in negatives and "\u2022" not in negatives
        unsure = between(report, "Not sure (answered \u201cdon't know\u201d): ", "About this report")
        for answer in answered(case, "unknown"):
            assert case_report.short_name(kb, answer)[1:] in unsure
    assert "Do you get muscle cramps?" not in text  # the finding the issue quotes


def test_short_names_come_from_a_rule_s_reason_or_the_answer_s_id(kb):
    assert case_report.short_name(kb, "chest_pain") == "Chest pain, pressure or tightness"
    assert case_report.short_name(kb, "weakness") == "Twitching with muscle weakness"
    assert case_report.short_name(kb, "loc_eyelid") == "eyelid twitching"
    assert case_report.short_name(kb, "loc_widespread") == "Widespread twitching"  # its rule's reason
    assert case_report.short_name(kb, "muscle_tightness") == "muscle tightness"
    for answer in kb.answers:
        name = case_report.short_name(kb, answer.id)
        assert name and not name.endswith("?") and len(name) <= 60, answer.id


def test_the_key_findings_give_the_positives_the_triggers_and_nothing_lacking(predictor, kb):
    case = self_care_case(kb)
    assessment, report, (text,), _ = made(case, predictor, kb)
    positives = between(text, "Yes: ", "Everyday trigger")
    for answer in answered(case, "yes"):
        assert case_report.short_name(kb, answer) in positives
    listed = between(text, "Everyday triggers: ", ".")
    for cause in ("high caffeine", "stress"):
        assert f"{cause} [" in listed
    assert "Occasional twitching can be normal after exercise, stress, or caffeine intake." in text
    assert f"Nothing lacking (another cause) {100 * assessment.p_nothing_lacking:.0f}%" in text  # the causes' row
    nothing = f"Nothing lacking? {100 * assessment.p_nothing_lacking:.0f}%: the model's probability"
    assert text.index("Key findings") < text.index(nothing) < text.index("Possible causes")


def test_the_person_s_details_are_in_the_header_and_blank_ones_say_not_given(predictor, kb):
    _, _, (text,), plain = made(self_care_case(kb), predictor, kb)
    line = "Age: 42 \u00b7 Sex: female \u00b7 Current medicines: ramipril 5 mg; vitamin D 1000 IU"
    assert line in text and line in plain
    _, _, (blank,), _ = made(self_care_case(kb), predictor, kb, person=Person())
    assert "Age: not given \u00b7 Sex: not given \u00b7 Current medicines: not given" in blank


def test_the_header_gives_the_date_and_the_model_and_the_end_the_disclaimer(predictor, kb):
    _, _, (text,), plain = made(self_care_case(kb), predictor, kb)
    for report in (text, plain):
        assert "Date: 30 November 2026" in report and VERSION in report
        assert words(kb.disclaimer.text) in report
        assert report.index("About this report") > report.index("The other answers")


# --------------------------------------------------------------------------- emergency and urgent


@pytest.mark.parametrize("case, level", [(EMERGENCY_CASE, "emergency"), (URGENT_CASE, "urgent")])
def test_an_emergency_or_urgent_report_opens_with_the_summary_for_the_paramedic_or_the_doctor(predictor, kb, case,
                                                                                               level):
    assessment, _, (text,), plain = made(case, predictor, kb)
    assert assessment.disposition == level
    for report in (text, plain):
        body = report[report.index(case_report.SUMMARY):]
        assert report.index(case_report.SUMMARY) < report.index("Possible causes")
        summary = between(report, case_report.SUMMARY, "Possible causes")
        assert words(f"{kb.level(level).title}. {kb.level(level).action}") in summary
        flags = between(summary, "Red flags: ", ".")
        for rule in assessment.red_flags:
            assert f"{rule.reason} [" in flags
        assert "Yes: " in summary and "How long:" in summary
        assert "Advice" not in body[:40]
    if level == "emergency":
        assert kb.text("ambulance") in between(text, case_report.SUMMARY, kb.level(level).title)


def test_an_emergency_that_needs_no_ambulance_does_not_say_to_call_one(predictor, kb):
    assessment, _, (text,), _ = made({"fainting": "yes"}, predictor, kb)
    assert assessment.disposition == "emergency" and kb.text("ambulance") not in text


def test_an_urgent_report_about_a_cause_the_model_does_not_weigh_gives_no_nutrient_tests(predictor, kb):
    assessment, _, (text,), plain = made(URGENT_CASE, predictor, kb)
    assert not case_report.nutrients_apply(assessment)
    for report in (text, plain):
        assert "Tests to ask for" not in report and "(clinical assessment)" not in report
        assert words(kb.text("nutrients_only")) in between(report, "Possible causes", "About this report")
    _, _, (tetany,), _ = made({"tetany": "yes", "loc_mouth": "yes"}, predictor, kb)
    assert "Tests to ask for" in tetany and words(kb.text("nutrients_only")) not in tetany


# --------------------------------------------------------------------------- kept from the longer report


@pytest.mark.parametrize("make", [self_care_case, see_doctor_case, lambda kb: URGENT_CASE, lambda kb: EMERGENCY_CASE],
                         ids=["self_care", "see_doctor", "urgent", "emergency"])
def test_every_report_gives_when_to_get_help_sooner_and_never_that_many_people_improve(predictor, kb, monkeypatch,
                                                                                       make):
    monkeypatch.delenv(EMERGENCY_NUMBER_ENV, raising=False)
    assessment, _, (text,), plain = made(make(kb), predictor, kb)
    net = words(assessment.level.safety_net.fill())
    assert "your local emergency number" in net
    for report in (text, plain):
        assert net in report and words(kb.plan_note.text) not in report


def test_each_warning_sign_left_unsure_is_named_with_what_it_would_call_for(predictor, kb):
    _, _, (text,), _ = made(see_doctor_case(kb), predictor, kb)
    chest = kb.text("unsure_sign", sign="Chest pain, pressure or tightness", action="get emergency care now")
    tetany = kb.text("unsure_sign", sign="Hands or feet locked in spasm (tetany)", action="see a doctor today")
    assert text.index(chest) < text.index(tetany) < text.index("Possible causes")


def test_the_tests_are_those_of_the_likely_causes_with_the_supplement_warning(predictor, kb):
    assessment, report, (text,), _ = made(see_doctor_case(kb), predictor, kb)
    tests = next(s for s in report.sections if s.title == "Tests to ask for")
    likely = [r for r in assessment.labels if r.likely]
    assert likely
    assert {item.text.rsplit(" (for ", 1)[0] for item in tests.items} == {t.text for r in likely for t in r.tests}
    assert all(item.note for item in tests.items)
    assert words(kb.text("supplement_warning")) in between(text, "Tests to ask for", "The other answers")


def test_with_no_likely_cause_the_tests_are_those_of_the_most_probable_one(predictor, kb):
    assessment = triage.assess({"loc_eyelid": "yes", "high_caffeine": "yes", "stress": "yes"}, predictor, kb,
                               explain=False)
    assert not assessment.likely
    report = case_report.build(assessment, kb, model_version=VERSION, when=WHEN)
    tests = next(s for s in report.sections if s.title == "Tests to ask for")
    top = assessment.labels[0]
    assert top.name in tests.paragraphs[0].text
    assert [item.text for item in tests.items] == [f"{t.text} (for {top.name})" for t in top.tests]


def test_every_cause_is_a_row_with_its_probability_and_the_share_the_model_assumes(predictor, kb):
    assessment, report, (text,), _ = made(see_doctor_case(kb), predictor, kb)
    table = next(s for s in report.sections if s.table).table
    assert [row[0] for row in table[1:-1]] == [r.name for r in assessment.labels]
    assert "Likely (\u2265 50%)" in text and "not a measured figure" in text
    for result in assessment.labels:
        assert f"{result.name} {100 * result.probability:.0f}% {100 * result.prevalence:.0f}%" in text


def test_sources_are_numbered_notes_cited_by_article_title(predictor, kb):
    _, report, (text,), plain = made(see_doctor_case(kb), predictor, kb)
    assert len(report.sources) == len(set(report.sources)) >= 5
    titles = dict(kb.sources)
    for output in (text, plain):
        assert ".txt" not in output and titles["001_8a44768adfb669a4.txt"] in output
    for section in report.sections:
        for entry in (*section.paragraphs, *section.items):
            if entry.note:
                assert words(f"{entry.text} [{report.sources.index(entry.note) + 1}]") in text


def test_an_unasked_question_is_counted_not_listed_as_not_sure(predictor, kb):
    case = {"loc_eyelid": "yes", "numbness": "unknown"}
    _, _, (text,), _ = made(case, predictor, kb)
    assert "Not sure (answered \u201cdon't know\u201d): twitching with numbness." in text
    assert f"Not asked: {len(kb.answers) - len(case) - 1} more questions" in text  # the days: "How long"
    assert "How long: not asked." in text
    assessment = triage.assess(case, predictor, kb, explain=False)
    every = pages(case_report.pdf(assessment, kb, model_version=VERSION, when=WHEN))[0]  # a form: all asked
    assert "Not asked" not in every and "face twitching" in between(every, "Not sure (answered", "About")


def test_the_plain_text_keeps_lines_short_and_says_the_same_as_the_pdf(predictor, kb):
    case = see_doctor_case(kb)
    assessment = triage.assess(case, predictor, kb, explain=False)
    plain = case_report.text(assessment, kb, model_version=VERSION, when=WHEN, asked=tuple(case), person=PERSON)
    assert max(len(line) for line in plain.splitlines()) <= layout.WIDTH
    assert "**" not in plain and "|" not in plain and "#" not in plain  # not Markdown
    _, _, (text,), flat = made(case, predictor, kb)
    for fact in ("Key findings", "No: face twitching", "Magnesium", VERSION, "Page 1 of 1"):
        assert fact in text and fact in flat


def test_the_same_case_gives_the_same_pdf_bytes(predictor, kb):
    assessment = triage.assess(see_doctor_case(kb), predictor, kb, explain=False)
    first = case_report.pdf(assessment, kb, model_version=VERSION, when=WHEN, person=PERSON)
    assert case_report.pdf(assessment, kb, model_version=VERSION, when=WHEN, person=PERSON) == first


def test_the_fonts_and_their_licence_are_installed_with_the_package():
    project = tomllib.loads((Settings().root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["twitch_triage"]
    fonts = layout.FONTS_DIR
    bundled = sorted(p.relative_to(fonts.parents[1]).as_posix() for p in fonts.iterdir())  # from the package
    assert {"report/fonts/DejaVuSans.ttf", "report/fonts/DejaVuSans-Bold.ttf", "report/fonts/LICENSE.txt"} <= set(bundled)
    for name in bundled:
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name
    assert "Bitstream Vera" in (fonts / "LICENSE.txt").read_text(encoding="utf-8")


def test_a_warning_sign_without_a_rule_of_its_own_is_named_by_its_question(kb):
    assert case_report.sign_name(kb, "chest_pain") == "Chest pain, pressure or tightness"
    assert case_report.sign_name(kb, "loc_eyelid") == kb.answer("loc_eyelid").question.rstrip("?")


def test_unsure_signs_of_the_advice_s_level_or_below_can_be_left_out(kb):
    unsure = (("chest_pain", "emergency"), ("tetany", "urgent"))
    assert [item.text for item in case_report.unsure_items(unsure, kb, beyond="urgent")] == [
        kb.text("unsure_sign", sign="Chest pain, pressure or tightness", action="get emergency care now")]
    assert case_report.unsure_items(unsure, kb, beyond="emergency") == ()
    assert len(case_report.unsure_items(unsure, kb, beyond="see_doctor")) == 2


def test_nothing_leads_when_it_is_at_least_every_nutrient_as_written_with_four_decimals(predictor, kb):
    assessment = triage.assess({"loc_eyelid": "yes"}, predictor, kb, explain=False)
    labels = dict.fromkeys(assessment.probabilities, 0.1)

    def leads(nothing: float, top: float) -> bool:
        return case_report.nothing_leads(dataclasses.replace(
            assessment, p_nothing_lacking=nothing, probabilities={**labels, "iron": top}))

    assert leads(0.30004, 0.30001)  # both written 0.3000: a tie leads
    assert leads(0.3001, 0.3000)
    assert not leads(0.29994, 0.29996)  # 0.2999 against 0.3000
    assert not leads(float("nan"), 0.0)


def test_the_model_version_names_when_and_from_which_knowledge_base_the_model_was_trained(predictor, kb):
    assert predictor.metadata["created"] in predictor.version
    assert f"knowledge base {kb.sha256[:12]}" in predictor.version
