"""The Streamlit app, driven by key through AppTest against the session's small model."""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import io
import json
import logging
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from app_driver import WARNING_SIGNS, advice, all_at_once, all_markdown, answer, first, order, shown_text
from twitch_triage.model import artifact, npz
from twitch_triage.model.manifest import ARRAYS_NAME, MANIFEST_NAME
from twitch_triage import contract
from twitch_triage import triage

APP = Path(__file__).resolve().parents[2] / "app.py"
SCORE_PAGE = "twitch_triage_app/pages/score_file.py"
ABOUT_PAGE = "twitch_triage_app/pages/about_model.py"
pytestmark = pytest.mark.usefixtures("fresh_cache")
MAGNESIUM_CASE = {"loc_eyelid": "yes", "loc_calves": "yes", "cramps": "yes", "muscle_tightness": "yes"}


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The first st.dataframe or st.table that has ``column`` (AppTest gives them no key)."""
    for element in [*at.dataframe, *at.table]:
        frame = getattr(element.value, "data", element.value)  # a Styler holds its frame in .data
        if column in frame.columns:
            return frame
    raise AssertionError(f"no dataframe with a column {column!r}")


def disclaimer_shown(at: AppTest, kb) -> bool:
    """Its first and last sentence in the info box, the rest in the fold under it."""
    from twitch_triage_app.ui.shared import disclaimer_parts

    shown, rest = disclaimer_parts(kb.disclaimer.text)
    return (any(shown in element.value for element in at.info)
            and any(rest in element.proto.body for element in at.get("html")) and rest)


# --------------------------------------------------------------------------- check a case


def test_answering_everything_at_once_asks_every_answer_with_dont_know_by_default(app, kb):
    assert app.title[0].value == "Check a case"
    app = all_at_once(app)
    radios = {radio.key: radio.value for radio in app.radio if radio.key not in WARNING_SIGNS}
    assert set(radios) == set(contract.ANSWERS) - {contract.DAYS_ANSWER} - set(WARNING_SIGNS)
    assert set(radios.values()) == {"unknown"}
    assert app.number_input(key=contract.DAYS_ANSWER).value is None
    assert app.radio(key="loc_eyelid").help == kb.answer("loc_eyelid").help
    assert not app.error and not order(app).count("expander")


def test_the_warning_signs_come_before_every_other_question_each_yes_no_or_not_sure_and_untouched(app, kb):
    app = all_at_once(app)
    assert app.subheader[0].value == "First: do you have any of these now?"
    keys = [radio.key for radio in app.radio]
    assert set(keys[:len(WARNING_SIGNS)]) == set(WARNING_SIGNS) == {a.id for a in kb.answers if a.group == "warning"}
    for sign in WARNING_SIGNS:
        radio = app.radio(key=sign)
        assert radio.value is None  # untouched: neither yes nor no
        assert radio.options == ["Yes", "No", "Not sure"]
    assert app.radio(key="tetany").label == kb.answer("tetany").question
    assert not app.checkbox


def test_none_of_these_answers_no_to_every_warning_sign(app, predictor, kb):
    at = all_at_once(app).button(key="none_of_these").click().run()
    assert {at.radio(key=sign).value for sign in WARNING_SIGNS} == {"no"}
    at = answer(at, {"loc_eyelid": "yes"})
    assert not at.exception
    assert all(at.query_params[sign] == "n" for sign in WARNING_SIGNS)
    with_no = triage.assess({"loc_eyelid": "yes", **{a: "no" for a in WARNING_SIGNS}}, predictor, kb)
    assert kb.level(with_no.disposition).title in advice(at)
    top = with_no.labels[0]
    assert f"**{top.name}** — {100 * top.probability:.0f}% for answers like yours" in all_markdown(at)
    assert "You were not sure" not in shown_text(at)


def test_an_untouched_warning_sign_is_sent_as_not_sure_never_as_no(app):
    at = answer(app, {"loc_eyelid": "yes", "tetany": "no", "chest_pain": "unknown"})
    assert not at.exception
    assert at.query_params["tetany"] == "n" and at.query_params["chest_pain"] == "u"
    assert all(at.query_params[sign] == "u" for sign in WARNING_SIGNS if sign not in ("tetany", "chest_pain"))


def test_the_form_shows_the_warning_sign_answers_of_a_reopened_case(small_model_dir, use_model):
    use_model(small_model_dir)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"chest_pain": "u", "tetany": "n", "seizure": "y", "loc_eyelid": "y"})
    at = all_at_once(at.run())
    assert not at.exception
    assert at.radio(key="chest_pain").value == "unknown" and at.radio(key="tetany").value == "no"
    assert at.radio(key="seizure").value == "yes" and at.radio(key="fainting").value is None


def test_a_magnesium_case_from_the_seeds_says_magnesium_may_be_lacking_and_what_the_model_assumes(app, kb):
    at = answer(app, MAGNESIUM_CASE, none_of_these=True)
    assert not at.exception
    assert at.expander[0].label.startswith("Magnesium — ")
    assert "for answers like yours" in at.expander[0].label
    shown = all_markdown(at)
    assert "**may be lacking**" in shown and "- **Magnesium** — " in shown and "Most likely" not in shown
    evidence = "\n".join(md.value for md in at.expander[0].markdown)
    assert "The model assumes that about" in evidence
    assert "Eyelid twitching → magnesium deficiency" in evidence
    assert "Tests to ask for" in evidence and "Magnesium (clinical assessment)" in evidence


FOLDED = "After you have been seen"


@pytest.mark.parametrize(("case", "reason"), [
    ({"loc_eyelid": "yes", "breathing_difficulty": "yes"}, "Difficulty breathing"),
    ({"loc_mouth": "yes", "spasms": "yes", "swallowing_or_speech_difficulty": "yes", "muscle_wasting": "yes"},
     "Difficulty swallowing or speaking"),
])
def test_an_emergency_shows_only_what_to_do_now(app, kb, case, reason):
    at = answer(app, case)
    assert not at.exception
    banner = at.error[0].value
    level = kb.level("emergency")
    assert level.title in banner and level.action in banner and reason in banner
    assert "General clinical knowledge" in banner
    assert not at.expander and not at.get("vega_lite_chart")
    assert [d.proto.label for d in at.get("download_button")] == ["Report (PDF)"]  # for the paramedic, nothing more
    assert not at.text_input  # no details to fill in before calling for help
    shown = [sub.value for sub in at.subheader]
    assert kb.plan_title not in shown and "What may be lacking" not in shown
    assert "may be lacking" not in all_markdown(at) and kb.plan_note.text not in all_markdown(at)
    assert "Nothing lacking" not in shown_text(at)


def test_an_urgent_case_about_nutrients_shows_the_action_and_folds_the_nutrients_away_without_a_plan(app, kb):
    at = answer(app, {"loc_mouth": "yes", "tingling": "yes", "tetany": "yes"}, none_of_these=True)
    assert not at.exception
    banner = at.error[0].value
    assert kb.level("urgent").title in banner and kb.level("urgent").action in banner
    assert "Hands or feet locked in spasm" in banner and "General clinical knowledge" in banner
    types = order(at)
    assert first(types, "error") < first(types, "expander") < first(types, "vega_lite_chart")
    folded = at.expander[0]
    assert folded.label.startswith(FOLDED) and folded.proto.expanded is False
    assert len(folded.get("vega_lite_chart")) == 1  # the chart is inside the folded section
    assert len(at.expander) == 1  # no nutrient of its own outside it
    shown = [sub.value for sub in at.subheader]
    assert kb.plan_title not in shown and "What may be lacking" not in shown
    assert kb.plan_note.text not in all_markdown(at)


def test_perioral_twitching_with_spasms_tingling_and_cramps_is_sent_for_a_calcium_test(app, kb):
    at = answer(app, {"loc_mouth": "yes", "spasms": "yes", "tingling": "yes", "cramps": "yes"}, none_of_these=True)
    assert not at.exception
    banner = advice(at)
    assert kb.level("see_doctor").title in banner and "only a blood test can confirm" in banner
    assert "Blood tests can check for deficiencies" in banner
    assert at.expander[0].label.startswith("Calcium — ")


def test_a_red_flag_of_the_seeds_gives_the_see_doctor_banner_with_its_quote(app, kb):
    at = answer(app, {"loc_eyelid": "yes", contract.DAYS_ANSWER: 20}, none_of_these=True)
    assert not at.exception and not at.error
    banner = advice(at)
    assert kb.level("see_doctor").title in banner
    assert "Twitching for more than two weeks" in banner and "lasts over two weeks" in banner


def test_a_case_without_red_flags_is_self_care_and_says_when_to_see_a_doctor(app, kb):
    at = answer(app, {"loc_eyelid": "yes", "high_caffeine": "yes", "stress": "yes", "weakness": "no"},
                none_of_these=True)
    assert not at.exception and not at.error
    banner = at.success[0].value
    assert kb.level("self_care").title in banner
    for when in ("over two weeks", "spreads", "new symptom"):
        assert when in banner
    assert kb.plan[0].text in all_markdown(at)


def test_no_answers_at_all_is_met_gently_without_results(app):
    at = all_at_once(app).button(key="check").click().run()
    assert not at.exception
    assert any("nothing to go on" in info.value for info in at.info)
    assert not at.error and not at.success and "vega_lite_chart" not in " ".join(order(at))


# --------------------------------------------------------------------------- score a file

GOOD_CSV = (
    b"case_id,loc_eyelid,cramps,breathing_difficulty,duration_days,note\n"
    b"a,no,n,no,3,first\n"
    b"b,maybe,n,yes,,=HYPERLINK(1)\n"
    b"c,?,1,0,40,\n"
)


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.switch_page(SCORE_PAGE).run()
    assert not at.exception
    at.file_uploader(key="upload").set_value((name, data, "text/csv"))
    return at.run()


def test_scoring_a_file_previews_the_rows_flags_errors_and_offers_the_download(app):
    at = upload(app, "d.csv", GOOD_CSV)
    assert not at.exception and not at.error
    preview = table(at, "disposition")
    assert list(preview["case_id"]) == ["a", "b", "c"]
    assert list(preview["disposition"]) == ["self_care", "emergency", "see_doctor"]
    assert preview["error"].tolist() == ["", "loc_eyelid: 'maybe' is not yes/no/unknown", ""]
    assert {f"p_{label}" for label in contract.LABELS} <= set(preview.columns)
    assert at.download_button(key="download").label == "Download the scored CSV"
    assert "vega_lite_chart" in " ".join(order(at))
    assert any("1 row(s)" in w.value for w in at.warning)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"case_id,colour\n1,blue\n", "none of the answer columns"),
        ("loc_eyelid\nj\u00e4\n".encode("latin-1"), "is not UTF-8"),
        (b"", "is empty"),
        (b"loc_eyelid,cramps\nyes,no,extra\n", "but the header has 2"),
    ],
    ids=["no-answer-column", "not-utf8", "empty", "ragged-row"],
)
def test_an_unusable_file_gives_one_line_of_error_and_no_download(app, data, message):
    at = upload(app, "bad.csv", data)
    assert not at.exception
    assert len(at.error) == 1
    assert message in at.error[0].value and "\n" not in at.error[0].value
    assert "'bad.csv'" in at.error[0].value and "''bad.csv''" not in at.error[0].value
    assert [button.key for button in at.download_button] == ["template"]  # no scored file


def test_a_semicolon_file_is_read_and_a_near_miss_column_is_named(app):
    at = upload(app, "d.csv", b"loc_eyelid;cramp\nyes;yes\n")
    assert not at.exception and not at.error
    assert any("did you mean cramps?" in w.value for w in at.warning)
    assert at.download_button(key="download")


def test_the_download_is_what_the_command_line_writes(predictor, kb, tmp_path):
    from twitch_triage.scoring import stream
    from twitch_triage_app.ui import scoring

    scored = scoring.score_upload(io.BytesIO(GOOD_CSV), "d.csv", predictor, kb)
    cli_path = tmp_path / "in.csv"
    cli_path.write_bytes(GOOD_CSV)
    stream.score_file(cli_path, tmp_path / "out.csv", predictor, kb)
    assert scored.read_bytes() == (tmp_path / "out.csv").read_bytes()
    lines = scored.read_bytes().decode("utf-8").splitlines()
    assert lines[0].split(",") == ["case_id", "loc_eyelid", "cramps", "breathing_difficulty", "duration_days",
                                   "note", *contract.OUTPUT_COLUMNS]
    assert "'=HYPERLINK(1)" in lines[2]
    assert scored.summary.rows == 3 and scored.summary.rows_with_errors == 1


PHISHING = "![x](http://127.0.0.1:8600/dup.png) [Your session expired: click here](http://127.0.0.1:8600/phish)"


def shown_verbatim(value: str) -> str:
    """The text of an alert that is one Markdown code span on one line (nothing in it is Markdown); else fail."""
    match = re.fullmatch(r"(`+) (.*) \1", value)
    assert match and "\n" not in value, f"not one code span: {value!r}"
    fence, text = match.groups()
    assert fence not in text
    return text


def test_a_column_name_with_links_and_an_image_is_shown_as_text_not_markdown(app):
    at = upload(app, "d.csv", f"loc_eyelid,{PHISHING},{PHISHING}\nyes,1,2\n".encode())
    assert not at.exception and len(at.error) == 1
    text = shown_verbatim(at.error[0].value)
    assert f"column '{PHISHING}' appears twice" in text and "'d.csv'" in text


def test_a_near_miss_column_with_markdown_is_warned_about_as_text(app):
    at = upload(app, "d.csv", b"loc_eyelid,_cramps_\nyes,yes\n")
    assert not at.exception and not at.error
    warning = next(w.value for w in at.warning if "did you mean cramps?" in w.value)
    assert "column '_cramps_' is not an answer" in shown_verbatim(warning)


def test_the_markdown_of_a_text_with_backticks_and_line_breaks_is_still_one_code_span():
    from twitch_triage_app.ui import shared

    for text in ["a `b` c", "``", "x\n\n# heading [y](http://z)", "` leading and trailing `", "```"]:
        assert shown_verbatim(shared.verbatim(text)) == re.sub(r"[\r\n]+", " ", text)


def test_a_header_field_beyond_the_csv_field_limit_gives_one_line_and_no_traceback(app):
    at = upload(app, "long.csv", b"loc_eyelid," + b"x" * 140_000 + b"\nyes,1\n")
    assert not at.exception and len(at.error) == 1
    assert "\n" not in at.error[0].value and "Traceback" not in at.error[0].value
    assert "/" not in at.error[0].value.replace("n/a", "")  # no server path
    assert [button.key for button in at.download_button] == ["template"]  # no scored file


def test_whatever_the_library_raises_for_a_file_is_one_line_in_the_page_and_logged(app, monkeypatch, caplog):
    from twitch_triage.scoring import stream

    def fails(*args, **kwargs):
        raise RuntimeError("in /srv/secret/path")

    monkeypatch.setattr(stream, "score_file", fails)
    with caplog.at_level(logging.ERROR, logger="twitch_triage_app"):
        at = upload(app, "d.csv", GOOD_CSV)
    assert not at.exception and len(at.error) == 1
    assert "cannot be scored" in at.error[0].value and "secret" not in at.error[0].value
    assert any(record.exc_info and "secret" in str(record.exc_info[1]) for record in caplog.records)


@pytest.fixture
def own_tempdir(tmp_path, monkeypatch) -> Path:
    """The temporary folder the app's scoring uses, empty and this test's own."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_an_uploaded_file_is_scored_on_disk_and_deleted_when_another_is_uploaded_or_it_is_removed(app, own_tempdir):
    at = upload(app, "a.csv", GOOD_CSV)
    first = at.session_state["_scored"][1].path
    assert first.is_file() and first.parent.parent == own_tempdir
    assert sorted(p.name for p in first.parent.iterdir()) == ["scored.csv"]  # the copy of the upload is gone
    at.file_uploader(key="upload").set_value(("b.csv", GOOD_CSV.replace(b"first", b"second"), "text/csv"))
    at = at.run()
    second = at.session_state["_scored"][1].path
    assert not first.parent.exists() and second.is_file()
    at.file_uploader(key="upload").set_value(None)
    at = at.run()
    assert not at.exception and list(own_tempdir.iterdir()) == []


def test_an_unusable_upload_leaves_no_temporary_file(predictor, kb, own_tempdir):
    from twitch_triage_app.ui import scoring

    with pytest.raises(scoring.InputError) as caught:
        scoring.score_upload(io.BytesIO(b"case_id,colour\n1,blue\n"), "bad.csv", predictor, kb)
    assert caught.tb is not None  # its frames, and what they hold, are still alive
    assert list(own_tempdir.iterdir()) == []


def test_a_scored_upload_forgotten_by_its_session_takes_its_folder_with_it(predictor, kb, own_tempdir):
    from twitch_triage_app.ui import scoring

    scored = scoring.score_upload(io.BytesIO(GOOD_CSV), "d.csv", predictor, kb)
    assert scored.path.is_file()
    del scored
    gc.collect()
    assert list(own_tempdir.iterdir()) == []


def test_the_preview_is_bounded_and_the_summary_counts_every_row(predictor, kb):
    from twitch_triage_app.ui import scoring

    data = b"case_id,loc_eyelid\n" + b"".join(b"%d,yes\n" % i for i in range(500))
    scored = scoring.score_upload(io.BytesIO(data), "d.csv", predictor, kb, preview_rows=40)
    assert len(scored.preview) == 40 and list(scored.preview["case_id"][:2]) == ["0", "1"]
    assert scored.summary.rows == 500
    scored.close()


# --------------------------------------------------------------------------- the model


def test_a_tampered_model_shows_make_train_and_no_traceback(use_model, small_model_dir, tmp_path, tamper):
    folder = tmp_path / "models"
    shutil.copytree(small_model_dir, folder)
    tamper(folder / ARRAYS_NAME)
    use_model(folder)

    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert len(at.error) == 1 and "make train" in at.error[0].value
    assert "Traceback" not in at.error[0].value
    assert not at.radio and not at.button  # the page stopped


def test_a_planted_model_is_refused_and_the_array_it_names_is_shown_as_text(use_model, small_model_dir, tmp_path):
    folder = tmp_path / "models"
    shutil.copytree(small_model_dir, folder)
    path = folder / ARRAYS_NAME
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    np.savez(path, **arrays, **{PHISHING: np.zeros(1)})
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    manifest["inference_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest["inference_members"] = npz.members(path)  # as one who plants a file recomputes it
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    use_model(folder)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception and len(at.error) == 1
    prefix = "The model cannot be used: "
    assert at.error[0].value.startswith(prefix)
    assert f"holds an array '{PHISHING}', which is not part of a twitch-triage model" in shown_verbatim(
        at.error[0].value.removeprefix(prefix))


def test_a_missing_model_shows_make_train(use_model, tmp_path):
    use_model(tmp_path / "nowhere")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "make train" in at.error[0].value


def test_a_stale_model_is_used_with_a_warning(use_model, small_model_dir, tmp_path):
    predictor = artifact.load(small_model_dir, pipeline=True)
    stale = dataclasses.replace(predictor, metadata={**predictor.metadata, "learned_from": "0" * 64})
    artifact.save(stale, tmp_path / "models")
    use_model(tmp_path / "models")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception and not at.error
    assert any("make train" in w.value for w in at.warning)
    assert at.radio(key="ask_chest_pain")


# --------------------------------------------------------------------------- about, and every page


def test_about_the_model_compares_model_oracle_and_rules_and_lists_the_sources(app, kb):
    at = app.switch_page(ABOUT_PAGE).run()
    assert not at.exception and not at.error
    metrics = table(at, "Scorer")
    assert list(metrics["Scorer"]) == ["Model (this app)", "Best possible (the generator's own answer)",
                                       "The articles' rules"]
    assert metrics.shape[1] == 5
    flags = table(at, "Rule")
    assert len(flags) == len(kb.red_flags) and flags["Source"].str.len().min() > 0
    links = table(at, "Sign")
    assert len(links) == len(kb.links)
    assert any("It has not been validated on patients" in md.value for md in at.markdown)


def test_about_the_model_speaks_plainly_before_it_gives_any_metric(app):
    at = app.switch_page(ABOUT_PAGE).run()
    assert [h.value for h in at.header][:2] == ["In plain words", "How well it learned"]
    nodes = list(at.main)
    plain = next(i for i, n in enumerate(nodes) if n.type == "markdown" and "What it cannot do" in n.value)
    assert plain < first([n.type for n in nodes], "dataframe")
    words = "\n".join(n.value for n in nodes[:plain + 1] if hasattr(n, "value") and isinstance(n.value, str))
    for term in ("AUROC", "Brier", "ECE", "Platt", "oracle", "noisy-OR", "SHA-256", "seed"):
        assert term not in words
    in_words = next(n.value for n in nodes if n.type == "markdown" and "made-up cases it never saw" in n.value)
    assert "AUROC" not in in_words and "%" in in_words  # how well it learned, in words, before the fold of numbers
    assert next(e.label for e in at.expander if "AUROC" in e.label).startswith("The numbers behind this")


def test_about_the_model_gives_each_figure_alt_text_in_words(kb):
    from twitch_triage_app.pages import about_model

    for stem in ("reliability", "roc"):
        assert len(about_model.figure_alt(Path(f"figures/{stem}.png"))) > 80


def test_the_assumptions_show_their_code_names_without_backslashes(app, kb):
    at = app.switch_page(ABOUT_PAGE).run()
    text = all_markdown(at)
    assert "`missing_rate`" in text and "`sparse_hidden_min`" in text
    assert "missing\\_rate" not in text and "sparse\\_hidden" not in text


def test_plain_text_escapes_markdown_outside_code_spans_and_leaves_them_whole():
    from twitch_triage_app.ui import shared

    assert shared.plain("a_b `c_d` *e* $1 ``f`g``") == r"a\_b `c_d` \*e\* \$1 ``f`g``"
    assert shared.plain("an `unclosed_span") == r"an `unclosed\_span"


def test_about_the_model_shows_the_model_card_written_beside_the_model(app, use_model, small_model_dir, tmp_path):
    at = app.switch_page(ABOUT_PAGE).run()
    assert any("No model card beside this model" in info.value for info in at.info)
    folder = tmp_path / "models"
    shutil.copytree(small_model_dir, folder)
    (folder / "figures").mkdir()
    Image.new("RGB", (4, 4)).save(folder / "figures" / "roc.png")
    (folder / "model_card.md").write_text("# card\n\nThe card of this very model.\n\n![ROC curves](figures/roc.png)\n",
                                          encoding="utf-8")
    use_model(folder)
    at = AppTest.from_file(str(APP), default_timeout=60).run().switch_page(ABOUT_PAGE).run()
    assert not at.exception
    assert any("The card of this very model." in md.value for md in at.markdown)
    assert not any("is missing" in caption.value for caption in at.caption)
    assert not any("No model card" in info.value for info in at.info)


@pytest.mark.parametrize("page", [None, SCORE_PAGE, ABOUT_PAGE])
def test_the_disclaimer_is_on_every_page(app, kb, page):
    at = app if page is None else app.switch_page(page).run()
    assert not at.exception
    assert disclaimer_shown(at, kb)
    assert order(at).index("info") < order(at).index("title")  # at the top, before the page's own content


def test_a_first_load_shows_the_title_and_a_loading_status_before_the_library_is_imported(monkeypatch, use_model,
                                                                                         small_model_dir):
    import sys

    import twitch_triage_app.ui

    use_model(small_model_dir)
    monkeypatch.delattr(twitch_triage_app.ui, "shared", raising=False)
    monkeypatch.setitem(sys.modules, "twitch_triage_app.ui.shared", None)  # importing it now fails
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert at.exception
    assert at.title[0].value == "twitch-triage"
    assert "Loading the model" in at.caption[0].value


def test_the_loading_status_is_gone_once_the_page_is_drawn_and_on_later_runs(app):
    for run in range(2):
        at = app if run == 0 else app.run()
        assert not any("Loading the model" in caption.value for caption in at.caption)
        assert at.title[0].value == "Check a case"


def test_the_pages_are_links_in_the_page_not_a_menu_that_can_cover_it(app):
    assert [link.proto.label for link in app.get("page_link")] == ["Check a case", "Score a file", "About the model"]


def test_the_probability_chart_stacks_its_legend_and_keeps_its_labels_inside_its_width(predictor, kb):
    from twitch_triage_app.ui import charts

    spec = charts.probabilities_chart(triage.assess(MAGNESIUM_CASE, predictor, kb, explain=False)).to_dict()
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    bars = spec["layer"][0]["encoding"]
    assert bars["color"]["legend"]["direction"] == "vertical"
    assert bars["x"]["axis"]["labelFlush"] is True
