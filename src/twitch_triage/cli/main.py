"""The ``twitch-triage`` entry point: the parser of every command, signals, exit codes, one-line errors."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import textwrap
import threading
from typing import Iterator, Sequence

from ..settings import Settings
from . import evaluate, generate, report, schema, score, train
from . import next as next_step  # not to hide the builtin next
from .options import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, Parser

__all__ = ["main", "build_parser"]

_COMMANDS = (generate, train, evaluate, score, schema, next_step, report)  # in the order --help lists them


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="twitch-triage",
        description="Which nutrient may be behind persistent muscle twitching, and when to see a doctor. "
        "Educational only: not medical advice.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=textwrap.dedent(
            """\
            examples:
              twitch-triage generate --n 1000 --seed 1 -o cases.csv
              twitch-triage train
              twitch-triage evaluate --json
              twitch-triage score cases.csv -o scored.csv
              twitch-triage score 'shards/*.csv' -o scored/ --engine dask --workers 2
              twitch-triage schema
              twitch-triage next '{"loc_eyelid": "yes"}'
              twitch-triage report '{"loc_eyelid": "yes"}' --format pdf -o report.pdf
            exit codes: 0 success, 2 unusable input or arguments, 1 internal error"""
        ),
    )
    parser.add_argument("--kb", default=None, help="knowledge base file (default: data/knowledge_base.yaml)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    subparsers.required = True
    for each in _COMMANDS:
        each.add(subparsers)
    return parser


class _Stopped(BaseException):
    """A signal asked the process to stop. Raised in the main thread, it unwinds the command as
    KeyboardInterrupt does, so that a partial output file is removed on the way out."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise _Stopped(signum)


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """While the command runs, SIGTERM and SIGHUP raise :class:`_Stopped` (SIGINT raises KeyboardInterrupt
    already; SIGPIPE is ignored, and a write to a closed pipe raises BrokenPipeError)."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    signums = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {signum: signal.signal(signum, _stop) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


def _exit_on_signal(command: str, signum: int, why: str = "") -> int:
    print(f"twitch-triage {command}: stopped by {signal.Signals(signum).name}{why}; no partial output file was left",
          file=sys.stderr)
    return 128 + signum


def _is_usage_error(exc: Exception) -> bool:
    """Unusable input or arguments (exit 2). Their classes are imported here, once there is an error,
    so that a command that succeeds without the CSV layer (``--help``, ``schema``) never imports it."""
    from ..io.files import InputError
    from ..knowledge import KnowledgeBaseError

    return isinstance(exc, (InputError, KnowledgeBaseError))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)  # --help and argument errors end here, before any library is imported
    settings = Settings.from_environment()  # read once, passed down to the command
    try:
        with _stopped_by_signals():
            return int(args.func(args, settings) or EXIT_OK)
    except _Stopped as stop:
        return _exit_on_signal(args.command, stop.signum)
    except KeyboardInterrupt:
        return _exit_on_signal(args.command, signal.SIGINT)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)  # nothing more reaches the closed pipe, not even at exit
        os.dup2(devnull, sys.stdout.fileno())
        return _exit_on_signal(args.command, signal.SIGPIPE, " (the output's reader closed it)")
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, exit 1
        if _is_usage_error(exc):
            print(f"twitch-triage {args.command}: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if settings.debug:
            raise
        print(f"twitch-triage {args.command}: internal error: {type(exc).__name__}: {exc} "
              "(set TWITCH_TRIAGE_DEBUG=1 for details)", file=sys.stderr)
        return EXIT_INTERNAL
