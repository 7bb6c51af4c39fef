"""The report for the doctor in the app: the person's optional details, then the PDF, text and FHIR downloads."""

from __future__ import annotations

import datetime
from typing import Any, Sequence

import streamlit as st

from twitch_triage import triage
from twitch_triage.knowledge import KnowledgeBase
from twitch_triage.report import case_report, fhir, person

__all__ = ["show_report_downloads", "show_emergency_report", "report_files", "REPORT_PDF", "REPORT_TEXT",
           "REPORT_FHIR", "REPORT_AGE", "REPORT_SEX", "REPORT_MEDICINES"]

REPORT_PDF, REPORT_TEXT, REPORT_FHIR = "Report (PDF)", "Report (text)", "Report (FHIR)"  # the download labels
REPORT_AGE, REPORT_SEX, REPORT_MEDICINES = "report_age", "report_sex", "report_medicines"  # the details' keys
_DOWNLOADS = {REPORT_PDF: ("report_pdf", ":material/picture_as_pdf:"),  # label -> key, icon
              REPORT_TEXT: ("report_text", ":material/description:"),
              REPORT_FHIR: ("report_fhir", ":material/data_object:")}


def _person_fields() -> person.Person | None:
    """The person's optional details for the report (age, sex, current medicines), none used by the advice;
    None, with the reason shown, when one cannot be used."""
    st.markdown("**Your details for the report (optional)**")
    age_column, sex_column = st.columns(2)
    age = age_column.text_input("Age (years)", key=REPORT_AGE, max_chars=3, placeholder="Not given")
    sex = sex_column.selectbox("Sex", person.SEXES, index=None, key=REPORT_SEX, placeholder="Not given",
                               format_func=str.capitalize)
    medicines = st.text_input("Medicines you take now", key=REPORT_MEDICINES, max_chars=person.MAX_MEDICINES,
                              placeholder="e.g. ramipril 5 mg once a day")
    st.caption("Each may be left blank. They go into the report for the doctor only: the advice above does not "
               "use them.")
    try:
        return person.parse(age, sex, medicines)
    except ValueError as exc:
        st.error(f"Check your details: {exc}", icon=":material/error:")
        return None


def report_files(assessment: triage.Assessment, asked: tuple[str, ...], scorer: triage.Scorer, kb: KnowledgeBase,
                 triggers: Sequence[str], unsure: Sequence[tuple[str, str]], details: person.Person,
                 today: datetime.date) -> dict[str, tuple[Any, str, str]]:
    """The report's downloads: label -> (a function that makes its bytes or text, file name, MIME type)."""
    name = f"twitch-triage-report-{today:%Y-%m-%d}"
    what = dict(model_version=scorer.version, asked=asked, person=details)
    words = dict(when=today, triggers=tuple(triggers), unsure=tuple(unsure), **what)
    when = datetime.datetime.combine(today, datetime.time(), tzinfo=datetime.timezone.utc)
    return {
        REPORT_PDF: (lambda: case_report.pdf(assessment, kb, **words), f"{name}.pdf", "application/pdf"),
        REPORT_TEXT: (lambda: case_report.text(assessment, kb, **words), f"{name}.txt", "text/plain"),
        REPORT_FHIR: (lambda: fhir.dumps(fhir.bundle(assessment, kb, when=when, **what)), f"{name}.fhir.json",
                      "application/fhir+json"),
    }


def show_emergency_report(assessment: triage.Assessment, asked: tuple[str, ...], scorer: triage.Scorer,
                          kb: KnowledgeBase, unsure: Sequence[tuple[str, str]] = ()) -> None:
    """On an emergency page, below what to do now, the one-page report with its summary for the paramedic (no
    fields to fill in: nothing should hold the person up)."""
    files = report_files(assessment, asked, scorer, kb, (), unsure, person.Person(), datetime.date.today())
    make, file_name, mime = files[REPORT_PDF]
    key, icon = _DOWNLOADS[REPORT_PDF]
    st.container().download_button(REPORT_PDF, key=key, data=make, icon=icon, file_name=file_name, mime=mime,
                                   on_click="ignore", help="A one-page summary of your answers for the paramedic or "
                                   "the emergency department. Call for help first.")


def show_report_downloads(assessment: triage.Assessment, asked: tuple[str, ...], scorer: triage.Scorer,
                          kb: KnowledgeBase, triggers: Sequence[str] = (),
                          unsure: Sequence[tuple[str, str]] = ()) -> None:
    """The person's optional details, then the report for the doctor as PDF, as plain text and as a FHIR bundle
    for a clinic's system (each made when the person downloads it); ``asked``: the answers the person was asked,
    so that questions the interview never asked are not listed as "not sure"."""
    details = _person_fields()
    if details is None:
        return
    files = report_files(assessment, asked, scorer, kb, triggers, unsure, details, datetime.date.today())
    for column, (label, (make, file_name, mime)) in zip(st.columns(len(files)), files.items()):
        key, icon = _DOWNLOADS[label]
        column.download_button(label, key=key, data=make, type="primary" if label == REPORT_PDF else "secondary",
                               icon=icon, file_name=file_name, mime=mime, on_click="ignore", width="stretch")
    holds = ("the advice with its reasons and sources, what may be lacking and the tests to ask for"
             if case_report.nutrients_apply(assessment) else "the advice with its reasons and sources")
    st.caption(f"One page with the date, your answers and {holds}: to print or show at the appointment. "
               "FHIR is the format clinics' computer systems read.")
