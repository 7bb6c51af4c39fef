"""Running `twitch-triage score` in the test's own process, and reading what it wrote."""

from __future__ import annotations

import csv
import io

from twitch_triage import cli


def score(capsys, *args: str) -> tuple[int, str]:
    """The command in this process (fast): exit code and standard error."""
    code = cli.main(["score", *args])
    return code, capsys.readouterr().err


def rows(path) -> list[dict[str, str]]:
    """The rows of a scored file, whatever its delimiter and byte-order mark."""
    data = path.read_bytes().decode("utf-8-sig")
    delimiter = ";" if ";" in data.split("\n", 1)[0] else ","
    return list(csv.DictReader(io.StringIO(data, newline=""), delimiter=delimiter))
