"""The result of a case: what to do first (the advice, when to get help sooner, the warning signs left unsure) and
the report for the doctor; then whether anything may be lacking at all, what may be lacking, why, and what if an
answer were the other way; the plan. An emergency shows only what to do now."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import streamlit as st

from twitch_triage.report import case_report
from twitch_triage import contract
from twitch_triage.report import fhir
from twitch_triage.report import person
from twitch_triage.triage import redflags
from twitch_triage import interview, triage
from twitch_triage.knowledge import KnowledgeBase, Level
from twitch_triage_app import charts, shared

__all__ = ["show_results", "show_disposition", "show_safety_net", "show_unsure", "show_nothing_lacking",
           "show_nutrients", "show_plan", "what_if_rows", "nothing_lacking_line", "WhatIf", "report_files",
           "REPORT_PDF", "REPORT_TEXT", "REPORT_FHIR", "REPORT_AGE", "REPORT_SEX", "REPORT_MEDICINES"]

WARNING = "warning"  # the knowledge base's group of warning signs: a checklist, asked first
_FOLDED = "urgent"  # a level whose page shows what to do, and folds the nutrients away for after the visit
_ONLY_ACTION = "emergency"  # a level whose page shows what to do now, and nothing else
_DOCTOR = "see_doctor"  # this level and those above send the person to a doctor: no reassurance that it passes
_TOP = 3  # the what-if compares the most probable labels
_MATTERS = 0.05  # an answer matters when turning it round moves one of them by 5 percentage points or more,
# or lowers the advice (the answer is a reason for it)
_WHAT_IF_SHOWN = 6  # what-if lines shown at once; the rest fold away (a long interview has many)
_NOTHING = "Nothing lacking (twitching from another cause)"
REPORT_PDF, REPORT_TEXT, REPORT_FHIR = "Report (PDF)", "Report (text)", "Report (FHIR)"  # the download labels
REPORT_AGE, REPORT_SEX, REPORT_MEDICINES = "report_age", "report_sex", "report_medicines"  # the details' keys
_DOWNLOADS = {REPORT_PDF: ("report_pdf", ":material/picture_as_pdf:"),  # label -> key, icon
              REPORT_TEXT: ("report_text", ":material/description:"),
              REPORT_FHIR: ("report_fhir", ":material/data_object:")}


def _percent(p: float) -> str:
    return f"{100 * p:.0f}%"


def _sends_to_doctor(assessment: triage.Assessment) -> bool:
    """Whether the advice is to see a doctor (or more severe): such a page does not say it will likely pass."""
    return redflags.level_rank(assessment.disposition) <= redflags.level_rank(_DOCTOR)


def _item(item: case_report.Item) -> str:
    """A line of the report as markdown: its text, and its source in small grey print below."""
    return shared.plain(item.text) + (f"  \n{shared.quiet(item.note)}" if item.note else "")


# --------------------------------------------------------------------------- what to do


def _level_source_shown(assessment: triage.Assessment) -> bool:
    """The level's own source explains the advice only when no rule fired or a rule that fired rests on it
    (the rules' sources are listed with them)."""
    return not assessment.red_flags or any(rule.source == assessment.level.source for rule in assessment.red_flags)


def show_disposition(assessment: triage.Assessment, kb: KnowledgeBase) -> None:
    """The banner: call an ambulance first when a rule that fired says so, then what to do, and every red flag
    that fired with its source; below it, the level's source when it is the reason."""
    level = assessment.level
    lines = []
    if any(rule.call_ambulance for rule in assessment.red_flags):
        lines += [f"**{shared.filled(kb.cited_text('ambulance'))}**", ""]
    lines.append(f"**{shared.plain(level.title)}.** {shared.plain(level.action)}")
    if assessment.red_flags:
        lines.append("")
        lines.append("Because you answered:")
        lines.extend(f"- **{shared.plain(rule.reason)}** — {shared.cite(rule.source)}"
                     for rule in assessment.red_flags)
    shared.banner(assessment.disposition, "\n".join(lines))
    number = shared.settings().emergency_number
    if assessment.disposition == _ONLY_ACTION and number:
        st.link_button(f"Call {number}", shared.call_link(number), type="primary", icon=":material/call:",
                       width="stretch")
    if _level_source_shown(assessment):
        st.caption(f"Why this advice: {shared.cite(level.source)}")


def show_safety_net(level: Level) -> None:
    """When to get help sooner (or, in an emergency, what to do until help comes), with its source."""
    with st.container(border=True):
        st.markdown(f":material/e911_emergency: {shared.cited(level.safety_net)}")


def show_unsure(unsure: Sequence[tuple[str, str]], assessment: triage.Assessment, kb: KnowledgeBase) -> None:
    """The warning signs answered "don't know" that would call for more than the advice given, each with what it
    calls for (an unknown answer fires no rule, so the advice does not count them)."""
    items = case_report.unsure_items(unsure, kb, beyond=assessment.disposition)
    if items:
        st.warning("\n\n".join(_item(item) for item in items), icon=":material/help:")


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


# --------------------------------------------------------------------------- is anything lacking at all


def nothing_lacking_line(assessment: triage.Assessment) -> str:
    """The probability that no nutrient is lacking, as one line ("" when the model gives none)."""
    if math.isnan(assessment.p_nothing_lacking):
        return ""
    return f"{_NOTHING}: **{_percent(assessment.p_nothing_lacking)}**"


def show_plan(kb: KnowledgeBase, assessment: triage.Assessment, title: str | None = None) -> None:
    """The plan's steps with their sources; its reassurance ("many people improve…") only on a page that does
    not send the person to a doctor."""
    if title is None:
        st.subheader(kb.plan_title, anchor=False)
    else:
        st.markdown(f"##### {title}")
    st.markdown("\n".join(f"1. {shared.plain(step.text)}  \n   {shared.quiet_cite(step.source)}" for step in kb.plan))
    if not _sends_to_doctor(assessment):
        st.markdown(shared.cited(kb.plan_note))


def show_nothing_lacking(assessment: triage.Assessment, triggers: Sequence[str], kb: KnowledgeBase) -> None:
    """Nothing lacking, when the model finds it at least as probable as every nutrient: how probable, the
    everyday triggers the person has, what to try, and when to see a doctor anyway."""
    st.subheader("Most likely, nothing is lacking", anchor=False)
    st.markdown(f"The model gives a **{_percent(assessment.p_nothing_lacking)}** probability that none of the ten "
                "nutrients is lacking: the twitching may have another, everyday cause. That is at least as "
                "probable as any one nutrient being low.\n\n" + shared.cited(kb.cited_text("nothing_lacking")))
    items = case_report.trigger_items(triggers, assessment, kb)
    if items:
        lines, cited = [], set()
        for item in items:  # a source shared with the line above is not repeated
            lines.append(f"- {shared.plain(item.text)} — *yes*"
                         + (f"  \n  {shared.quiet(item.note)}" if item.note and item.note not in cited else ""))
            cited.add(item.note)
        st.markdown("**Your answers that point to an everyday cause**\n\n" + "\n".join(lines)
                    + "\n\n" + shared.cited(kb.cited_text("nothing_lacking_triggers")))
    show_plan(kb, assessment, title="What to try")
    st.markdown("##### When to see a doctor anyway")
    st.markdown(shared.cited(kb.cited_text("see_doctor_anyway")))


# --------------------------------------------------------------------------- what may be lacking


def _base_rate(result: triage.LabelResult, kb: KnowledgeBase) -> str:
    """What the model assumes about how common the label is, in the knowledge base's words."""
    return shared.filled(kb.cited_text("base_rate"), percent=_percent(result.prevalence))


def _odds(result: triage.LabelResult, kb: KnowledgeBase) -> str:
    """A label's probability beside the share the model assumes."""
    return f"{_percent(result.probability)} for answers like yours. {_base_rate(result, kb)}"


def _evidence_lines(result: triage.LabelResult, assessment: triage.Assessment, kb: KnowledgeBase) -> list[str]:
    """The answers that move this label (the library's evidence), then yes-answers the sources link to it."""
    lines = []
    towards = [e for e in result.evidence if e.effect > 0]
    away = [e for e in result.evidence if e.effect < 0]
    for title, items in (("Answers pointing towards it", towards), ("Answers pointing away from it", away)):
        if not items:
            continue
        lines.extend(["", f"**{title}**", ""])  # blank lines: a heading, not the end of the list item before it
        for e in items:
            value = f"{e.value} days" if e.answer == contract.DAYS_ANSWER else e.value
            line = (f"- {shared.plain(e.question)} — *{value}*: {_percent(result.probability - e.effect)} without "
                    f"this answer → {_percent(result.probability)} with it")
            if e.source is None:
                line += "  \n  _learned by the model, not a documented link_"
            else:
                line += f"  \n  {shared.quiet_cite(e.source)}"
                if e.agrees_with_kb is False:
                    line += "  \n  _the model moves this the other way from the knowledge base's link_"
            lines.append(line)
    moved = {e.answer for e in result.evidence}
    documented = [link for link in kb.links_for(result.label)
                  if assessment.answers.get(link.answer) == 1 and link.answer not in moved]
    if documented:
        lines.extend(["", "**Your answers the sources link to it** (the estimate does not move on any one of them "
                      "alone)", ""])
        lines.extend(f"- {shared.plain(kb.answer(link.answer).question)} — *yes*  \n  {shared.quiet_cite(link.source)}"
                     for link in documented)
    return lines


def show_label(result: triage.LabelResult, assessment: triage.Assessment, kb: KnowledgeBase, expanded: bool,
               folded: bool = False) -> None:
    """One likely label: what the model assumes, why, the tests to ask for, food sources. Inside a folded section
    (which cannot hold expanders) it is a bordered box instead of an expander."""
    header = f"{result.name} — {_percent(result.probability)} for answers like yours"
    box = st.container(border=True) if folded else st.expander(header, expanded=expanded, icon=":material/science:")
    with box:
        if folded:
            st.markdown(f"**{shared.plain(header)}**")
        role = kb.label(result.label).role
        st.markdown(f"{shared.plain(role.text)}  \n{shared.quiet_cite(role.source)}")
        st.markdown(f"{_base_rate(result, kb)}  \n{shared.quiet_cite(kb.cited_text('base_rate').source)}")
        st.markdown("##### Why")
        evidence = _evidence_lines(result, assessment, kb)
        st.markdown("\n".join(evidence).strip() if evidence
                    else "No single answer moves this much; it comes from the answers together.")
        st.markdown("##### Tests to ask for")
        st.markdown("\n".join(f"- {shared.plain(t.text)}  \n  {shared.quiet_cite(t.source)}" for t in result.tests))
        st.markdown("##### Food sources")
        st.markdown(f"{shared.plain(result.foods.text)}  \n{shared.quiet_cite(result.foods.source)}")
        st.markdown("##### What the sources advise")
        st.markdown(f"{shared.plain(result.advice.text)}  \n{shared.quiet_cite(result.advice.source)}")


@dataclass(frozen=True)
class WhatIf:
    """One answer turned round: the most probable labels now and if it were the other way, and the advice."""

    answer: str
    given: str  # "yes" or "no"
    other: str  # the other way
    moves: tuple[tuple[str, float, float], ...]  # (label name, probability now, probability if turned round)
    disposition: str  # the disposition if turned round

    @property
    def largest(self) -> float:
        return max(abs(after - now) for _, now, after in self.moves)


def what_if_rows(answers: Mapping[str, Any], assessment: triage.Assessment, scorer: triage.Scorer,
                 kb: KnowledgeBase) -> list[WhatIf]:
    """Each yes / no answer turned round (:func:`twitch_triage.interview.what_if`, one batch call); those that
    move one of the most probable labels by :data:`_MATTERS` or more, or would lower the disposition, largest
    move first."""
    top = [(r.name, r.label, r.probability) for r in assessment.labels[:_TOP]]
    found = []
    for answer_id, turned in interview.what_if(answers, kb=kb, model=scorer).items():
        item = WhatIf(answer=answer_id, given=turned["answer"], other=turned["other"],
                      moves=tuple((name, now, turned["probabilities"][label]) for name, label, now in top),
                      disposition=turned["disposition"])
        lowers = redflags.level_rank(item.disposition) > redflags.level_rank(assessment.disposition)
        if item.largest >= _MATTERS or lowers:
            found.append(item)
    return sorted(found, key=lambda item: -item.largest)


def show_what_if(answers: Mapping[str, Any], assessment: triage.Assessment, scorer: triage.Scorer,
                 kb: KnowledgeBase, folded: bool = False) -> None:
    """For each answer that mattered: the most probable labels now → if it were the other way; the first
    :data:`_WHAT_IF_SHOWN` at once (the answers the advice rests on, then those that move them most), the rest folded
    away (inside a folded section, which cannot hold an expander, all of them)."""
    rows = what_if_rows(answers, assessment, scorer, kb)
    if not rows:
        return
    rank = redflags.level_rank  # 0 the most severe
    rows.sort(key=lambda item: rank(item.disposition) <= rank(assessment.disposition))  # the advice's reasons first
    st.markdown("##### What if an answer were the other way")
    st.caption(f"Each answer that moves one of the {_TOP} most probable nutrients by {100 * _MATTERS:.0f} percentage "
               "points or more, or that the advice rests on, turned round on its own: the probability now → if it "
               "were the other way.")
    lines = []
    for item in rows:
        moves = "; ".join(f"{name} {_percent(now)} → {_percent(after)}" for name, now, after in item.moves)
        line = f"- {shared.plain(kb.answer(item.answer).question)} You said *{item.given}*; if *{item.other}*: {moves}."
        if item.disposition != assessment.disposition:
            line += (f"  \n  The advice would be **{kb.level(item.disposition).title}** instead of "
                     f"{kb.level(assessment.disposition).title}.")
        lines.append(line)
    shown = len(lines) if folded else _WHAT_IF_SHOWN
    st.markdown("\n".join(lines[:shown]))
    if lines[shown:]:
        with st.expander(f"{len(lines) - shown} more answer{'s' if len(lines) - shown > 1 else ''} that matter",
                         icon=":material/unfold_more:"):
            st.markdown("\n".join(lines[shown:]))


def show_nutrients(answers: Mapping[str, Any], assessment: triage.Assessment, scorer: triage.Scorer,
                   kb: KnowledgeBase, folded: bool = False) -> None:
    """What may be lacking, each with its probability beside what the model assumes, and the probability that
    nothing is; the warning against supplements without a blood test; why, and what if."""
    likely = [r for r in assessment.labels if r.likely]
    if likely:
        text = ("Your answers suggest you **may be lacking**:\n"
                + "\n".join(f"- **{r.name}** — {_odds(r, kb)}" for r in likely)
                + "\n\nOnly a blood test can tell whether you do.")
    else:
        top = assessment.labels[0]
        text = f"No nutrient is more likely than not. The highest is **{top.name}** — {_odds(top, kb)}"
    nothing = nothing_lacking_line(assessment)
    st.markdown(text + (f"\n\n{nothing}" if nothing else ""))
    st.markdown(f":material/medication: **{shared.filled(kb.cited_text('supplement_warning'))}**  \n"
                f"{shared.quiet_cite(kb.cited_text('supplement_warning').source)}")
    st.altair_chart(charts.probabilities_chart(assessment), width="stretch")
    st.caption(f"Bars: the model's probability for each nutrient. Black ticks: {charts.ASSUMED_CAPTION} The model "
               "learned from made-up (synthetic) cases, not from patients.")
    for i, result in enumerate(likely):
        show_label(result, assessment, kb, expanded=i == 0, folded=folded)
    show_what_if(answers, assessment, scorer, kb, folded=folded)


def _explanations(answers: Mapping[str, Any], assessment: triage.Assessment, scorer: triage.Scorer,
                  kb: KnowledgeBase, triggers: Sequence[str], folded: bool = False) -> None:
    """Whether anything is lacking at all when that leads, what may be lacking, and the plan (once)."""
    leads = case_report.nothing_leads(assessment)
    if leads:
        show_nothing_lacking(assessment, triggers, kb)
    if not folded or leads:  # folded without the section above, the fold's title says what this is
        st.subheader("What may be lacking", anchor=False)
    show_nutrients(answers, assessment, scorer, kb, folded=folded)
    if not leads and not folded:
        show_plan(kb, assessment)


# --------------------------------------------------------------------------- the page


def _nothing_to_go_on(assessment: triage.Assessment, kb: KnowledgeBase) -> bool:
    """No rule fired and every answer beyond the warning signs is unknown."""
    beyond_checklist = [v for a, v in assessment.answers.items() if kb.answer(a).group != WARNING]
    return not assessment.red_flags and all(math.isnan(v) for v in beyond_checklist)


def show_results(answers: Mapping[str, Any], scorer: triage.Scorer, kb: KnowledgeBase) -> None:
    """The result of a case's answers, most important first: what to do, when to get help sooner and the warning
    signs left unsure; then whether anything is lacking, what may be, and the plan. An emergency shows only what to
    do now; an urgent case folds the nutrients away for after the visit, or leaves them out when the advice is
    about a cause the model does not weigh."""
    assessment = triage.assess(answers, scorer, kb)
    unsure = interview.unsure(answers, kb)
    if _nothing_to_go_on(assessment, kb):
        st.info("You answered yes to no warning sign and left every other question at \u201cDon't know\u201d, so "
                "there is nothing to go on yet. "
                "Answer the questions you can, even just where the twitching is, and check again.",
                icon=":material/help:")
        show_unsure(unsure, assessment, kb)
        return
    st.header("Your result", anchor=False)
    show_disposition(assessment, kb)
    show_safety_net(assessment.level)
    show_unsure(unsure, assessment, kb)
    if assessment.disposition == _ONLY_ACTION:
        show_emergency_report(assessment, tuple(answers), scorer, kb, unsure)
        return
    triggers = interview.triggers(answers, kb=kb, model=scorer)
    report = (tuple(answers), scorer, kb, triggers, unsure)
    nutrients = case_report.nutrients_apply(assessment)
    if not nutrients:  # the figures are not the answer to this advice: none are shown
        st.info(shared.cited(kb.cited_text("nutrients_only")), icon=":material/info:")
    if _sends_to_doctor(assessment):
        show_report_downloads(assessment, *report)
    if nutrients and assessment.disposition == _FOLDED:
        with st.expander("After you have been seen: what else the answers point to", expanded=False,
                         icon=":material/science:"):
            _explanations(answers, assessment, scorer, kb, triggers, folded=True)
    elif nutrients:
        _explanations(answers, assessment, scorer, kb, triggers)
    if not _sends_to_doctor(assessment):
        st.subheader("If you see a doctor", anchor=False)
        show_report_downloads(assessment, *report)
