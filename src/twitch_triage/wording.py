"""Numbers and names as a person reads them: a probability as a whole percent, the known name a slip meant."""

from __future__ import annotations

import difflib
from typing import Iterable

__all__ = ["percent", "closest"]


def percent(p: float, *, below_one: bool = False) -> str:
    """``p`` as a whole percent: ``0.237`` -> ``"24%"``.

    With ``below_one``, a probability above zero that would round to ``"0%"`` reads ``"<1%"``: a report to a
    doctor must not say that a possible cause has no chance at all.
    """
    return "<1%" if below_one and 0 < p < 0.005 else f"{100 * p:.0f}%"


def closest(word: str, known: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The one name of ``known`` that ``word`` most likely misspells ("did you mean ...?"), or None.

    ``cutoff`` is :func:`difflib.get_close_matches`'s: how alike (0 to 1) the two must be at least.
    """
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=cutoff)
    return close[0] if close else None
