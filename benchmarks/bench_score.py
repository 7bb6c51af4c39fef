"""Batch scoring (`twitch-triage score`) against the I/O floor, measured in the same run.

* Files of 200,000 and 1,000,000 cases written by ``twitch-triage generate`` (answers
  spelt as the contract spells them, plus the true labels as extra passthrough columns).
* ``twitch-triage score`` timed in a subprocess: median of 3 runs on 200k, one run on 1M,
  with the peak RSS of each run (reported by a small wrapper process), and its start-up (a one-row file).
* The I/O floor: pyarrow's CSV reader reading the same file (every column as text)
  plus its writer writing it back with 14 more columns, in this process.
* One case in process: ``triage.assess`` p50 over 200 calls.

``main()`` returns a markdown section between two HTML-comment markers (``benchmarks/run.py``
calls it); run as a script, it also writes that section into ``reports/benchmarks.md``,
replacing its previous one and keeping the rest of the file.

Usage::

    .venv/bin/python benchmarks/bench_score.py [--model DIR] [--sizes 200000 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from twitch_triage import artifact, config, knowledge, triage

BEGIN, END = "<!-- bench_score: begin -->", "<!-- bench_score: end -->"
EXTRA_COLUMNS = len(config.OUTPUT_COLUMNS)  # 14: what score adds to every row


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "twitch_triage", *args]


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


def timed_run(args: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one subprocess, which must succeed."""
    start = time.perf_counter()
    process = subprocess.run([sys.executable, "-c", _PEAK_RSS, *args], capture_output=True)
    seconds = time.perf_counter() - start
    if process.returncode:
        raise RuntimeError(f"{' '.join(args)} exited {process.returncode}: {process.stderr.decode()[-500:]}")
    return seconds, int(process.stdout.split()[-1]) * 1024


def io_floor(source: Path, target: Path) -> float:
    """pyarrow reads ``source`` (all columns as text) and writes it back with 14 more columns."""
    names = source.open(encoding="utf-8").readline().strip().split(",")
    start = time.perf_counter()
    table = pacsv.read_csv(source, convert_options=pacsv.ConvertOptions(
        column_types={name: pa.string() for name in names}))
    for i in range(EXTRA_COLUMNS):
        table = table.append_column(f"extra_{i}", table.column(1 + i % (table.num_columns - 1)))
    pacsv.write_csv(table, target)
    seconds = time.perf_counter() - start
    target.unlink()
    return seconds


def one_case_p50(model: str | None, calls: int = 200) -> float:
    kb = knowledge.load_default()
    predictor = artifact.load(model, kb_sha256=kb.sha256)
    case = {"loc_eyelid": "yes", "loc_calves": "yes", "cramps": "yes", "stress": "no", "duration_days": 10}
    for _ in range(10):
        triage.assess(case, predictor, kb)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        triage.assess(case, predictor, kb)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv: list[str] | None = None) -> str:
    """Run the batch-scoring benchmark; returns its markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, metavar="DIR", help="model folder (default models/)")
    parser.add_argument("--sizes", type=int, nargs=2, default=[200_000, 1_000_000], metavar=("N", "BIG"))
    parser.add_argument("--repeat", type=int, default=3, help="runs of the smaller file (median)")
    args = parser.parse_args(argv or [])
    small, big = args.sizes
    model = ["--model", args.model] if args.model else []

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-score-") as folder:
        tmp = Path(folder)
        files = {}
        for n, seed in ((1, 1), (small, 2), (big, 3)):
            files[n] = tmp / f"cases_{n}.csv"
            print(f"bench_score: generating {n:,} cases ...", file=sys.stderr)
            subprocess.run(command("generate", "--n", str(n), "--seed", str(seed), "-o", str(files[n])),
                           check=True, capture_output=True)
        out = tmp / "scored.csv"

        def score(n: int) -> tuple[float, int]:
            return timed_run(command("score", str(files[n]), "-o", str(out), "--quiet", *model))

        print("bench_score: scoring ...", file=sys.stderr)
        startup = statistics.median(score(1)[0] for _ in range(args.repeat))
        runs = [score(small) for _ in range(args.repeat)]
        t_small, rss_small = statistics.median(r[0] for r in runs), max(r[1] for r in runs)
        t_big, rss_big = score(big)
        floor_small = statistics.median(io_floor(files[small], tmp / "floor.csv") for _ in range(args.repeat))
        floor_big = io_floor(files[big], tmp / "floor.csv")
        size_small, size_big = files[small].stat().st_size, files[big].stat().st_size
    p50 = one_case_p50(args.model)

    def row(n: int, seconds: float, floor: float, rss: int, size: int, runs: str) -> str:
        net = seconds - startup
        return (f"| {n:,} cases ({size / 1e6:.0f} MB), {runs} | {seconds:.2f} s ({n / seconds:,.0f} rows/s); "
                f"without start-up {net:.2f} s ({n / net:,.0f} rows/s) | {floor:.2f} s ({n / floor:,.0f} rows/s) "
                f"| {seconds / floor:.1f}x; without start-up {net / floor:.1f}x | {rss / 2**20:.0f} MB |")

    ratio_net = (t_small - startup) / floor_small
    grows = rss_big / rss_small
    rows = [
        "## Batch scoring (`twitch-triage score`)",
        "",
        "`score` runs in a subprocess (start-up included: importing scikit-learn and loading the model, "
        f"{startup:.2f} s median on a one-row file); the floor is pyarrow's CSV reader reading the same file "
        f"(every column as text) plus its writer writing it back with {EXTRA_COLUMNS} more columns, in process.",
        "",
        "| file | `score` (median) | I/O floor, same run | ratio to the floor | peak RSS |",
        "| --- | ---: | ---: | ---: | ---: |",
        row(small, t_small, floor_small, rss_small, size_small, f"median of {args.repeat}"),
        row(big, t_big, floor_big, rss_big, size_big, "1 run"),
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
        f"| throughput at most 2x the I/O floor ({small:,} cases, without start-up) | {ratio_net:.1f}x "
        f"(end to end {t_small / floor_small:.1f}x) | {'met' if ratio_net <= 2 else '**not met**'} |",
        f"| peak RSS at most 300 MB at {big:,} cases | {rss_big / 2**20:.0f} MB "
        f"| {'met' if rss_big <= 300 * 2**20 else '**not met**'} |",
        f"| memory does not grow with the file ({big // small}x the rows) | {rss_small / 2**20:.0f} MB -> "
        f"{rss_big / 2**20:.0f} MB ({grows:.2f}x) | {'met' if grows <= 1.1 else '**not met**'} |",
        f"| one case in process, `triage.assess` p50 of 200 calls | {p50 * 1000:.2f} ms | |",
    ]
    return "\n".join([BEGIN, *rows, END]) + "\n"


def write_section(markdown: str, path: Path = config.REPORTS_DIR / "benchmarks.md") -> None:
    """Put ``markdown`` (which starts and ends with this benchmark's markers) in ``path``, replacing the
    previous one and keeping every other section."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# twitch-triage benchmarks\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + markdown.rstrip("\n") + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + markdown
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    section = main(sys.argv[1:])
    write_section(section)
    print(section)
