"""One case as a report to hand to a doctor: Markdown and PDF, both rendered from one :class:`Report`.

:func:`build` turns an :class:`~twitch_triage.triage.Assessment` into sections of
plain text, every medical word from the knowledge base; :func:`markdown` and
:func:`pdf` only lay those sections out, so the two never disagree.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import config, redflags
from .answers import format_value
from .knowledge import KnowledgeBase
from .triage import Assessment

__all__ = ["Item", "Section", "Report", "TITLE", "FONTS_DIR", "NOTHING_LACKING", "build", "markdown", "pdf",
           "nothing_leads", "nutrients_apply", "sign_name", "unsure_items", "trigger_items"]

TITLE = "Muscle twitching: a report for the doctor"
FONTS_DIR = Path(__file__).with_name("fonts")  # DejaVu Sans: the built-in PDF fonts cannot print "≥"
_FONT = "DejaVu"
_ACT_NOW = ("emergency", "urgent")  # levels whose report leads with what to do now
_NOW, _ADVICE = "What to do now", "Advice"
_CAUSE_COLUMNS = (("Cause", "LEFT", 46), ("Probability", "RIGHT", 28), ("Model assumes", "RIGHT", 30),
                  (f"Likely (\u2265 {100 * config.LIKELY_AT_LEAST:.0f}%)", "LEFT", 32))  # heading, alignment, mm
_YES, _NO, _UNKNOWN = "yes", "no", "not sure"  # "don't know" and "not sure" are one answer: unknown
NOTHING_LACKING = "Nothing lacking (another cause)"  # the row of p_nothing_lacking among the causes
_ACT_AT_ONCE = "urgent"  # a warning sign left unsure is named when it alone would reach this level or above


@dataclass(frozen=True)
class Item:
    """A line of the report, and the source it rests on in small print (empty when it rests on none); ``strong``
    lines (what to do now) stand out."""

    text: str
    note: str = ""
    strong: bool = False


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
    """The whole report: a title, the lines under it (date, model), then the sections in reading order."""

    title: str
    header: tuple[str, ...]
    sections: tuple[Section, ...]


def _percent(p: float) -> str:
    return "<1%" if 0 < p < 0.005 else f"{100 * p:.0f}%"


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


def unsure_items(unsure: Sequence[tuple[str, str]], kb: KnowledgeBase, *, beyond: str | None = None
                 ) -> tuple[Item, ...]:
    """The warning signs answered "don't know" (:func:`twitch_triage.interview.unsure`: ``(answer id, level)``),
    one line per level, most severe first: the knowledge base's ``unsure_sign`` text with the level's
    ``if_unsure`` action, and its source. ``beyond``: only the signs of levels more severe than this one."""
    items = []
    for level_id in config.LEVELS:
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


def _answer_sections(assessment: Assessment, kb: KnowledgeBase, asked: Collection[str] | None) -> list[Section]:
    """The days, then the answers given as pertinent positives, pertinent negatives and "not sure", and how
    many questions were not asked (an interview stops when more answers would change little)."""
    given: dict[str, list[Item]] = {_YES: [], _NO: [], _UNKNOWN: []}  # unknown: "don't know" or "not sure"
    not_asked = 0
    days = Item("")
    for answer in kb.answers:
        value = assessment.answers.get(answer.id, math.nan)
        was_asked = asked is None or answer.id in asked
        if answer.id == config.DAYS_ANSWER:
            known = format_value(answer.id, value)
            said = f"{known} days" if known else _UNKNOWN.capitalize() if was_asked else "Not asked"
            days = Item(f"{answer.question} {said}.")
            continue
        if math.isnan(value) and not was_asked:
            not_asked += 1
            continue
        given[format_value(answer.id, value) or _UNKNOWN].append(Item(answer.question))
    none = (Item("None."),)
    sections = [
        Section("How long", paragraphs=(days,)),
        Section("Answered yes (pertinent positives)", items=tuple(given[_YES]) or none),
        Section("Answered no (pertinent negatives)", items=tuple(given[_NO]) or none),
        Section("Not sure (answered \u201cdon't know\u201d or \u201cnot sure\u201d)",
                items=tuple(given[_UNKNOWN]) or none),
    ]
    if not_asked:
        sections.append(Section("Not asked", paragraphs=(Item(
            f"{not_asked} more question{'s' if not_asked > 1 else ''}: the interview stopped when more answers "
            "were expected to change little."),)))
    return sections


def _advice(assessment: Assessment, kb: KnowledgeBase) -> Section:
    """The disposition (after the ambulance text, when a rule that fired calls for one), when to get help
    sooner (the level's safety net), and every red flag that fired with its source."""
    level = assessment.level
    act_now = assessment.disposition in _ACT_NOW
    paragraphs = [Item(f"{level.title}. {level.action}", level.source.cite(), strong=act_now)]
    if any(rule.call_ambulance for rule in assessment.red_flags):
        ambulance = kb.cited_text("ambulance")
        paragraphs.insert(0, Item(ambulance.fill(), ambulance.source.cite(), strong=True))
    paragraphs.append(Item(level.safety_net.fill(), level.safety_net.source.cite()))
    if assessment.red_flags:
        paragraphs.append(Item("Because of these answers:"))
    return Section(_NOW if act_now else _ADVICE, paragraphs=tuple(paragraphs),
                   items=tuple(Item(rule.reason, rule.source.cite()) for rule in assessment.red_flags),
                   alert=act_now)


def _unsure(unsure: Sequence[tuple[str, str]], kb: KnowledgeBase) -> list[Section]:
    """The warning signs the person was not sure of, with what each would call for (none: no section)."""
    items = unsure_items(unsure, kb)
    return [Section("Warning signs the person was not sure of", items=items)] if items else []


def _causes(assessment: Assessment, kb: KnowledgeBase) -> Section:
    """Every cause, most probable first, with its probability beside the share the model assumes; then
    "nothing lacking". When the advice is about a cause the model does not weigh, that comes first."""
    rows = [tuple(heading for heading, _, _ in _CAUSE_COLUMNS)]
    rows += [(r.name, _percent(r.probability), _percent(r.prevalence), "likely" if r.likely else "")
             for r in assessment.labels]
    if not math.isnan(assessment.p_nothing_lacking):
        rows.append((NOTHING_LACKING, _percent(assessment.p_nothing_lacking), "", ""))
    base_rate = kb.cited_text("base_rate")
    paragraphs = [Item(
        "Probability: the model's estimate for these answers. Model assumes: the share of people with twitching "
        "that the model assumes lack it, an assumption made to build it, not a measured figure. Likely: a "
        f"probability of at least {_percent(config.LIKELY_AT_LEAST)}. Only a test can confirm a cause.",
        base_rate.source.cite())]
    if not nutrients_apply(assessment):
        nutrients_only = kb.cited_text("nutrients_only")
        paragraphs.insert(0, Item(nutrients_only.fill(), nutrients_only.source.cite()))
    return Section("Possible causes", paragraphs=tuple(paragraphs), table=tuple(rows))


def _triggers(triggers: Sequence[str], assessment: Assessment, kb: KnowledgeBase) -> list[Section]:
    """The everyday triggers answered yes that the sources link to the person's signs (none: no section)."""
    items = trigger_items(triggers, assessment, kb)
    return [Section("Everyday triggers answered yes", items=items)] if items else []


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
    return [Section("Tests to ask for", paragraphs=(Item(warning.fill(), warning.source.cite()), *lead),
                    items=tuple(Item(f"{text} (for {', '.join(names)})", note)
                                for text, (names, note) in tests.items()))]


def build(assessment: Assessment, kb: KnowledgeBase, *, model_version: str, when: _dt.date,
          asked: Collection[str] | None = None, triggers: Sequence[str] = (),
          unsure: Sequence[tuple[str, str]] = ()) -> Report:
    """The report of one assessed case.

    Parameters
    ----------
    assessment : the case as :func:`twitch_triage.triage.assess` returns it.
    kb : the knowledge base it was assessed with (questions, red flags, sources, disclaimer).
    model_version : one line naming the model (:attr:`twitch_triage.artifact.Predictor.version`).
    when : the date the report is made (a datetime gives its date).
    asked : the answers the person was asked (an interview's keys, "unknown" included); an unknown answer
        not among them is counted as not asked rather than listed as "not sure". None: every one was asked.
    triggers : the everyday triggers of the case (:func:`twitch_triage.interview.triggers`), most influential
        first.
    unsure : the warning signs answered "don't know", each with the level it would reach on its own
        (:func:`twitch_triage.interview.unsure`).
    """
    advice = [_advice(assessment, kb), *_unsure(unsure, kb)]
    answers = _answer_sections(assessment, kb, asked)
    findings = [_causes(assessment, kb), *_triggers(triggers, assessment, kb), *_tests(assessment, kb)]
    sections = [*advice, *answers] if advice[0].alert else [*answers, *advice]  # an emergency comes first
    sections += findings
    sections.append(Section("About this report", paragraphs=(
        Item(f"Model: {model_version}."),
        Item(kb.disclaimer.text, kb.disclaimer.source.cite()),
    )))
    return Report(TITLE, (f"Date: {when:%d %B %Y}", "Made with twitch-triage from the person's own answers."),
                  tuple(sections))


# --------------------------------------------------------------------------- Markdown

_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def _md(text: str) -> str:
    """Text as literal Markdown: no emphasis, link, HTML or table cell border can come from it."""
    return " ".join(str(text).split()).translate(_MARKDOWN_SPECIAL)


def _md_item(item: Item, indent: str = "", strong: bool = False) -> str:
    text = f"**{_md(item.text)}**" if strong else _md(item.text)
    return text + (f"  \n{indent}*Source: {_md(item.note)}*" if item.note else "")


def _render_markdown(report: Report) -> str:
    lines = [f"# {_md(report.title)}", "", *(f"{_md(line)}  " for line in report.header), ""]
    for section in report.sections:
        lines += [f"## {'⚠ ' if section.alert else ''}{_md(section.title)}", ""]
        for paragraph in section.paragraphs:
            lines += [_md_item(paragraph, strong=paragraph.strong), ""]
        if section.items:
            lines += [f"- {_md_item(item, '  ')}" for item in section.items] + [""]
        if section.table:
            header, *rows = section.table
            lines += ["| " + " | ".join(map(_md, header)) + " |",
                      "|" + "|".join(" ---: " if align == "RIGHT" else " --- " for _, align, _ in _CAUSE_COLUMNS) + "|",
                      *("| " + " | ".join(map(_md, row)) + " |" for row in rows), ""]
    return "\n".join(lines).rstrip() + "\n"


def markdown(assessment: Assessment, kb: KnowledgeBase, *, model_version: str, when: _dt.date,
             asked: Collection[str] | None = None, triggers: Sequence[str] = (),
             unsure: Sequence[tuple[str, str]] = ()) -> str:
    """The report as Markdown text (arguments as :func:`build`)."""
    return _render_markdown(build(assessment, kb, model_version=model_version, when=when, asked=asked,
                                  triggers=triggers, unsure=unsure))


# --------------------------------------------------------------------------- PDF

_ALERT_RGB = (180, 35, 24)
_NOTE_GREY = 95


def _render_pdf(report: Report, when: _dt.date) -> bytes:
    from fpdf import FPDF  # here: only the report needs it
    from fpdf.enums import XPos, YPos

    doc = FPDF(format="A4")
    doc.set_margins(18, 16, 18)
    doc.set_auto_page_break(True, margin=16)
    doc.add_font(_FONT, "", FONTS_DIR / "DejaVuSans.ttf")
    doc.add_font(_FONT, "B", FONTS_DIR / "DejaVuSans-Bold.ttf")
    doc.set_title(report.title)
    doc.set_creator("twitch-triage")
    created = when if isinstance(when, _dt.datetime) else _dt.datetime(when.year, when.month, when.day)
    doc.set_creation_date(created if created.tzinfo else created.replace(tzinfo=_dt.timezone.utc))
    doc.add_page()

    def write(text: str, size: float, style: str = "", grey: int = 0, indent: float = 0, after: float = 1) -> None:
        doc.set_font(_FONT, style, size)
        doc.set_text_color(grey)
        doc.set_x(doc.l_margin + indent)
        doc.multi_cell(0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.ln(after)

    def item(entry: Item, size: float, style: str = "", indent: float = 0) -> None:
        write(entry.text, size, style, indent=indent, after=0.6 if entry.note else 1.5)
        if entry.note:
            write(f"Source: {entry.note}", 7.5, grey=_NOTE_GREY, indent=indent, after=1.5)

    write(report.title, 17, "B", after=2)
    for line in report.header:
        write(line, 9, grey=_NOTE_GREY, after=0.5)
    for section in report.sections:
        doc.ln(3)
        doc.set_font(_FONT, "B", 12.5)
        doc.set_text_color(*(_ALERT_RGB if section.alert else (0, 0, 0)))
        doc.multi_cell(0, 7, ("\u26a0 " if section.alert else "") + section.title, align="L",
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.ln(1)
        for paragraph in section.paragraphs:
            item(paragraph, 11 if paragraph.strong else 10, "B" if paragraph.strong else "")
        for entry in section.items:
            doc.set_font(_FONT, "", 10)
            doc.set_text_color(0)
            doc.cell(5, 5, "\u2022")
            item(entry, 10, indent=5)
        if section.table:
            doc.set_font(_FONT, "", 9.5)
            doc.set_text_color(0)
            with doc.table(col_widths=tuple(width for _, _, width in _CAUSE_COLUMNS), width=sum(width for _, _, width in _CAUSE_COLUMNS), align="LEFT",
                           text_align=tuple(align for _, align, _ in _CAUSE_COLUMNS), first_row_as_headings=True,
                           line_height=5.5) as table:
                for row in section.table:
                    cells = table.row()
                    for value in row:
                        cells.cell(value)
    return bytes(doc.output())


def pdf(assessment: Assessment, kb: KnowledgeBase, *, model_version: str, when: _dt.date,
        asked: Collection[str] | None = None, triggers: Sequence[str] = (),
        unsure: Sequence[tuple[str, str]] = ()) -> bytes:
    """The report as a PDF file's bytes (arguments as :func:`build`), in the bundled DejaVu Sans."""
    return _render_pdf(build(assessment, kb, model_version=model_version, when=when, asked=asked,
                             triggers=triggers, unsure=unsure), when)
