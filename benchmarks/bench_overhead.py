"""Scoring at scale: the overhead of 3,000 shards (a first run, and a rerun that skips them all), and the score
command beside a Polars and a DuckDB CSV floor on the same file (each reads it as text and writes it back with
14 more columns), each as a command and as the work alone; and 10,000,000 rows (memory measured).

    .venv/bin/python benchmarks/bench_overhead.py [--model DIR] [--shards 3000] [--rows 1000000] [--big 10000000]
        [--repeat 3] [--print]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_score import command

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = 14


def timed(args: list[str]) -> tuple[float, int]:
    """Seconds and the peak RSS (KiB) of the command, in a child process (its own peak, from ``wait4``: this process
    is small, unlike ``bench_score``'s, and a wrapper process would add its start-up to the command's seconds)."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, args)
    return seconds, usage.ru_maxrss


# Each floor reads the file as text and writes it back with 14 more columns. Run in a child process, which
# prints the seconds of the work itself (the in-process figure); the child's whole run is the command's figure.
POLARS = """
import sys, time
import polars as pl
start = time.perf_counter()
pl.scan_csv(sys.argv[1], infer_schema=False).with_columns(
    *(pl.lit("0.0000").alias(f"_out{k}") for k in range(OUTPUTS))).sink_csv(sys.argv[2])
print(time.perf_counter() - start)
"""
DUCKDB = """
import sys, time
import duckdb
start = time.perf_counter()
extra = ", ".join(f"'0.0000' AS _out{k}" for k in range(OUTPUTS))
with duckdb.connect() as con:
    con.execute("SET threads TO 2")
    con.execute(f"COPY (SELECT *, {extra} FROM read_csv('{sys.argv[1]}', all_varchar=true)) TO '{sys.argv[2]}' "
                "(HEADER, DELIMITER ',')")
print(time.perf_counter() - start)
"""
# The score command's own work, without the start-up: the library call the command makes.
SCORE = """
import sys, time
from twitch_triage import knowledge
from twitch_triage.model import artifact
from twitch_triage import scoring
scoring.lean_memory_pool()
kb = knowledge.load_default()
predictor = artifact.load(sys.argv[3] if len(sys.argv) > 3 else None, kb=kb)
start = time.perf_counter()
scoring.score_file(sys.argv[1], sys.argv[2], predictor, kb)
print(time.perf_counter() - start)
"""
# Where the score command's CPU goes: the same steps, one after the other in one thread (the command overlaps
# them on the cores), each step's CPU seconds; prints them as JSON.
STAGES = """
import json, sys, time
from twitch_triage import knowledge
from twitch_triage.model import artifact
from twitch_triage import scoring, triage
from twitch_triage.io.casefiles import open_cases
from twitch_triage.io.casefiles.cells import record_lines
from twitch_triage.scoring import frame
from twitch_triage.scoring.parse import parse_chunk
from twitch_triage.scoring.stream import output_cells
scoring.lean_memory_pool()
kb = knowledge.load_default()
predictor = artifact.load(sys.argv[2] if len(sys.argv) > 2 else None, kb=kb)
ids = tuple(predictor.answer_ids)
spent = dict.fromkeys(["read", "answers", "model", "triage", "cells", "lines", "write"], 0.0)
probabilities = triage.probabilities

def model(*args):
    start = time.process_time()
    try:
        return probabilities(*args)
    finally:
        spent["model"] += time.process_time() - start

frame.triage.probabilities = model  # (this process only)

def step(name, fn, *args):
    start = time.process_time()
    result = fn(*args)
    spent[name] += time.process_time() - start
    return result

with scoring.one_blas_thread(), open_cases(sys.argv[1], answer_ids=ids, typed=True) as reader, \\
        open(sys.argv[1] + ".stages.csv", "wb") as sink:
    chunks = reader.chunks()
    while (chunk := step("read", next, chunks, None)) is not None:
        parsed = step("answers", parse_chunk, chunk.batch, ids)
        triaged = step("triage", frame.assess_chunk, parsed, predictor, kb)
        cells = step("cells", output_cells, chunk, parsed, triaged, predictor, kb, reader.header.delimiter)
        step("write", sink.write, step("lines", record_lines, *cells, reader.header.delimiter))
spent["triage"] -= spent["model"]
print(json.dumps(spent))
"""


def stages(source: Path, model: str | None, rows: int) -> list[str]:
    """The table of where the score command's CPU goes on ``source`` (of ``rows`` rows)."""
    run = subprocess.run([sys.executable, "-c", STAGES, str(source), *([model] if model else [])],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    Path(str(source) + ".stages.csv").unlink(missing_ok=True)
    spent = json.loads(run.stdout.strip().splitlines()[-1])
    what = {"read": "reading: cutting records and pyarrow's CSV parse", "answers": "the answers into the model's matrix",
            "model": "the model's forward pass (its first layer in float32, exact)", "triage": "the red-flag rules and `likely`",
            "cells": "the output cells as text", "lines": "the output lines joined", "write": "writing"}
    total = sum(spent.values())
    return [f"Where the score command's CPU goes on {rows:,} rows, each step run alone in one thread (the command "
            "overlaps them on the cores; its start-up, the one-row file above, is not in it):", "",
            "| step | CPU (s) | share |", "| --- | ---: | ---: |",
            *(f"| {what[name]} | {seconds:.2f} | {seconds / total:.0%} |" for name, seconds in spent.items()),
            f"| all | {total:.2f} | |", ""]


def child(code: str, *args: str) -> tuple[float, float] | None:
    """The command's seconds (start-up included) and the work's own seconds; None when a library is missing."""
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", f"OUTPUTS = {OUTPUTS}\n" + code, *args], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    if run.returncode != 0:
        return None
    return time.perf_counter() - start, float(run.stdout.strip().splitlines()[-1])


def median_of(runs: list) -> tuple[float, float] | None:
    runs = [r for r in runs if r is not None]
    if not runs:
        return None
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, metavar="DIR")
    parser.add_argument("--shards", type=int, default=3000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is shown)")
    parser.add_argument("--big", type=int, default=10_000_000, help="rows of the memory run (0: none)")
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
        firsts, reruns, singles = [], [], []
        for r in range(args.repeat):
            out = tmp / f"out{r}"
            firsts.append(timed(command("score", str(folder), "-o", str(out), "--quiet", *model))[0])
            reruns.append(timed(command("score", str(folder), "-o", str(out), "--quiet", *model))[0])
            singles.append(timed(command("score", str(one), "-o", str(tmp / "one_out.csv"), "--quiet", *model))[0])
        first, rerun, single = (statistics.median(x) for x in (firsts, reruns, singles))
        lines += [f"- {args.shards:,} shards of one row (median of {args.repeat}): first run {first:.1f} s, rerun "
                  f"skipping all {rerun:.1f} s; one such file alone {single:.2f} s (the start-up), so the overhead "
                  f"of a run is {first - single:.1f} s on a first run ({(first - single) / args.shards * 1e3:.2f} ms "
                  f"a shard) and {rerun - single:.1f} s on a rerun (target: under 2 s)", ""]
        if args.rows:
            lines += ["Each floor reads the same file as text and writes it back with 14 more columns. *Command*: the "
                      "whole process, start-up included (what a user runs); *work*: the same run's own timing of the "
                      "work alone (in-process). Ratios compare like with like; target: the score command at most "
                      "1.25x the fastest floor.", "",
                      "| rows | score: command (s) | score: work (s) | peak RSS (MB) | Polars: command / work (s) "
                      "| DuckDB: command / work (s) | command / fastest floor command | work / fastest floor work |",
                      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        sizes = [n for n in (args.rows, args.big) if n]  # (--rows 0 --big 0: the shards alone)
        for n in sizes:
            source = tmp / f"cases_{n}.csv"
            subprocess.run(command("generate", "--n", str(n), "--seed", "3", "-o", str(source)), check=True,
                           stderr=subprocess.DEVNULL)
            repeat = args.repeat if n == args.rows else 1
            rss = 0
            commands = []
            for _ in range(repeat):
                seconds, peak = timed(command("score", str(source), "-o", str(tmp / "scored.csv"), "--quiet", *model))
                commands.append(seconds)
                rss = max(rss, peak)
            works = [child(SCORE, str(source), str(tmp / "scored.csv"), *([args.model] if args.model else []))
                     for _ in range(repeat)]
            score = (statistics.median(commands), median_of(works)[1])
            floors = [median_of([child(code, str(source), str(tmp / "floor.csv")) for _ in range(repeat)])
                      for code in (POLARS, DUCKDB)]
            shown = [f"{f[0]:.2f} / {f[1]:.2f}" if f is not None else "not installed" for f in floors]
            present = [f for f in floors if f is not None]
            ratio_command = f"{score[0] / min(f[0] for f in present):.2f}x" if present else "-"
            ratio_work = f"{score[1] / min(f[1] for f in present):.2f}x" if present else "-"
            lines.append(f"| {n:,} | {score[0]:.2f} | {score[1]:.2f} | {rss / 1024:.0f} | {shown[0]} | {shown[1]} "
                         f"| {ratio_command} | {ratio_work} |")
            if n == args.rows:
                breakdown = stages(source, args.model, n)
            source.unlink()
    if args.rows:
        lines += ["", *breakdown]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(main([a for a in sys.argv[1:] if a != "--print"]))
