"""Sample synthetic cases from the knowledge base's noisy-OR model, whole or in chunks, and as contract frames.

The model is :mod:`.noisy_or`'s (compiled once per knowledge base); the same seed gives the
same cases, whatever else runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import numpy as np

from .. import contract
from ..knowledge import KnowledgeBase
from .noisy_or import NoisyOrModel, compile_model

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Cases", "SAMPLE_ROWS", "sample_cases", "sample_chunks"]

SAMPLE_ROWS = 25_000  # cases per chunk of :func:`sample_chunks` (about 120 MB at a time)
_VARIABLES = 7  # drawn one after the other by _draw, each for every case


@dataclass(frozen=True)
class Cases:
    """Synthetic cases.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_answers)
        Answers in ``answer_ids`` order: 1.0 yes, 0.0 no, NaN unknown;
        ``duration_days`` holds days (NaN unknown).
    Y : ndarray of shape (n_samples, n_labels), uint8
        True deficiencies in ``label_ids`` order.
    X_full : ndarray of shape (n_samples, n_answers)
        The answers before any were hidden.
    first : int
        The number of the first case in its sample (a chunk of a larger one starts past 0).
    """

    X: np.ndarray
    Y: np.ndarray
    X_full: np.ndarray
    answer_ids: tuple[str, ...]
    label_ids: tuple[str, ...]
    seed: int
    first: int = 0

    def __len__(self) -> int:
        return self.X.shape[0]

    def to_frame(self) -> pd.DataFrame:
        """Contract columns: case_id, answers as yes/no/blank, then one 0/1 column per label."""
        import pandas as pd  # here: the interview and one case's assessment use the oracle, never a frame

        n = len(self)
        cols: dict[str, object] = {"case_id": [f"s{self.seed}-{i}" for i in range(self.first, self.first + n)]}
        words = np.array(["no", "yes", ""], dtype=object)
        for j, aid in enumerate(self.answer_ids):
            x = self.X[:, j]
            if aid == contract.DAYS_ANSWER:
                cols[aid] = pd.array(np.where(np.isnan(x), -1, x).astype(np.int64), dtype="Int64")
                cols[aid][np.isnan(x)] = pd.NA
            else:
                codes = np.where(np.isnan(x), 2, x).astype(np.int8)
                cols[aid] = words[codes]
        for j, lid in enumerate(self.label_ids):
            cols[lid] = self.Y[:, j].astype(np.int8)
        return pd.DataFrame(cols)


def sample_cases(kb: KnowledgeBase, n: int, seed: int) -> Cases:
    """Draw ``n`` synthetic cases from the knowledge base with ``seed``.

    Each variable is drawn for all ``n`` cases, in the order of ``_draw``, from one
    stream of PCG64(``seed``).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = np.random.Generator(np.random.PCG64(seed))
    return _draw(compile_model(kb), [rng] * _VARIABLES, n, seed, first=0)


def sample_chunks(kb: KnowledgeBase, n: int, seed: int, rows: int = SAMPLE_ROWS) -> Iterator[Cases]:
    """The cases of ``sample_cases(kb, n, seed)``, row for row, in chunks of at most ``rows``: memory stays
    bounded whatever ``n`` (one empty chunk when ``n`` is 0).

    Each variable gets a generator of its own, advanced to where that variable's draws begin
    in the stream :func:`sample_cases` draws from (PCG64.advance; a uniform takes one step), so a
    chunk draws only its own rows. The durations take a varying number of steps (numpy's
    geometric uses the ziggurat below p = 1/3), so the variables after them start where a
    first pass over the deficiencies and durations ends.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    model = compile_model(kb)

    def at(steps: int, state: dict | None = None) -> np.random.Generator:
        bits = np.random.PCG64(seed)
        if state is not None:
            bits.state = state
        bits.advance(steps)
        return np.random.Generator(bits)

    C, L, A = model.context_cols.size, len(model.label_ids), len(model.answer_ids)
    starts = range(0, max(n, 1), rows)
    ctx, lab, days = at(0), at(n * C), at(n * (C + L + A))
    for start in starts:
        model.draw_durations(days, _deficiencies(model, ctx, lab, min(rows, n - start))[1])
    end = days.bit_generator.state
    streams = [at(0), at(n * C), at(n * (C + L)), at(n * (C + L + A)), at(0, end), at(n, end), at(2 * n, end)]
    for start in starts:
        yield _draw(model, streams, min(rows, n - start), seed, first=start)


def _deficiencies(model: NoisyOrModel, ctx: np.random.Generator, lab: np.random.Generator, n: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Context answers (in an (n, A) array, 0 elsewhere) and deficiencies (n, L) of ``n`` cases."""
    C = np.zeros((n, len(model.answer_ids)))
    C[:, model.context_cols] = ctx.random((n, model.context_cols.size)) < model.prevalence[model.context_cols]
    D = np.zeros((n, len(model.label_ids)))
    u_lab = lab.random((n, len(model.label_ids)))
    ctx_term = C @ model.log_rf_ctx  # (n, L), log prod (1 - w)^c
    for l in model.label_order:
        log_none = np.log1p(-model.base_rate[l]) + ctx_term[:, l] + D @ model.log_rf_lab[:, l]
        D[:, l] = u_lab[:, l] < -np.expm1(log_none)
    return C, D


def _draw(model: NoisyOrModel, streams: list[np.random.Generator], n: int, seed: int, first: int) -> Cases:
    """``n`` cases, each variable from its generator in ``streams``: the context answers, the
    deficiencies, the symptoms, the durations, who is sparse, their rate, what is hidden."""
    A = len(model.answer_ids)
    C, D = _deficiencies(model, streams[0], streams[1], n)
    log_q = model.log_leak0 + D @ model.log_link0 + C @ model.log_trig0  # (n, A) log P(no)
    u_sym = streams[2].random((n, A))
    X = C.copy()
    sym = model.symptom_cols
    X[:, sym] = u_sym[:, sym] < -np.expm1(log_q[:, sym])
    X[:, model.inverse_cols] = 1.0 - X[:, model.inverse_cols]
    X[:, model.days_col] = model.draw_durations(streams[3], D)
    # missing completely at random: each answer's own rate, and some people answer only a few
    sparse = streams[4].random(n) < model.sparse_share
    rate = streams[5].uniform(model.sparse_hidden[0], model.sparse_hidden[1], size=n)
    hide_p = np.where(sparse[:, None], np.maximum(rate[:, None], model.missing_rate[None, :]), model.missing_rate)
    hide = streams[6].random((n, A)) < hide_p
    X_obs = np.where(hide, np.nan, X)
    return Cases(X_obs, D.astype(np.uint8), X, model.answer_ids, model.label_ids, seed, first)
