"""The model's forward pass in numpy against the scikit-learn pipeline it is exported from."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

from twitch_triage.model import artifact
from twitch_triage import contract
from twitch_triage.model.inference import SLICE, TILE, Network
from twitch_triage.model.estimators import build_pipeline, export


@pytest.fixture(scope="module")
def pipeline(small_model_dir):
    return artifact.load(small_model_dir, pipeline=True).pipeline


@pytest.fixture(scope="module")
def network(pipeline) -> Network:
    return export(pipeline)


def with_days(X: np.ndarray, days) -> np.ndarray:
    X = X.copy()
    X[:, contract.ANSWERS.index(contract.DAYS_ANSWER)] = days
    return X


@pytest.mark.parametrize("n", [1, 31, 32, 33, 1000, 20_000])
def test_the_numpy_forward_pass_gives_the_pipelines_probabilities_to_the_last_bit(pipeline, network, cases_20k, n):
    X = cases_20k.X[:n].copy()
    X[::3] = with_days(X[::3], np.resize([0.0, 0.5, 277.0, 36_500.0, 1e6, 1e300, np.nan], X[::3].shape[0]))
    np.testing.assert_array_equal(network.predict_proba(X), pipeline.predict_proba(X))


@given(st.data())
def test_any_answers_get_the_pipelines_probabilities_to_the_last_bit(pipeline, network, data):
    n = data.draw(st.integers(1, 70), label="rows")
    X = data.draw(arrays(np.float64, (n, network.n_answers), elements=st.sampled_from([0.0, 1.0, np.nan])))
    X = with_days(X, data.draw(arrays(np.float64, n, elements=st.floats(0, 1e300) | st.just(np.nan)), label="days"))
    np.testing.assert_array_equal(network.predict_proba(X), pipeline.predict_proba(X))


def test_a_row_gets_the_same_bits_whatever_rows_it_is_predicted_with(network, cases_20k):
    alone = np.vstack([network.predict_proba(cases_20k.X[i:i + 1]) for i in range(70)])
    np.testing.assert_array_equal(network.predict_proba(cases_20k.X[:70]), alone)


@pytest.mark.parametrize("rows", [SLICE - 1, SLICE, SLICE + 1, 2 * SLICE + TILE + 5])
def test_every_row_of_a_call_of_several_slices_gets_the_bits_it_gets_alone(network, cases_20k, rows):
    """The network multiplies a call's rows a slice at a time, the last rows padded to a whole tile: every row
    (the first and last of each slice, and those after the last whole tile) as when it is predicted in a call of
    its own tile."""
    X = cases_20k.X[:rows]
    whole = network.predict_proba(X)
    alone = np.vstack([network.predict_proba(X[start:start + TILE]) for start in range(0, rows, TILE)])
    np.testing.assert_array_equal(whole, alone)


def test_the_arrays_give_back_the_same_network(network, cases_20k):
    again = Network.from_arrays(network.arrays())
    np.testing.assert_array_equal(again.predict_proba(cases_20k.X[:100]), network.predict_proba(cases_20k.X[:100]))


def test_a_network_refuses_answers_of_the_wrong_width(network):
    with pytest.raises(ValueError, match=rf"X must have shape \(n, {network.n_answers}\), got \(2, 3\)"):
        network.predict_proba(np.zeros((2, 3)))


def test_a_network_refuses_layers_that_do_not_follow_each_other(network):
    with pytest.raises(ValueError, match=r"'coef_1' of shape \(127, 11\) and 'intercept_1' of shape \(11,\) do not "
                                         r"follow a layer of width 128"):
        Network(network.days_index, network.days_cap, (network.coefs[0], network.coefs[1][1:]), network.intercepts,
                network.slope, network.intercept)


def test_a_model_calibrated_by_isotonic_regression_is_not_exported(kb, cases_20k):
    pipeline = build_pipeline(kb.answer_ids, max_iter=1, hidden_layer_sizes=(8,), calibration="isotonic")
    pipeline.fit(cases_20k.X[:2000], cases_20k.Y[:2000])
    with pytest.raises(ValueError, match=r"a model calibrated by 'isotonic' cannot be exported for scoring: only "
                                         r"'sigmoid' calibration is computed without scikit-learn"):
        export(pipeline)


def _with_first_layer(network: Network, weights: np.ndarray, bias: np.ndarray) -> Network:
    return Network(network.days_index, network.days_cap, (weights, *network.coefs[1:]), (bias, *network.intercepts[1:]),
                   network.slope, network.intercept)


def test_a_trained_network_computes_its_first_layer_in_float32(network):
    from twitch_triage.model.inference import _grid_bits

    assert network.exact_in_float32
    bits = _grid_bits(network.coefs[0])
    assert 8 <= bits <= 16  # a fine grid: rounding moved each weight by at most 2^-(bits + 1)


@given(st.data())
def test_the_float32_first_layer_gives_the_bits_of_float64_for_any_answers(network, data):
    """Its sums are exact, so float32 and float64 agree to the last bit: the float64 reference is the same weights
    one ulp off the grid (which the network then computes in float64), with that weight's feature never set."""
    n = data.draw(st.integers(1, 70), label="rows")
    X = data.draw(arrays(np.float64, (n, network.n_answers), elements=st.sampled_from([0.0, 1.0, np.nan])))
    X = with_days(X, data.draw(arrays(np.float64, n, elements=st.floats(0, 1e300) | st.just(np.nan)), label="days"))
    unused = 0 if network.days_index != 0 else 1  # "is yes" of an answer that no row here answers yes
    X[:, unused] = np.nan
    weights = network.coefs[0].copy()
    weights[unused, 0] = np.nextafter(weights[unused, 0], np.inf)
    in_float64 = _with_first_layer(network, weights, network.intercepts[0])
    assert not in_float64.exact_in_float32
    np.testing.assert_array_equal(network.predict_proba(X), in_float64.predict_proba(X))


def test_a_first_layer_off_its_grid_or_too_large_for_float32_is_computed_in_float64(network):
    weights, bias = network.coefs[0], network.intercepts[0]
    assert not _with_first_layer(network, weights + 2.0 ** -30, bias).exact_in_float32  # off the grid
    assert not _with_first_layer(network, weights, bias + 2.0 ** -30).exact_in_float32
    assert not _with_first_layer(network, weights * 2.0 ** 8, bias).exact_in_float32  # on it, but sums too large
    assert _with_first_layer(network, weights * 2.0 ** -4, bias).exact_in_float32


def test_rounding_a_first_layer_keeps_one_bit_to_spare_and_refuses_one_too_large(network, cases_20k):
    from twitch_triage.model.inference import FEATURE_BITS, _feature_bounds, _grid_bits, _largest_sum, encode, \
        exact_first_layer

    features = encode(cases_20k.X, network.days_index, network.days_cap)
    rng = np.random.default_rng(0)
    weights, bias = rng.normal(size=network.coefs[0].shape), rng.normal(size=network.intercepts[0].shape)
    rounded = _with_first_layer(network, *exact_first_layer(weights, bias, features))
    assert rounded.exact_in_float32
    bits = _grid_bits(np.append(rounded.coefs[0], rounded.intercepts[0]))
    assert np.abs(rounded.coefs[0] - weights).max() <= 2.0 ** -(bits + 1)  # each moved by half a step at most
    size = _largest_sum(rounded.coefs[0], rounded.intercepts[0],
                        _feature_bounds(network.n_answers, network.days_index, network.days_cap))
    assert size < 2.0 ** (24 - bits - FEATURE_BITS - 1)  # one bit to spare
    assert not _with_first_layer(network, rounded.coefs[0] * 5, rounded.intercepts[0] * 5).exact_in_float32
    with pytest.raises(ValueError, match="cannot be made exact in float32"):
        exact_first_layer(weights * 2.0 ** 24, bias, features)


def test_the_first_layer_in_float64_on_request_gives_the_same_bits(network, cases_20k):
    import dataclasses

    in_float64 = dataclasses.replace(network, float32_first_layer=False)
    assert network.exact_in_float32 and not in_float64.exact_in_float32
    X = with_days(cases_20k.X[:2000], np.resize([0.0, 0.5, 13.9, 14.0, 75.0, 1e6, np.nan], 2000))
    np.testing.assert_array_equal(network.predict_proba(X), in_float64.predict_proba(X))
