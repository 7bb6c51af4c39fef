"""Driving the "Check a case" page through AppTest: the form that asks everything at once, and reading its result."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from twitch_triage import contract

APP = Path(__file__).resolve().parents[1] / "app.py"

# The contract's checklist: every answer that reaches urgent or emergency on its own.
WARNING_SIGNS = ("breathing_difficulty", "swallowing_or_speech_difficulty", "chest_pain", "fainting", "seizure",
                 "confusion", "sudden_weakness", "irregular_heartbeat", "tetany", "dark_urine", "calf_swelling",
                 "weakness_worsening")
ALERTS = ("error", "warning", "success")
_READ = ("markdown", "caption", "header", "subheader", "title", "info", *ALERTS)  # elements that hold text to read


def all_at_once(at: AppTest) -> AppTest:
    """Switch the page to answering everything at once."""
    return at.toggle(key="all_at_once").set_value(True).run()


def answer(at: AppTest, case: dict, *, none_of_these: bool = False) -> AppTest:
    """On the page that asks everything at once: "None of these" first if asked for, then each answer of ``case``
    by its key (a warning sign as yes / no / unknown, like any other), and check."""
    if not at.toggle(key="all_at_once").value:
        at = all_at_once(at)
    if none_of_these:
        at = at.button(key="none_of_these").click().run()
    for key, value in case.items():
        if key == contract.DAYS_ANSWER:
            at.number_input(key=key).set_value(value)
        else:
            at.radio(key=key).set_value(value)
    return at.button(key="check").click().run()


def all_markdown(at: AppTest) -> str:
    return "\n".join(md.value for md in at.markdown)


def shown_text(at: AppTest) -> str:
    """Every text of the main area a person reads: markdown, captions, headings, alerts, notes and expander
    labels."""
    parts = []
    for node in at.main:
        value = getattr(node, "value", None)
        if node.type in _READ and isinstance(value, str):
            parts.append(value)
    parts += [expander.label for expander in at.expander]
    return "\n".join(parts)


def order(at: AppTest) -> list[str]:
    """Element types of the main area in the order a reader meets them."""
    return [node.type for node in at.main]


def first(types: list[str], wanted: str) -> int:
    return next(i for i, t in enumerate(types) if wanted in t)


def result_nodes(at: AppTest) -> list:
    """The elements of the result, from its heading on, in reading order."""
    nodes = list(at.main)
    start = next(i for i, n in enumerate(nodes) if n.type == "header" and n.value == "Your result")
    return nodes[start + 1:]


def advice(at: AppTest) -> str:
    """The advice banner of the result (the first coloured alert under its heading)."""
    return next(n.value for n in result_nodes(at) if n.type in ALERTS)


def opened_at(params: dict, small_model_dir, use_model) -> AppTest:
    """The app, with the small model, opened at an address holding ``params``."""
    use_model(small_model_dir)
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()
