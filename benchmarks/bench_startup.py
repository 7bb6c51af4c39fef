"""Start-up of the command line as the user runs it: a fresh process each time, beside a baseline process.

* ``twitch-triage score`` on a one-row file (the model in ``models/``) beside
  ``python -c "import sklearn.neural_network"``, which every scoring process paid for while
  loading the model unpickled scikit-learn's classes (scoring now reads the model's arrays with
  numpy alone); the target is at most 0.3 s more. And beside the I/O floor as a process on the
  same file (``benchmarks/io_floor.py``: the interpreter, pyarrow's import, the reading and
  writing), which shows what the command's start-up costs beyond them.
* ``twitch-triage --help`` and ``twitch-triage schema`` beside a bare interpreter
  (``python -c pass``): they import no numerical library.

The commands and their baselines run in alternating rounds; each difference is the median of the
per-round differences.

Usage::

    .venv/bin/python benchmarks/bench_startup.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_score import FLOOR_SCRIPT, command

TARGET_SECONDS = 0.3


def wall(args: list[str]) -> float:
    """Wall seconds of one process, which must succeed."""
    start = time.perf_counter()
    process = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if process.returncode:
        raise RuntimeError(f"{' '.join(args)} exited {process.returncode}: {process.stderr.decode()[-500:]}")
    return seconds


def main(argv: list[str] | None = None) -> list[str]:
    """Run the start-up benchmark; returns its markdown section's lines."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9, help="rounds (medians)")
    args = parser.parse_args(argv or [])
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        one, out = Path(folder) / "one.csv", Path(folder) / "scored.csv"
        subprocess.run(command("generate", "--n", "1", "--seed", "1", "-o", str(one)), check=True, capture_output=True)
        runs = {
            "import": [sys.executable, "-c", "import sklearn.neural_network"],
            "score": command("score", str(one), "-o", str(out), "--quiet"),
            "floor": [sys.executable, str(FLOOR_SCRIPT), str(one), str(out)],
            "bare": [sys.executable, "-c", "pass"],
            "help": command("--help"),
            "schema": command("schema"),
        }
        for cmd in runs.values():  # warm-up: the page cache and Python's bytecode caches
            wall(cmd)
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.repeat):
            for name, cmd in runs.items():
                times[name].append(wall(cmd))

    med = statistics.median

    def row(name: str, what: str, base: str, base_what: str, target: str = "") -> str:
        extra = med(t - b for t, b in zip(times[name], times[base]))
        return (f"| {what} | {med(times[name]):.2f} s | {base_what}: {med(times[base]):.2f} s "
                f"| {extra:+.2f} s | {target} |")

    extra_score = med(t - b for t, b in zip(times["score"], times["import"]))
    verdict = "met" if extra_score <= TARGET_SECONDS else "**not met**"
    return [
        "## Start-up (a fresh process, as the user runs it)",
        "",
        f"Medians of {args.repeat} alternating rounds; the difference is the median of the per-round differences. "
        "Scoring reads the model's arrays with numpy alone (`models/model.npz`) and imports neither "
        "scikit-learn nor scipy, nor pandas (nor tqdm with `--quiet`); the one-row file is measured beside the scikit-learn import every scoring "
        "process paid for while loading the model unpickled it, and beside the I/O floor as a process on the "
        "same file.",
        "",
        "| command | median | baseline in the same rounds | difference | target |",
        "| --- | ---: | --- | ---: | --- |",
        row("score", "`twitch-triage score` a one-row file", "import",
            '`python -c "import sklearn.neural_network"`',
            f"at most +{TARGET_SECONDS} s: {verdict}"),
        row("score", "`twitch-triage score` a one-row file", "floor",
            "`python benchmarks/io_floor.py` on the same file"),
        row("help", "`twitch-triage --help`", "bare", "`python -c pass`"),
        row("schema", "`twitch-triage schema`", "bare", "`python -c pass`"),
        "",
    ]


if __name__ == "__main__":
    print("\n".join(main(sys.argv[1:])))
