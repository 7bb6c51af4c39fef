"""The Streamlit app, driven by key through AppTest against the session's small model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from twitch_triage import artifact, config

APP = Path(__file__).resolve().parents[1] / "app.py"
SCORE_PAGE = "twitch_triage_app/score_file.py"
ABOUT_PAGE = "twitch_triage_app/about_model.py"
MAGNESIUM_CASE = {"loc_eyelid": "yes", "loc_calves": "yes", "cramps": "yes", "muscle_tightness": "yes"}


@pytest.fixture(autouse=True)
def fresh_cache():
    """st.cache_resource lives as long as the process: every test loads its own model."""
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


@pytest.fixture
def use_model(monkeypatch):
    def use(folder: Path) -> None:
        monkeypatch.setenv("TWITCH_TRIAGE_MODELS", str(folder))
    return use


@pytest.fixture
def app(use_model, small_model_dir) -> AppTest:
    use_model(small_model_dir)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    return at


def answer(at: AppTest, case: dict) -> AppTest:
    for key, value in case.items():
        if key == config.DAYS_ANSWER:
            at.number_input(key=key).set_value(value)
        else:
            at.radio(key=key).set_value(value)
    return at.button(key="check").click().run()


def order(at: AppTest) -> list[str]:
    """Element types of the main area in the order a reader meets them."""
    return [node.type for node in at.main]


def first(types: list[str], wanted: str) -> int:
    return next(i for i, t in enumerate(types) if wanted in t)


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The first st.dataframe that has ``column`` (AppTest gives dataframes no key)."""
    for element in at.dataframe:
        frame = getattr(element.value, "data", element.value)  # a Styler holds its frame in .data
        if column in frame.columns:
            return frame
    raise AssertionError(f"no dataframe with a column {column!r}")


def disclaimer_shown(at: AppTest, kb) -> bool:
    return any(kb.disclaimer.text in element.value for element in at.info)


# --------------------------------------------------------------------------- check a case


def test_check_a_case_is_the_default_page_and_asks_every_answer_with_dont_know_by_default(app, kb):
    assert app.title[0].value == "Check a case"
    radios = {radio.key: radio.value for radio in app.radio}
    assert set(radios) == set(config.ANSWERS) - {config.DAYS_ANSWER}
    assert set(radios.values()) == {"unknown"}
    assert app.number_input(key=config.DAYS_ANSWER).value is None
    assert app.radio(key="loc_eyelid").help == kb.answer("loc_eyelid").help
    assert not app.error and not order(app).count("expander")


def test_a_magnesium_case_from_the_seeds_shows_magnesium_first(app):
    at = answer(app, MAGNESIUM_CASE)
    assert not at.exception
    assert at.expander[0].label.startswith("Magnesium")
    assert any("puts **Magnesium** first" in md.value for md in at.markdown)
    evidence = "\n".join(md.value for md in at.expander[0].markdown)
    assert "Eyelid twitching → magnesium deficiency" in evidence
    assert "Tests to ask for" in evidence and "Magnesium (clinical assessment)" in evidence


def test_breathing_difficulty_shows_the_emergency_banner_above_the_probabilities(app, kb):
    at = answer(app, {"loc_eyelid": "yes", "breathing_difficulty": "yes"})
    assert not at.exception
    banner = at.error[0].value
    assert kb.level("emergency").title in banner and kb.level("emergency").action in banner
    assert "Difficulty breathing" in banner and "General clinical knowledge" in banner
    types = order(at)
    assert first(types, "error") < first(types, "vega_lite_chart")
    assert first(types, "vega_lite_chart") < first(types, "expander")


def test_a_red_flag_of_the_seeds_gives_the_see_doctor_banner_with_its_quote(app, kb):
    at = answer(app, {"loc_eyelid": "yes", config.DAYS_ANSWER: 20})
    assert not at.exception and not at.error
    banner = at.warning[-1].value
    assert kb.level("see_doctor").title in banner
    assert "Twitching for more than two weeks" in banner and "lasts over two weeks" in banner


def test_a_case_without_red_flags_is_self_care(app, kb):
    at = answer(app, {"loc_eyelid": "yes", "high_caffeine": "yes", "weakness": "no"})
    assert not at.exception and not at.error
    assert kb.level("self_care").title in at.success[0].value
    assert any(kb.plan_title == sub.value for sub in at.subheader)


def test_no_answers_at_all_is_met_gently_without_results(app):
    at = app.button(key="check").click().run()
    assert not at.exception
    assert any("nothing to go on" in info.value for info in at.info)
    assert not at.error and not at.success and "vega_lite_chart" not in " ".join(order(at))


# --------------------------------------------------------------------------- score a file

GOOD_CSV = (
    b"case_id,loc_eyelid,cramps,breathing_difficulty,duration_days,note\n"
    b"a,yes,y,no,3,first\n"
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
    assert {f"p_{label}" for label in config.LABELS} <= set(preview.columns)
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
    assert "'bad.csv'" in at.error[0].value
    assert not at.download_button


def test_a_semicolon_file_is_read_and_a_near_miss_column_is_named(app):
    at = upload(app, "d.csv", b"loc_eyelid;cramp\nyes;yes\n")
    assert not at.exception and not at.error
    assert any("did you mean cramps?" in w.value for w in at.warning)
    assert at.download_button(key="download")


def test_the_download_is_what_the_command_line_writes(predictor, kb, tmp_path):
    from twitch_triage import batch
    from twitch_triage_app import scoring

    scored = scoring.score_upload(GOOD_CSV, "d.csv", predictor, kb)
    cli_path = tmp_path / "in.csv"
    cli_path.write_bytes(GOOD_CSV)
    batch.score_file(cli_path, tmp_path / "out.csv", predictor, kb)
    assert scored.csv == (tmp_path / "out.csv").read_bytes()
    lines = scored.csv.decode("utf-8").splitlines()
    assert lines[0].split(",") == ["case_id", "loc_eyelid", "cramps", "breathing_difficulty", "duration_days",
                                   "note", *config.OUTPUT_COLUMNS]
    assert "'=HYPERLINK(1)" in lines[2]
    assert scored.summary.rows == 3 and scored.summary.rows_with_errors == 1


# --------------------------------------------------------------------------- the model


def test_a_tampered_model_shows_make_train_and_no_traceback(use_model, small_model_dir, tmp_path):
    folder = tmp_path / "models"
    shutil.copytree(small_model_dir, folder)
    bundle = folder / artifact.BUNDLE_NAME
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bundle.write_bytes(bytes(data))
    use_model(folder)

    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert len(at.error) == 1 and "make train" in at.error[0].value
    assert "Traceback" not in at.error[0].value
    assert not at.radio and not at.button  # the page stopped


def test_a_missing_model_shows_make_train(use_model, tmp_path):
    use_model(tmp_path / "nowhere")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "make train" in at.error[0].value


def test_a_stale_model_is_used_with_a_warning(use_model, predictor, tmp_path):
    stale = artifact.Predictor(predictor.pipeline, predictor.labels, predictor.answer_ids, predictor.thresholds,
                               metadata={**predictor.metadata, "kb_sha256": "0" * 64})
    artifact.save(stale, tmp_path / "models")
    use_model(tmp_path / "models")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception and not at.error
    assert any("make train" in w.value for w in at.warning)
    assert at.radio(key="loc_eyelid")


# --------------------------------------------------------------------------- about, and every page


def test_about_the_model_compares_model_oracle_and_rules_and_lists_the_sources(app, kb):
    at = app.switch_page(ABOUT_PAGE).run()
    assert not at.exception and not at.error
    metrics = table(at, "Scorer")
    assert list(metrics["Scorer"]) == ["Model (this app)", "Oracle (best possible)", "Seed rules"]
    assert metrics.shape[1] == 5
    flags = table(at, "Rule")
    assert len(flags) == len(kb.red_flags) and flags["Source"].str.len().min() > 0
    links = table(at, "Sign")
    assert len(links) == len(kb.links)
    assert any("Not validated on patients" in md.value for md in at.markdown)


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
