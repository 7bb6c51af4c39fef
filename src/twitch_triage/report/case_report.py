"""One case as a one-page report a doctor reads in half a minute: PDF and plain text, from one :class:`Report`.

:func:`build` turns an :class:`~twitch_triage.triage.Assessment` into sections of plain text, every medical word
from the knowledge base, each with its source as a numbered note; :func:`pdf` and :func:`text` only lay them
out (:mod:`twitch_triage.report.layout`), so the two never disagree. The advice and what it rests on come first,
the answers that were "no" or "not sure" come last, on one line each, by short names (:func:`short_name`).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from .. import contract
from ..triage import redflags
from ..answers import format_value
from ..wording import percent
from ..knowledge import KnowledgeBase
from .person import Person
from ..triage import Assessment

__all__ = ["Item", "Section", "Report", "TITLE", "NOTHING_LACKING", "SUMMARY", "build", "pdf", "text",
           "nothing_leads", "nutrients_apply", "short_name", "sign_name", "unsure_items", "trigger_items"]

TITLE = "Muscle twitching: a report for the doctor"
SUMMARY = "Summary for the paramedic or the doctor today"  # the first section of an emergency or urgent report
_ACT_NOW = ("emergency", "urgent")  # levels whose report leads with the summary
_CAUSE_HEADER = ("Cause", "Probability", "Model assumes", f"Likely (\u2265 {100 * contract.LIKELY_AT_LEAST:.0f}%)")
NOTHING_LACKING = "Nothing lacking (another cause)"  # the row of p_nothing_lacking among the causes
_ACT_AT_ONCE = "urgent"  # a warning sign left unsure is named when it alone would reach this level or above
_LOCATION = "loc_"  # the answers of where the twitching is: ``loc_eyelid`` is "eyelid twitching"


@dataclass(frozen=True)
class Item:
    """A line of the report, and the source it rests on (empty when it rests on none), shown as a numbered note;
    ``strong`` lines (what to do) stand out. ``parts``: ``(text, note)`` pairs that follow the text on the same
    line, ``; ``-separated, each with its own note."""

    text: str
    note: str = ""
    strong: bool = False
    parts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Section:
    """A heading, paragraphs, a bulleted list, and a table (``table[0]`` its header row), each possibly empty.

    ``alert`` marks the section that says what to do now.
    """

    title: str
    paragraphs: tuple[Item, ...] = ()
    items: tuple[Item, ...] = ()
    table: tuple[tuple[str, ...], ...] = ()
    alert: bool = False


@dataclass(frozen=True)
class Report:
    """The whole report: a title, the lines under it (date, the person, the model), the sections in reading
    order, and the sources the items cite, numbered from 1 in the order they are first cited."""

    title: str
    header: tuple[str, ...]
    sections: tuple[Section, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        """Every distinct note, in the order of first citation (note ``n`` is ``sources[n - 1]``)."""
        found: dict[str, None] = {}
        for section in self.sections:
            for entry in (*section.paragraphs, *section.items):
                for note in (entry.note, *(note for _, note in entry.parts)):
                    if note:
                        found.setdefault(note)
        return tuple(found)


def _lower_first(text: str) -> str:
    """``Chest pain`` -> ``chest pain``; an initialism (``B12``, ``DVT``) keeps its capitals."""
    return text if len(text) > 1 and text[1].isupper() else text[:1].lower() + text[1:]


def nothing_leads(assessment: Assessment) -> bool:
    """Whether "nothing is lacking" is at least as probable as every nutrient, as the outputs are written (4
    decimals); False when the model gives no ``p_nothing_lacking``."""
    if math.isnan(assessment.p_nothing_lacking):
        return False
    written = redflags.ten_thousandths([assessment.p_nothing_lacking, *assessment.probabilities.values()])
    return bool(written[0] >= written[1:].max(initial=0))


def nutrients_apply(assessment: Assessment) -> bool:
    """False when a rule that fired is about a cause the model does not weigh (a nerve, muscle or blood-clot
    problem): then nutrient figures and tests are not the answer to the advice."""
    return all(rule.about_nutrients for rule in assessment.red_flags)


def sign_name(kb: KnowledgeBase, answer_id: str) -> str:
    """A warning sign in a few words: the reason of the rule it fires on its own, else its question."""
    rank = redflags.level_rank
    for rule in kb.red_flags:
        if rule.kind == "any_yes" and answer_id in rule.answers and rank(rule.level) <= rank(_ACT_AT_ONCE):
            return rule.reason
    return kb.answer(answer_id).question.rstrip("?")


def short_name(kb: KnowledgeBase, answer_id: str) -> str:
    """An answer as a short clinical name, not a question: the ``reason`` of the rule that this answer alone
    fires (``chest_pain`` -> "Chest pain, pressure or tightness"), else its id in words, a place of the
    twitching as "<place> twitching" (``loc_eyelid`` -> "eyelid twitching", ``muscle_tightness`` -> "muscle
    tightness"). The knowledge base holds no short label of its own for an answer."""
    for rule in kb.red_flags:
        if rule.kind == "any_yes" and rule.answers == (answer_id,):
            return rule.reason
    if answer_id.startswith(_LOCATION):
        return f"{answer_id.removeprefix(_LOCATION).replace('_', ' ')} twitching"
    return answer_id.replace("_", " ")


def unsure_items(unsure: Sequence[tuple[str, str]], kb: KnowledgeBase, *, beyond: str | None = None
                 ) -> tuple[Item, ...]:
    """The warning signs answered "don't know" (:func:`twitch_triage.interview.unsure`: ``(answer id, level)``),
    one line per level, most severe first: the knowledge base's ``unsure_sign`` text with the level's
    ``if_unsure`` action, and its source. ``beyond``: only the signs of levels more severe than this one."""
    items = []
    for level_id in contract.LEVELS:
        if beyond is not None and redflags.level_rank(level_id) >= redflags.level_rank(beyond):
            break
        signs = [sign_name(kb, answer_id) for answer_id, level in unsure if level == level_id]
        if signs:
            level = kb.level(level_id)
            items.append(Item(kb.text("unsure_sign", sign="; ".join(signs), action=level.if_unsure.fill()),
                              level.if_unsure.source.cite()))
    return tuple(items)


def trigger_items(triggers: Sequence[str], assessment: Assessment, kb: KnowledgeBase) -> tuple[Item, ...]:
    """Each everyday trigger answered yes (:func:`twitch_triage.interview.triggers`), as its question, with the
    source that links it to a sign the person has (the strongest such link)."""
    items = []
    for cause in triggers:
        links = sorted((t for t in kb.triggers if t.cause == cause and assessment.answers.get(t.answer) == 1),
                       key=lambda t: -t.strength)
        items.append(Item(kb.answer(cause).question, links[0].source.cite() if links else ""))
    return tuple(items)


# --------------------------------------------------------------------------- the parts


def _given(assessment: Assessment, kb: KnowledgeBase, asked: Collection[str] | None
           ) -> tuple[dict[str, list[str]], int]:
    """The answers by value (``yes``, ``no``, ``not sure``: their ids, in the knowledge base's order, the days
    left out), and how many were not asked (an unknown answer not in ``asked``; None: every one was asked)."""
    given: dict[str, list[str]] = {"yes": [], "no": [], "not sure": []}
    not_asked = 0
    for answer in kb.answers:
        if answer.id == contract.DAYS_ANSWER:
            continue
        value = assessment.answers.get(answer.id, math.nan)
        if math.isnan(value) and asked is not None and answer.id not in asked:
            not_asked += 1
            continue
        given[format_value(answer.id, value) or "not sure"].append(answer.id)
    return given, not_asked


def _days(assessment: Assessment, asked: Collection[str] | None) -> str:
    """How long, in a few words."""
    known = format_value(contract.DAYS_ANSWER, assessment.answers.get(contract.DAYS_ANSWER, math.nan))
    if known:
        return f"{known} day{'' if known == '1' else 's'}"
    return "not sure" if asked is None or contract.DAYS_ANSWER in asked else "not asked"


def _names(ids: Sequence[str], kb: KnowledgeBase) -> str:
    return "; ".join(_lower_first(short_name(kb, a)) for a in ids) or "none"


def _person_line(person: Person) -> str:
    """The person's details in one line, "not given" for each left blank."""
    age = f"{person.age}" if person.age is not None else "not given"
    return (f"Age: {age} \u00b7 Sex: {person.sex or 'not given'} \u00b7 "
            f"Current medicines: {person.medicines or 'not given'}")


def _what_to_do(assessment: Assessment, kb: KnowledgeBase) -> list[Item]:
    """The ambulance text when a rule that fired calls for one, the disposition, and the red flags that fired
    in one line each with its source."""
    level = assessment.level
    acute = assessment.disposition in _ACT_NOW
    paragraphs = []
    if any(rule.call_ambulance for rule in assessment.red_flags):
        ambulance = kb.cited_text("ambulance")
        paragraphs.append(Item(ambulance.fill(), ambulance.source.cite(), strong=True))
    paragraphs.append(Item(f"{level.title}. {level.action}", level.source.cite(), strong=acute))
    if assessment.red_flags:
        paragraphs.append(Item("Red flags:", parts=tuple((rule.reason, rule.source.cite())
                                                         for rule in assessment.red_flags)))
    return paragraphs


def _safety(assessment: Assessment, unsure: Sequence[tuple[str, str]], kb: KnowledgeBase) -> list[Item]:
    """When to get help sooner (the level's safety net), and the warning signs the person was not sure of."""
    net = assessment.level.safety_net
    return [Item(net.fill(), net.source.cite()), *unsure_items(unsure, kb)]


def _findings(assessment: Assessment, kb: KnowledgeBase, given: dict[str, list[str]], days: str,
              triggers: Sequence[str]) -> list[Item]:
    """How long, the answers that were yes, the everyday triggers with their source, and how probable it is that
    nothing is lacking."""
    lines = [Item(f"How long: {days}."), Item(f"Yes: {_names(given['yes'], kb)}.")]
    if triggers:
        lines.append(Item("Everyday triggers:", parts=tuple(
            (_lower_first(short_name(kb, cause)), item.note)
            for item, cause in zip(trigger_items(triggers, assessment, kb), triggers))))
    if not math.isnan(assessment.p_nothing_lacking):
        nothing = percent(assessment.p_nothing_lacking, below_one=True)
        lines.append(Item(f"Nothing lacking? {nothing}: the model's probability "
                          "that none of the ten nutrients is lacking and the twitching has another cause."))
    return lines


def _causes(assessment: Assessment, kb: KnowledgeBase) -> Section:
    """Every cause, most probable first, with its probability beside the share the model assumes; then
    "nothing lacking". When the advice is about a cause the model does not weigh, that comes first."""
    rows = [_CAUSE_HEADER]
    rows += [(r.name, percent(r.probability, below_one=True), percent(r.prevalence, below_one=True),
              "likely" if r.likely else "") for r in assessment.labels]
    if not math.isnan(assessment.p_nothing_lacking):
        rows.append((NOTHING_LACKING, percent(assessment.p_nothing_lacking, below_one=True), "", ""))
    base_rate = kb.cited_text("base_rate")
    paragraphs = [Item(
        "Probability: the model's estimate for these answers. Model assumes: the share of people with twitching "
        "that the model assumes lack it, an assumption made to build it, not a measured figure. Only a test can "
        "confirm a cause.", base_rate.source.cite())]
    if not nutrients_apply(assessment):
        nutrients_only = kb.cited_text("nutrients_only")
        paragraphs.insert(0, Item(nutrients_only.fill(), nutrients_only.source.cite()))
    return Section("Possible causes", paragraphs=tuple(paragraphs), table=tuple(rows))


def _tests(assessment: Assessment, kb: KnowledgeBase) -> list[Section]:
    """The tests of the likely causes (else of the most probable one), each once, with its source, and the
    warning against supplements without a test; none when the advice is about a cause the model does not
    weigh."""
    if not nutrients_apply(assessment):
        return []
    results = [r for r in assessment.labels if r.likely] or list(assessment.labels[:1])
    tests: dict[str, tuple[list[str], str]] = {}
    for result in results:
        for test in result.tests:
            tests.setdefault(test.text, ([], test.source.cite()))[0].append(result.name)
    lead = [] if any(r.likely for r in results) else [Item(
        f"No cause is more likely than not; the tests for the most probable one, {results[0].name}:")]
    warning = kb.cited_text("supplement_warning")
    return [Section("Tests to ask for", paragraphs=(*lead, Item(warning.fill(), warning.source.cite())),
                    items=tuple(Item(f"{text} (for {', '.join(names)})", note)
                                for text, (names, note) in tests.items()))]


def _others(kb: KnowledgeBase, given: dict[str, list[str]], not_asked: int) -> Section:
    """The answers that were no and "not sure", one line each, and how many questions were not asked."""
    lines = [Item(f"No: {_names(given['no'], kb)}."),
             Item(f"Not sure (answered \u201cdon't know\u201d): {_names(given['not sure'], kb)}.")]
    if not_asked:
        lines.append(Item(f"Not asked: {not_asked} more question{'s' if not_asked > 1 else ''} (the interview "
                          "stopped when more answers were expected to change little)."))
    return Section("The other answers", paragraphs=tuple(lines))


def build(assessment: Assessment, kb: KnowledgeBase, *, model_version: str, when: _dt.date,
          asked: Collection[str] | None = None, triggers: Sequence[str] = (),
          unsure: Sequence[tuple[str, str]] = (), person: Person = Person()) -> Report:
    """The report of one assessed case.

    Parameters
    ----------
    assessment : the case as :func:`twitch_triage.triage.assess` returns it.
    kb : the knowledge base it was assessed with (questions, red flags, sources, disclaimer).
    model_version : one line naming the model (:attr:`twitch_triage.model.artifact.Predictor.version`).
    when : the date the report is made (a datetime gives its date).
    asked : the answers the person was asked (an interview's keys, "unknown" included); an unknown answer
        not among them is counted as not asked rather than listed as "not sure". None: every one was asked.
    triggers : the everyday triggers of the case (:func:`twitch_triage.interview.triggers`), most influential
        first.
    unsure : the warning signs answered "don't know", each with the level it would reach on its own
        (:func:`twitch_triage.interview.unsure`).
    person : the person's age, sex and medicines (:func:`twitch_triage.report.person.parse`); the model uses none.
    """
    given, not_asked = _given(assessment, kb, asked)
    findings = _findings(assessment, kb, given, _days(assessment, asked), triggers)
    safety = _safety(assessment, unsure, kb)
    if assessment.disposition in _ACT_NOW:  # what to do now, why, and the key answers, before all else
        sections = [Section(SUMMARY, paragraphs=(*_what_to_do(assessment, kb), *findings, *safety), alert=True)]
    else:
        sections = [Section("Advice", paragraphs=(*_what_to_do(assessment, kb), *safety)),
                    Section("Key findings", paragraphs=tuple(findings))]
    sections += [_causes(assessment, kb), *_tests(assessment, kb), _others(kb, given, not_asked),
                 Section("About this report", paragraphs=(Item(kb.disclaimer.text, kb.disclaimer.source.cite()),))]
    header = (f"Date: {when:%d %B %Y} \u00b7 Made with twitch-triage from the person's own answers.",
              _person_line(person), f"Model: {model_version}.")
    return Report(TITLE, header, tuple(sections))


def pdf(assessment: Assessment, kb: KnowledgeBase, *, model_version: str, when: _dt.date,
        asked: Collection[str] | None = None, triggers: Sequence[str] = (),
        unsure: Sequence[tuple[str, str]] = (), person: Person = Person()) -> bytes:
    """The report as an A4 PDF file's bytes (arguments as :func:`build`): one page whenever the smallest
    readable type lets it, with "Page n of N" at the foot of each."""
    from .layout import render_pdf

    return render_pdf(build(assessment, kb, model_version=model_version, when=when, asked=asked,
                            triggers=triggers, unsure=unsure, person=person), when)


def text(assessment: Assessment, kb: KnowledgeBase, *, model_version: str, when: _dt.date,
         asked: Collection[str] | None = None, triggers: Sequence[str] = (),
         unsure: Sequence[tuple[str, str]] = (), person: Person = Person()) -> str:
    """The report as plain text, lines of at most 100 characters (arguments as :func:`build`)."""
    from .layout import render_text

    return render_text(build(assessment, kb, model_version=model_version, when=when, asked=asked,
                             triggers=triggers, unsure=unsure, person=person))
