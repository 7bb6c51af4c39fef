"""One case as a report to hand to a doctor: Markdown and PDF, both rendered from one :class:`Report`.

:func:`build` turns an :class:`~twitch_triage.triage.Assessment` into sections of
plain text, every medical word from the knowledge base; :func:`markdown` and
:func:`pdf` only lay those sections out, so the two never disagree.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from . import config
from .answers import format_value
from .knowledge import KnowledgeBase
from .triage import Assessment

__all__ = ["Item", "Section", "Report", "TITLE", "FONTS_DIR", "build", "markdown", "pdf"]

TITLE = "Muscle twitching: a report for the doctor"
FONTS_DIR = Path(__file__).with_name("fonts")  # DejaVu Sans: the built-in PDF fonts cannot print "≥"
_FONT = "DejaVu"
_ACT_NOW = ("emergency", "urgent")  # levels whose report leads with what to do now
_NOW, _ADVICE = "What to do now", "Advice"
_CAUSE_COLUMNS = (("Cause", "LEFT", 46), ("Probability", "RIGHT", 28), ("How common", "RIGHT", 30),
                  (f"Likely (\u2265 {100 * config.LIKELY_AT_LEAST:.0f}%)", "LEFT", 32))  # heading, alignment, mm
_YES, _NO, _UNKNOWN = "yes", "no", "don't know"


@dataclass(frozen=True)
class Item:
    """A line of the report, and the source it rests on in small print (empty when it rests on none)."""

    text: str
    note: str = ""


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


def _answer_sections(assessment: Assessment, kb: KnowledgeBase, asked: Collection[str] | None) -> list[Section]:
    """The days, then the answers given as pertinent positives, pertinent negatives and "don't know", and how
    many questions were not asked (an interview stops when more answers would change little)."""
    given: dict[str, list[Item]] = {_YES: [], _NO: [], _UNKNOWN: []}
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
        Section("Answered \u201cdon't know\u201d", items=tuple(given[_UNKNOWN]) or none),
    ]
    if not_asked:
        sections.append(Section("Not asked", paragraphs=(Item(
            f"{not_asked} more question{'s' if not_asked > 1 else ''}: the interview stopped when more answers "
            "were expected to change little."),)))
    return sections


def _advice(assessment: Assessment) -> Section:
    """The disposition, every red flag that fired with its source, and the source of the advice."""
    level = assessment.level
    act_now = assessment.disposition in _ACT_NOW
    paragraphs = [Item(f"{level.title}. {level.action}", level.source.cite())]
    if assessment.red_flags:
        paragraphs.append(Item("Because of these answers:"))
    return Section(_NOW if act_now else _ADVICE, paragraphs=tuple(paragraphs),
                   items=tuple(Item(rule.reason, rule.source.cite()) for rule in assessment.red_flags),
                   alert=act_now)


def _causes(assessment: Assessment) -> Section:
    """Every cause, most probable first, with its probability beside how common it is."""
    rows = [tuple(heading for heading, _, _ in _CAUSE_COLUMNS)]
    rows += [(r.name, _percent(r.probability), _percent(r.prevalence), "likely" if r.likely else "")
             for r in assessment.labels]
    return Section("Possible causes", paragraphs=(Item(
        "Probability: the model's estimate for these answers. How common: the share of people with twitching "
        f"who have it. Likely: a probability of at least {_percent(config.LIKELY_AT_LEAST)}. Only a test can confirm a "
        "cause."),),
        table=tuple(rows))


def _tests(assessment: Assessment) -> Section:
    """The tests of the likely causes (else of the most probable one), each once, with its source."""
    results = [r for r in assessment.labels if r.likely] or list(assessment.labels[:1])
    tests: dict[str, tuple[list[str], str]] = {}
    for result in results:
        for test in result.tests:
            tests.setdefault(test.text, ([], test.source.cite()))[0].append(result.name)
    lead = () if any(r.likely for r in results) else (Item(
        f"No cause is more likely than not; the tests for the most probable one, {results[0].name}:"),)
    return Section("Tests to ask for", paragraphs=lead,
                   items=tuple(Item(f"{text} (for {', '.join(names)})", note) for text, (names, note) in tests.items()))


def build(assessment: Assessment, kb: KnowledgeBase, *, model_version: str, when: _dt.date,
          asked: Collection[str] | None = None) -> Report:
    """The report of one assessed case.

    Parameters
    ----------
    assessment : the case as :func:`twitch_triage.triage.assess` returns it.
    kb : the knowledge base it was assessed with (questions, red flags, sources, disclaimer).
    model_version : one line naming the model (:attr:`twitch_triage.artifact.Predictor.version`).
    when : the date the report is made (a datetime gives its date).
    asked : the answers the person was asked (an interview's keys, "unknown" included); an unknown answer
        not among them is counted as not asked rather than listed as "don't know". None: every one was asked.
    """
    advice = _advice(assessment)
    sections = [*_answer_sections(assessment, kb, asked), _causes(assessment), _tests(assessment)]
    sections.insert(0 if advice.alert else len(sections) - 2, advice)  # an emergency comes first
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
        for k, paragraph in enumerate(section.paragraphs):
            lines += [_md_item(paragraph, strong=section.alert and k == 0), ""]
        if section.items:
            lines += [f"- {_md_item(item, '  ')}" for item in section.items] + [""]
        if section.table:
            header, *rows = section.table
            lines += ["| " + " | ".join(map(_md, header)) + " |",
                      "|" + "|".join(" ---: " if align == "RIGHT" else " --- " for _, align, _ in _CAUSE_COLUMNS) + "|",
                      *("| " + " | ".join(map(_md, row)) + " |" for row in rows), ""]
    return "\n".join(lines).rstrip() + "\n"


def markdown(assessment: Assessment, kb: KnowledgeBase, *, model_version: str, when: _dt.date,
             asked: Collection[str] | None = None) -> str:
    """The report as Markdown text (arguments as :func:`build`)."""
    return _render_markdown(build(assessment, kb, model_version=model_version, when=when, asked=asked))


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
        for k, paragraph in enumerate(section.paragraphs):
            item(paragraph, 11 if section.alert and k == 0 else 10, "B" if section.alert and k == 0 else "")
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
        asked: Collection[str] | None = None) -> bytes:
    """The report as a PDF file's bytes (arguments as :func:`build`), in the bundled DejaVu Sans."""
    return _render_pdf(build(assessment, kb, model_version=model_version, when=when, asked=asked), when)
