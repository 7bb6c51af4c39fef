"""The generator samples what its model says, and the oracle is its exact posterior."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from twitch_triage import contract
from twitch_triage import oracle


def _reference_log_joint(kb, x: np.ndarray) -> np.ndarray:
    """Brute force, straight from the knowledge base's entries: log P(state, answers) for one case.

    Loops over every joint value of the unknown context answers; vectorised only over
    the 2^L deficiency states.
    """
    ids = list(kb.answer_ids)
    labels = list(kb.label_ids)
    L = len(labels)
    S = (np.arange(2**L)[:, None] >> np.arange(L)[None, :]) & 1  # (2^L, L)
    d = {lab: S[:, i] for i, lab in enumerate(labels)}
    ctx = [a.id for a in kb.answers if a.role == "context"]
    unknown = [c for c in ctx if np.isnan(x[ids.index(c)])]
    total = np.full(2**L, -np.inf)
    for values in itertools.product([0, 1], repeat=len(unknown)):
        c = {k: x[ids.index(k)] for k in ctx}
        c.update(dict(zip(unknown, values)))
        lp = np.full(2**L, sum(np.log(kb.answer(k).prevalence if c[k] == 1 else 1 - kb.answer(k).prevalence)
                               for k in ctx))
        for lab in labels:
            p_none = np.full(2**L, 1 - kb.label(lab).base_rate)
            for f in kb.risk_factors:
                if f.label == lab:
                    on = d[f.cause] if f.cause in d else np.full(2**L, c[f.cause] == 1)
                    p_none = p_none * np.where(on == 1, 1 - f.strength, 1.0)
            lp += np.log(np.where(d[lab] == 1, 1 - p_none, p_none))
        for j, a in enumerate(kb.answers):
            if a.role != "symptom" or np.isnan(x[j]):
                continue
            q = np.full(2**L, 1 - a.leak)
            for link in kb.links:
                if link.answer == a.id:
                    q = q * np.where(d[link.label] == 1, 1 - link.strength, 1.0)
            for t in kb.triggers:
                if t.answer == a.id and c[t.cause] == 1:
                    q = q * (1 - t.strength)
            sign = (x[j] == 1) != a.inverse  # an inverse answer's "yes" is its sign's "no"
            lp += np.log(1 - q if sign else q)
        days = x[ids.index(contract.DAYS_ANSWER)]
        if not np.isnan(days):
            dur = kb.duration
            mean = np.where(S.any(axis=1), dur.mean_days_with_deficiency, dur.mean_days_without_deficiency)
            p = 1 / (1 + mean)
            lp += np.log(p) + days * np.log(1 - p)
        total = np.logaddexp(total, lp)
    return total


def _answers(kb):
    """Hypothesis strategy: one case's answer vector with unknowns."""
    n = len(kb.answer_ids)
    day_col = kb.answer_ids.index(contract.DAYS_ANSWER)
    cell = st.sampled_from([0.0, 1.0, np.nan])

    @st.composite
    def build(draw):
        x = np.array(draw(st.lists(cell, min_size=n, max_size=n)))
        x[day_col] = draw(st.integers(0, 60).map(float) | st.just(np.nan))
        return x

    return build()


# ---------------------------------------------------------------- sampling


def test_the_same_seed_gives_the_same_bytes(kb):
    a = oracle.sample_cases(kb, 2_000, seed=5).to_frame().to_csv(index=False)
    b = oracle.sample_cases(kb, 2_000, seed=5).to_frame().to_csv(index=False)
    assert a == b


def test_different_seeds_give_different_cases(kb):
    a = oracle.sample_cases(kb, 500, seed=5)
    b = oracle.sample_cases(kb, 500, seed=6)
    assert not np.array_equal(np.nan_to_num(a.X, nan=-1), np.nan_to_num(b.X, nan=-1))


@given(n=st.integers(0, 300), seed=st.integers(0, 2**32 - 1))
def test_any_n_gives_n_rows_with_valid_cells(kb, n, seed):
    cases = oracle.sample_cases(kb, n, seed)
    assert cases.X.shape == (n, len(kb.answer_ids)) and cases.Y.shape == (n, len(kb.label_ids))
    binary = np.delete(cases.X, kb.answer_ids.index(contract.DAYS_ANSWER), axis=1)
    assert np.isin(binary[~np.isnan(binary)], [0.0, 1.0]).all()
    assert set(np.unique(cases.Y)) <= {0, 1}
    frame = cases.to_frame()
    assert len(frame) == n and list(frame.columns) == ["case_id", *kb.answer_ids, *kb.label_ids]


@given(n=st.integers(0, 300), rows=st.integers(1, 400), seed=st.integers(0, 2**64 - 1))
def test_chunks_are_the_sample_row_for_row(kb, n, rows, seed):
    whole = oracle.sample_cases(kb, n, seed)
    chunks = list(oracle.sample_chunks(kb, n, seed, rows))
    assert [c.first for c in chunks] == list(range(0, max(n, 1), rows))
    assert all(len(c) <= rows for c in chunks)
    for name in ("X", "Y", "X_full"):
        np.testing.assert_array_equal(np.concatenate([getattr(c, name) for c in chunks]), getattr(whole, name))


def test_chunks_as_frames_are_the_sample_as_a_frame_case_ids_included(kb):
    whole = oracle.sample_cases(kb, 1_000, seed=8).to_frame()
    pieces = pd.concat([c.to_frame() for c in oracle.sample_chunks(kb, 1_000, 8, rows=300)], ignore_index=True)
    pd.testing.assert_frame_equal(pieces, whole)
    assert pieces["case_id"].iloc[[0, 299, 300, 999]].tolist() == ["s8-0", "s8-299", "s8-300", "s8-999"]


def test_negative_n_is_refused(kb):
    with pytest.raises(ValueError, match="n must be >= 0"):
        oracle.sample_cases(kb, -1, seed=0)


def test_label_frequencies_match_the_model_within_sampling_error(kb, noisy_or):
    cases = oracle.sample_cases(kb, 100_000, seed=21)
    # the model's own marginal P(label): the oracle with nothing answered
    nothing = np.full((1, len(kb.answer_ids)), np.nan)
    expected = noisy_or.posterior(nothing)[0]
    observed = cases.Y.mean(axis=0)
    se = np.sqrt(expected * (1 - expected) / len(cases))
    assert np.all(np.abs(observed - expected) < 4.5 * se), (observed, expected)


def test_symptom_frequencies_match_the_model_within_sampling_error(kb, noisy_or):
    cases = oracle.sample_cases(kb, 100_000, seed=22)
    # P(symptom = yes) = 1 - P(no), from the exact joint with only that answer given "no"
    nothing = np.full(len(kb.answer_ids), np.nan)
    base = np.logaddexp.reduce(noisy_or.log_joint(nothing[None, :])[0])
    assert base == pytest.approx(0.0, abs=1e-9)  # nothing observed: total probability 1
    for j in noisy_or.symptom_cols:
        x = nothing.copy()
        x[j] = 0.0
        p_yes = 1 - np.exp(np.logaddexp.reduce(noisy_or.log_joint(x[None, :])[0]))
        observed = np.mean(cases.X_full[:, j])
        se = np.sqrt(p_yes * (1 - p_yes) / len(cases)) + 1e-4
        assert abs(observed - p_yes) < 4.5 * se, (kb.answer_ids[j], observed, p_yes)


def test_answers_are_hidden_at_about_their_missing_rate(kb):
    cases = oracle.sample_cases(kb, 50_000, seed=23)
    rate = np.isnan(cases.X).mean(axis=0)
    own = np.array([a.missing_rate for a in kb.answers])
    miss = kb.missingness
    grid = np.linspace(miss.sparse_hidden_min, miss.sparse_hidden_max, 10_001)
    sparse = np.array([np.maximum(grid, m).mean() for m in own])  # E[max(U, own rate)]
    expected = (1 - miss.sparse_share) * own + miss.sparse_share * sparse
    assert miss.sparse_share > 0 and np.all(expected > own)
    assert np.all(np.abs(rate - expected) < 4.5 * np.sqrt(expected * (1 - expected) / 50_000))


# ---------------------------------------------------------------- the oracle


@settings(max_examples=25)
@given(data=st.data())
def test_the_oracle_equals_brute_force_enumeration(kb, noisy_or, data):
    x = data.draw(_answers(kb))
    fast = noisy_or.log_joint(x[None, :])[0]
    slow = _reference_log_joint(kb, x)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-9)


@settings(max_examples=25)
@given(data=st.data())
def test_posterior_all_gives_the_brute_force_marginals_then_the_mass_of_the_all_zeros_state(kb, noisy_or, data):
    x = data.draw(_answers(kb))
    slow = _reference_log_joint(kb, x)
    mass = np.exp(slow - np.logaddexp.reduce(slow))  # P(state | answers), state 0 lacks nothing
    states = (np.arange(mass.size)[:, None] >> np.arange(len(kb.label_ids))[None, :]) & 1
    fast = noisy_or.posterior_all(x[None, :])[0]
    assert fast.shape == (len(kb.label_ids) + 1,)
    np.testing.assert_allclose(fast, [*(mass @ states), mass[0]], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(fast[:-1], noisy_or.posterior(x[None, :])[0])


def test_p_nothing_lacking_lies_between_the_bounds_the_label_marginals_set(noisy_or, cases_20k):
    """P(none) >= 1 - sum P(label) (the union bound) and <= 1 - max P(label); it is 1 - sum only when no
    two labels can come together, which the generator's cases do."""
    P = noisy_or.posterior_all(cases_20k.X)
    labels, nothing = P[:, :-1], P[:, -1]
    assert np.all(nothing >= 1 - labels.sum(axis=1) - 1e-12) and np.all(nothing <= 1 - labels.max(axis=1) + 1e-12)
    assert np.mean(nothing - (1 - labels.sum(axis=1))) > 0.01
    se = np.sqrt(nothing.mean() * (1 - nothing.mean()) / len(P))
    assert abs(nothing.mean() - np.mean(cases_20k.Y.sum(axis=1) == 0)) < 4.5 * se


def test_the_oracle_agrees_with_monte_carlo_frequencies(kb, noisy_or):
    """Condition on a few answers, count the labels among sampled cases that match them."""
    cases = oracle.sample_cases(kb, 400_000, seed=31)
    ids = list(kb.answer_ids)
    patterns = [
        {"loc_eyelid": 1, "cramps": 0},
        {"numbness": 1, "tingling": 1},
        {"loc_widespread": 1, "low_sun_exposure": 1},
        {"stress": 1, "improves_with_rest": 1, "loc_eyelid": 1},
        {"heavy_sweating": 1, "after_exercise": 1, "strenuous_exercise": 0},
    ]
    for pattern in patterns:
        match = np.ones(len(cases), dtype=bool)
        x = np.full(len(ids), np.nan)
        for name, value in pattern.items():
            match &= cases.X_full[:, ids.index(name)] == value
            x[ids.index(name)] = value
        freq = np.append(cases.Y[match].mean(axis=0), np.mean(cases.Y[match].sum(axis=1) == 0))
        exact = noisy_or.posterior_all(x[None, :])[0]
        se = np.sqrt(exact * (1 - exact) / match.sum())
        assert match.sum() > 2_000
        assert np.all(np.abs(freq - exact) < 4.5 * se + 1e-3), (pattern, freq, exact)


@given(data=st.data())
def test_leaving_an_answer_unknown_equals_summing_over_its_values(kb, noisy_or, data):
    x = data.draw(_answers(kb))
    j = data.draw(st.sampled_from([i for i, a in enumerate(kb.answer_ids) if a != contract.DAYS_ANSWER]))
    x[j] = np.nan
    both = np.repeat(x[None, :], 3, axis=0)
    both[1, j], both[2, j] = 0.0, 1.0
    lj = noisy_or.log_joint(both)
    np.testing.assert_allclose(lj[0], np.logaddexp(lj[1], lj[2]), rtol=1e-9, atol=1e-10)


def test_leaving_the_duration_unknown_equals_summing_over_days(kb, noisy_or):
    x = np.full(len(kb.answer_ids), np.nan)
    x[kb.answer_ids.index("loc_eyelid")] = 1
    rows = np.repeat(x[None, :], 3001, axis=0)
    rows[1:, kb.answer_ids.index(contract.DAYS_ANSWER)] = np.arange(3000)
    lj = noisy_or.log_joint(rows)
    np.testing.assert_allclose(lj[0], np.logaddexp.reduce(lj[1:], axis=0), rtol=1e-9, atol=1e-9)


def test_row_order_does_not_change_the_posterior(noisy_or, cases_20k):
    X = cases_20k.X[:3000]
    perm = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(noisy_or.posterior(X)[perm], noisy_or.posterior(X[perm]), rtol=0, atol=1e-12)


def test_posteriors_are_probabilities_and_calibrated(noisy_or, cases_20k):
    P = noisy_or.posterior(cases_20k.X)
    assert P.shape == (len(cases_20k), 10) and np.all((P >= 0) & (P <= 1))
    # the exact posterior's mean equals the label frequency, within sampling error
    se = np.sqrt(P.mean(0) * (1 - P.mean(0)) / len(P))
    assert np.all(np.abs(P.mean(0) - cases_20k.Y.mean(0)) < 4.5 * se)


def test_answering_a_linked_sign_raises_its_deficiency(kb, noisy_or):
    nothing = np.full((1, len(kb.answer_ids)), np.nan)
    prior = noisy_or.posterior(nothing)[0]
    for link in kb.links:
        x = nothing.copy()
        x[0, kb.answer_ids.index(link.answer)] = 0.0 if kb.answer(link.answer).inverse else 1.0
        after = noisy_or.posterior(x)[0]
        assert after[kb.label_ids.index(link.label)] > prior[kb.label_ids.index(link.label)], link


def test_magnesium_is_the_most_common_deficiency_in_generated_cases(kb, noisy_or):
    frequency = oracle.sample_cases(kb, 100_000, seed=24).Y.mean(axis=0)
    order = np.argsort(-frequency)
    assert kb.label_ids[order[0]] == "magnesium"
    assert frequency[order[0]] - frequency[order[1]] > 0.03  # well beyond sampling error (about 0.002)
    assert kb.label_ids[int(np.argmax(noisy_or.label_prevalence))] == "magnesium"
    np.testing.assert_allclose(noisy_or.label_prevalence, frequency, atol=0.01)


def _posterior(kb, noisy_or, **answers) -> dict[str, float]:
    x = np.full((1, len(kb.answer_ids)), np.nan)
    for name, value in answers.items():
        x[0, kb.answer_ids.index(name)] = value
    return dict(zip(kb.label_ids, noisy_or.posterior(x)[0]))


@pytest.mark.parametrize("label", ["magnesium", "calcium", "potassium", "sodium", "vitamin_d", "vitamin_b12",
                                   "vitamin_b6", "iron"])
def test_twitching_that_persists_despite_rest_raises_each_nutrient_and_improving_lowers_it(kb, noisy_or, label):
    case = {"loc_eyelid": 1, "at_rest": 1, "daily": 1}
    improves, unknown, persists = (_posterior(kb, noisy_or, **case, improves_with_rest=v)[label]
                                   for v in (1.0, np.nan, 0.0))
    assert improves < unknown < persists


def test_corticosteroids_raise_potassium(kb, noisy_or):
    case = {"cramps": 1, "weakness": 1}
    no, unknown, yes = (_posterior(kb, noisy_or, **case, corticosteroids=v)["potassium"] for v in (0.0, np.nan, 1.0))
    assert no < unknown < yes and yes > no + 0.2


def test_every_warning_sign_is_rare_in_generated_cases(kb):
    cases = oracle.sample_cases(kb, 50_000, seed=25)
    for a in kb.answers:
        if a.group == "warning":
            assert np.mean(cases.X_full[:, kb.answer_ids.index(a.id)]) < 0.05, a.id


@pytest.mark.parametrize("low_protein_diet", [np.nan, 1.0], ids=["diet-unknown", "low-protein-diet"])
def test_numbness_with_poor_balance_puts_b12_first_as_the_pattern_list_says(kb, noisy_or, low_protein_diet):
    """000: "Twitching with numbness → B12 deficiency", though 000 also gives vitamin D "Weakness and poor
    coordination": the exact posterior ranks B12 first, other answers unknown."""
    p = _posterior(kb, noisy_or, numbness=1.0, poor_coordination=1.0, low_protein_diet=low_protein_diet)
    assert max(p, key=p.get) == "vitamin_b12", p
    assert p["vitamin_b12"] > p["vitamin_d"] + 0.1


def test_a_lack_of_protein_makes_a_lack_of_electrolytes_more_common(kb, noisy_or):
    """000: "Protein maintains muscle structure and electrolyte balance." (a label raising labels)."""
    joint = np.exp(noisy_or.log_joint(np.full((1, len(kb.answer_ids)), np.nan))[0])
    states = noisy_or.states
    c = kb.label_ids.index("protein")
    for label in ("magnesium", "calcium", "potassium"):
        j = kb.label_ids.index(label)
        p_with = joint[(states[:, c] == 1) & (states[:, j] == 1)].sum() / joint[states[:, c] == 1].sum()
        p_without = joint[(states[:, c] == 0) & (states[:, j] == 1)].sum() / joint[states[:, c] == 0].sum()
        assert p_with > p_without + 0.05, label


def test_people_drawn_given_answers_answer_as_the_exact_posterior_predicts(kb, noisy_or):
    """Each unknown answer is yes as often as the exact joint says, given a yes to a trigger-linked sign (the
    triggers are then drawn from their posterior), a known risk factor, a "no" and an unknown left unknown."""
    ids = kb.answer_ids
    x = np.full(len(ids), np.nan)
    for a, v in {"loc_eyelid": 1.0, "high_caffeine": 1.0, "cramps": 0.0, "at_rest": 1.0, "numbness": 1.0,
                 "heavy_sweating": 0.0, contract.DAYS_ANSWER: 12.0}.items():
        x[ids.index(a)] = v
    n = 60_000
    drawn = noisy_or.sample_given(x, n, np.random.default_rng(5))
    assert drawn.shape == (n, len(ids)) and not np.isnan(drawn).any()
    known = ~np.isnan(x)
    assert (drawn[:, known] == x[known]).all()  # the answers given stay as given
    log_z = np.logaddexp.reduce(noisy_or.log_joint(x[None, :])[0])
    worst = 0.0
    for j in np.flatnonzero(~known):
        y = x.copy()
        y[j] = 1.0
        p = np.exp(np.logaddexp.reduce(noisy_or.log_joint(y[None, :])[0]) - log_z)
        worst = max(worst, abs(drawn[:, j].mean() - p) / np.sqrt(p * (1 - p) / n))
    assert worst < 4.5, worst  # within sampling error for every one of about 45 answers


def test_people_drawn_given_answers_are_the_same_for_the_same_seed(kb, noisy_or):
    x = np.full(len(kb.answer_ids), np.nan)
    a = noisy_or.sample_given(x, 100, np.random.default_rng(1))
    b = noisy_or.sample_given(x, 100, np.random.default_rng(1))
    assert np.array_equal(a, b)


def test_state_s_holds_item_i_as_bit_i_of_s():
    states = oracle.binary_states(3)
    assert states.shape == (8, 3)
    assert states[:4].tolist() == [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]]
    np.testing.assert_array_equal(states @ (1 << np.arange(3)), np.arange(8))


def test_an_equal_knowledge_base_gets_the_same_compiled_model_until_its_cache_is_cleared(kb):
    model = oracle.compile_model(kb)
    assert oracle.compile_model(dataclasses.replace(kb)) is model
    oracle.compile_model.cache_clear()
    assert oracle.compile_model(kb) is not model
