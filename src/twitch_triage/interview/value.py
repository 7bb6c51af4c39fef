"""The value of a question: how likely its answer is to bring what the person is shown closer to what all of
their answers would show.

What a person is shown is the **outcome** of their answers: the advice (the disposition), the causes listed as
likely, and whether "nothing lacking" leads (``p_nothing_lacking`` at least every label's probability), all from
the trained model as batch scoring computes them. The interview cannot know the answers not yet given, but the
generator's exact model can draw them: :meth:`~twitch_triage.oracle.NoisyOrModel.sample_given` draws
:data:`SAMPLES` people from the exact posterior given the answers so far, and each of their answers is then
left unknown at its missing rate, as people leave answers they cannot give (so a question is valued allowing for
"don't know"). For each drawn person the outcome of all their answers is the **final** outcome F.

If the interview stopped now, it would show the outcome O of the answers so far, which differs from F with
probability P(F != O). Asking a question Q first, it would show the outcome of the answers so far plus the
drawn person's answers to Q. The value of Q is the drop in that probability:

    value(Q) = P(F != O(answers)) - P(F != O(answers + answers to Q))

estimated on the same drawn people for every question (common random numbers, so questions are compared on the
same people). A question whose answer could change nothing shown is worth 0, however much it tells about a
label's probability; a question that matters only together with a later answer still has value, because F counts
every answer. The draws use a fixed seed, so the same answers always give the same question.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

__all__ = ["SAMPLES", "Valuer"]

SAMPLES = 512  # people drawn per step: the value's standard error is below 0.02 for any question
_SEED = 20261207


class Valuer:
    """Values questions for one set of answers.

    Parameters
    ----------
    oracle : the generator's exact model (:class:`~twitch_triage.oracle.NoisyOrModel`).
    outcome : answers (n, n_answers) -> an integer code of what is shown for each row (equal codes, equal outcome).
    missing_rate : ndarray of shape (n_answers,), the share of people who leave each answer unknown.
    x, given : the answers so far and which were given (those are never drawn).
    samples : people drawn.
    """

    def __init__(self, oracle, outcome: Callable[[np.ndarray], np.ndarray], missing_rate: np.ndarray,
                 x: np.ndarray, given: np.ndarray, samples: int = SAMPLES):
        rng = np.random.default_rng(_SEED)
        drawn = oracle.sample_given(np.where(given, x, np.nan), samples, rng)
        hidden = rng.random(drawn.shape) < missing_rate[None, :]
        drawn[hidden & ~given[None, :]] = np.nan  # an answer not given yet may be "don't know"
        drawn[:, given] = x[given]
        self.x, self.drawn, self.outcome = x, drawn, outcome
        codes = outcome(np.vstack([x[None, :], drawn]))
        self.now, self.final = codes[0], codes[1:]
        self.unsettled = float(np.mean(self.final != self.now))  # P(F != O) if the interview stopped now

    def needed(self, columns: Sequence[int]) -> np.ndarray:
        """For each answer column, the chance that it is **needed**: what is shown now differs from the final
        outcome, and all the other answers without this one would still differ from it.

        Returns
        -------
        ndarray of shape (len(columns),): P(F != O now and F != O(every answer but this one)).
        """
        wrong = np.flatnonzero(self.final != self.now)
        columns = list(columns)
        if not wrong.size or not columns:
            return np.zeros(len(columns))
        rows = np.repeat(self.drawn[wrong], len(columns), axis=0)  # each wrong person, each answer left out
        rows[np.arange(rows.shape[0]), np.tile(columns, wrong.size)] = self.x[columns * wrong.size]
        codes = self.outcome(rows).reshape(wrong.size, len(columns))
        return (codes != self.final[wrong][:, None]).sum(axis=0) / self.final.size

    def values(self, candidates: Sequence[Sequence[int]]) -> np.ndarray:
        """The value of asking each candidate (a set of answer columns, asked on one screen).

        Returns
        -------
        ndarray of shape (n_candidates,): P(F != O now) - P(F != O after the candidate's answers).
        """
        blocks, inverses = [], []
        for cols in candidates:
            cols = list(cols)
            answers = self.drawn[:, cols]
            keys = np.where(np.isnan(answers), 2, answers).astype(np.int64) @ (3 ** np.arange(len(cols)))
            unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
            rows = np.repeat(self.x[None, :], unique.size, axis=0)
            rows[:, cols] = answers[first]
            blocks.append(rows)
            inverses.append(inverse.reshape(-1))
        if not blocks:
            return np.zeros(0)
        codes = self.outcome(np.vstack(blocks))
        out = np.empty(len(blocks))
        start = 0
        for k, (rows, inverse) in enumerate(zip(blocks, inverses)):
            after = codes[start:start + rows.shape[0]][inverse]
            out[k] = self.unsettled - float(np.mean(self.final != after))
            start += rows.shape[0]
        return out
