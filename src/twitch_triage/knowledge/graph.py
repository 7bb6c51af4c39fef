"""The labels that raise each other (risk factors between labels): parents first, or the cycle."""

from __future__ import annotations

from typing import Iterable, Sequence

from .schema import RiskFactor

__all__ = ["label_order"]


def label_order(labels: Sequence[str], risk_factors: Iterable[RiskFactor]) -> tuple[str, ...]:
    """``labels`` in an order in which every label comes after the labels that raise it.

    Depth first from each label in turn, its parents in sorted order: the knowledge base checks with
    it that labels do not raise each other in a cycle, and the generator draws the labels in its order.

    Parameters
    ----------
    labels : the label ids.
    risk_factors : the risk factors; those whose cause is one of ``labels`` are the edges.

    Raises
    ------
    ValueError
        The labels raise each other in a cycle; the message names it (``a -> b -> a``).
    """
    parents: dict[str, set[str]] = {}
    for f in risk_factors:
        if f.cause in labels:
            parents.setdefault(f.label, set()).add(f.cause)
    state: dict[str, int] = {}  # 1 on the path being walked, 2 done
    order: list[str] = []

    def visit(node: str, path: tuple[str, ...]) -> None:
        if state.get(node) == 1:
            raise ValueError(f"labels raise each other in a cycle: {' -> '.join(path + (node,))}")
        if state.get(node) == 2:
            return
        state[node] = 1
        for p in sorted(parents.get(node, ())):
            visit(p, path + (node,))
        state[node] = 2
        order.append(node)

    for label in labels:
        visit(label, ())
    return tuple(order)
