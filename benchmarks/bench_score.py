"""Batch scoring (`twitch-triage score`) against the I/O floor, measured in the same run.

* Files of 200,000 and 1,000,000 cases written by ``twitch-triage generate`` (answers
  spelt as the contract spells them, plus the true labels as extra passthrough columns).
* The I/O floor (``io_floor.py``): pyarrow's CSV reader reading the same file (every column
  as text) plus its writer writing it back with 15 more columns, in this process.
* The ratio, paired: each run of ``scoring.score_file`` in this process (the model already
  loaded, pyarrow's memory pool as the command sets it) right after a run of the floor;
  the median of the per-pair ratios. The same pairing for the command as the user runs it
  (a fresh process, start-up included) against the floor as a fresh process
  (``python benchmarks/io_floor.py``), and for the command less its start-up (a one-row
  file, in the same pair) against the floor in process, with the peak RSS of each run
  (reported by a small wrapper process). Before each timed run the page cache's dirty pages
  are written out (``os.sync``), so that no run pays for the previous one's output.

``main()`` returns a markdown section between two HTML-comment markers; run as a script, it
also writes that section into ``reports/benchmarks.md``, replacing its previous one and keeping
the rest of the file (with ``--print``, it only prints it: ``benchmarks/run.py`` runs it so, in a
process of its own). The one-case latency has its own section, from ``benchmarks/run.py``.

Usage::

    .venv/bin/python benchmarks/bench_score.py [--model DIR] [--sizes 200000 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from io_floor import EXTRA_COLUMNS, copy_with_columns

from twitch_triage.model import artifact
from twitch_triage import scoring
from twitch_triage.settings import Settings
from twitch_triage import knowledge

BEGIN, END = "<!-- bench_score: begin -->", "<!-- bench_score: end -->"
FLOOR_SCRIPT = Path(__file__).with_name("io_floor.py")


def command(*args: str) -> list[str]:
    """The command as the user runs it: the virtual environment's ``twitch-triage`` script."""
    script = Path(sys.executable).with_name("twitch-triage")
    return [str(script), *args] if script.is_file() else [sys.executable, "-m", "twitch_triage", *args]


# A small wrapper process starts the command and reports its peak RSS. Linux counts a
# forked child's pages from before its exec in ru_maxrss, so measuring from this (large)
# benchmark process would report this process's size, not the command's.
_PEAK_RSS = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "sys.stderr.buffer.write(r.stderr)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(r.returncode)\n"
)


def settled() -> None:
    """Write the page cache's dirty pages out, so that a timed run does not pay for the last one's writing."""
    if hasattr(os, "sync"):
        os.sync()


def timed_run(args: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one subprocess, which must succeed."""
    settled()
    start = time.perf_counter()
    process = subprocess.run([sys.executable, "-c", _PEAK_RSS, *args], capture_output=True)
    seconds = time.perf_counter() - start
    if process.returncode:
        raise RuntimeError(f"{' '.join(args)} exited {process.returncode}: {process.stderr.decode()[-500:]}")
    return seconds, int(process.stdout.split()[-1]) * 1024


def timed(fn) -> tuple[float, float]:
    """Wall seconds and CPU seconds (this process, every thread) of ``fn()``, after :func:`settled`."""
    settled()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def io_floor(source: Path, target: Path) -> tuple[float, float]:
    """The floor in this process (:func:`io_floor.copy_with_columns`): wall and CPU seconds."""
    seconds = timed(lambda: copy_with_columns(str(source), str(target)))
    target.unlink()
    return seconds


def io_floor_process(source: Path, target: Path) -> float:
    """The floor as a process of its own, the interpreter's start and pyarrow's import included: wall seconds."""
    seconds = timed_run([sys.executable, str(FLOOR_SCRIPT), str(source), str(target)])[0]
    target.unlink()
    return seconds


def in_process(source: Path, target: Path, predictor, kb) -> tuple[float, float]:
    """``scoring.score_file`` as the command runs it, without the start-up: wall and CPU seconds."""
    seconds = timed(lambda: scoring.score_file(source, target, predictor, kb))
    target.unlink()
    return seconds


def main(argv: list[str] | None = None) -> str:
    """Run the batch-scoring benchmark; returns its markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, metavar="DIR", help="model folder (default models/)")
    parser.add_argument("--sizes", type=int, nargs=2, default=[200_000, 1_000_000], metavar=("N", "BIG"))
    parser.add_argument("--repeat", type=int, default=5, help="pairs on the smaller file (median)")
    args = parser.parse_args(argv or [])
    small, big = args.sizes
    model = ["--model", args.model] if args.model else []
    kb = knowledge.load_default()
    predictor = artifact.load(args.model, kb=kb)
    scoring.lean_memory_pool()  # the memory pool the score command uses, for both sides of each pair

    with tempfile.TemporaryDirectory(prefix="bench-score-") as folder:
        tmp = Path(folder)
        files = {}
        for n, seed in ((1, 1), (small, 2), (big, 3)):
            files[n] = tmp / f"cases_{n}.csv"
            print(f"bench_score: generating {n:,} cases ...", file=sys.stderr)
            subprocess.run(command("generate", "--n", str(n), "--seed", str(seed), "-o", str(files[n])),
                           check=True, capture_output=True)
        out, floor_out = tmp / "scored.csv", tmp / "floor.csv"

        def score(n: int) -> tuple[float, int]:
            return timed_run(command("score", str(files[n]), "-o", str(out), "--quiet", *model))

        print("bench_score: scoring ...", file=sys.stderr)
        in_process(files[small], out, predictor, kb)  # warm-up: the first run pays for imports and caches
        pairs, runs = [], []  # ((wall, CPU) of the floor, of score_file); (floor, command, start-up, peak RSS)
        process_pairs = []  # (the floor as a process, the command as a process)
        for _ in range(args.repeat):
            pairs.append((io_floor(files[small], floor_out), in_process(files[small], out, predictor, kb)))
            floor = io_floor(files[small], floor_out)[0]
            seconds, rss = score(small)
            runs.append((floor, seconds, score(1)[0], rss))
            process_pairs.append((io_floor_process(files[small], floor_out), score(small)[0]))
        floor_big = io_floor(files[big], floor_out)[0]
        t_big_in = in_process(files[big], out, predictor, kb)[0]
        (t_big, rss_big), startup_big = score(big), score(1)[0]
        size_small, size_big = files[small].stat().st_size, files[big].stat().st_size

    med = statistics.median
    ratio_in = med(t[0] / f[0] for f, t in pairs)
    cpu_floor, cpu_in = med(f[1] for f, _ in pairs), med(t[1] for _, t in pairs)
    cpu_ratio = med(t[1] / f[1] for f, t in pairs)
    ratio_cmd = med((t - s) / f for f, t, s, _ in runs)
    floor_process, t_as_run = med(f for f, _ in process_pairs), med(t for _, t in process_pairs)
    ratio_as_run = med(t / f for f, t in process_pairs)
    floor_small, t_small_in = med(f[0] for f, _ in pairs), med(t[0] for _, t in pairs)
    t_small, startup = med(t for _, t, _, _ in runs), med(s for _, _, s, _ in runs)
    rss_small = max(r for *_, r in runs)
    grows = rss_big / rss_small
    ok = {True: "met", False: "**not met**"}
    rows = [
        "## Batch scoring (`twitch-triage score`)",
        "",
        f"The floor is pyarrow's CSV reader reading the same file (every column as text) plus its writer writing "
        f"it back with {EXTRA_COLUMNS} more columns, in process. Each scoring run follows a run of the floor, and "
        "the ratio is the median of the per-pair ratios: `scoring.score_file` in process (the model loaded), and "
        f"the command in a subprocess less its start-up (its imports, the knowledge base and the model: "
        f"{startup:.2f} s median, a one-row file in the same pair). The command's figure also carries what a "
        "fresh process pays on top (its memory touched for the first time, its exit) and the noise of "
        "subtracting one timing from another; the in-process pair is the like-for-like comparison.",
        "",
        "The command as the user runs it, start-up included, is paired the same way with the floor as a "
        "process of its own (`python benchmarks/io_floor.py`: the interpreter's start and pyarrow's import "
        "included).",
        "",
        "| file | I/O floor | `score_file` in process | ratio | command, without start-up | ratio | peak RSS |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {small:,} cases ({size_small / 1e6:.0f} MB), median of {args.repeat} pairs | {floor_small:.2f} s "
        f"({small / floor_small:,.0f} rows/s) | {t_small_in:.2f} s ({small / t_small_in:,.0f} rows/s) "
        f"| **{ratio_in:.2f}x** | {t_small - startup:.2f} s ({small / (t_small - startup):,.0f} rows/s) "
        f"| {ratio_cmd:.2f}x | {rss_small / 2**20:.0f} MB |",
        f"| {big:,} cases ({size_big / 1e6:.0f} MB), 1 run | {floor_big:.2f} s ({big / floor_big:,.0f} rows/s) "
        f"| {t_big_in:.2f} s ({big / t_big_in:,.0f} rows/s) | **{t_big_in / floor_big:.2f}x** "
        f"| {t_big - startup_big:.2f} s ({big / (t_big - startup_big):,.0f} rows/s) "
        f"| {(t_big - startup_big) / floor_big:.2f}x | {rss_big / 2**20:.0f} MB |",
        "",
        f"CPU time of the same {small:,}-case pairs (every thread of the process; steadier than wall time on a "
        f"shared machine): the floor {cpu_floor:.2f} s (its reader uses both cores), `score_file` {cpu_in:.2f} s, "
        f"median ratio {cpu_ratio:.2f}x.",
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
        f"| throughput at most 2x the I/O floor ({small:,} cases), like for like: in process, as the floor "
        f"| {ratio_in:.2f}x (the command in a fresh process, start-up excluded: {ratio_cmd:.2f}x; "
        f"with its start-up: {t_small:.2f} s) | {ok[ratio_in <= 2]} |",
        f"| the command as the user runs it (a fresh process, start-up included) at most 2x the floor as a "
        f"process ({small:,} cases) | {t_as_run:.2f} s against {floor_process:.2f} s: {ratio_as_run:.2f}x "
        f"(median of {args.repeat} pairs) | {ok[ratio_as_run <= 2]} |",
        f"| peak RSS at most 300 MB at {big:,} cases | {rss_big / 2**20:.0f} MB | {ok[rss_big <= 300 * 2**20]} |",
        f"| memory does not grow with the file ({big // small}x the rows) | {rss_small / 2**20:.0f} MB -> "
        f"{rss_big / 2**20:.0f} MB ({grows:.2f}x) | {ok[grows <= 1.1]} |",
    ]
    return "\n".join([BEGIN, *rows, END]) + "\n"


def write_section(markdown: str, path: Path | None = None, *, begin: str = BEGIN, end: str = END) -> None:
    """Put ``markdown`` (which starts with the marker ``begin`` and ends with ``end``: by default this
    benchmark's) in ``path`` (default: the settings' ``benchmarks.md``), replacing the previous one and keeping
    every other section."""
    path = Settings.from_environment().reports_dir / "benchmarks.md" if path is None else path
    text = path.read_text(encoding="utf-8") if path.exists() else "# twitch-triage benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + markdown.rstrip("\n") + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + markdown
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    just_print = "--print" in sys.argv[1:]  # (benchmarks/run.py writes the whole report itself)
    section = main([a for a in sys.argv[1:] if a != "--print"])
    if not just_print:
        write_section(section)
    print(section, end="")
