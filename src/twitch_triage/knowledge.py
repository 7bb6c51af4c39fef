"""Load and validate the knowledge base into frozen dataclasses."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from . import config

__all__ = [
    "KnowledgeBaseError",
    "Source",
    "Cited",
    "Answer",
    "Label",
    "Link",
    "RiskFactor",
    "Trigger",
    "Level",
    "RedFlagRule",
    "Pattern",
    "Duration",
    "Missingness",
    "KnowledgeBase",
    "load",
    "load_default",
]

_ROLES = ("symptom", "context", "days")
_CLINICAL = "clinical"


class KnowledgeBaseError(ValueError):
    """The knowledge base file is unusable; the message names the bad entry."""


@dataclass(frozen=True)
class Source:
    """Where a piece of content comes from: a seed sentence, or clinical knowledge."""

    doc: str
    quote: str | None = None
    justification: str | None = None

    @property
    def from_seeds(self) -> bool:
        return self.doc != _CLINICAL

    def cite(self) -> str:
        """One line for people: the quote and its document, or the justification."""
        if self.from_seeds:
            return f"\u201c{self.quote}\u201d ({self.doc})"
        return f"General clinical knowledge, not from the seeds: {self.justification}"


@dataclass(frozen=True)
class Cited:
    text: str
    source: Source


@dataclass(frozen=True)
class Answer:
    id: str
    group: str
    role: str
    question: str
    help: str
    missing_rate: float
    leak: float = 0.0
    prevalence: float = 0.0


@dataclass(frozen=True)
class Label:
    id: str
    name: str
    base_rate: float
    role: Cited
    tests: tuple[Cited, ...]
    foods: Cited
    advice: Cited


@dataclass(frozen=True)
class Link:
    label: str
    answer: str
    strength: float
    source: Source


@dataclass(frozen=True)
class RiskFactor:
    cause: str  # a context answer, or a label
    label: str
    strength: float
    source: Source


@dataclass(frozen=True)
class Trigger:
    cause: str  # a context answer
    answer: str  # a symptom answer
    strength: float
    source: Source


@dataclass(frozen=True)
class Level:
    id: str
    title: str
    action: str
    source: Source


@dataclass(frozen=True)
class RedFlagRule:
    id: str
    level: str
    reason: str
    kind: str  # "any_yes" | "count_yes" | "above"
    answers: tuple[str, ...]
    threshold: float
    source: Source


@dataclass(frozen=True)
class Pattern:
    all_yes: tuple[str, ...]
    any_yes: tuple[str, ...]
    also_any_yes: tuple[str, ...]
    labels: tuple[str, ...]
    source: Source


@dataclass(frozen=True)
class Duration:
    answer: str
    mean_days_without_deficiency: float
    mean_days_with_deficiency: float
    source: Source


@dataclass(frozen=True)
class Missingness:
    """How answers are left unknown beyond each answer's own missing rate."""

    sparse_share: float = 0.0
    sparse_hidden_min: float = 0.0
    sparse_hidden_max: float = 0.0


@dataclass(frozen=True)
class Group:
    id: str
    title: str
    missing_rate: float


@dataclass(frozen=True)
class KnowledgeBase:
    """The whole knowledge base, validated. Tuples keep the file's order."""

    path: str
    sha256: str
    groups: tuple[Group, ...]
    answers: tuple[Answer, ...]
    labels: tuple[Label, ...]
    links: tuple[Link, ...]
    risk_factors: tuple[RiskFactor, ...]
    triggers: tuple[Trigger, ...]
    levels: tuple[Level, ...]
    red_flags: tuple[RedFlagRule, ...]
    patterns: tuple[Pattern, ...]
    duration: Duration
    plan_title: str
    plan: tuple[Cited, ...]
    plan_note: Cited
    disclaimer: Cited
    missingness: Missingness = field(default_factory=Missingness)
    sources: tuple[tuple[str, str], ...] = field(default=())  # (seed file, article title)
    assumptions: tuple[tuple[str, str], ...] = field(default=())

    @property
    def answer_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.answers)

    @property
    def label_ids(self) -> tuple[str, ...]:
        return tuple(label.id for label in self.labels)

    def answer(self, answer_id: str) -> Answer:
        return next(a for a in self.answers if a.id == answer_id)

    def label(self, label_id: str) -> Label:
        return next(label for label in self.labels if label.id == label_id)

    def level(self, level_id: str) -> Level:
        return next(level for level in self.levels if level.id == level_id)

    def links_for(self, label_id: str) -> tuple[Link, ...]:
        return tuple(link for link in self.links if link.label == label_id)


# --------------------------------------------------------------------------- parsing


class _Reader:
    """Parses one file; every error names the entry it is about."""

    def __init__(self, path: Path, raw: dict[str, Any], seeds_dir: Path | None):
        self.path = path
        self.raw = raw
        self.scale: dict[str, float] = {}
        self.seed_texts: dict[str, str] | None = None
        if seeds_dir is not None and seeds_dir.is_dir():
            self.seed_texts = {
                p.name: _normalise(p.read_text(encoding="utf-8")) for p in seeds_dir.glob("*.txt")
            }

    def fail(self, where: str, what: str) -> KnowledgeBaseError:
        return KnowledgeBaseError(f"{self.path.name}: {where}: {what}")

    def section(self, name: str, kind: type = list) -> Any:
        if name not in self.raw:
            raise self.fail(name, f"missing section '{name}'")
        value = self.raw[name]
        if not isinstance(value, kind):
            raise self.fail(name, f"'{name}' must be a {'list' if kind is list else 'mapping'}")
        return value

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
        src = entry[key]
        doc = src.get("doc")
        if not isinstance(doc, str) or not doc:
            raise self.fail(where, f"{key} has no 'doc'")
        if doc == _CLINICAL:
            justification = src.get("justification")
            if not isinstance(justification, str) or not justification.strip():
                raise self.fail(where, "a clinical source needs a one-line 'justification'")
            return Source(doc=doc, justification=justification.strip())
        quote = src.get("quote")
        if not isinstance(quote, str) or not quote.strip():
            raise self.fail(where, f"{key} from '{doc}' has no 'quote'")
        if self.seed_texts is not None:
            if doc not in self.seed_texts:
                raise self.fail(where, f"unknown seed document '{doc}' (known: {sorted(self.seed_texts)})")
            if _normalise(quote) not in self.seed_texts[doc]:
                raise self.fail(where, f"quote {quote!r} is not verbatim in {doc}")
        return Source(doc=doc, quote=quote.strip())

    def cited(self, entry: Any, where: str) -> Cited:
        return Cited(text=self.get(entry, "text", where).strip(), source=self.source(entry, where))

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


def _parse(reader: _Reader, sha256: str) -> KnowledgeBase:
    r = reader
    raw_scale = r.section("strength_scale", dict)
    for name, value in raw_scale.items():
        r.scale[name] = r.probability(raw_scale, name, f"strength_scale.{name}")

    groups = []
    for i, g in enumerate(r.section("groups")):
        where = f"groups[{i}]"
        gid = r.get(g, "id", where)
        groups.append(Group(gid, r.get(g, "title", f"group {gid}"), r.probability(g, "missing_rate", f"group {gid}")))
    group_rates = {g.id: g.missing_rate for g in groups}

    answers: list[Answer] = []
    for i, a in enumerate(r.section("answers")):
        aid = r.get(a, "id", f"answers[{i}]")
        where = f"answer {aid}"
        if aid in {x.id for x in answers}:
            raise r.fail(where, "duplicate id")
        group = r.known(r.get(a, "group", where), set(group_rates), where, "group")
        role = r.known(r.get(a, "role", where), _ROLES, where, "role")
        missing = r.probability(a, "missing_rate", where) if "missing_rate" in a else group_rates[group]
        answers.append(
            Answer(
                id=aid,
                group=group,
                role=role,
                question=r.get(a, "question", where).strip(),
                help=r.get(a, "help", where).strip(),
                missing_rate=missing,
                leak=r.probability(a, "leak", where) if role == "symptom" else 0.0,
                prevalence=r.probability(a, "prevalence", where) if role == "context" else 0.0,
            )
        )
    answer_ids = {a.id for a in answers}
    missing_answers = [a for a in config.ANSWERS if a not in answer_ids]
    if missing_answers:
        raise r.fail("answers", f"the contract's answer '{missing_answers[0]}' is missing")
    roles = {a.id: a.role for a in answers}
    if roles[config.DAYS_ANSWER] != "days" or sum(role == "days" for role in roles.values()) != 1:
        raise r.fail("answers", f"exactly one answer, '{config.DAYS_ANSWER}', has role 'days'")
    symptoms = {a for a, role in roles.items() if role == "symptom"}
    contexts = {a for a, role in roles.items() if role == "context"}

    labels: list[Label] = []
    for i, entry in enumerate(r.section("labels")):
        lid = r.get(entry, "id", f"labels[{i}]")
        where = f"label {lid}"
        r.known(lid, set(config.LABELS), where, "label (not in the contract)")
        tests = entry.get("tests")
        if not isinstance(tests, list) or not tests:
            raise r.fail(where, "missing 'tests' (a list of the tests to ask for)")
        labels.append(
            Label(
                id=lid,
                name=r.get(entry, "name", where),
                base_rate=r.probability(entry, "base_rate", where),
                role=Cited(r.get(entry, "role", where).strip(), r.source(entry, where, "role_source")),
                tests=tuple(r.cited(t, f"{where} tests[{j}]") for j, t in enumerate(tests)),
                foods=r.cited(r.get(entry, "foods", where, dict), f"{where} foods"),
                advice=r.cited(r.get(entry, "advice", where, dict), f"{where} advice"),
            )
        )
    by_id = {label.id: label for label in labels}
    if len(by_id) != len(labels):
        raise r.fail("labels", "duplicate label id")
    missing_labels = [lid for lid in config.LABELS if lid not in by_id]
    if missing_labels:
        raise r.fail("labels", f"the contract's label '{missing_labels[0]}' is missing")
    labels = [by_id[lid] for lid in config.LABELS]  # contract order
    label_ids = set(config.LABELS)

    links = []
    seen_links = set()
    for i, entry in enumerate(r.section("links")):
        where = f"links[{i}]"
        label = r.known(r.get(entry, "label", where), label_ids, where, "label")
        answer = r.get(entry, "answer", where)
        where = f"links[{i}] ({label} -> {answer})"
        r.known(answer, symptoms, where, "symptom answer")
        if (label, answer) in seen_links:
            raise r.fail(where, "duplicate link")
        seen_links.add((label, answer))
        links.append(Link(label, answer, r.probability(entry, "strength", where, named=True), r.source(entry, where)))

    risk_factors = []
    for i, entry in enumerate(r.section("risk_factors")):
        where = f"risk_factors[{i}]"
        cause = r.get(entry, "cause", where)
        label = r.get(entry, "label", where)
        where = f"risk_factors[{i}] ({cause} -> {label})"
        r.known(cause, contexts | label_ids, where, "cause (a context answer or a label)")
        r.known(label, label_ids, where, "label")
        if cause == label:
            raise r.fail(where, "a label cannot raise itself")
        risk_factors.append(RiskFactor(cause, label, r.probability(entry, "strength", where, named=True), r.source(entry, where)))
    _check_acyclic(r, risk_factors)

    triggers = []
    for i, entry in enumerate(r.section("triggers")):
        where = f"triggers[{i}]"
        cause = r.get(entry, "cause", where)
        answer = r.get(entry, "answer", where)
        where = f"triggers[{i}] ({cause} -> {answer})"
        r.known(cause, contexts, where, "cause (a context answer)")
        r.known(answer, symptoms, where, "symptom answer")
        triggers.append(Trigger(cause, answer, r.probability(entry, "strength", where, named=True), r.source(entry, where)))
    both = {t.cause for t in triggers} & {f.cause for f in risk_factors}
    if both:
        raise r.fail(
            "triggers",
            f"context answer '{sorted(both)[0]}' both raises a deficiency and triggers a sign; "
            "the exact oracle needs the two sets apart (use one or the other)",
        )

    levels = []
    for i, entry in enumerate(r.section("levels")):
        lid = r.get(entry, "id", f"levels[{i}]")
        where = f"level {lid}"
        levels.append(Level(lid, r.get(entry, "title", where), r.get(entry, "action", where), r.source(entry, where)))
    if tuple(level.id for level in levels) != config.LEVELS:
        raise r.fail("levels", f"levels must be exactly {list(config.LEVELS)}, most severe first")

    red_flags = []
    for i, entry in enumerate(r.section("red_flags")):
        rid = r.get(entry, "id", f"red_flags[{i}]")
        where = f"red flag {rid}"
        if rid in {f.id for f in red_flags}:
            raise r.fail(where, "duplicate id")
        level = r.known(r.get(entry, "level", where), config.LEVELS, where, "level")
        when = r.get(entry, "when", where, dict)
        if "any_yes" in when:
            kind, ids, threshold = "any_yes", r.id_list(when, "any_yes", answer_ids, where, "answer"), 1.0
        elif "yes_count_at_least" in when:
            kind, ids = "count_yes", r.id_list(when, "of", answer_ids, where, "answer")
            threshold = float(r.get(when, "yes_count_at_least", where, int))
        elif "above" in when:
            kind = "above"
            ids = (r.known(r.get(when, "answer", where), answer_ids, where, "answer"),)
            threshold = float(r.get(when, "above", where, (int, float)))
        else:
            raise r.fail(where, "'when' needs 'any_yes', 'yes_count_at_least' + 'of', or 'answer' + 'above'")
        if not ids:
            raise r.fail(where, "names no answer")
        red_flags.append(RedFlagRule(rid, level, r.get(entry, "reason", where), kind, ids, threshold, r.source(entry, where)))

    patterns = []
    for i, entry in enumerate(r.section("patterns")):
        where = f"patterns[{i}]"
        pattern = Pattern(
            all_yes=r.id_list(entry, "all_yes", answer_ids, where, "answer"),
            any_yes=r.id_list(entry, "any_yes", answer_ids, where, "answer"),
            also_any_yes=r.id_list(entry, "also_any_yes", answer_ids, where, "answer"),
            labels=r.id_list(entry, "labels", label_ids, where, "label"),
            source=r.source(entry, where),
        )
        if not pattern.labels or not (pattern.all_yes or pattern.any_yes):
            raise r.fail(where, "a pattern needs labels and at least one answer")
        patterns.append(pattern)

    d = r.section("duration", dict)
    duration = Duration(
        answer=r.known(r.get(d, "answer", "duration"), {config.DAYS_ANSWER}, "duration", "answer"),
        mean_days_without_deficiency=float(r.get(d, "mean_days_without_deficiency", "duration", (int, float))),
        mean_days_with_deficiency=float(r.get(d, "mean_days_with_deficiency", "duration", (int, float))),
        source=r.source(d, "duration"),
    )
    if min(duration.mean_days_without_deficiency, duration.mean_days_with_deficiency) <= 0:
        raise r.fail("duration", "mean days must be positive")

    plan = r.section("plan", dict)
    steps = plan.get("steps")
    if not isinstance(steps, list) or not steps:
        raise r.fail("plan", "missing 'steps'")
    disclaimer = r.section("disclaimer", dict)
    assumptions = r.raw.get("assumptions", {}) or {}
    raw_missing = r.raw.get("missingness") or {}
    if not isinstance(raw_missing, dict):
        raise r.fail("missingness", "'missingness' must be a mapping")
    missingness = Missingness(**{
        key: r.probability(raw_missing, key, f"missingness.{key}")
        for key in ("sparse_share", "sparse_hidden_min", "sparse_hidden_max") if key in raw_missing
    })
    if missingness.sparse_hidden_min > missingness.sparse_hidden_max:
        raise r.fail("missingness", "sparse_hidden_min is above sparse_hidden_max")

    return KnowledgeBase(
        path=str(r.path),
        sha256=sha256,
        groups=tuple(groups),
        answers=tuple(answers),
        labels=tuple(labels),
        links=tuple(links),
        risk_factors=tuple(risk_factors),
        triggers=tuple(triggers),
        levels=tuple(levels),
        red_flags=tuple(red_flags),
        patterns=tuple(patterns),
        duration=duration,
        plan_title=r.get(plan, "title", "plan"),
        plan=tuple(r.cited(s, f"plan.steps[{j}]") for j, s in enumerate(steps)),
        plan_note=r.cited(r.get(plan, "note", "plan", dict), "plan.note"),
        disclaimer=r.cited(disclaimer, "disclaimer"),
        missingness=missingness,
        sources=tuple((str(k), str(v)) for k, v in (r.raw.get("sources") or {}).items()),
        assumptions=tuple((str(k), str(v)) for k, v in assumptions.items()),
    )


def _check_acyclic(r: _Reader, risk_factors: list[RiskFactor]) -> None:
    parents: dict[str, set[str]] = {}
    for f in risk_factors:
        if f.cause in config.LABELS:
            parents.setdefault(f.label, set()).add(f.cause)
    state: dict[str, int] = {}

    def visit(node: str, path: tuple[str, ...]) -> None:
        if state.get(node) == 1:
            raise r.fail("risk_factors", f"labels raise each other in a cycle: {' -> '.join(path + (node,))}")
        if state.get(node) == 2:
            return
        state[node] = 1
        for p in sorted(parents.get(node, ())):
            visit(p, path + (node,))
        state[node] = 2

    for label in config.LABELS:
        visit(label, ())


def load(path: str | Path, seeds_dir: str | Path | None = None) -> KnowledgeBase:
    """Read and validate a knowledge base file.

    Parameters
    ----------
    path : path of the YAML file.
    seeds_dir : folder of the seed documents; when given (or found as
        ``seeds/`` beside the file), every quote must be verbatim in its seed.

    Raises
    ------
    KnowledgeBaseError
        One line naming the bad entry and what is wrong with it.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KnowledgeBaseError(f"cannot read the knowledge base {path}: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise KnowledgeBaseError(f"{path.name}: not valid UTF-8 YAML: {first}") from None
    if not isinstance(raw, dict):
        raise KnowledgeBaseError(f"{path.name}: the file must be a mapping of sections")
    seeds = Path(seeds_dir) if seeds_dir is not None else path.parent / "seeds"
    return _parse(_Reader(path, raw, seeds), hashlib.sha256(data).hexdigest())


@lru_cache(maxsize=4)
def _load_cached(path: str, mtime_ns: int) -> KnowledgeBase:
    return load(path)


def load_default(path: str | Path | None = None) -> KnowledgeBase:
    """The project's knowledge base, cached until the file changes."""
    p = Path(path) if path is not None else config.KB_PATH
    try:
        mtime = p.stat().st_mtime_ns
    except OSError:
        mtime = -1
    return _load_cached(str(p), mtime)
