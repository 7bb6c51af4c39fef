"""The model's parts on their own: AnswerEncoder and DistilledMultiLabel."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from twitch_triage import contract
from twitch_triage.model.estimators import AnswerEncoder, DistilledMultiLabel, build_pipeline, nothing_lacking

ANSWERS = ("loc_eyelid", contract.DAYS_ANSWER, "cramps")
NAN = np.nan


def small_problem(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Encoded-like features and two labels that follow the first two features."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, size=(n, 5)).astype(float)
    Y = np.column_stack([X[:, 0], X[:, 1]]).astype(int) ^ (rng.random((n, 2)) < 0.1)
    return X, Y


def test_the_encoder_writes_yes_then_no_columns_with_the_days_in_their_slots():
    X = np.array([[1, 5, 0], [NAN, NAN, 1], [0, 0, NAN], [1, 1e300, 1]])
    out = AnswerEncoder(ANSWERS, days_quantile=1.0).fit(X[:3]).transform(X)  # days capped at 5, the largest seen
    # the days features are rounded to multiples of 1/128: log1p(5) = 1.7918 is 229/128, 5/100 is 6/128
    days, hundredths = 229 / 128, 6 / 128
    expected = np.array([
        # eyelid=yes, log1p(days), cramps=yes, eyelid=no, days/100, cramps=no, days known
        [1, days, 0, 0, hundredths, 1, 1],
        [0, 0, 1, 0, 0, 0, 0],
        [0, 0, 0, 1, 0, 0, 1],
        [1, days, 1, 0, hundredths, 0, 1],
    ])
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, expected)


def test_the_encoder_reads_days_beyond_the_95th_percentile_of_its_training_days_as_that_many():
    X = np.column_stack([np.zeros(101), np.arange(101.0), np.zeros(101)])  # 0 to 100 days
    encoder = AnswerEncoder(ANSWERS).fit(X)
    assert encoder.days_cap_ == 95.0
    out = encoder.transform(np.array([[0, 95, 0], [0, 150, 0], [0, 36_500, 0], [0, 1e300, 0]]))
    np.testing.assert_array_equal(out[1:], out[[0, 0, 0]])
    assert encoder.transform(np.array([[0, 94, 0]]))[0, 1] < out[0, 1]


def test_an_encoder_fitted_without_known_days_reads_every_duration_as_zero_days_known():
    encoder = AnswerEncoder(ANSWERS).fit(np.array([[1, NAN, 0]]))
    np.testing.assert_array_equal(encoder.transform(np.array([[1, 30, 0]])), [[1, 0, 0, 0, 0, 1, 1]])


def test_the_encoder_refuses_a_days_quantile_outside_0_1():
    with pytest.raises(ValueError, match="'days_quantile' parameter of AnswerEncoder must be a float in the range"):
        AnswerEncoder(ANSWERS, days_quantile=1.5).fit(np.zeros((1, 3)))


def test_the_encoder_refuses_a_matrix_of_the_wrong_width():
    encoder = AnswerEncoder(ANSWERS).fit(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"X must have shape \(n, 3\), got \(2, 4\)"):
        encoder.transform(np.zeros((2, 4)))


def test_the_encoder_needs_the_days_answer():
    with pytest.raises(ValueError, match="answer_ids must include 'duration_days'"):
        AnswerEncoder(("loc_eyelid", "cramps")).fit(np.zeros((1, 2)))


@pytest.mark.parametrize("estimator", [AnswerEncoder(ANSWERS), DistilledMultiLabel(),
                                       build_pipeline(ANSWERS)], ids=["encoder", "model", "pipeline"])
def test_predicting_before_fitting_raises_not_fitted_error(estimator):
    X = np.zeros((2, 3))
    with pytest.raises(NotFittedError):
        estimator.transform(X) if isinstance(estimator, AnswerEncoder) else estimator.predict_proba(X)


@pytest.mark.parametrize(("params", "message"), [
    ({"calibration": "platt"}, "'calibration' parameter of DistilledMultiLabel must be a str among"),
    ({"max_iter": 0}, "'max_iter' parameter"),
    ({"calibration_fraction": 1.0}, "'calibration_fraction' parameter"),
    ({"alpha": -1.0}, "'alpha' parameter"),
    ({"batch_size": 0}, "'batch_size' parameter"),
    ({"learning_rate_init": 0.0}, "'learning_rate_init' parameter"),
    ({"hidden_layer_sizes": 0}, "'hidden_layer_sizes' parameter"),
])
def test_a_bad_parameter_is_refused_before_the_network_trains(params, message):
    X, Y = small_problem()
    stages = []
    with pytest.raises(ValueError, match=message):
        DistilledMultiLabel(**{"max_iter": 2, **params}).fit(
            X, Y, progress=lambda stage, done, total: stages.append(stage))
    assert stages == []


def test_the_pipeline_refuses_a_bad_calibration_before_the_network_trains():
    stages = []
    X = np.zeros((50, 3))
    with pytest.raises(ValueError, match="'calibration' parameter"):
        build_pipeline(ANSWERS, calibration="platt").fit(
            X, np.zeros((50, 2), dtype=int), model__progress=lambda stage, done, total: stages.append(stage))
    assert stages == []


@pytest.mark.parametrize("calibration", ["sigmoid", "isotonic"])
def test_the_fitted_model_gives_one_probability_per_label_then_p_nothing_lacking_and_follows_its_features(
        calibration):
    X, Y = small_problem()
    stages = []
    model = DistilledMultiLabel(hidden_layer_sizes=(8,), max_iter=20, batch_size=64, learning_rate_init=1e-2,
                                calibration=calibration, random_state=1)
    model.fit(X, Y, progress=lambda stage, done, total: stages.append((stage, done, total)))
    assert stages == [("fit", epoch, 20) for epoch in range(21)] + [("calibrate", output, 3) for output in range(4)]
    P = model.predict_proba(X)
    assert P.shape == (len(X), 3) and P.dtype == np.float64 and np.all((P >= 0) & (P <= 1))
    for j in range(2):
        assert P[X[:, j] == 1, j].mean() > P[X[:, j] == 0, j].mean() + 0.3
    neither = (X[:, 0] == 0) & (X[:, 1] == 0)  # 81 % of these lack nothing, of the others at most 9 %
    assert P[neither, 2].mean() > P[~neither, 2].mean() + 0.4


def test_nothing_lacking_adds_a_column_that_is_1_where_a_case_lacks_no_label():
    Y = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]], dtype=np.uint8)
    out = nothing_lacking(Y)
    np.testing.assert_array_equal(out, [[0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]])
    assert out.dtype == np.uint8


def test_p_nothing_lacking_is_calibrated_against_lacking_nothing_not_against_the_soft_target():
    """A soft target that says 0.5 for P(no label) everywhere: the calibration follows what happened."""
    X, Y = small_problem(n=4_000)
    soft = np.column_stack([0.05 + 0.9 * Y, np.full(len(Y), 0.5)])
    P = DistilledMultiLabel(hidden_layer_sizes=(8,), max_iter=5, batch_size=64, random_state=1).fit(
        X, Y, soft=soft).predict_proba(X)
    assert P[:, 2].mean() == pytest.approx(np.mean(Y.sum(axis=1) == 0), abs=0.02)


def test_the_model_refuses_labels_and_targets_of_another_shape():
    X, Y = small_problem()
    with pytest.raises(ValueError, match=r"Y must have shape \(400, n_labels\)"):
        DistilledMultiLabel().fit(X, Y[:10])
    with pytest.raises(ValueError, match=r"soft must have shape \(400, 3\), one column per label and one for "
                                         r"P\(no label\), got \(400, 2\)"):
        DistilledMultiLabel().fit(X, Y, soft=np.full((400, 2), 0.5))
