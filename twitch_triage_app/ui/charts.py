"""Altair charts for the app: one function per chart, data in, chart out."""

from __future__ import annotations

from typing import Mapping

import altair as alt
import pandas as pd

from twitch_triage import contract
from twitch_triage.triage import Assessment

__all__ = ["probabilities_chart", "dispositions_chart", "LEVEL_COLOURS", "LEVEL_NAMES", "ASSUMED",
           "ASSUMED_CAPTION"]

LEVEL_COLOURS = {"emergency": "#b42318", "urgent": "#dc6803", "see_doctor": "#d9a514", "self_care": "#3b8a5a"}
LEVEL_NAMES = {"emergency": "Emergency", "urgent": "Urgent", "see_doctor": "See a doctor", "self_care": "Self-care"}
_LIKELY, _BELOW = "more likely than not", "less likely"
ASSUMED = "Model assumes"  # the tooltip of a label's base rate: the share the model assumes, not a measured one
ASSUMED_CAPTION = ("the share of people with twitching that the model assumes lack each one, an assumption made to "
                   "build it, not a measured figure.")  # what the ticks show, for a chart's caption


def probabilities_chart(assessment: Assessment) -> alt.LayerChart:
    """Horizontal bars of the ten probabilities, most probable on top, the share the model assumes lack each (its
    base rate) as a tick."""
    rows = pd.DataFrame(
        {
            "label": [r.name for r in assessment.labels],
            "probability": [r.probability for r in assessment.labels],
            "assumed": [r.prevalence for r in assessment.labels],
            "status": [_LIKELY if r.likely else _BELOW for r in assessment.labels],
        }
    )
    order = rows["label"].tolist()  # already most probable first
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=160))
    tooltip = [
        alt.Tooltip("label:N", title="Nutrient"),
        alt.Tooltip("probability:Q", title="Probability", format=".0%"),
        alt.Tooltip("assumed:Q", title=ASSUMED, format=".0%"),
    ]
    bars = alt.Chart(rows).mark_bar(cornerRadiusEnd=3, height=16).encode(
        y=y,
        x=alt.X("probability:Q", title="Probability", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1], labelFlush=True)),
        color=alt.Color(
            "status:N",
            title=None,
            scale=alt.Scale(domain=[_LIKELY, _BELOW], range=["#2f6f8f", "#b8cbd6"]),
            legend=alt.Legend(orient="bottom", direction="vertical"),  # one entry a line: fits a phone
        ),
        tooltip=tooltip,
    )
    ticks = alt.Chart(rows).mark_tick(color="#1f2933", thickness=2, size=22).encode(
        y=y, x="assumed:Q", tooltip=tooltip
    )
    # The axis labels and the legend count in the width, so at a phone's width nothing is cut off.
    return (bars + ticks).properties(height=alt.Step(26), autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def dispositions_chart(counts: Mapping[str, int]) -> alt.Chart:
    """Rows per triage level (``{level: count}``), most severe first, in the banner colours."""
    rows = pd.DataFrame(
        {"level": [LEVEL_NAMES[level] for level in contract.LEVELS], "rows": [int(counts.get(lv, 0)) for lv in contract.LEVELS]}
    )
    return alt.Chart(rows).mark_bar(cornerRadiusEnd=3, height=18).encode(
        y=alt.Y("level:N", sort=rows["level"].tolist(), title=None),
        x=alt.X("rows:Q", title="Rows", axis=alt.Axis(tickMinStep=1, tickCount=6)),
        color=alt.Color(
            "level:N",
            scale=alt.Scale(domain=rows["level"].tolist(), range=[LEVEL_COLOURS[lv] for lv in contract.LEVELS]),
            legend=None,
        ),
        tooltip=["level:N", "rows:Q"],
    ).properties(height=alt.Step(28))
