"""Reading one answer and a column of answers: the contract's spellings, and days as a person writes them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twitch_triage import config
from twitch_triage.answers import AnswerError, parse_column, parse_value

DAYS = config.DAYS_ANSWER


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
