"""Load and validate the knowledge base into frozen dataclasses."""

from __future__ import annotations

import difflib
import hashlib
import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Sequence

import yaml

from .. import contract
from ..settings import Settings

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
    "PLACEHOLDERS",
    "TEXTS",
]

_ROLES = ("symptom", "context", "days")
_CLINICAL = "clinical"

# The placeholders a text may hold, and what the program puts in them (values, not medical facts).
PLACEHOLDERS: dict[str, str] = {
    "emergency_number": "the emergency number to call (Settings.emergency_number_text)",
    "percent": "a share of people, written with its % sign (\"12%\")",
    "sign": "a warning sign, as its question puts it",
    "action": "a level's short `if_unsure` action",
}
_NUMBER = frozenset({"emergency_number"})
# The texts of the `texts:` section: name -> (the placeholders it may hold, those it must hold).
TEXTS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "ambulance": (_NUMBER, _NUMBER),
    "nutrients_only": (_NUMBER, frozenset()),
    "supplement_warning": (_NUMBER, frozenset()),
    "base_rate": (frozenset({"percent"}), frozenset({"percent"})),
    "nothing_lacking": (_NUMBER, frozenset()),
    "nothing_lacking_triggers": (_NUMBER, frozenset()),
    "see_doctor_anyway": (_NUMBER, frozenset()),
    "unsure_sign": (frozenset({"sign", "action"}), frozenset({"sign", "action"})),
}
# The placeholders of the levels' texts: (may hold, must hold).
_LEVEL_TEXTS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "safety_net": (_NUMBER, _NUMBER),
    "if_unsure": (_NUMBER, frozenset()),
}


class KnowledgeBaseError(ValueError):
    """The knowledge base file is unusable; the message names the bad entry."""


@dataclass(frozen=True)
class Source:
    """Where a piece of content comes from: a seed sentence (its document's file and article title), or
    clinical knowledge."""

    doc: str
    quote: str | None = None
    justification: str | None = None
    title: str | None = None

    @property
    def from_seeds(self) -> bool:
        return self.doc != _CLINICAL

    def cite(self) -> str:
        """One line for people: the quote and the title of its article, or the justification."""
        if self.from_seeds:
            return f"\u201c{self.quote}\u201d ({self.title or self.doc})"
        return f"General clinical knowledge (not in the two source articles): {self.justification}"


def placeholders(text: str) -> tuple[str, ...]:
    """The names of the ``{placeholders}`` in ``text``, in order; ValueError for a brace that is not one
    (``{}``, ``{0}``, ``{a.b}``, ``{a:>3}``, a lone ``{`` or ``}``)."""
    names = []
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        raise ValueError("a lone '{' or '}' brace: write {{ or }} for a brace, or {name} for a placeholder") from None
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"'{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}' is not "
                             "a placeholder: write {name} with a name of letters and underscores")
        names.append(name)
    return tuple(names)


@dataclass(frozen=True)
class Cited:
    """A text people read, and its source. The text may hold ``{placeholders}`` (see :data:`PLACEHOLDERS`),
    checked on load; :meth:`fill` puts the values in."""

    text: str
    source: Source

    def fill(self, **values: object) -> str:
        """The text with its placeholders filled.

        ``emergency_number`` defaults to the configured number (``Settings.emergency_number_text``);
        any other placeholder the text holds must be given. Values for placeholders the text does not
        hold are ignored, so a caller may always pass the emergency number.

        Raises
        ------
        ValueError
            A value is given for a name that is no placeholder at all, or one the text needs is missing.
        """
        unknown = sorted(set(values) - set(PLACEHOLDERS))
        if unknown:
            raise ValueError(f"unknown placeholder '{unknown[0]}' (known: {', '.join(PLACEHOLDERS)})")
        names = placeholders(self.text)
        given = {name: str(value) for name, value in values.items() if value is not None}
        if "emergency_number" in names and "emergency_number" not in given:
            given["emergency_number"] = Settings.from_environment().emergency_number_text
        missing = [name for name in names if name not in given]
        if missing:
            raise ValueError(f"the text needs a value for '{missing[0]}'")
        return self.text.format_map(given)


@dataclass(frozen=True)
class Answer:
    """One question. A symptom with ``inverse`` is modelled by its "no" (see the knowledge base's
    ``assumptions.inverse``); ``source`` says where a question beyond the links' signs comes from."""

    id: str
    group: str
    role: str
    question: str
    help: str
    missing_rate: float
    leak: float = 0.0
    prevalence: float = 0.0
    inverse: bool = False
    source: Source | None = None


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
    """A triage level: its title and action (``source`` supports them), the ``safety_net`` (when to get
    help sooner; holds ``{emergency_number}``) and ``if_unsure``, a short action for a sign of this level
    the person is not sure of (the ``{action}`` of the ``unsure_sign`` text)."""

    id: str
    title: str
    action: str
    source: Source
    safety_net: Cited
    if_unsure: Cited


@dataclass(frozen=True)
class RedFlagRule:
    """A rule of the triage table. ``kind`` is "any_yes", "all_yes", "count_yes" or "above" (on ``answers``),
    or "probability_at_least" (on the model's probabilities of ``labels``).

    ``call_ambulance``: the person should call an ambulance, not drive themselves (the ``ambulance`` text);
    emergency rules only. ``about_nutrients``: False when the rule is about a cause the model does not weigh
    (a nerve, muscle or blood-clot problem), so nutrient figures and tests are not the answer to it."""

    id: str
    level: str
    reason: str
    kind: str
    answers: tuple[str, ...]
    threshold: float
    source: Source
    labels: tuple[str, ...] = ()
    call_ambulance: bool = False
    about_nutrients: bool = True


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
    texts: tuple[tuple[str, Cited], ...] = field(default=())  # (name, text): every name of TEXTS, in its order

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

    def cited_text(self, name: str) -> Cited:
        """The named text of the ``texts`` section (its template and source); KeyError for an unknown name."""
        for key, cited in self.texts:
            if key == name:
                return cited
        raise KeyError(f"unknown text '{name}' (known: {', '.join(TEXTS)})")

    def text(self, name: str, **values: object) -> str:
        """The named text with its placeholders filled, e.g. ``kb.text("ambulance")``,
        ``kb.text("base_rate", percent="12%")``, ``kb.text("unsure_sign", sign=..., action=...)``.
        ``emergency_number`` defaults to the configured one (:attr:`Settings.emergency_number_text`)."""
        return self.cited_text(name).fill(**values)


# --------------------------------------------------------------------------- reading the YAML

_MAX_DEPTH = 20  # lists and mappings inside each other; the file needs 6
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser where PyYAML has it: 9x faster here
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Mapping(dict):
    """A YAML mapping that remembers each key written twice in it (a dict keeps the last one)."""

    twice: tuple[tuple[str, int, int], ...] = ()  # (key, its first line, the repeat's line)


def _written_twice(node: yaml.MappingNode) -> tuple[tuple[str, int, int], ...]:
    """The keys of ``node`` written twice (as written: same tag and text), with their lines."""
    first: dict[tuple[str, str], int] = {}
    twice = []
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE_TAG:
            if (key.tag, key.value) in first:
                twice.append((key.value, first[key.tag, key.value], key.start_mark.line + 1))
            else:
                first[key.tag, key.value] = key.start_mark.line + 1
    return tuple(twice)


class _Loader(_SAFE_LOADER):
    """PyYAML's safe loader; its mappings are :class:`_Mapping`."""

    def construct_yaml_map(self, node: yaml.MappingNode) -> Iterator[_Mapping]:
        data = _Mapping()
        yield data
        twice = _written_twice(node)  # (before construct_mapping merges any '<<' keys into node)
        data.update(self.construct_mapping(node))
        data.twice = twice


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)


def _at(name: str, mark: Any, what: str) -> KnowledgeBaseError:
    return KnowledgeBaseError(f"{name}: line {mark.line + 1}: {what}")


def _check_nesting(text: str, name: str) -> None:
    """Refuse aliases and deep nesting, from the parser's flat stream of events, before anything is built.

    An alias (``*name``) stands for a value written elsewhere: a few lines of aliases of
    aliases (a "billion laughs") stand for more data than memory holds once anything walks
    them, and lists nested thousands deep exhaust the stack of whatever walks them.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise _at(name, event.start_mark,
                      f"alias *{event.anchor}: aliases are not allowed; write the value out in full")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > _MAX_DEPTH:
                raise _at(name, event.start_mark, f"lists and mappings nested more than {_MAX_DEPTH} deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _read_yaml(path: Path, data: bytes) -> Any:
    """The file's content; a one-line error naming the line of anything YAML cannot read."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise KnowledgeBaseError(f"{path.name}: line {line}: not valid UTF-8 (byte {exc.start}); "
                                 "save the file as UTF-8") from None
    try:
        _check_nesting(text, path.name)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context
        if exc.problem and exc.context and exc.context_mark is not None and exc.context_mark.line != mark.line:
            what += f" ({exc.context} on line {exc.context_mark.line + 1})"
        raise KnowledgeBaseError(
            f"{path.name}: line {mark.line + 1}, column {mark.column + 1}: not valid YAML: {what}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise KnowledgeBaseError(f"{path.name}: line {line}: not valid YAML: {exc.reason}") from None


# --------------------------------------------------------------------------- parsing

_SECTIONS = (
    "version", "sources", "assumptions", "missingness", "strength_scale", "duration", "groups", "answers",
    "labels", "links", "risk_factors", "triggers", "levels", "red_flags", "patterns", "plan", "disclaimer", "texts",
)
_SOURCE_KEYS = ("doc", "quote", "justification")
_CITED_KEYS = ("text", "source")
_ROLE_KEYS = {"symptom": ("leak", "inverse"), "context": ("prevalence",), "days": ()}
_CONDITION_KEYS = (("any_yes",), ("all_yes",), ("yes_count_at_least", "of"), ("above", "answer"),
                   ("probability_at_least", "labels"))  # the first key names the kind


def _unknown(key: Any, known: Sequence[str], what: str = "key") -> str:
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(known)}"
    return f"unknown {what} '{key}' ({hint})"


class _Reader:
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
        unknown = [key for key in value if key not in keys] if keys is not None else []
        if unknown:
            raise self.fail(where, _unknown(unknown[0], keys))
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
        if doc == _CLINICAL:
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


def _strength_scale(r: _Reader) -> None:
    raw_scale = r.section("strength_scale", dict)
    for name in raw_scale:
        r.scale[name] = r.probability(raw_scale, name, f"strength_scale.{name}")


def _groups(r: _Reader) -> tuple[Group, ...]:
    groups = []
    for i, g in enumerate(r.section("groups")):
        gid = r.get(g, "id", f"groups[{i}]")
        where = f"group {gid}"
        r.entry(g, where, ("id", "title", "missing_rate"))
        groups.append(Group(gid, r.get(g, "title", where), r.probability(g, "missing_rate", where)))
    return tuple(groups)


def _answers(r: _Reader, groups: tuple[Group, ...]) -> tuple[Answer, ...]:
    group_rates = {g.id: g.missing_rate for g in groups}
    answers: list[Answer] = []
    for i, a in enumerate(r.section("answers")):
        aid = r.get(a, "id", f"answers[{i}]")
        where = f"answer {aid}"
        if aid in {x.id for x in answers}:
            raise r.fail(where, "duplicate id")
        group = r.known(r.get(a, "group", where), set(group_rates), where, "group")
        role = r.known(r.get(a, "role", where), _ROLES, where, "role")
        r.entry(a, where, ("id", "group", "role", "question", "help", "missing_rate", "source", *_ROLE_KEYS[role]))
        missing = r.probability(a, "missing_rate", where) if "missing_rate" in a else group_rates[group]
        inverse = a.get("inverse", False)
        if not isinstance(inverse, bool):
            raise r.fail(where, "'inverse' must be true or false")
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
                inverse=inverse,
                source=r.source(a, where) if "source" in a else None,
            )
        )
    answer_ids = {a.id for a in answers}
    missing_answers = [a for a in contract.ANSWERS if a not in answer_ids]
    if missing_answers:
        raise r.fail("answers", f"the contract's answer '{missing_answers[0]}' is missing")
    roles = {a.id: a.role for a in answers}
    if roles[contract.DAYS_ANSWER] != "days" or sum(role == "days" for role in roles.values()) != 1:
        raise r.fail("answers", f"exactly one answer, '{contract.DAYS_ANSWER}', has role 'days'")
    return tuple(answers)


def _labels(r: _Reader) -> tuple[Label, ...]:
    labels: list[Label] = []
    for i, entry in enumerate(r.section("labels")):
        lid = r.get(entry, "id", f"labels[{i}]")
        where = f"label {lid}"
        r.entry(entry, where, ("id", "name", "base_rate", "role", "role_source", "tests", "foods", "advice"))
        r.known(lid, set(contract.LABELS), where, "label (not in the contract)")
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
    missing_labels = [lid for lid in contract.LABELS if lid not in by_id]
    if missing_labels:
        raise r.fail("labels", f"the contract's label '{missing_labels[0]}' is missing")
    return tuple(by_id[lid] for lid in contract.LABELS)  # contract order


def _links(r: _Reader, symptoms: set[str]) -> tuple[Link, ...]:
    links = []
    seen = set()
    for i, entry in enumerate(r.section("links")):
        where = f"links[{i}]"
        label = r.known(r.get(entry, "label", where), set(contract.LABELS), where, "label")
        answer = r.get(entry, "answer", where)
        where = f"links[{i}] ({label} -> {answer})"
        r.entry(entry, where, ("label", "answer", "strength", "source"))
        r.known(answer, symptoms, where, "symptom answer")
        if (label, answer) in seen:
            raise r.fail(where, "duplicate link")
        seen.add((label, answer))
        links.append(Link(label, answer, r.probability(entry, "strength", where, named=True), r.source(entry, where)))
    return tuple(links)


def _risk_factors(r: _Reader, contexts: set[str]) -> tuple[RiskFactor, ...]:
    risk_factors = []
    for i, entry in enumerate(r.section("risk_factors")):
        where = f"risk_factors[{i}]"
        cause = r.get(entry, "cause", where)
        label = r.get(entry, "label", where)
        where = f"risk_factors[{i}] ({cause} -> {label})"
        r.entry(entry, where, ("cause", "label", "strength", "source"))
        r.known(cause, contexts | set(contract.LABELS), where, "cause (a context answer or a label)")
        r.known(label, set(contract.LABELS), where, "label")
        if cause == label:
            raise r.fail(where, "a label cannot raise itself")
        risk_factors.append(RiskFactor(cause, label, r.probability(entry, "strength", where, named=True), r.source(entry, where)))
    _check_acyclic(r, risk_factors)
    return tuple(risk_factors)


def _triggers(r: _Reader, contexts: set[str], symptoms: set[str],
              risk_factors: tuple[RiskFactor, ...]) -> tuple[Trigger, ...]:
    triggers = []
    for i, entry in enumerate(r.section("triggers")):
        where = f"triggers[{i}]"
        cause = r.get(entry, "cause", where)
        answer = r.get(entry, "answer", where)
        where = f"triggers[{i}] ({cause} -> {answer})"
        r.entry(entry, where, ("cause", "answer", "strength", "source"))
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
    return tuple(triggers)


def _levels(r: _Reader) -> tuple[Level, ...]:
    levels = []
    for i, entry in enumerate(r.section("levels")):
        lid = r.get(entry, "id", f"levels[{i}]")
        where = f"level {lid}"
        r.entry(entry, where, ("id", "title", "action", "source", "safety_net", "if_unsure"))
        title, action = r.get(entry, "title", where).strip(), r.get(entry, "action", where).strip()
        r.check_placeholders(title, f"{where} title", frozenset(), frozenset())
        r.check_placeholders(action, f"{where} action", frozenset(), frozenset())
        texts = {key: r.cited(r.get(entry, key, where, dict), f"{where} {key}", *_LEVEL_TEXTS[key])
                 for key in _LEVEL_TEXTS}
        levels.append(Level(lid, title, action, r.source(entry, where), **texts))
    if tuple(level.id for level in levels) != contract.LEVELS:
        raise r.fail("levels", f"levels must be exactly {list(contract.LEVELS)}, most severe first")
    return tuple(levels)


def _condition(r: _Reader, when: dict, where: str, answer_ids: set[str]
               ) -> tuple[str, tuple[str, ...], float, tuple[str, ...]]:
    """A red flag's ``when``: its kind, the answers it reads, its threshold and the labels it reads."""
    keys = next((keys for keys in _CONDITION_KEYS if keys[0] in when), None)
    if keys is None:
        raise r.fail(where, "'when' needs 'any_yes', 'all_yes', 'yes_count_at_least' + 'of', 'answer' + 'above', "
                            "or 'probability_at_least' + 'labels'")
    r.entry(when, f"{where} when", keys)
    if keys[0] == "probability_at_least":
        labels = r.id_list(when, "labels", set(contract.LABELS), where, "label")
        if not labels:
            raise r.fail(where, "names no label")
        return "probability_at_least", (), r.probability(when, "probability_at_least", where), labels
    if keys[0] in ("any_yes", "all_yes"):
        kind, ids, threshold = keys[0], r.id_list(when, keys[0], answer_ids, where, "answer"), 1.0
    elif keys[0] == "yes_count_at_least":
        kind, ids = "count_yes", r.id_list(when, "of", answer_ids, where, "answer")
        threshold = float(r.get(when, "yes_count_at_least", where, int))
    else:
        kind = "above"
        ids = (r.known(r.get(when, "answer", where), answer_ids, where, "answer"),)
        threshold = float(r.get(when, "above", where, (int, float)))
    if not ids:
        raise r.fail(where, "names no answer")
    return kind, ids, threshold, ()


def _red_flags(r: _Reader, answer_ids: set[str]) -> tuple[RedFlagRule, ...]:
    red_flags: list[RedFlagRule] = []
    for i, entry in enumerate(r.section("red_flags")):
        rid = r.get(entry, "id", f"red_flags[{i}]")
        where = f"red flag {rid}"
        r.entry(entry, where, ("id", "level", "reason", "when", "source", "call_ambulance", "about_nutrients"))
        if rid in {f.id for f in red_flags}:
            raise r.fail(where, "duplicate id")
        level = r.known(r.get(entry, "level", where), contract.LEVELS, where, "level")
        kind, ids, threshold, labels = _condition(r, r.get(entry, "when", where, dict), where, answer_ids)
        call_ambulance = r.flag(entry, "call_ambulance", where, False)
        if call_ambulance and level != contract.LEVELS[0]:
            raise r.fail(where, f"'call_ambulance' is for {contract.LEVELS[0]} rules only (this one is {level})")
        reason = r.get(entry, "reason", where)
        r.check_placeholders(reason, f"{where} reason", frozenset(), frozenset())
        red_flags.append(RedFlagRule(rid, level, reason, kind, ids, threshold, r.source(entry, where), labels,
                                     call_ambulance=call_ambulance,
                                     about_nutrients=r.flag(entry, "about_nutrients", where, True)))
    return tuple(red_flags)


def _patterns(r: _Reader, answer_ids: set[str]) -> tuple[Pattern, ...]:
    patterns = []
    for i, entry in enumerate(r.section("patterns")):
        where = f"patterns[{i}]"
        r.entry(entry, where, ("all_yes", "any_yes", "also_any_yes", "labels", "source"))
        pattern = Pattern(
            all_yes=r.id_list(entry, "all_yes", answer_ids, where, "answer"),
            any_yes=r.id_list(entry, "any_yes", answer_ids, where, "answer"),
            also_any_yes=r.id_list(entry, "also_any_yes", answer_ids, where, "answer"),
            labels=r.id_list(entry, "labels", set(contract.LABELS), where, "label"),
            source=r.source(entry, where),
        )
        if not pattern.labels or not (pattern.all_yes or pattern.any_yes):
            raise r.fail(where, "a pattern needs labels and at least one answer")
        patterns.append(pattern)
    return tuple(patterns)


def _duration(r: _Reader) -> Duration:
    d = r.section("duration", dict, ("answer", "mean_days_without_deficiency", "mean_days_with_deficiency", "source"))
    duration = Duration(
        answer=r.known(r.get(d, "answer", "duration"), {contract.DAYS_ANSWER}, "duration", "answer"),
        mean_days_without_deficiency=float(r.get(d, "mean_days_without_deficiency", "duration", (int, float))),
        mean_days_with_deficiency=float(r.get(d, "mean_days_with_deficiency", "duration", (int, float))),
        source=r.source(d, "duration"),
    )
    if min(duration.mean_days_without_deficiency, duration.mean_days_with_deficiency) <= 0:
        raise r.fail("duration", "mean days must be positive")
    return duration


def _plan(r: _Reader) -> tuple[str, tuple[Cited, ...], Cited]:
    plan = r.section("plan", dict, ("title", "steps", "note"))
    steps = plan.get("steps")
    if not isinstance(steps, list) or not steps:
        raise r.fail("plan", "missing 'steps'")
    return (r.get(plan, "title", "plan"), tuple(r.cited(s, f"plan.steps[{j}]") for j, s in enumerate(steps)),
            r.cited(r.get(plan, "note", "plan", dict), "plan.note"))


def _missingness(r: _Reader) -> Missingness:
    keys = ("sparse_share", "sparse_hidden_min", "sparse_hidden_max")
    raw = r.raw.get("missingness") or {}
    if not isinstance(raw, dict):
        raise r.fail("missingness", "'missingness' must be a mapping")
    r.entry(raw, "missingness", keys)
    missingness = Missingness(**{key: r.probability(raw, key, f"missingness.{key}") for key in keys if key in raw})
    if missingness.sparse_hidden_min > missingness.sparse_hidden_max:
        raise r.fail("missingness", "sparse_hidden_min is above sparse_hidden_max")
    return missingness


def _texts(r: _Reader) -> tuple[tuple[str, Cited], ...]:
    """The named texts people read beside the advice, each with the placeholders it may hold."""
    raw = r.section("texts", dict, tuple(TEXTS))
    missing = [name for name in TEXTS if name not in raw]
    if missing:
        raise r.fail("texts", f"missing text '{missing[0]}'")
    return tuple((name, r.cited(r.get(raw, name, f"texts.{name}", dict), f"texts.{name}", *TEXTS[name]))
                 for name in TEXTS)


def _pairs(r: _Reader, name: str) -> tuple[tuple[str, str], ...]:
    """An optional section of names and texts (``sources``, ``assumptions``)."""
    raw = r.raw.get(name) or {}
    return tuple((str(k), str(v)) for k, v in r.entry(raw, name).items())


def _sources(r: _Reader) -> tuple[tuple[str, str], ...]:
    """The seed documents' article titles, by file name: each title verbatim in its document. Sources cite them."""
    sources = _pairs(r, "sources")
    for doc, title in sources:
        where = f"sources.{doc}"
        if not title.strip():
            raise r.fail(where, "the article's title is empty")
        r.verbatim(doc, title, where, "title")
    r.titles = {doc: title.strip() for doc, title in sources}
    return sources


def _parse(r: _Reader, sha256: str) -> KnowledgeBase:
    """The sections in the order of the file, each checked by its own function."""
    r.entry(r.raw, "top level")
    unknown = [name for name in r.raw if name not in _SECTIONS]
    if unknown:
        raise r.fail("top level", _unknown(unknown[0], _SECTIONS, "section"))
    sources = _sources(r)
    _strength_scale(r)
    groups = _groups(r)
    answers = _answers(r, groups)
    answer_ids = {a.id for a in answers}
    symptoms = {a.id for a in answers if a.role == "symptom"}
    contexts = {a.id for a in answers if a.role == "context"}
    labels = _labels(r)
    links = _links(r, symptoms)
    risk_factors = _risk_factors(r, contexts)
    triggers = _triggers(r, contexts, symptoms, risk_factors)
    levels = _levels(r)
    red_flags = _red_flags(r, answer_ids)
    patterns = _patterns(r, answer_ids)
    duration = _duration(r)
    plan_title, plan, plan_note = _plan(r)
    disclaimer = r.cited(r.section("disclaimer", dict), "disclaimer")
    texts = _texts(r)
    return KnowledgeBase(
        path=str(r.path),
        sha256=sha256,
        groups=groups,
        answers=answers,
        labels=labels,
        links=links,
        risk_factors=risk_factors,
        triggers=triggers,
        levels=levels,
        red_flags=red_flags,
        patterns=patterns,
        duration=duration,
        plan_title=plan_title,
        plan=plan,
        plan_note=plan_note,
        disclaimer=disclaimer,
        missingness=_missingness(r),
        sources=sources,
        assumptions=_pairs(r, "assumptions"),
        texts=texts,
    )


def _check_acyclic(r: _Reader, risk_factors: list[RiskFactor]) -> None:
    parents: dict[str, set[str]] = {}
    for f in risk_factors:
        if f.cause in contract.LABELS:
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

    for label in contract.LABELS:
        visit(label, ())


def load(path: str | Path, seeds_dir: str | Path | None = None) -> KnowledgeBase:
    """Read and validate a knowledge base file.

    The file is edited by people, so it is read defensively: YAML aliases, lists and
    mappings nested more than 20 deep, a key written twice in one mapping and a key the
    entry does not have are refused.

    Parameters
    ----------
    path : path of the YAML file.
    seeds_dir : folder of the seed documents; when given (or found as
        ``seeds/`` beside the file), every quote must be verbatim in its seed.

    Raises
    ------
    KnowledgeBaseError
        One line naming the bad entry (or the line, for what YAML cannot read) and what is wrong with it.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KnowledgeBaseError(f"cannot read the knowledge base {path}: {exc.strerror}") from None
    raw = _read_yaml(path, data)
    if not isinstance(raw, dict):
        raise KnowledgeBaseError(f"{path.name}: the file must be a mapping of sections")
    seeds = Path(seeds_dir) if seeds_dir is not None else path.parent / "seeds"
    return _parse(_Reader(path, raw, seeds), hashlib.sha256(data).hexdigest())


@lru_cache(maxsize=4)
def _load_cached(path: str, sha256: str) -> KnowledgeBase:
    return load(path)


def load_default(path: str | Path | None = None) -> KnowledgeBase:
    """The project's knowledge base, validated again whenever the file's content changes."""
    p = Path(path) if path is not None else Settings.from_environment().kb_path
    try:
        sha256 = hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError:
        sha256 = ""  # load() says why the file cannot be read
    return _load_cached(str(p), sha256)
