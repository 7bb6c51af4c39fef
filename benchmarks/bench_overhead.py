"""Scoring at scale: the overhead of 3,000 shards (a first run, and a rerun that skips them all), and the score
command beside a Polars and a DuckDB CSV floor on the same file (each reads it as text and writes it back with
14 more columns). With ``--big``, also 10,000,000 rows (memory measured).

    .venv/bin/python benchmarks/bench_overhead.py [--model DIR] [--shards 3000] [--rows 1000000] [--big] [--print]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = 14


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "twitch_triage", *args]


def timed(args: list[str]) -> tuple[float, int]:
    """Seconds and the peak RSS (KiB) of the command, in a child process."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)


def polars_floor(source: Path, target: Path) -> float | None:
    try:
        import polars as pl
    except ImportError:
        return None
    start = time.perf_counter()
    frame = pl.scan_csv(source, infer_schema=False).with_columns(
        *(pl.lit("0.0000").alias(f"_out{k}") for k in range(OUTPUTS)))
    frame.sink_csv(target)
    return time.perf_counter() - start


def duckdb_floor(source: Path, target: Path) -> float | None:
    try:
        import duckdb
    except ImportError:
        return None
    start = time.perf_counter()
    extra = ", ".join(f"'0.0000' AS _out{k}" for k in range(OUTPUTS))
    with duckdb.connect() as con:
        con.execute("SET threads TO 2")
        con.execute(f"COPY (SELECT *, {extra} FROM read_csv('{source}', all_varchar=true)) TO '{target}' "
                    "(HEADER, DELIMITER ',')")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, metavar="DIR")
    parser.add_argument("--shards", type=int, default=3000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big", action="store_true", help="also 10,000,000 rows")
    args = parser.parse_args(argv)
    model = ["--model", args.model] if args.model else []
    lines = ["## Scoring at scale (bench_overhead.py)", ""]
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        tmp = Path(tmp)
        one = tmp / "one.csv"
        subprocess.run(command("generate", "--n", "1", "--seed", "1", "-o", str(one)), check=True,
                       stderr=subprocess.DEVNULL)
        folder = tmp / "shards"
        folder.mkdir()
        data = one.read_bytes()
        for k in range(args.shards):
            (folder / f"s{k:05}.csv").write_bytes(data)
        first, _ = timed(command("score", str(folder), "-o", str(tmp / "out"), "--quiet", *model))
        rerun, _ = timed(command("score", str(folder), "-o", str(tmp / "out"), "--quiet", *model))
        single, _ = timed(command("score", str(one), "-o", str(tmp / "one_out.csv"), "--quiet", *model))
        lines += [f"- {args.shards:,} shards of one row: first run {first:.1f} s, rerun skipping all {rerun:.1f} s; "
                  f"one such file alone {single:.2f} s (the start-up), so the overhead per run is about "
                  f"{rerun - single:.1f} s on a rerun and {first - single:.1f} s on a first run", ""]
        sizes = [args.rows] + ([10_000_000] if args.big else [])
        lines += ["| rows | score (s) | peak RSS (MB) | Polars floor (s) | DuckDB floor (s) | score / fastest floor |",
                  "| ---: | ---: | ---: | ---: | ---: | ---: |"]
        for n in sizes:
            source = tmp / f"cases_{n}.csv"
            subprocess.run(command("generate", "--n", str(n), "--seed", "3", "-o", str(source)), check=True,
                           stderr=subprocess.DEVNULL)
            seconds, rss = timed(command("score", str(source), "-o", str(tmp / "scored.csv"), "--quiet", *model))
            floors = [f for f in (polars_floor(source, tmp / "pl.csv"), duckdb_floor(source, tmp / "dd.csv"))]
            best = min((f for f in floors if f is not None), default=None)
            shown = [f"{f:.1f}" if f is not None else "not installed" for f in floors]
            ratio = f"{seconds / best:.2f}x" if best else "-"
            lines.append(f"| {n:,} | {seconds:.1f} | {rss / 1024:.0f} | {shown[0]} | {shown[1]} | {ratio} |")
            source.unlink()
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(main([a for a in sys.argv[1:] if a != "--print"]))
