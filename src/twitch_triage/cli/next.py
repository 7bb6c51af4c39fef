"""``twitch-triage next``: one interview step, the answers so far in, the next question and the triage out."""

from __future__ import annotations

import argparse

from ..settings import Settings
from .inputs import load_kb, load_predictor, read_answers
from .options import EXIT_OK, answers_argument, command, model_option

__all__ = ["add", "run"]


def add(subparsers: argparse._SubParsersAction) -> None:
    p = command(subparsers, "next", run,
                "one interview step: the answers so far in, the next question and the triage out (JSON)",
                """twitch-triage next '{"loc_eyelid": "yes", "duration_days": 3}'    (no argument or - reads """
                "standard input)")
    answers_argument(p, "a JSON object of the answers so far (default: read it from standard input)")
    p.add_argument("--for-report", action="store_true",
                   help="after an urgent stop, go on asking for the doctor's report (the advice stays urgent)")
    model_option(p)


def run(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from .. import interview
    from ..io.files import InputError

    answers = read_answers(args.answers)
    kb = load_kb(args, settings)
    try:
        result = interview.step(answers, kb=kb, model=load_predictor(args, kb, settings),
                                for_report=args.for_report)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    print(json.dumps(result, ensure_ascii=False))
    return EXIT_OK
