"""Arrow arrays built and read through their buffers are the ones pyarrow's own conversions give."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

from twitch_triage.io.arrow import from_numpy, text, texts, to_numpy

_DTYPES = st.sampled_from([np.bool_, np.int32, np.int64])


@given(st.data())
def test_a_numpy_array_becomes_the_arrow_array_pyarrow_makes_of_it(data):
    values = data.draw(arrays(data.draw(_DTYPES), st.integers(0, 70)))
    made = from_numpy(values)
    assert made.validate(full=True) is None
    assert made.equals(pa.array(values))


@given(st.data())
def test_an_arrow_array_reads_back_as_pyarrow_reads_it_whatever_its_offset_and_nulls(data):
    kind = data.draw(st.sampled_from([pa.bool_(), pa.int32(), pa.int64(), pa.float64()]))
    element = {pa.bool_(): st.booleans(), pa.float64(): st.floats(allow_nan=False)}.get(kind, st.integers(-2**31, 2**31 - 1))
    values = data.draw(st.lists(st.none() | element, max_size=70), label="values")
    start = data.draw(st.integers(0, len(values)), label="start")
    arr = pa.array(values, kind).slice(start)
    expected = arr.to_numpy(zero_copy_only=False)
    if kind == pa.bool_():  # pyarrow gives objects (None for null); null reads as False
        expected = np.array([bool(v) for v in expected], dtype=bool)
    got = to_numpy(arr)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@given(st.lists(st.none() | st.text(), max_size=30))
def test_text_becomes_the_string_array_pyarrow_makes_of_it(items):
    made = texts(items)
    assert made.validate(full=True) is None
    assert made.equals(pa.array(items, pa.string()))
    assert made.to_pylist() == items


def test_one_text_is_a_string_scalar_and_none_is_null():
    assert text("; ").equals(pa.scalar("; ", pa.string()))
    assert not text(None).is_valid and text(None).type == pa.string()


@pytest.mark.parametrize("values", [np.zeros((2, 2), dtype=np.int32), np.zeros(3, dtype=np.float32)])
def test_only_flat_bool_and_integer_arrays_are_built(values):
    with pytest.raises(TypeError, match="one-dimensional bool, int32 or int64"):
        from_numpy(values)


def test_a_text_array_is_not_read_as_numbers():
    with pytest.raises(TypeError, match="boolean, int32, int64, float32 or float64"):
        to_numpy(texts(["1"]))


def test_a_null_boolean_reads_as_false_whatever_bit_lies_under_it():
    under = pa.Array.from_buffers(pa.bool_(), 3, [pa.py_buffer(bytes([0b101])), pa.py_buffer(bytes([0b111]))])
    np.testing.assert_array_equal(to_numpy(under), [True, False, True])
