"""The scikit-learn model: encode answers, fit a distilled network, calibrate each output; export what scoring
computes."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Callable

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import contract
from .inference import Network, encode, exact_first_layer, sigmoid, whole_tiles

__all__ = ["AnswerEncoder", "DistilledMultiLabel", "build_pipeline", "export", "nothing_lacking"]

_EPS = 1e-4
# The network regresses P(no label)'s log-odds times this. They spread wider than a label's over the training
# cases (standard deviation 3.7, a label's 1.0 to 2.8; 12 % of cases at the clip of -9.2, most of them with long
# durations), so unscaled their squared error takes the shared hidden layer from the labels where cases are few:
# over seven training seeds, the labels' largest error against the oracle beyond the days the encoder keeps
# exceeded their error at 0 to 30 days by 0.041 on average, 0.024 at half scale (0.019 at a quarter, which cost
# p_nothing_lacking up to 1.9 % of log-loss over the oracle's, against 1.0 %). Platt scaling, fitted on the
# network's output, undoes the scale.
_NOTHING_SCALE = 0.5


class AnswerEncoder(TransformerMixin, BaseEstimator):
    """Answers -> features in which "unknown" is missing information, not "no".

    Columns ``[0, A)`` are "is yes" and ``[A, 2A)`` are "is no" for the A
    answers in order, so an unknown answer is 0 in both; the days answer's two
    slots hold log1p(days) and days / 100 instead (0 when unknown), and the last
    column says whether the days are known (:func:`twitch_triage.model.inference.encode`,
    about 0.3 s per million cases). Features are float64, the precision the
    network predicts in; the days' two are multiples of 1/128, each a float32
    as well, so that scoring can compute the first layer in float32, exactly.

    Days beyond the ``days_quantile`` of the known durations seen at fit are
    read as that many (``days_cap_``, 76 days for `make train`'s cases). Without
    a cap the network extrapolates the days / 100 feature to any number a person
    can type (3,650 days once took magnesium from 0.36 to 0), and the fewer cases
    it has seen near the cap, the less well it learns them: capping at the 99th
    percentile (122 days) left it up to 0.13 from the oracle beyond, at the 95th
    0.10. The exact posterior barely moves there: its log-likelihood of days is
    linear per deficiency state, with one slope without a deficiency and another
    with any, so once "no deficiency" is ruled out more days change nothing
    (beyond 76 days by at most 0.0025; ``tests/test_model_behaviour.py`` checks
    the oracle and the model beyond the cap).

    Parameters
    ----------
    answer_ids : tuple of str
        The column names of X, in order.
    days_quantile : float
        Which quantile of the training cases' known durations caps the days.
    """

    _parameter_constraints: dict = {
        "answer_ids": ["array-like"],
        "days_quantile": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, answer_ids: tuple[str, ...] = contract.ANSWERS, *, days_quantile: float = 0.95):
        self.answer_ids = answer_ids
        self.days_quantile = days_quantile

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.answer_ids):
            raise ValueError(f"X must have shape (n, {len(self.answer_ids)}), got {X.shape}")
        if contract.DAYS_ANSWER not in self.answer_ids:
            raise ValueError(f"answer_ids must include {contract.DAYS_ANSWER!r}")
        self.n_features_in_ = X.shape[1]
        self.days_index_ = list(self.answer_ids).index(contract.DAYS_ANSWER)
        days = X[:, self.days_index_]
        days = np.clip(days[~np.isnan(days)], 0, None)
        self.days_cap_ = float(np.quantile(days, self.days_quantile)) if days.size else 0.0
        return self

    def transform(self, X) -> np.ndarray:
        """Shape (n_samples, A) -> (n_samples, 2 A + 1), float64."""
        check_is_fitted(self, "n_features_in_")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have shape (n, {self.n_features_in_}), got {X.shape}")
        return encode(X, self.days_index_, self.days_cap_)


def nothing_lacking(Y: np.ndarray) -> np.ndarray:
    """The labels with one more column, 1 where a case lacks none of them: what the outputs are judged against.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_labels), 0/1

    Returns
    -------
    ndarray of shape (n_samples, n_labels + 1), of ``Y``'s dtype.
    """
    Y = np.asarray(Y)
    return np.column_stack([Y, (Y.sum(axis=1) == 0).astype(Y.dtype)])


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


class DistilledMultiLabel(BaseEstimator):
    """A small network that learns the exact posterior's log-odds, calibrated per output.

    It has one output per label and one more, P(no label): the posterior mass of
    the case lacking none of them, which is not one minus a sum of the others
    (a case may lack several). ``fit(X, Y, soft=P)`` regresses logit(P) — the
    oracle's posterior for the training cases (the labels', then P(no label)),
    a far less noisy target than the 0/1 labels — with one
    :class:`~sklearn.neural_network.MLPRegressor` for all outputs, then calibrates
    each output on a held-out slice against the truth: the label, or whether the
    case lacks nothing (:func:`nothing_lacking`). P(no label)'s log-odds are regressed
    at half their scale, so that its loss weighs like a label's.
    Without ``soft`` it falls back to that truth itself (smoothed).

    The network trains in float32 and predicts in float64 (its trained weights,
    cast once after training: the cast is exact), on whole tiles of
    :data:`~twitch_triage.model.inference.TILE` rows,
    so that a row's probabilities do not depend on the rows predicted with it or on
    the number of BLAS threads. With OpenBLAS's Haswell kernels, float32 moved a
    row's log-odds by up to 7e-6 with the number of rows in the product, float64
    by up to 9e-15 on partial tiles, and not at all on whole tiles. The first
    layer's weights are then rounded to the grid on which its sums are exact
    (:func:`~twitch_triage.model.inference.exact_first_layer`), so that scoring
    computes it in float32 to the same bits, before the outputs are calibrated.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
    alpha : float
        L2 penalty of the network.
    max_iter : int
        Passes over the training slice.
    batch_size : int
    learning_rate_init : float
    calibration : {"sigmoid", "isotonic"}
        Per-output map from the network's log-odds to a probability, fitted on
        held-out cases against the truth. "sigmoid" (Platt scaling on the
        log-odds) is smooth and strictly increasing, so a changed answer always
        moves the probability; "isotonic" is a step function.
    calibration_fraction : float
        Share of the cases held out to calibrate.
    random_state : int
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "calibration": [StrOptions({"sigmoid", "isotonic"})],
        "calibration_fraction": [Interval(Real, 0, 1, closed="neither")],
        "random_state": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, *, hidden_layer_sizes=(128,), alpha=1e-4, max_iter=40, batch_size=512,
                 learning_rate_init=1e-3, calibration="sigmoid", calibration_fraction=0.2, random_state=0):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.alpha = alpha
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.calibration = calibration
        self.calibration_fraction = calibration_fraction
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, Y, soft=None, progress: Callable[[str, int, int], None] | None = None):
        """Fit on encoded features; the parameters are checked first.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        Y : array-like of shape (n_samples, n_labels), 0/1
        soft : array-like of shape (n_samples, n_labels + 1), optional
            The oracle's posterior for the same cases: P(label) for each label, then P(no label)
            (:meth:`twitch_triage.oracle.NoisyOrModel.posterior_all`).
        progress : callable(step, done, total), optional
            Called with ``done=0`` as the network's epochs (step ``"fit"``) and the outputs'
            calibration (``"calibrate"``) start, then after each epoch or output.

        Raises
        ------
        sklearn.utils._param_validation.InvalidParameterError
            A parameter is out of its range (a ``ValueError``), before any training.
        """
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y)
        if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
            raise ValueError(f"Y must have shape ({X.shape[0]}, n_labels), got {Y.shape}")
        truth = nothing_lacking(Y)
        if soft is not None and np.shape(soft) != truth.shape:
            raise ValueError(f"soft must have shape {truth.shape}, one column per label and one for P(no label), "
                             f"got {np.shape(soft)}")
        target = _logit(np.asarray(soft, dtype=np.float64) if soft is not None else 0.05 + 0.9 * truth)
        target[:, -1] *= _NOTHING_SCALE
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(X.shape[0])
        n_cal = int(round(self.calibration_fraction * X.shape[0]))
        cal, train = order[:n_cal], order[n_cal:]
        self.n_outputs_ = truth.shape[1]
        self.n_features_in_ = X.shape[1]
        net = MLPRegressor(hidden_layer_sizes=self.hidden_layer_sizes, alpha=self.alpha,
                           batch_size=self.batch_size, learning_rate_init=self.learning_rate_init,
                           max_iter=1, shuffle=True, random_state=self.random_state)
        report = progress or (lambda step, done, total: None)
        X_train, target_train = X[train].astype(np.float32), target[train].astype(np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            report("fit", 0, self.max_iter)
            for epoch in range(self.max_iter):
                net.partial_fit(X_train, target_train)
                report("fit", epoch + 1, self.max_iter)
        net.coefs_ = [w.astype(np.float64) for w in net.coefs_]  # exact: every float32 is a float64
        net.intercepts_ = [b.astype(np.float64) for b in net.intercepts_]
        # the first layer on the grid where its sums are exact in float32 (scoring computes it there), before
        # the calibration, which then fits the network as it predicts
        net.coefs_[0], net.intercepts_[0] = exact_first_layer(net.coefs_[0], net.intercepts_[0], X)
        self.net_ = net
        report("calibrate", 0, self.n_outputs_)
        z = self._logits(X[cal])
        self.calibrators_ = []
        for j in range(self.n_outputs_):
            y = truth[cal, j]
            if self.calibration == "sigmoid":
                cal_model = LogisticRegression(C=1e4).fit(z[:, [j]], y)
            else:
                cal_model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(sigmoid(z[:, j]), y)
            self.calibrators_.append(cal_model)
            report("calibrate", j + 1, self.n_outputs_)
        if self.calibration == "sigmoid":
            self.slope_ = np.array([c.coef_[0, 0] for c in self.calibrators_])
            self.intercept_ = np.array([c.intercept_[0] for c in self.calibrators_])
        return self

    def _logits(self, X) -> np.ndarray:
        """The network's output, shape (n_samples, n_labels + 1), float64; computed on whole tiles of
        rows (padded with zeros), so that every row goes through the same BLAS kernel."""
        X = np.asarray(X, dtype=np.float64)
        return self.net_.predict(whole_tiles(X)).reshape(-1, self.n_outputs_)[:X.shape[0]]

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated P(label) for each label, then P(no label): shape (n_samples, n_labels + 1)."""
        check_is_fitted(self, "calibrators_")
        z = self._logits(X)
        if self.calibration == "sigmoid":
            z *= self.slope_
            z += self.intercept_
            return sigmoid(z)
        out = np.empty(z.shape)
        for j, iso in enumerate(self.calibrators_):
            out[:, j] = iso.predict(sigmoid(z[:, j]))
        return np.clip(out, 0.0, 1.0)


def build_pipeline(answer_ids: tuple[str, ...], **params) -> Pipeline:
    """encode -> distilled, calibrated network."""
    return Pipeline([("encode", AnswerEncoder(answer_ids)), ("model", DistilledMultiLabel(**params))])


def export(pipeline: Pipeline) -> Network:
    """The fitted pipeline's inference parameters: its ``predict_proba`` computed in numpy alone.

    Raises
    ------
    ValueError
        The model is calibrated by isotonic regression, which only scikit-learn computes.
    """
    encoder, model = pipeline.named_steps["encode"], pipeline.named_steps["model"]
    check_is_fitted(model, "calibrators_")
    if model.calibration != "sigmoid":
        raise ValueError(f"a model calibrated by {model.calibration!r} cannot be exported for scoring: "
                         "only 'sigmoid' calibration is computed without scikit-learn")
    net = model.net_  # ReLU hidden layers, an identity output: MLPRegressor's defaults, which the model keeps
    return Network(days_index=encoder.days_index_, days_cap=encoder.days_cap_, coefs=tuple(net.coefs_),
                   intercepts=tuple(net.intercepts_), slope=model.slope_, intercept=model.intercept_)

