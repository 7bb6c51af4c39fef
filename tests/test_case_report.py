"""The report for the doctor: Markdown and PDF say the same things, from the knowledge base, in a readable PDF."""

from __future__ import annotations

import datetime as dt
import fnmatch
import io
import re
import tomllib

import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twitch_triage import case_report, config, triage

WHEN = dt.date(2026, 11, 30)
VERSION = "trained 2026-11-30T10:00:00+00:00 from knowledge base 0123456789ab by twitch-triage 0.1.0"
MAGNESIUM_CASE = {"loc_eyelid": "yes", "loc_calves": "yes", "cramps": "yes", "chest_pain": "no", "duration_days": 21}
EMERGENCY_CASE = {"chest_pain": "yes", "loc_eyelid": "no"}


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
    negatives = between(text, "Answered no (pertinent negatives)", "Answered \u201cdon't know\u201d")
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


def test_an_interview_s_unasked_questions_are_counted_not_listed_as_dont_know(predictor, kb):
    case = {**MAGNESIUM_CASE, "numbness": "unknown"}  # asked, and the person does not know
    assessment = triage.assess(case, predictor, kb, explain=False)
    md = words(case_report.markdown(assessment, kb, model_version=VERSION, when=WHEN, asked=tuple(case)))
    text = pdf_text(case_report.pdf(assessment, kb, model_version=VERSION, when=WHEN, asked=tuple(case)))
    unasked = len(kb.answers) - len(case)
    for report in (md, text):
        dont_know = between(report, "Answered \u201cdon't know\u201d", "Not asked")
        assert kb.answer("numbness").question in dont_know
        assert kb.answer("loc_face").question not in report  # never asked: neither yes, no nor don't know
        assert f"{unasked} more questions" in report
    every = words(case_report.markdown(assessment, kb, model_version=VERSION, when=WHEN))  # a form: all asked
    assert kb.answer("loc_face").question in between(every, "Answered \u201cdon't know\u201d", "Possible causes")
    assert "Not asked" not in every


def test_every_cause_is_listed_with_its_probability_and_how_common_it_is(predictor, kb):
    assessment, md, _ = both(MAGNESIUM_CASE, predictor, kb)
    for result in assessment.labels:
        likely = "likely" if result.likely else ""
        assert words(f"| {result.name} | {100 * result.probability:.0f}% | {100 * result.prevalence:.0f}% | "
                     f"{likely} |") in md


def test_an_emergency_report_leads_with_what_to_do_now_and_the_red_flag_with_its_source(predictor, kb):
    assessment, md, text = both(EMERGENCY_CASE, predictor, kb)
    assert assessment.disposition == "emergency"
    level = kb.level("emergency")
    assert re.search(r"## ([^#]+?) ##", md).group(1).startswith(f"\u26a0 What to do now **{level.title}. "
                                                               f"{level.action}**")
    assert text.index("What to do now") < text.index(level.title) < text.index("How long")
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
    assert top.name in tests.paragraphs[0].text
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
        negatives = between(report, "Answered no (pertinent negatives)", "Answered \u201cdon't know\u201d")
        for question in questions(kb, case, "yes"):
            assert question in positives and question not in negatives
        for question in questions(kb, case, "no"):
            assert question in negatives and question not in positives
    yes, no = len(questions(kb, case, "yes")), len(questions(kb, case, "no"))
    assert between(text, "Answered yes (pertinent positives)", "Answered no").count("\u2022") == max(yes, 1)
    assert between(text, "Answered no (pertinent negatives)", "Answered \u201c").count("\u2022") == max(no, 1)
    days = case[config.DAYS_ANSWER]
    expected = f"{days} days." if days is not None else "Don't know."
    assert f"{kb.answer(config.DAYS_ANSWER).question} {expected}" in md and expected in text


def test_the_model_version_names_when_and_from_which_knowledge_base_the_model_was_trained(predictor, kb):
    assert predictor.metadata["created"] in predictor.version
    assert f"knowledge base {kb.sha256[:12]}" in predictor.version
