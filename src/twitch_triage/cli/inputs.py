"""What the commands read: the knowledge base, the checked model, and the answers given as JSON."""

from __future__ import annotations

import argparse
import sys

from ..settings import Settings

__all__ = ["load_kb", "load_predictor", "warn_stale", "read_answers"]


def load_kb(args: argparse.Namespace, settings: Settings):
    """The knowledge base of ``--kb``, else the settings' one."""
    from .. import knowledge

    return knowledge.load_default(settings.kb_path if args.kb is None else args.kb)


def warn_stale() -> None:
    from ..model.manifest import STALE_WARNING

    print(f"twitch-triage: warning: {STALE_WARNING}", file=sys.stderr)


def load_predictor(args: argparse.Namespace, kb, settings: Settings):
    """The model from ``--model DIR`` (else the settings' folder), checked, also against the knowledge base's
    answers and labels; warns on stderr if the knowledge base changed."""
    from ..model import artifact

    predictor = artifact.load(args.model or settings.models_dir, kb=kb)
    if predictor.stale:
        warn_stale()
    return predictor


class _Repeated(ValueError):
    """A JSON object names the same key twice."""


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """``object_pairs_hook`` that refuses a key given twice: JSON keeps the last value without a word, and a
    warning sign answered "yes" then "no" would vanish."""
    found: dict = {}
    for key, value in pairs:
        if key in found:
            raise _Repeated(key)
        found[key] = value
    return found


def read_answers(given: str | None) -> dict:
    """The answers of ``next`` and ``report``: one JSON object given on the command line, or read from standard
    input (None or ``-``), each key once. Numbers (and NaN, Infinity) are kept as the text they are written in,
    so that a value is judged as the same text in a CSV cell is (``1e308`` and ``NaN`` are not a number of days
    there)."""
    import json

    from ..answers import quote
    from ..io.files import InputError

    text = sys.stdin.read() if given in (None, "-") else given
    example = """give one JSON object of answers, e.g. '{"loc_eyelid": "yes"}'"""
    try:
        answers = json.loads(text, object_pairs_hook=_unique_keys, parse_float=str, parse_int=str,
                             parse_constant=str)
    except json.JSONDecodeError as exc:
        raise InputError(f"the answers are not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno}): "
                         f"{example}") from None
    except _Repeated as exc:
        raise InputError(f"the answers give {quote(exc.args[0])} more than once: give each answer once") from None
    except RecursionError:
        raise InputError(f"the answers are nested too deeply to be answers: {example}") from None
    if not isinstance(answers, dict):
        kind = {list: "a list", str: "text", bool: "true or false", type(None): "null"}.get(type(answers), "a number")
        if isinstance(answers, str) and text.strip()[:1] != '"':  # a bare number, read as its text
            kind = "a number"
        raise InputError(f"the answers are {kind}, not a JSON object: {example}")
    return answers
