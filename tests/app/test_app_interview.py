"""The interview of "Check a case", its result and its address, driven by key through AppTest."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from twitch_triage.report import case_report
from twitch_triage import contract
from twitch_triage.triage import redflags
from twitch_triage import interview, triage
from twitch_triage_app.ui import case, nutrients, what_if, wizard

from app_driver import opened_at

APP = Path(__file__).resolve().parents[2] / "app.py"
EMERGENCY_SIGNS = ("breathing_difficulty", "chest_pain", "seizure")
MAX_SCREENS = len(contract.ANSWERS) + 1

pytestmark = pytest.mark.usefixtures("fresh_cache")


def question(at: AppTest) -> str:
    """The question on screen (the subheader of the interview's box)."""
    return at.subheader[0].value


def progress(at: AppTest) -> str:
    """The progress line over the question."""
    return at.get("progress")[0].proto.text


def done(at: AppTest) -> int:
    """The share of the interview the progress bar shows done, in percent."""
    return at.get("progress")[0].proto.value


def number(at: AppTest) -> int:
    """The number of the question on screen."""
    return int(re.match(r"Question (\d+)", progress(at)).group(1))


def has(elements, key: str) -> bool:
    return any(element.key == key for element in elements)


def answer_screen(at: AppTest, value: str = "unknown") -> AppTest:
    """Answer the screen on show with ``value`` (yes / no / unknown): on a screen of items, "no" is "None of
    these", "unknown" leaves every item untouched, "yes" answers yes to the first item and leaves the rest."""
    if has(at.button, "none_of_these"):
        if value == "no":
            return at.button(key="none_of_these").click().run()
        if value == "yes":
            at.radio[0].set_value("yes")
        return at.button(key="next").click().run()
    if at.number_input:
        return at.button(key="answer_unknown").click().run()
    return at.button(key=f"answer_{value}").click().run()


def finished(at: AppTest) -> bool:
    """The interview has stopped: the result (or the note that there is nothing to go on yet), no question."""
    return not at.get("progress")


def banners(at: AppTest) -> list[str]:
    return [e.value for kind in ("error", "warning", "success") for e in at.get(kind)]


def walk_to_the_result(at: AppTest, value: str = "no", seen: list | None = None) -> AppTest:
    """Answer every screen with ``value`` until the result shows; the progress lines go into ``seen``."""
    for _ in range(MAX_SCREENS):
        if finished(at):
            return at
        if seen is not None:
            seen.append(progress(at))
        at = answer_screen(at, value)
        assert not at.exception
    raise AssertionError("the interview did not stop")


def test_the_interview_opens_on_the_warning_sign_checklist_with_the_chart_beside_it(app, kb):
    assert not app.toggle(key="all_at_once").value
    assert question(app) == "First: do you have any of these now?"
    assert number(app) == 1
    items = {radio.key.removeprefix("ask_"): radio for radio in app.radio}
    assert set(items) == {a.id for a in kb.answers if a.group == "warning"}
    assert all(r.value is None and r.options == ["Yes", "No", "Not sure"] for r in items.values())  # untouched
    assert has(app.button, "none_of_these") and has(app.button, "next")
    assert len(app.get("vega_lite_chart")) == 1
    so_far = [md.value for md in app.markdown if "So far" in md.value]
    assert so_far and all(level.title not in so_far[0] for level in kb.levels)  # no advice before the signs
    assert any("address" in c.value and "health answers" in c.value for c in app.caption)


def test_none_of_these_answers_no_to_every_item(app, kb):
    at = app.button(key="none_of_these").click().run()
    assert all(at.query_params[a.id] == "n" for a in kb.answers if a.group == "warning")
    at = at.button(key="back").click().run()  # the answers taken back are shown as given
    assert all(r.value == "no" for r in at.radio)


def test_an_item_left_untouched_is_not_sure_never_no(app, kb):
    app.radio(key="ask_chest_pain").set_value("no")
    at = app.button(key="next").click().run()
    assert at.query_params["chest_pain"] == "n"
    assert all(at.query_params[a.id] == "u" for a in kb.answers if a.group == "warning" and a.id != "chest_pain")


def test_an_interview_goes_forward_back_and_starts_over(app):
    at = answer_screen(app, "no")  # the checklist: none of these
    assert any("So far" in md.value and "advice **" in md.value for md in at.markdown)  # now it has advice
    first = question(at)
    assert number(at) == 2 and first == "Where is the twitching?"
    first_item = at.radio[0].key
    at = answer_screen(at, "yes")
    assert not at.exception and number(at) == 3
    assert question(at) != first
    at = at.button(key="back").click().run()
    assert question(at) == first and number(at) == 2
    assert at.radio(key=first_item).value == "yes"  # the answers taken back are shown again
    assert "y" not in at.query_params.values()  # and taken out of the case
    at = at.button(key="start_over").click().run()
    assert question(at) == first and has(at.button, "start_over_confirm")  # it asks first
    at = at.button(key="start_over_cancel").click().run()
    assert question(at) == first and dict(at.query_params) and not has(at.button, "start_over_confirm")
    at = at.button(key="start_over").click().run()
    at = at.button(key="start_over_confirm").click().run()
    assert question(at) == "First: do you have any of these now?" and not dict(at.query_params)


def test_the_browsers_back_button_steps_back_through_the_questions_and_shows_the_answers_again(app):
    at = answer_screen(app, "no")  # the checklist: none of these
    at_where = dict(at.query_params)
    first, first_item = question(at), at.radio[0].key
    at = answer_screen(at, "yes")
    assert question(at) != first and at.query_params[first_item.removeprefix("ask_")] == "y"
    # the browser's Back: Streamlit reruns the page with the address of the screen before
    at.query_params.clear()
    at.query_params.update(at_where)
    at = at.run()
    assert not at.exception and question(at) == first and number(at) == 2
    assert at.radio(key=first_item).value == "yes"  # the answers it took back, shown again
    assert dict(at.query_params) == at_where
    at.query_params.clear()  # Back once more: the checklist, its answers shown again
    at = at.run()
    assert question(at) == "First: do you have any of these now?"
    assert at.radio[0].value == "no"


def test_an_interview_walked_to_its_end_shows_the_result_and_what_if(app, kb):
    at = answer_screen(app, "no")
    at = answer_screen(at, "yes")  # where: the first place
    seen = []
    at = walk_to_the_result(at, seen=seen)
    numbers = [number_of(line) for line in seen]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # one more each screen
    assert all(re.search(r" — (about \d+ more to go|the last question)$", line) for line in seen), seen
    types = [node.type for node in at.main]
    banners_at = [i for i, t in enumerate(types) if t in ("success", "warning", "error")]
    assert banners_at and banners_at[0] < types.index("vega_lite_chart")  # the disposition first
    assert any(md.value == "##### What if an answer were the other way" for md in at.markdown)
    assert len(at.get("download_button")) == 3  # the report as PDF, text and FHIR
    assert has(at.button, "back") and has(at.button, "start_over")
    assert not at.radio and not at.number_input  # no question left on screen


def number_of(line: str) -> int:
    return int(re.match(r"Question (\d+)", line).group(1))


@pytest.mark.parametrize("sign", ["tetany", "calf_swelling"])
def test_an_urgent_tick_shows_the_urgent_result_next_with_an_optional_few_more_for_the_doctor(app, kb, sign):
    app.radio(key=f"ask_{sign}").set_value("yes")
    at = app.button(key="next").click().run()
    assert not at.exception and finished(at)
    assert kb.level("urgent").title in at.error[0].value
    assert has(at.button, "for_report") and not at.radio  # the result, not another question
    at = at.button(key="for_report").click().run()
    assert not at.exception and not finished(at) and question(at) == "Where is the twitching?"
    assert kb.level("urgent").title in at.error[0].value  # the advice stays on top while answering
    at = walk_to_the_result(at, "unknown")
    assert finished(at) and kb.level("urgent").title in at.error[0].value
    assert not has(at.button, "for_report")  # answered: it is not offered again


@pytest.mark.parametrize("sign", EMERGENCY_SIGNS)
def test_an_emergency_tick_stops_the_interview_at_once_and_says_only_what_to_do_now(app, kb, sign):
    app.radio(key=f"ask_{sign}").set_value("yes")
    at = app.button(key="next").click().run()
    assert not at.exception
    level = kb.level("emergency")
    assert level.title in at.error[0].value and level.action in at.error[0].value
    assert not at.get("vega_lite_chart") and not at.subheader
    assert "may be lacking" not in "\n".join(md.value for md in at.markdown)
    assert [d.proto.label for d in at.get("download_button")] == ["Report (PDF)"] and not has(at.button, "for_report")
    types = [node.type for node in at.main]
    assert types.index("error") < types.index("download_button")  # what to do now first
    assert at.query_params[sign] == "y"
    at = at.button(key="back").click().run()  # a wrong answer can be taken back
    assert question(at) == "First: do you have any of these now?" and at.radio(key=f"ask_{sign}").value == "yes"


def walks(app, pattern: list[str]) -> list[tuple[int, str]]:
    """The progress (percent done, line) of each screen of one walk, answering by ``pattern`` in turn."""
    at, seen = app, []
    for k in range(MAX_SCREENS):
        if finished(at):
            return seen
        seen.append((done(at), progress(at)))
        at = answer_screen(at, pattern[k % len(pattern)])
        assert not at.exception
    raise AssertionError("the interview did not stop")


@pytest.mark.parametrize("pattern", [["no"], ["unknown"], ["no", "yes"], ["no", "yes", "unknown", "no"]],
                         ids=["none", "not-sure", "yes-no", "mixed"])
def test_progress_never_moves_backward_and_says_the_last_question_only_before_the_result(app, pattern):
    seen = walks(app, pattern)
    shares = [share for share, _ in seen]
    assert shares == sorted(shares), seen
    assert len(seen) >= 4  # the checklist and the core history at least
    for k, (_, line) in enumerate(seen):
        if line.endswith("the last question"):
            assert k == len(seen) - 1, seen  # the last question was the last


def test_progress_never_falls_below_what_was_shown_and_is_last_only_when_certain():
    share, line = wizard.progress_line({"asked": 4, "remaining": 6}, shown_before=0.5)
    assert share == 0.5 and line == "Question 5 — about 5 more to go"
    share, line = wizard.progress_line({"asked": 4, "remaining": 1}, shown_before=0.2)
    assert share == 0.8 and line == "Question 5 — the last question"
    assert wizard.progress_line({"asked": 0, "remaining": 7}, shown_before=None)[0] == 0.0


def test_what_if_shows_the_advice_s_reasons_and_the_largest_moves_first_and_folds_the_rest(
        small_model_dir, use_model, predictor, kb):
    given = {a.id: "n" for a in kb.answers if a.id != contract.DAYS_ANSWER}  # every question, as the form asks
    given.update(loc_eyelid="y", loc_calves="y", cramps="y", at_rest="y", duration_days="10")
    at = opened_at(given, small_model_dir, use_model)
    assert not at.exception
    answers = {a: {"y": "yes", "n": "no"}.get(v, v) for a, v in given.items()}
    assessment = triage.assess(answers, predictor, kb)
    rows = what_if.what_if_rows(answers, assessment, predictor, kb)
    assert len(rows) > what_if._WHAT_IF_SHOWN  # a long list: the rest folds away
    lists = [md.value for md in at.markdown if md.value.startswith("- ") and "You said" in md.value]
    assert len(lists) == 2  # the first lines, and those in the expander
    folded = [e for e in at.expander if "more answer" in e.label]
    assert len(folded) == 1 and folded[0].label == f"{len(rows) - what_if._WHAT_IF_SHOWN} more answers that matter"
    assert len(lists[0].split("\n- ")) == what_if._WHAT_IF_SHOWN
    reasons = [r for r in rows if redflags.level_rank(r.disposition) > redflags.level_rank(assessment.disposition)]
    assert reasons and all(kb.answer(r.answer).question in lists[0] for r in reasons)  # the advice rests on them


def test_a_case_reopens_from_its_address_at_the_same_question_and_goes_back_from_there(app, small_model_dir,
                                                                                      use_model):
    at = answer_screen(answer_screen(app, "no"), "yes")
    before, before_params = question(at), dict(at.query_params)
    at = answer_screen(at, "no")
    params = dict(at.query_params)
    again = opened_at(params, small_model_dir, use_model)
    assert not again.exception and not again.warning
    assert question(again) == question(at) and number(again) == number(at) == 4
    back = again.button(key="back").click().run()  # the last screen is found from the address alone
    assert question(back) == before and dict(back.query_params) == before_params


def test_a_finished_case_reopens_on_its_result(app, small_model_dir, use_model):
    at = walk_to_the_result(answer_screen(app, "no"), "yes")
    params = dict(at.query_params)
    again = opened_at(params, small_model_dir, use_model)
    assert not again.exception and finished(again)
    assert banners(again) == banners(at) and banners(at)


def test_malformed_address_parameters_are_left_out_with_a_notice_not_an_error(small_model_dir, use_model):
    params = {"loc_eyelid": "y", "utm_source": "mail", "cramps": "maybe", "duration_days": "400000",
              "stress": "[click](http://example.com)", "tetany": "n"}
    at = opened_at(params, small_model_dir, use_model)
    assert not at.exception and not at.error
    notice = "\n".join(w.value for w in at.warning)
    for shown in ("utm_source", "cramps: 'maybe'", "duration_days: '400000'", "stress: '[click](http://example.com)'"):
        assert shown in notice
    listed = notice.splitlines()[1:]
    assert len(listed) == 4 and all(re.fullmatch(r"- (`+) .* \1", line) for line in listed)  # text, not links
    assert dict(at.query_params) == {"loc_eyelid": "y", "tetany": "n"}
    assert at.session_state["case"] == {"loc_eyelid": "yes", "tetany": "no"}


@pytest.mark.parametrize("days", [-5, 400_000])
def test_an_invalid_day_count_is_named_next_to_the_button_and_no_earlier_result_stays(app, kb, days):
    at = app.toggle(key="all_at_once").set_value(True).run()
    at.radio(key="breathing_difficulty").set_value("yes")
    at = at.button(key="check").click().run()
    assert kb.level("emergency").title in at.error[0].value  # a result is shown
    at.number_input(key=contract.DAYS_ANSWER).set_value(days)
    at = at.run()
    assert not at.header  # the answers changed: the result went with them
    at = at.button(key="check").click().run()
    assert not at.exception and not at.header
    assert len(at.error) == 1 and f"{days:g} days is not a possible duration" in at.error[0].value
    types = [node.type for node in at.main]
    assert types.index("error") == len(types) - 1 - types[::-1].index("button") + 1  # right after the button


def test_the_heading_of_answers_pointing_away_starts_a_paragraph_of_its_own(predictor, kb):
    assessment = triage.assess({"loc_eyelid": "yes", "cramps": "yes", "high_caffeine": "yes", "stress": "yes",
                                "loc_calves": "no", "weakness": "no"}, predictor, kb)
    texts = ["\n".join(nutrients._evidence_lines(r, assessment, kb)).strip() for r in assessment.labels]
    heading = "**Answers pointing away from it**"
    away = [t for t in texts if heading in t]
    assert any(not t.startswith(heading) for t in away)  # some follow a list of answers pointing towards it
    for text in away:
        at = text.index(heading)
        assert (at == 0 or text[at - 2:at] == "\n\n") and text[at + len(heading):].startswith("\n\n")
    assert all("points)" not in t for t in texts)
    assert any(" without this answer → " in t for t in texts)


def test_what_if_lists_exactly_the_answers_that_matter_as_cases_of_their_own_would(predictor, kb):
    answers = {"loc_eyelid": "yes", "cramps": "no", "high_caffeine": "yes", "stress": "yes", "progressive": "yes",
               "fainting": "no", contract.DAYS_ANSWER: 3.0}
    assessment = triage.assess(answers, predictor, kb)
    rows = {row.answer: row for row in what_if.what_if_rows(answers, assessment, predictor, kb)}
    top = [r.label for r in assessment.labels[:3]]
    for answer_id, given in answers.items():
        if answer_id == contract.DAYS_ANSWER:
            assert answer_id not in rows  # a number of days has no other way
            continue
        turned = triage.assess({**answers, answer_id: "no" if given == "yes" else "yes"}, predictor, kb,
                               explain=False)
        moves = [turned.probabilities[label] - assessment.probabilities[label] for label in top]
        lowers = redflags.level_rank(turned.disposition) > redflags.level_rank(assessment.disposition)
        matters = max(map(abs, moves)) >= 0.05 or lowers
        assert (answer_id in rows) == matters, answer_id
        if matters:
            row = rows[answer_id]
            assert row.given == given and row.disposition == turned.disposition
            assert [after - now for _, now, after in row.moves] == pytest.approx(moves, abs=1e-4)  # as written
    assert list(rows) == sorted(rows, key=lambda a: -rows[a].largest)
    progressive = rows["progressive"]  # it moves little, but without it there is no visit for it
    assert progressive.largest < 0.05 and progressive.disposition != assessment.disposition
    assert "fainting" not in rows or rows["fainting"].largest >= 0.05  # a sign not had is not a reason


ANSWER_VALUES = st.sampled_from([case.YES, case.NO, case.UNKNOWN])


@st.composite
def cases(draw) -> dict:
    ids = draw(st.lists(st.sampled_from(contract.ANSWERS), unique=True))
    found = {}
    for answer_id in ids:
        if answer_id == contract.DAYS_ANSWER:
            found[answer_id] = draw(st.floats(0, case.MAX_DAYS).map(lambda d: round(d, 1)) | st.just(case.UNKNOWN))
        else:
            found[answer_id] = draw(ANSWER_VALUES)
    return found


@given(cases())
def test_a_case_comes_back_from_its_address_unchanged_and_in_order(kb, answers):
    params = case.to_params(answers)
    assert all(len(value) <= 7 for value in params.values())
    back, ignored = case.from_params(params, kb)
    assert not ignored
    assert list(back) == list(answers)
    assert back == answers


@given(st.dictionaries(st.text(max_size=30), st.text(max_size=30), max_size=6))
def test_any_address_gives_valid_answers_and_a_line_for_each_part_left_out(kb, params):
    found, ignored = case.from_params(params, kb)
    assert len(found) + len(ignored) == len(params)
    for key, value in found.items():
        assert key in contract.ANSWERS
        assert value in (case.YES, case.NO, case.UNKNOWN) or (isinstance(value, float) and not math.isnan(value)
                                                              and case.days_problem(value) is None)


def test_the_days_question_names_an_impossible_count_next_to_its_button_and_takes_a_possible_one(app):
    at = answer_screen(app, "no")
    for _ in range(MAX_SCREENS):
        if at.number_input or finished(at):
            break
        at = answer_screen(at, "yes")
    assert at.number_input, "the interview never asked for the number of days"
    here = number(at)
    for days in (-5, 400_000):
        at.number_input(key=f"ask_{contract.DAYS_ANSWER}").set_value(days)
        at = at.button(key="next").click().run()
        assert not at.exception and number(at) == here and contract.DAYS_ANSWER not in at.query_params
        assert len(at.error) == 1 and f"{days:g} days is not a possible duration" in at.error[0].value
        types = [node.type for node in at.main]
        assert types[types.index("error") - 1] == "button"  # right under its buttons
    at.number_input(key=f"ask_{contract.DAYS_ANSWER}").set_value(20)
    at = at.button(key="next").click().run()
    assert not at.error and at.query_params[contract.DAYS_ANSWER] == "20"
    assert finished(at) or number(at) == here + 1


def test_switching_to_every_question_at_once_keeps_the_answers_given_in_the_interview(app):
    at = answer_screen(app, "no")
    ticked = at.radio[0].key.removeprefix("ask_")  # where the twitching is: the first place, yes
    at = answer_screen(at, "yes")
    assert at.query_params[ticked] == "y"
    at = at.toggle(key="all_at_once").set_value(True).run()
    assert not at.exception
    assert at.radio(key=ticked).value == "yes"
    assert at.radio(key="chest_pain").value == "no"  # answered no on the checklist
    assert not at.header  # no result until the form's answers are checked


def test_a_case_checked_all_at_once_is_in_the_address_and_reopens_on_the_same_result(app, small_model_dir,
                                                                                     use_model):
    at = app.toggle(key="all_at_once").set_value(True).run()
    at.radio(key="loc_eyelid").set_value("yes")
    at.radio(key="weakness").set_value("yes")
    at.radio(key="chest_pain").set_value("no")
    at.number_input(key=contract.DAYS_ANSWER).set_value(20)
    at = at.button(key="check").click().run()
    params = dict(at.query_params)
    assert len(params) == len(contract.ANSWERS)  # every question of the form was asked
    assert (params["loc_eyelid"], params["weakness"], params["cramps"], params["chest_pain"], params["tetany"],
            params[contract.DAYS_ANSWER]) == ("y", "y", "u", "n", "u", "20")  # a sign left untouched: not sure
    again = opened_at(params, small_model_dir, use_model)
    assert not again.exception and finished(again)
    assert banners(again) == banners(at) and banners(at)


def test_a_warning_sign_left_untouched_is_not_sure_in_the_report_for_the_doctor(app, kb, downloads):
    app.radio(key="ask_chest_pain").set_value("no")
    app.radio(key="ask_fainting").set_value("no")
    at = app.button(key="next").click().run()  # the other warning signs left untouched
    at = walk_to_the_result(at, "no")
    assert not at.exception and finished(at)
    text = next(make for label, make in downloads.items() if "PDF" not in label and "FHIR" not in label)
    report = " ".join((text() if callable(text) else text).split())
    unsure = report[report.index("Not sure (answered"):]
    unsure = unsure[:unsure.index(". ")]  # the line of answers not sure of
    assert case_report.short_name(kb, "tetany").lower() in unsure  # untouched: not sure, not a pertinent negative
    assert case_report.short_name(kb, "chest_pain").lower() not in unsure


def test_the_report_an_emergency_page_offers_opens_with_the_summary_for_the_paramedic(app, kb, downloads):
    app.radio(key="ask_chest_pain").set_value("yes")
    at = app.button(key="next").click().run()
    pdf = downloads["Report (PDF)"]()
    import io

    import pypdf

    text = " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Summary for the paramedic or the doctor today" in text[:400]  # the summary first
    assert "do not drive yourself" in text and "chest pain" in text.lower()
