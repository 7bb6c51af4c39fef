"""The knowledge base's schema: frozen dataclasses, and the texts and placeholders a file may hold."""

from __future__ import annotations

import string
from dataclasses import dataclass, field

from ..settings import Settings

__all__ = ["KnowledgeBaseError", "Source", "Cited", "Answer", "Label", "Link", "RiskFactor", "Trigger", "Level",
           "RedFlagRule", "Pattern", "Duration", "Missingness", "Group", "KnowledgeBase", "CLINICAL", "PLACEHOLDERS",
           "TEXTS", "LEVEL_TEXTS", "placeholders"]

CLINICAL = "clinical"  # the ``doc`` of a source that is general clinical knowledge, not a seed sentence

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
LEVEL_TEXTS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
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
        return self.doc != CLINICAL

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

