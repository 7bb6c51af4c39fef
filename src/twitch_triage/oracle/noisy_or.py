"""The knowledge base compiled into a noisy-OR network: its exact posterior (the oracle).

The generative model, in the QMR-DT tradition (a two-level noisy-OR network):

1. Each context answer c_k is yes with its ``prevalence``.
2. Deficiencies, in topological order: P(d_l = 1 | parents) =
   1 - (1 - base_rate_l) * prod_k (1 - w_kl)^{c_k} * prod_m (1 - v_ml)^{d_m}
   (risk factors raise base rates; a deficiency may raise another).
3. Each symptom answer s_j is a noisy-OR of its causes with a leak:
   P(s_j = 0 | d, t) = (1 - leak_j) * prod_l (1 - a_lj)^{d_l} * prod_k (1 - b_kj)^{t_k},
   where t are the lifestyle-trigger context answers. An ``inverse`` symptom's answer is
   the sign's "no" (``improves_with_rest``: the sign is twitching that persists despite rest).
4. duration_days is geometric, with one mean if no deficiency and another if any.
5. Each answer is then hidden (unknown) at random with its ``missing_rate``;
   a share of cases ("sparse" people, as in the app) hide each answer with a
   higher, per-case rate. Hiding never looks at the answers (missing
   completely at random), so the posterior ignores it.

The oracle enumerates the 2^L deficiency states. A "no" answer is linear in
log space over the states, so the evidence is a matrix product; unknown
risk-factor parents of deficiencies are summed out by one (n, 2^R) x (2^R, 2^L)
product; unknown trigger answers are summed out per group of cases sharing
the same trigger evidence, so each case only pays for the trigger
configurations consistent with what it answered.

:func:`compile_model` keeps the last 4 compiled models (an ``lru_cache`` keyed by the knowledge base,
frozen and compared by value): compiling and building the tables takes about 15 ms, and the triage of
each case and each interview step ask for the model; ``compile_model.cache_clear()`` empties the cache.
"""

from __future__ import annotations

from functools import cached_property, lru_cache

import numpy as np

from .. import contract
from ..knowledge import KnowledgeBase, label_order
from .states import binary_states
from .triggers import sum_out_triggers

__all__ = ["NoisyOrModel", "compile_model"]

_CHUNK = 1024  # cases per block of the posterior's products


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """log(1 - exp(x)) for x <= 0, accurate near 0."""
    x = np.minimum(x, -1e-300)
    return np.where(x > -0.6931, np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


class NoisyOrModel:
    """The knowledge base compiled into arrays: the exact posterior, and people drawn given answers.

    :mod:`.sampling` draws synthetic cases from these arrays."""

    def __init__(self, kb: KnowledgeBase):
        self.answer_ids = kb.answer_ids
        self.label_ids = kb.label_ids
        A, L = len(self.answer_ids), len(self.label_ids)
        a_index = {a: j for j, a in enumerate(self.answer_ids)}
        l_index = {lab: j for j, lab in enumerate(self.label_ids)}
        roles = np.array([a.role for a in kb.answers])
        self.symptom_cols = np.flatnonzero(roles == "symptom")
        self.context_cols = np.flatnonzero(roles == "context")
        self.days_col = a_index[contract.DAYS_ANSWER]
        self.inverse_cols = np.flatnonzero([a.inverse for a in kb.answers])
        self.missing_rate = np.array([a.missing_rate for a in kb.answers])
        self.sparse_share = kb.missingness.sparse_share
        self.sparse_hidden = (kb.missingness.sparse_hidden_min, kb.missingness.sparse_hidden_max)
        self.prevalence = np.array([a.prevalence for a in kb.answers])
        self.base_rate = np.array([label.base_rate for label in kb.labels])

        # deficiency -> symptom, trigger -> symptom: log(1 - strength)
        self.log_leak0 = np.log1p(-np.array([a.leak for a in kb.answers]))  # log P(no | nothing)
        self.log_link0 = np.zeros((L, A))
        for link in kb.links:
            self.log_link0[l_index[link.label], a_index[link.answer]] += np.log1p(-link.strength)
        self.log_trig0 = np.zeros((A, A))  # [cause column, symptom column]
        for t in kb.triggers:
            self.log_trig0[a_index[t.cause], a_index[t.answer]] += np.log1p(-t.strength)

        # context -> deficiency, deficiency -> deficiency
        self.log_rf_ctx = np.zeros((A, L))
        self.log_rf_lab = np.zeros((L, L))  # [parent label, child label]
        for f in kb.risk_factors:
            if f.cause in l_index:
                self.log_rf_lab[l_index[f.cause], l_index[f.label]] += np.log1p(-f.strength)
            else:
                self.log_rf_ctx[a_index[f.cause], l_index[f.label]] += np.log1p(-f.strength)
        self.label_order = [l_index[lab] for lab in label_order(self.label_ids, kb.risk_factors)]  # parents first

        self.risk_cols = np.flatnonzero(self.log_rf_ctx.any(axis=1))
        self.trigger_cols = np.flatnonzero(self.log_trig0.any(axis=1))
        self.trig_symptom_cols = np.flatnonzero(self.log_trig0.any(axis=0))
        self.plain_symptom_cols = np.setdiff1d(self.symptom_cols, self.trig_symptom_cols)

        d = kb.duration
        self.dur_p = np.array([1.0 / (1.0 + d.mean_days_without_deficiency), 1.0 / (1.0 + d.mean_days_with_deficiency)])
        self._states = binary_states(L)

    def draw_durations(self, rng: np.random.Generator, D: np.ndarray) -> np.ndarray:
        """Days since it began, for deficiency states ``D`` of shape (n, n_labels): geometric, with a longer
        mean if any deficiency; shape (n,)."""
        p = np.where(D.any(axis=1), self.dur_p[1], self.dur_p[0])
        return rng.geometric(p) - 1 if p.size else np.zeros(0)

    # ------------------------------------------------------------------ tables

    @cached_property
    def _prior_table(self) -> np.ndarray:
        """P(deficiency state | risk-factor configuration): shape (2^R, 2^L)."""
        rbits = self._risk_configs  # (2^R, R)
        S = self._states
        ctx = rbits @ self.log_rf_ctx[self.risk_cols]  # (2^R, L)
        # log P(d_l = 0 | parents) for every (config, state): (2^R, 2^L, L)
        log_none = np.log1p(-self.base_rate)[None, None, :] + ctx[:, None, :] + (S @ self.log_rf_lab)[None, :, :]
        p_none = np.exp(log_none)
        per_label = np.where(S[None, :, :] == 1, 1.0 - p_none, p_none)
        return per_label.prod(axis=2)

    @cached_property
    def _trigger_configs(self) -> np.ndarray:
        return binary_states(self.trigger_cols.size)  # (2^T, T)

    @cached_property
    def _plain_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """log P(no) and log P(yes) for symptoms without trigger parents: (J0, 2^L) each."""
        cols = self.plain_symptom_cols
        log_no = self.log_leak0[cols][:, None] + (self._states @ self.log_link0[:, cols]).T
        return log_no, _log1mexp(log_no)

    @cached_property
    def _trigger_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """log P(no), log P(yes) for trigger-linked symptoms: (J1, 2^T, 2^L) each."""
        cols = self.trig_symptom_cols
        by_state = (self._states @ self.log_link0[:, cols]).T  # (J1, 2^L)
        by_trig = (self._trigger_configs @ self.log_trig0[np.ix_(self.trigger_cols, cols)]).T  # (J1, 2^T)
        log_no = self.log_leak0[cols][:, None, None] + by_trig[:, :, None] + by_state[:, None, :]
        return log_no, _log1mexp(log_no)

    @cached_property
    def _duration_coef(self) -> np.ndarray:
        """log P(days | state) = coef[0, s] + days * coef[1, s]: shape (2, 2^L)."""
        any_def = self._states.any(axis=1)
        p = np.where(any_def, self.dur_p[1], self.dur_p[0])
        return np.vstack([np.log(p), np.log1p(-p)])

    # ------------------------------------------------------------------ oracle

    def log_joint(self, X: np.ndarray) -> np.ndarray:
        """log P(deficiency state, observed answers), exactly (days as a geometric pmf).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_answers)
            1 yes, 0 no, NaN unknown; days for ``duration_days``.

        Returns
        -------
        ndarray of shape (n_samples, 2^n_labels)
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.answer_ids):
            raise ValueError(f"X must have shape (n, {len(self.answer_ids)}), got {X.shape}")
        out = np.empty((X.shape[0], self._states.shape[0]))
        for start in range(0, X.shape[0], _CHUNK):
            out[start:start + _CHUNK] = self._log_joint_chunk(X[start:start + _CHUNK])
        return out

    def _log_joint_chunk(self, X: np.ndarray) -> np.ndarray:
        likelihood, prior = self._evidence_chunk(X)
        with np.errstate(divide="ignore"):
            return likelihood + np.log(prior)

    def _evidence_chunk(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log P(answers | state) and P(state | known risk factors), both (n, 2^L).

        The prior stays in linear space: the posterior multiplies it in after one
        exp, which saves a log per (case, state).
        """
        if self.inverse_cols.size:  # the signs behind the answers (unknown stays unknown)
            X = X.copy()
            X[:, self.inverse_cols] = 1.0 - X[:, self.inverse_cols]
        # prior, unknown risk factors summed out: weights (n, 2^R) x table (2^R, 2^L)
        xr = X[:, self.risk_cols]
        p_yes = np.where(np.isnan(xr), self.prevalence[self.risk_cols], xr)  # (n, R)
        rbits = self._risk_configs
        w = np.prod(np.where(rbits[None, :, :] == 1, p_yes[:, None, :], 1.0 - p_yes[:, None, :]), axis=2)
        prior = w @ self._prior_table

        # every linear term in one product: yes/no of plain signs, "no" of trigger-linked
        # signs (their trigger-free part), the duration, the observed context answers
        x0 = X[:, self.plain_symptom_cols]
        x1 = X[:, self.trig_symptom_cols]
        days = X[:, self.days_col]
        known = ~np.isnan(days)
        xc = X[:, self.context_cols]
        prev = self.prevalence[self.context_cols]
        log_ctx = np.where(xc == 1, np.log(prev), np.where(xc == 0, np.log1p(-prev), 0.0)).sum(axis=1)
        evidence = np.hstack([
            x0 == 1, x0 == 0, x1 == 0,
            known[:, None], np.where(known, np.maximum(np.nan_to_num(days), 0.0), 0.0)[:, None], log_ctx[:, None],
        ]).astype(np.float64)
        likelihood = evidence @ self._linear_table
        likelihood += self._trigger_part(X)
        return likelihood, prior

    @cached_property
    def _risk_configs(self) -> np.ndarray:
        return binary_states(self.risk_cols.size)

    @cached_property
    def _linear_table(self) -> np.ndarray:
        """Rows matching ``_evidence_chunk``'s evidence columns; shape (2 J0 + J1 + 3, 2^L)."""
        log_no, log_yes = self._plain_tables
        trig_no = self._trigger_tables[0][:, 0, :]
        ones = np.ones((1, self._states.shape[0]))
        return np.vstack([log_yes, log_no, trig_no, self._duration_coef, ones])

    def _trigger_part(self, X: np.ndarray) -> np.ndarray:
        """log P(trigger-linked symptom answers | state), trigger answers summed out: (n, 2^L)."""
        return sum_out_triggers(X[:, self.trig_symptom_cols], X[:, self.trigger_cols], self._trigger_tables[1],
                                self._trigger_coef, self.prevalence[self.trigger_cols])

    @cached_property
    def _trigger_coef(self) -> np.ndarray:
        return self.log_trig0[np.ix_(self.trigger_cols, self.trig_symptom_cols)]

    def posterior(self, X: np.ndarray) -> np.ndarray:
        """P(each deficiency | the answers given), exactly: the first ``n_labels`` columns of
        :meth:`posterior_all`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_answers)

        Returns
        -------
        ndarray of shape (n_samples, n_labels), values in [0, 1].
        """
        return self.posterior_all(X)[:, :len(self.label_ids)]

    def posterior_all(self, X: np.ndarray) -> np.ndarray:
        """P(each deficiency | the answers given), then P(no deficiency at all | the answers given), exactly.

        The last column is the posterior mass of the all-zeros state (row 0 of :attr:`states`), not
        one minus anything: a case may lack several labels at once.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_answers)

        Returns
        -------
        ndarray of shape (n_samples, n_labels + 1), values in [0, 1].
        """
        X = np.asarray(X, dtype=np.float64)
        L = len(self.label_ids)
        out = np.empty((X.shape[0], L + 1))
        for start in range(0, X.shape[0], _CHUNK):
            likelihood, prior = self._evidence_chunk(X[start:start + _CHUNK])
            likelihood -= likelihood.max(axis=1, keepdims=True)
            p = np.exp(likelihood)
            p *= prior
            p /= p.sum(axis=1, keepdims=True)
            out[start:start + _CHUNK, :L] = p @ self._states
            out[start:start + _CHUNK, L] = p[:, 0]
        return np.clip(out, 0.0, 1.0)

    def sample_given(self, x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` people drawn from the exact posterior given the answers ``x``: every answer of each, the
        known ones as in ``x``, the unknown ones drawn (none hidden).

        Ancestral sampling given the evidence: the deficiency state from the exact posterior; then the
        unknown risk-factor answers given the state (they act on the answers only through it); then the
        unknown lifestyle triggers given the state and the trigger-linked signs answered; the other
        context answers at their prevalence; then every unknown sign and the days, as :func:`.sampling.sample_cases`
        draws them.

        Parameters
        ----------
        x : ndarray of shape (n_answers,)
            1 yes, 0 no, NaN unknown; days for ``duration_days``.
        n : int
        rng : numpy Generator

        Returns
        -------
        ndarray of shape (n, n_answers), no NaN.
        """
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        if x.size != len(self.answer_ids):
            raise ValueError(f"x must have {len(self.answer_ids)} answers, got {x.size}")
        A = x.size
        lj = self.log_joint(x[None, :])[0]
        p = np.exp(lj - lj.max())
        state = rng.choice(p.size, size=n, p=p / p.sum())
        D = self._states[state]
        signs = x.copy()  # the signs behind the answers (an inverse answer's "no" is its sign)
        signs[self.inverse_cols] = 1.0 - signs[self.inverse_cols]
        C = np.zeros((n, A))

        def draw(log_weight: np.ndarray, configs: np.ndarray) -> np.ndarray:
            """One configuration per person from (configurations, states) log weights, by each person's state."""
            w = log_weight[:, state]
            w = np.exp(w - w.max(axis=0, keepdims=True))
            cdf = np.cumsum(w, axis=0)
            pick = (rng.random(n)[None, :] * cdf[-1:] > cdf).sum(axis=0)
            return configs[np.minimum(pick, configs.shape[0] - 1)]

        def known_part(cols: np.ndarray, configs: np.ndarray) -> np.ndarray:
            """log P(the unknown ones of ``cols`` in each configuration), -inf where a known one differs."""
            given = signs[cols]
            known = ~np.isnan(given)
            prev = self.prevalence[cols]
            with np.errstate(divide="ignore"):
                log_w = np.where(configs == 1, np.log(prev), np.log1p(-prev))[:, ~known].sum(axis=1)
            agrees = (configs[:, known] == given[known]).all(axis=1)
            return np.where(agrees, log_w, -np.inf)

        risk = self.risk_cols
        with np.errstate(divide="ignore"):
            C[:, risk] = draw(known_part(risk, self._risk_configs)[:, None] + np.log(self._prior_table),
                              self._risk_configs)
        log_no, log_yes = self._trigger_tables  # (J1, 2^T, 2^L)
        x1 = signs[self.trig_symptom_cols]
        evidence = np.tensordot(x1 == 1, log_yes, axes=(0, 0)) + np.tensordot(x1 == 0, log_no, axes=(0, 0))
        C[:, self.trigger_cols] = draw(known_part(self.trigger_cols, self._trigger_configs)[:, None] + evidence,
                                       self._trigger_configs)
        other = np.setdiff1d(self.context_cols, np.union1d(risk, self.trigger_cols))
        C[:, other] = rng.random((n, other.size)) < self.prevalence[other]

        out = C
        log_q = self.log_leak0 + D @ self.log_link0 + C @ self.log_trig0  # log P(no sign)
        sym = self.symptom_cols
        out[:, sym] = rng.random((n, sym.size)) < -np.expm1(log_q[:, sym])
        out[:, self.inverse_cols] = 1.0 - out[:, self.inverse_cols]
        if n:
            out[:, self.days_col] = self.draw_durations(rng, D)
        known = ~np.isnan(x)
        out[:, known] = x[known]
        return out

    @cached_property
    def label_prevalence(self) -> np.ndarray:
        """How common each deficiency is among the generated people: P(label) before any answer, shape (n_labels,)."""
        return self.posterior(np.full((1, len(self.answer_ids)), np.nan))[0]

    @property
    def states(self) -> np.ndarray:
        """The 2^L deficiency states, shape (2^L, L)."""
        return self._states


@lru_cache(maxsize=4)
def compile_model(kb: KnowledgeBase) -> NoisyOrModel:
    """The knowledge base as a :class:`NoisyOrModel`, kept for the last 4 knowledge bases (see the module
    docstring); ``compile_model.cache_clear()`` empties the cache."""
    return NoisyOrModel(kb)
