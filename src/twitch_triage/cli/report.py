"""``twitch-triage report``: the report of one case for the doctor, as PDF, plain text or a FHIR R4 bundle."""

from __future__ import annotations

import argparse
import sys

from ..report.person import MAX_AGE, MAX_MEDICINES, SEXES, parse
from ..settings import Settings
from .inputs import load_kb, load_predictor, read_answers
from .options import EXIT_OK, answers_argument, command, model_option

__all__ = ["add", "run"]


def _age(text: str) -> int:
    try:
        return parse(age=text).age
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add(subparsers: argparse._SubParsersAction) -> None:
    p = command(subparsers, "report", run,
                "the report of one case for the doctor: PDF, plain text or a FHIR R4 bundle",
                """twitch-triage report '{"loc_eyelid": "yes", "cramps": "yes", "duration_days": 21}' --format pdf """
                """--age 42 --sex female --medicines "ramipril 5 mg" -o report.pdf    (no answers or - reads """
                "standard input)")
    answers_argument(p, "a JSON object of the answers, as for `next` (default: read it from standard input)")
    p.add_argument("--format", choices=("pdf", "text", "fhir"), default="pdf",
                   help="pdf (one A4 page), text (plain text) or fhir (a FHIR R4 Bundle as JSON); default pdf")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="the file to write, or - for standard output")
    p.add_argument("--age", type=_age, default=None, metavar="YEARS",
                   help=f"the person's age in whole years (0-{MAX_AGE})")
    p.add_argument("--sex", type=str.lower, choices=SEXES, default=None, help="the person's sex")
    p.add_argument("--medicines", default=None, metavar="TEXT",
                   help=f"the medicines the person takes now, as free text (at most {MAX_MEDICINES} characters)")
    model_option(p)


def run(args: argparse.Namespace, settings: Settings) -> int:
    import datetime as dt

    from .. import interview, triage
    from ..io.files import InputError, atomic_output
    from ..report import case_report, fhir

    try:
        details = parse(args.age, args.sex, args.medicines)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    answers = read_answers(args.answers)
    kb = load_kb(args, settings)
    predictor = load_predictor(args, kb, settings)
    try:
        triggers = interview.triggers(answers, kb=kb, model=predictor)  # checks every key and value first
    except ValueError as exc:
        raise InputError(str(exc)) from None
    assessment = triage.assess(answers, predictor, kb, explain=False)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    what = dict(model_version=predictor.version, asked=tuple(answers), person=details)
    if args.format == "fhir":
        data = fhir.dumps(fhir.bundle(assessment, kb, when=now, **what)).encode("utf-8")
    else:
        render = case_report.pdf if args.format == "pdf" else case_report.text
        made = render(assessment, kb, when=now.date(), triggers=triggers, unsure=interview.unsure(answers, kb),
                      **what)
        data = made if isinstance(made, bytes) else made.encode("utf-8")
    with atomic_output(args.output) as sink:
        sink.write(data)
    if args.output != "-":
        print(f"wrote the {args.format} report ({assessment.disposition}) to {args.output}", file=sys.stderr)
    return EXIT_OK
