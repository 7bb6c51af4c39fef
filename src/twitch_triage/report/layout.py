"""The layout of a :class:`~twitch_triage.report.case_report.Report`: plain text, and an A4 PDF that fits one page.

Each item's source is a numbered note (``[3]``), and the notes are listed once, in small print, at the end.
"""

from __future__ import annotations

import datetime as _dt
import textwrap
from pathlib import Path

from .case_report import Item, Report

__all__ = ["FONTS_DIR", "WIDTH", "SCALES", "render_text", "render_pdf"]

FONTS_DIR = Path(__file__).with_name("fonts")  # DejaVu Sans: the built-in PDF fonts cannot print "≥"
WIDTH = 100  # characters per line of the text report
SCALES = (1.0, 0.93, 0.86, 0.8)  # type sizes tried in turn until the report fits one page (0.8: 6.8 pt body)
_FONT = "DejaVu"
_ALERT_RGB = (180, 35, 24)
_NOTE_GREY = 90
_BODY, _HEADING, _NOTE, _TITLE = 8.5, 10.0, 6.6, 14.0  # points, at scale 1
_MARGIN = 13  # mm
_LEADING = 0.42  # mm of line height per point of type: 1.2 times the type size
_CAUSE_WIDTHS = (50, 26, 30, 28)  # mm
_SOURCES = "Sources"


def _marks(report: Report) -> dict[str, int]:
    """Each note and its number."""
    return {note: n for n, note in enumerate(report.sources, start=1)}


def _marked(text: str, note: str, marks: dict[str, int]) -> str:
    """``text [n]``, n the number of ``note`` (the text alone without a note)."""
    return f"{text} [{marks[note]}]" if note else text


def _with_mark(entry: Item, marks: dict[str, int]) -> str:
    """An item's text with the number of its note, then its parts with theirs: ``Red flags: a [1]; b [2].``"""
    text = _marked(entry.text, entry.note, marks)
    if entry.parts:
        text += " " + "; ".join(_marked(part, note, marks) for part, note in entry.parts) + "."
    return text


# --------------------------------------------------------------------------- text


def _wrap(text: str, indent: str = "", first: str = "") -> list[str]:
    """``text`` in lines of at most :data:`WIDTH` characters, the first after ``first``, the rest after ``indent``."""
    return textwrap.wrap(text, WIDTH, initial_indent=first or indent, subsequent_indent=indent,
                         break_on_hyphens=False) or [""]


def _table_lines(table: tuple[tuple[str, ...], ...]) -> list[str]:
    """A table in columns of text, the first left-aligned, the others right-aligned, a rule under the header."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    for k, row in enumerate(table):
        cells = [cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def render_text(report: Report) -> str:
    """The report as plain text: the title, its header lines, each section under an underlined heading
    (``!!`` before the one that says what to do now), then the numbered sources."""
    marks = _marks(report)
    lines = [report.title, "=" * len(report.title), *report.header, ""]
    for section in report.sections:
        title = f"!! {section.title}" if section.alert else section.title
        lines += [title, "-" * len(title)]
        for paragraph in section.paragraphs:
            lines += _wrap(_with_mark(paragraph, marks))
        for entry in section.items:
            lines += _wrap(_with_mark(entry, marks), indent="  ", first="- ")
        if section.table:
            lines += _table_lines(section.table)
        lines.append("")
    lines += [_SOURCES, "-" * len(_SOURCES)]
    for note, n in marks.items():
        lines += _wrap(note, indent="     ", first=f"[{n}]".ljust(5))
    lines += ["", "Page 1 of 1"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- PDF


def _document(report: Report, when: _dt.date):
    """An empty A4 document in DejaVu Sans, dated ``when``, whose pages end in "Page n of N"."""
    from fpdf import FPDF  # here: only the PDF needs it

    class _Pages(FPDF):
        def footer(self) -> None:
            self.set_y(-9)
            self.set_font(_FONT, "", 7)
            self.set_text_color(_NOTE_GREY)
            self.cell(0, 4, f"{report.title} \u00b7 {when:%d %B %Y} \u00b7 Page {self.page_no()} of {{nb}}",
                      align="C")

    doc = _Pages(format="A4")
    doc.set_margins(_MARGIN, 11, _MARGIN)
    doc.set_auto_page_break(True, margin=12)
    doc.add_font(_FONT, "", FONTS_DIR / "DejaVuSans.ttf")
    doc.add_font(_FONT, "B", FONTS_DIR / "DejaVuSans-Bold.ttf")
    doc.set_title(report.title)
    doc.set_creator("twitch-triage")
    created = when if isinstance(when, _dt.datetime) else _dt.datetime(when.year, when.month, when.day)
    doc.set_creation_date(created if created.tzinfo else created.replace(tzinfo=_dt.timezone.utc))
    doc.add_page()
    return doc


def _write(doc, text: str, size: float, style: str = "", grey: int = 0, rgb: tuple[int, ...] | None = None,
           indent: float = 0, after: float = 0.6) -> None:
    """A paragraph of ``text`` at ``size`` points, ``after`` mm of space below it."""
    from fpdf.enums import XPos, YPos

    doc.set_font(_FONT, style, size)
    doc.set_text_color(*(rgb or (grey,)))
    doc.set_x(doc.l_margin + indent)
    doc.multi_cell(0, size * _LEADING, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(after)


def _table(doc, table: tuple[tuple[str, ...], ...], size: float) -> None:
    """The causes' table, its first row the header."""
    doc.set_font(_FONT, "", size)
    doc.set_text_color(0)
    aligns = ("LEFT", "RIGHT", "RIGHT", "LEFT")
    with doc.table(col_widths=_CAUSE_WIDTHS, width=sum(_CAUSE_WIDTHS), align="LEFT", text_align=aligns,
                   first_row_as_headings=True, line_height=size * _LEADING, padding=0.5) as rows:
        for row in table:
            cells = rows.row()
            for value in row:
                cells.cell(value)
    doc.ln(1)


def _lay_out(report: Report, when: _dt.date, scale: float):
    """The document at type size ``scale``."""
    marks = _marks(report)
    body, note = _BODY * scale, _NOTE * scale
    doc = _document(report, when)
    _write(doc, report.title, _TITLE * scale, "B", after=1)
    for line in report.header:
        _write(doc, line, note + 0.6, grey=_NOTE_GREY, after=0.2)
    for section in report.sections:
        doc.ln(1.6 * scale)
        title = ("\u26a0 " if section.alert else "") + section.title
        _write(doc, title, _HEADING * scale, "B", rgb=_ALERT_RGB if section.alert else (0, 0, 0), after=0.6)
        for paragraph in section.paragraphs:
            _write(doc, _with_mark(paragraph, marks), body + (0.5 if paragraph.strong else 0),
                   "B" if paragraph.strong else "")
        for entry in section.items:
            _write(doc, "\u2022 " + _with_mark(entry, marks), body, indent=2)
        if section.table:
            _table(doc, section.table, body)
    doc.ln(1.6 * scale)
    _write(doc, _SOURCES, note + 1, "B", grey=_NOTE_GREY, after=0.4)
    _write(doc, "  ".join(f"[{n}] {text}" for text, n in marks.items()), note, grey=_NOTE_GREY)
    return doc


def render_pdf(report: Report, when: _dt.date) -> bytes:
    """The report as A4 PDF bytes: at the largest of :data:`SCALES` at which it fits one page (else the
    smallest, on as many pages as it takes), "Page n of N" at the foot of each page."""
    for scale in SCALES:
        doc = _lay_out(report, when, scale)
        if doc.page_no() == 1:
            break
    return bytes(doc.output())
