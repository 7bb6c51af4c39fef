"""The commands' parsing: the one-line usage error, the exit codes, number types, a command's subparser and the
options several commands share."""

from __future__ import annotations

import argparse
from typing import Callable

__all__ = ["EXIT_OK", "EXIT_INTERNAL", "EXIT_USAGE", "Parser", "command", "whole", "non_negative_int",
           "positive_int", "model_option", "answers_argument"]

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 2


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def command(subparsers: argparse._SubParsersAction, name: str, run: Callable, help_text: str,
            example: str) -> argparse.ArgumentParser:
    """The subparser of the command ``name``, whose help ends with ``example``; ``run(args, settings)`` runs it."""
    parser = subparsers.add_parser(
        name, help=help_text, description=f"{help_text}\n\nexample:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=run)
    return parser


def whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a whole number") from None


def non_negative_int(text: str) -> int:
    value = whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; give a number >= 0")
    return value


def positive_int(text: str) -> int:
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def model_option(parser: argparse.ArgumentParser, help_text: str = "model folder (default models/)") -> None:
    """``--model DIR``: the model folder (default: the settings' one)."""
    parser.add_argument("--model", default=None, metavar="DIR", help=help_text)


def answers_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    """``ANSWERS_JSON``: a JSON object of answers, or nothing (or ``-``) to read it from standard input."""
    parser.add_argument("answers", nargs="?", default=None, metavar="ANSWERS_JSON", help=help_text)
