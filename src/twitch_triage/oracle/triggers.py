"""The lifestyle triggers left unknown, summed out of the answers' likelihood for the exact posterior."""

from __future__ import annotations

import numpy as np

__all__ = ["sum_out_triggers"]


def sum_out_triggers(x1: np.ndarray, xt: np.ndarray, log_yes: np.ndarray, coef: np.ndarray,
                     prevalence: np.ndarray) -> np.ndarray:
    """log P(trigger-linked symptom answers | state), trigger answers summed out.

    A "no" is linear in the log over both the state and the triggers, so it
    splits into a state term and a per-trigger coefficient; an unknown trigger
    that causes none of the case's "yes" signs then sums out in closed form.
    Only unknown triggers behind a "yes" are enumerated, per group of cases
    sharing them and the known trigger values. The "no" answers' state term is
    not here (the caller's linear table holds it).

    Parameters
    ----------
    x1 : ndarray of shape (n_samples, J1)
        The answers of the trigger-linked signs (1 yes, 0 no, NaN unknown).
    xt : ndarray of shape (n_samples, T)
        The answers of the triggers.
    log_yes : ndarray of shape (J1, 2^T, 2^L)
        log P(yes) of each sign, per trigger configuration and deficiency state.
    coef : ndarray of shape (T, J1)
        log(1 - strength) of each trigger -> sign.
    prevalence : ndarray of shape (T,)
        P(yes) of each trigger.

    Returns
    -------
    ndarray of shape (n_samples, 2^L)
    """
    n = x1.shape[0]
    T = xt.shape[1]
    B, prev = coef, prevalence
    yes1, no1 = (x1 == 1).astype(float), (x1 == 0).astype(float)
    out = np.zeros((n, log_yes.shape[2]))
    c = no1 @ B.T  # (n, T): "no" answers: what each present trigger adds

    unknown = np.isnan(xt)
    known_yes = xt == 1
    relevant = unknown & ((yes1 @ (B != 0).T) > 0)
    closed = unknown & ~relevant
    const = np.where(known_yes, c, 0.0).sum(axis=1)
    const += np.where(closed, np.log1p(prev * np.expm1(c)), 0.0).sum(axis=1)
    out += const[:, None]

    bits = 1 << np.arange(T)
    has_yes = yes1.any(axis=1)
    key = (relevant @ bits) * (1 << T) + (known_yes @ bits)
    key = np.where(has_yes, key, -1)
    for k in np.unique(key):
        if k < 0:
            continue  # no "yes" among trigger-linked signs: nothing to enumerate
        rows = np.flatnonzero(key == k)
        rel_mask, base = divmod(int(k), 1 << T)
        rel = np.flatnonzero((rel_mask >> np.arange(T)) & 1)
        subsets = np.array([sum(1 << int(rel[i]) for i in range(rel.size) if (m >> i) & 1)
                            for m in range(1 << rel.size)], dtype=np.int64)
        cfg = base | subsets  # (k,)
        on = ((subsets[:, None] >> rel[None, :]) & 1).astype(bool)  # (k, |rel|)
        # per row and configuration: prior of the relevant unknown triggers and their "no" terms
        logw = np.where(on[None, :, :], np.log(prev[rel])[None, None, :] + c[rows][:, None, :][:, :, rel],
                        np.log1p(-prev[rel])[None, None, :]).sum(axis=2)  # (rows, k)
        sub = log_yes[:, cfg, :].reshape(log_yes.shape[0], -1)  # (J1, k * 2^L)
        ll = (yes1[rows] @ sub).reshape(rows.size, cfg.size, -1) + logw[:, :, None]
        if cfg.size == 1:
            out[rows] += ll[:, 0, :]
        else:
            m = ll.max(axis=1, keepdims=True)
            out[rows] += m[:, 0, :] + np.log(np.exp(ll - m).sum(axis=1))
    return out
