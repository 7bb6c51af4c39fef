"""Reading one answer and a column of answers: the contract's spellings, and days as a person writes them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twitch_triage import contract
from twitch_triage import answers
from twitch_triage.answers import AnswerError, parse_column, parse_value

DAYS = contract.DAYS_ANSWER


@pytest.mark.parametrize(("text", "days"), [("3", 3), (" 14 ", 14), ("0", 0), ("2.5", 2.5), (".5", 0.5),
                                             ("10.", 10), ("007", 7), ("36500", 36500)])
def test_plain_decimals_are_days(text, days):
    assert parse_value(DAYS, text) == days
    codes, invalid = parse_column(DAYS, [text])
    assert codes.tolist() == [days] and invalid.tolist() == [False]


@pytest.mark.parametrize(
    "text",
    ["1_000", "1e3", "1E3", "2.5e1", "inf", "Infinity", "-inf", "nan", "NaN", "+3", "-0", "-3", "0x10", "1,000",
     "3 days", "3.5.1", ".", "\u0663", "\uff13", "1" * 400],
    ids=lambda text: text[:12],
)
def test_what_float_reads_but_a_person_does_not_write_as_days_is_invalid(text):
    with pytest.raises(AnswerError, match=r"is not a number of days >= 0 or unknown"):
        parse_value(DAYS, text)
    codes, invalid = parse_column(DAYS, [text])
    assert invalid.tolist() == [True] and math.isnan(codes[0])


@pytest.mark.parametrize("value", [3, 2.5, 0])
def test_numbers_given_as_numbers_are_days(value):
    assert parse_value(DAYS, value) == value


@pytest.mark.parametrize("value", [-1, math.inf, 10**400, True], ids=["negative", "infinite", "beyond-float", "bool"])
def test_a_number_that_is_no_count_of_days_is_invalid(value):
    with pytest.raises(AnswerError):
        parse_value(DAYS, value)


@given(st.lists(st.text(alphabet="0123456789._eE+-infaINFA ?\u0663", max_size=6) | st.text(max_size=4),
                max_size=20))
def test_a_column_of_days_reads_as_each_cell_alone(cells):
    codes, invalid = parse_column(DAYS, cells)
    for cell, code, bad in zip(cells, codes, invalid):
        try:
            expected = parse_value(DAYS, cell)
        except AnswerError:
            assert bad and np.isnan(code), cell
        else:
            assert not bad and (code == expected or np.isnan(code) and np.isnan(expected)), cell


@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
def test_days_are_written_exactly_and_read_back_equal(days):
    """14.000001 days stays 14.000001 (not 14, which is no longer "more than 14 days"), 1e-05 is 0.00001."""
    text = answers.format_value(contract.DAYS_ANSWER, days)
    assert "e" not in text.lower()
    assert answers.parse_value(contract.DAYS_ANSWER, text) == days
    codes, invalid = answers.parse_column(contract.DAYS_ANSWER, [text])
    assert not invalid[0] and codes[0] == days


@pytest.mark.parametrize("days, text", [(14.000001, "14.000001"), (0.00001, "0.00001"), (14.0, "14"), (2.5, "2.5"),
                                        (1e16, "10000000000000000")])
def test_days_are_written_as_a_person_writes_them(days, text):
    assert answers.format_value(contract.DAYS_ANSWER, days) == text


@pytest.mark.parametrize("value, shown", [
    ("yes\nno", r"'yes\nno'"), ("\x1b[2J", r"'\x1b[2J'"), ("a\u2028b\tc", r"'a\u2028b\tc'"), ("é ok", "'é ok'"),
    ("x" * 61, "'" + "x" * 60 + "…'"), ("x" * 60, "'" + "x" * 60 + "'"),
])
def test_an_error_quotes_input_escaped_and_cut(value, shown):
    assert answers.quote(value) == shown
    assert answers.invalid_message("cramps", value) == f"cramps: {shown} is not yes/no/unknown"


def test_a_huge_value_is_refused_in_a_short_line_and_spaces_around_a_spelling_are_still_trimmed():
    with pytest.raises(answers.AnswerError, match="^cramps: 'yyyy[y]*…' is not yes/no/unknown$"):
        answers.parse_value("cramps", "y" * 10_000_000)
    assert answers.parse_value("cramps", " yes" + " " * 10_000) == 1.0
