"""The case in the page's address: a key given twice, numbers written exactly, an address Streamlit drops whole."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from twitch_triage import contract
from twitch_triage_app.ui import case

from app_driver import opened_at

DAYS = contract.DAYS_ANSWER




def notices(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning)


@given(st.floats(0, case.MAX_DAYS))
def test_any_number_of_days_the_app_takes_comes_back_from_the_address_equal(kb, days):
    params = case.to_params({DAYS: days})
    assert "e" not in params[DAYS].lower()
    back, ignored = case.from_params(params, kb)
    assert not ignored and back[DAYS] == days


@pytest.mark.parametrize("days, text", [(14.000001, "14.000001"), (0.00001, "0.00001"), (20.0, "20"), (2.5, "2.5")])
def test_days_are_written_in_the_address_exactly_and_without_an_exponent(kb, days, text):
    assert case.to_params({DAYS: days}) == {DAYS: text}
    assert case.from_params({DAYS: text}, kb) == ({DAYS: days}, [])


def test_a_bookmark_of_just_over_two_weeks_reopens_as_just_over_two_weeks(small_model_dir, use_model, fresh_cache):
    at = opened_at({"loc_eyelid": "y", DAYS: "14.000001"}, small_model_dir, use_model)
    assert not at.exception
    assert at.query_params[DAYS] == "14.000001"  # written back as it was read: still "more than 14 days"


@pytest.mark.parametrize("values", [["y", "n"], ["n", "y"], ["y", "u"], ["n", "y", "n"]])
def test_a_key_given_twice_with_different_answers_is_left_out_and_named(kb, values):
    found, ignored = case.from_params({"chest_pain": values, "loc_eyelid": ["y"]}, kb)
    assert found == {"loc_eyelid": case.YES}
    assert len(ignored) == 1 and ignored[0].startswith("chest_pain is given") and "asked again" in ignored[0]


def test_a_key_given_twice_with_the_same_answer_is_kept(kb):
    assert case.from_params({"chest_pain": ["y", "yes", "Y"]}, kb) == ({"chest_pain": case.YES}, [])


def test_a_warning_sign_given_as_yes_and_no_in_the_address_is_asked_again_with_a_notice(small_model_dir, use_model,
                                                                                      fresh_cache):
    at = opened_at({"chest_pain": ["y", "n"], "loc_eyelid": "y"}, small_model_dir, use_model)
    assert not at.exception
    assert "chest_pain is given 2 times" in notices(at)
    assert "chest_pain" not in at.query_params and at.query_params["loc_eyelid"] == "y"
    assert at.radio(key="ask_chest_pain").value is None  # on the checklist, unanswered: the person says it again


def test_streamlit_still_drops_an_address_of_more_than_1000_parameters_whole():
    """What the app guards against; if Streamlit reads such addresses one day, this says so."""
    from streamlit.runtime.state import query_params

    assert query_params._parse_query_string("&".join(["loc_eyelid=n"] * 1000 + ["chest_pain=y"])) == {}


@pytest.mark.parametrize("query, count", [("&".join(["x=n"] * 1000 + ["chest_pain=y"]), "1001"),
                                          ("chest_pain=y&x=" + "n" * (600 * 1024), "2")])
def test_an_address_streamlit_cannot_read_whole_reaches_the_app_as_one_word(query, count):
    from streamlit.runtime import app_session

    case.keep_word_of_an_unread_address()
    assert app_session.sanitize_query_string(query) == f"{case.UNREAD}={count}"
    assert app_session.sanitize_query_string("chest_pain=y&loc_eyelid=n") == "chest_pain=y&loc_eyelid=n"
    assert app_session.sanitize_query_string("") == ""


def test_an_address_streamlit_dropped_is_said_so_on_the_page(small_model_dir, use_model, fresh_cache):
    at = opened_at({case.UNREAD: "1001"}, small_model_dir, use_model)
    assert not at.exception
    assert "1,001 parameters" in notices(at) and "none of it was read" in notices(at)
    assert case.UNREAD not in at.query_params
