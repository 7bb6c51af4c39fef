"""The "Score a file" page for a person without the command line: every column with its meaning, a template, near
misses named for every answer, rows with nothing to go on, and a preview bounded whatever the file."""

from __future__ import annotations

import io
import subprocess
import sys

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from twitch_triage.io import casefiles

SCORE_PAGE = "twitch_triage_app/pages/score_file.py"


def score_page(at: AppTest) -> AppTest:
    at.switch_page(SCORE_PAGE).run()
    assert not at.exception
    return at


def upload(at: AppTest, data: bytes) -> AppTest:
    at = score_page(at)
    at.file_uploader(key="upload").set_value(("d.csv", data, "text/csv"))
    return at.run()


def test_the_page_lists_every_column_with_its_meaning_and_offers_a_template(app, kb):
    at = score_page(app)
    listed = at.table[0].value
    assert list(listed["Column"]) == ["case_id", *kb.answer_ids]
    meanings = dict(zip(listed["Column"], listed["Meaning"]))
    assert all(kb.answer(a).question in meanings[a] for a in kb.answer_ids)
    assert "schema" not in " ".join(md.value for md in at.markdown)  # no command line sent to a web user
    template = at.download_button(key="template")
    assert template.label.startswith("Download a template CSV")


def test_the_template_is_a_file_the_scorer_reads_with_every_answer(kb, predictor):
    from twitch_triage_app.ui import scoring

    data = scoring.template_csv(kb)
    assert data.decode().splitlines() == [",".join(["case_id", *kb.answer_ids])]
    with casefiles.open_cases(io.BytesIO(data), answer_ids=tuple(predictor.answer_ids)) as reader:
        assert set(reader.header.answers) == set(kb.answer_ids) and not reader.header.warnings


@pytest.mark.parametrize(("column", "meant"), [("duration", "duration_days"), ("cramp", "cramps"),
                                                ("caffeine", "high_caffeine"), ("Eyelid", "loc_eyelid")])
def test_a_column_close_to_any_answers_name_is_named_on_the_page(app, column, meant):
    at = upload(app, f"loc_eyelid,{column}\nyes,21\n".encode())
    assert not at.exception and not at.error
    assert any(f"did you mean {meant}?" in w.value and column in w.value for w in at.warning)


def test_a_column_close_to_two_answers_or_to_none_is_not_guessed(kb):
    from twitch_triage.io.casefiles.header import _misspellings

    assert _misspellings(["pain", "age", "notes", "id"], kb.answer_ids) == ()  # chest_pain or bone_pain: no guess


def test_the_command_line_names_a_near_miss_too(tmp_path, small_model_dir):
    source = tmp_path / "in.csv"
    source.write_text("loc_eyelid,duration\nyes,21\n")
    run = subprocess.run([sys.executable, "-m", "twitch_triage", "score", str(source), "-o",
                          str(tmp_path / "out.csv"), "--model", str(small_model_dir)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "did you mean duration_days?" in run.stderr


def test_many_near_misses_are_summed_up_not_shown_one_box_each(app, kb):
    names = [f"{a}x" for a in kb.answer_ids]  # each one letter from an answer's name
    at = upload(app, (",".join(["loc_eyelid", *names]) + "\n" + ",".join(["yes"] * (len(names) + 1)) + "\n").encode())
    assert not at.exception
    near = [w.value for w in at.warning if "did you mean" in w.value]
    assert len(near) == 5
    assert any(f"and {len(names) - 5} more column(s)" in w.value for w in at.warning)


def test_a_row_without_a_single_answer_is_noted_as_nothing_to_go_on_and_stays_self_care_in_the_file(app):
    at = upload(app, b"case_id,loc_eyelid,cramps,duration_days\nempty,?,,unknown\nsome,yes,?,\nbad,maybe,?,\n")
    assert not at.exception
    assert any("2 row(s) hold not a single answer" in i.value for i in at.info)
    frame = next(getattr(d.value, "data", d.value) for d in at.dataframe
                 if "disposition" in getattr(d.value, "data", d.value).columns)
    assert list(frame["nothing to go on"]) == ["yes: no answer given", "", "yes: no answer given"]
    assert frame["disposition"].iloc[0] == "self_care"  # the contract's disposition, unchanged


def test_the_preview_of_a_wide_file_with_long_cells_stays_bounded(predictor, kb):
    from twitch_triage_app.ui import scoring

    wide = 20_000
    header = ",".join(["loc_eyelid", *(f"extra{i}" for i in range(wide))])
    row = ",".join(["yes", "x" * 5_000, *(["x" * 10] * (wide - 1))])  # one long cell, a line under 1 MB
    scored = scoring.score_upload(io.BytesIO(f"{header}\n{row}\n{row}\n".encode()), "d.csv", predictor, kb)
    preview = scored.preview
    assert preview.size <= scoring.PREVIEW_CELLS and len(preview) == 2
    assert preview.map(len).to_numpy().max() <= scoring.PREVIEW_CELL_CHARS
    assert "disposition" in preview.columns and "loc_eyelid" in preview.columns
    scored.close()
