"""The reader of one knowledge-base file: typed access to its entries, every error naming the entry."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Sequence

from .schema import CLINICAL, Cited, KnowledgeBaseError, Source, placeholders
from ..wording import closest

__all__ = ["Reader", "unknown"]

_SOURCE_KEYS = ("doc", "quote", "justification")
_CITED_KEYS = ("text", "source")


def unknown(key: Any, known: Sequence[str], what: str = "key") -> str:
    """The message for an unknown ``key``: the closest known one, or all of them."""
    close = closest(str(key), known)
    hint = f"did you mean '{close}'?" if close else f"known: {', '.join(known)}"
    return f"unknown {what} '{key}' ({hint})"


class Reader:
    """Parses one file; every error names the entry it is about."""

    def __init__(self, path: Path, raw: dict[str, Any], seeds_dir: Path | None):
        self.path = path
        self.raw = raw
        self.scale: dict[str, float] = {}
        self.titles: dict[str, str] = {}
        self.seed_texts: dict[str, str] | None = None
        if seeds_dir is not None and seeds_dir.is_dir():
            self.seed_texts = {
                p.name: _normalise(p.read_text(encoding="utf-8")) for p in seeds_dir.glob("*.txt")
            }

    def fail(self, where: str, what: str) -> KnowledgeBaseError:
        return KnowledgeBaseError(f"{self.path.name}: {where}: {what}")

    def entry(self, value: Any, where: str, keys: Sequence[str] | None = None) -> dict:
        """``value`` as a mapping in which each key is written once and, if ``keys`` are given, is one of them."""
        if not isinstance(value, dict):
            raise self.fail(where, "entry must be a mapping of keys to values")
        twice = getattr(value, "twice", ())
        if twice:
            key, first, again = twice[0]
            lines = f"line {first}" if first == again else f"lines {first} and {again}"
            raise self.fail(where, f"'{key}' is written twice ({lines}): keep one")
        unknown_keys = [key for key in value if key not in keys] if keys is not None else []
        if unknown_keys:
            raise self.fail(where, unknown(unknown_keys[0], keys))
        return value

    def section(self, name: str, kind: type = list, keys: Sequence[str] | None = None) -> Any:
        if name not in self.raw:
            raise self.fail(name, f"missing section '{name}'")
        value = self.raw[name]
        if not isinstance(value, kind):
            raise self.fail(name, f"'{name}' must be a {'list' if kind is list else 'mapping'}")
        return self.entry(value, name, keys) if kind is dict else value

    def get(self, entry: Any, key: str, where: str, kind: type | tuple = str) -> Any:
        if not isinstance(entry, dict):
            raise self.fail(where, "entry must be a mapping of keys to values")
        if key not in entry or entry[key] is None:
            raise self.fail(where, f"missing '{key}'")
        value = entry[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind):
            raise self.fail(where, f"'{key}' must be {getattr(kind, '__name__', kind)}")
        return value

    def probability(self, entry: dict, key: str, where: str, *, named: bool = False) -> float:
        value = entry.get(key) if isinstance(entry, dict) else None
        if value is None:
            raise self.fail(where, f"missing '{key}'")
        if named and isinstance(value, str):
            if value not in self.scale:
                raise self.fail(where, f"{key} '{value}' is not one of {sorted(self.scale)}")
            value = self.scale[value]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"{key} must be a number in (0, 1)")
        if not 0.0 < float(value) < 1.0:
            raise self.fail(where, f"{key} {value} is outside (0, 1)")
        return float(value)

    def source(self, entry: Any, where: str, key: str = "source") -> Source:
        if not isinstance(entry, dict) or not isinstance(entry.get(key), dict):
            raise self.fail(where, f"missing '{key}' (give doc + quote, or doc: clinical + justification)")
        src = self.entry(entry[key], f"{where} {key}", _SOURCE_KEYS)
        doc = src.get("doc")
        if not isinstance(doc, str) or not doc:
            raise self.fail(where, f"{key} has no 'doc'")
        if doc == CLINICAL:
            justification = src.get("justification")
            if not isinstance(justification, str) or not justification.strip():
                raise self.fail(where, "a clinical source needs a one-line 'justification'")
            return Source(doc=doc, justification=justification.strip())
        quote = src.get("quote")
        if not isinstance(quote, str) or not quote.strip():
            raise self.fail(where, f"{key} from '{doc}' has no 'quote'")
        self.verbatim(doc, quote, where, "quote")
        if doc not in self.titles:
            raise self.fail(where, f"seed document '{doc}' has no title: add it under 'sources'")
        return Source(doc=doc, quote=quote.strip(), title=self.titles[doc])

    def verbatim(self, doc: str, text: str, where: str, what: str) -> None:
        """``text`` (a quote or a title) stands verbatim in the seed document ``doc``, when the seeds are read."""
        if self.seed_texts is None:
            return
        if doc not in self.seed_texts:
            raise self.fail(where, f"unknown seed document '{doc}' (known: {sorted(self.seed_texts)})")
        if _normalise(text) not in self.seed_texts[doc]:
            raise self.fail(where, f"{what} {text!r} is not verbatim in {doc}")

    def cited(self, entry: Any, where: str, may: frozenset[str] = frozenset(),
              must: frozenset[str] = frozenset()) -> Cited:
        """A text and its source; the text holds only the placeholders in ``may`` and every one in ``must``."""
        self.entry(entry, where, _CITED_KEYS)
        text = self.get(entry, "text", where).strip()
        self.check_placeholders(text, where, may, must)
        return Cited(text=text, source=self.source(entry, where))

    def check_placeholders(self, text: str, where: str, may: frozenset[str], must: frozenset[str]) -> None:
        try:
            names = placeholders(text)
        except ValueError as exc:
            raise self.fail(where, str(exc)) from None
        allowed = ", ".join("{" + name + "}" for name in sorted(may)) or "none"
        for name in names:
            if name not in may:
                raise self.fail(where, f"placeholder {{{name}}} is not allowed here (allowed: {allowed})")
        for name in sorted(must):
            if name not in names:
                raise self.fail(where, f"the text must hold the placeholder {{{name}}}")

    def flag(self, entry: dict, key: str, where: str, default: bool) -> bool:
        value = entry.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(where, f"'{key}' must be true or false")
        return value

    def known(self, value: str, known: set[str] | tuple[str, ...], where: str, what: str) -> str:
        if value not in known:
            raise self.fail(where, f"unknown {what} '{value}'")
        return value

    def id_list(self, entry: dict, key: str, known: set[str], where: str, what: str) -> tuple[str, ...]:
        values = entry.get(key, [])
        if not isinstance(values, list):
            raise self.fail(where, f"'{key}' must be a list")
        return tuple(self.known(v, known, where, what) for v in values)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
