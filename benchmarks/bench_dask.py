"""Scoring shards (`twitch-triage score FOLDER -o OUT`) on the local engine and on Dask, in the same run.

* 1,000,000 cases in 10 shards of 100,000, written by ``twitch-triage generate``.
* In process, the like-for-like comparison: :func:`shards.run` (``--force``: every shard scored) with the
  local engine, and with Dask on a running ``LocalCluster`` of 1 worker and of 2 workers (each started
  once by this script), one run of each per round, in turn, so that all meet the same load; the medians.
* The command as the user runs it (a fresh process), once each: the same three, and Dask with the
  ``LocalCluster`` the command starts and closes itself (``--workers 2``).
* Peak memory: the local command's peak RSS (reported by a small wrapper process), and each worker
  process's peak RSS over all its runs (``ru_maxrss``, asked of the workers at the end).

``main()`` returns a markdown section between two HTML-comment markers; run as a script, it also writes that
section into ``reports/benchmarks.md`` (with ``--print``, it only prints it: ``benchmarks/run.py`` runs it so).

Usage::

    .venv/bin/python benchmarks/bench_dask.py [--model DIR] [--shards 10] [--rows 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_score import command, settled, timed_run, write_section

from twitch_triage.scoring import dask_engine
from twitch_triage.scoring import shards

BEGIN, END = "<!-- bench_dask: begin -->", "<!-- bench_dask: end -->"
LOCAL, ONE, TWO = "local", "dask, 1 worker", "dask, 2 workers"


def peak_rss() -> int:
    """This process's peak RSS in bytes (run on each Dask worker)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(argv: list[str] | None = None) -> str:
    """Run the benchmark; returns its markdown section."""
    import distributed

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, metavar="DIR", help="model folder (default models/)")
    parser.add_argument("--shards", type=int, default=10)
    parser.add_argument("--rows", type=int, default=100_000, help="cases per shard")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each configuration (median)")
    args = parser.parse_args(argv or [])
    model = ["--model", args.model] if args.model else []
    total = args.shards * args.rows

    with tempfile.TemporaryDirectory(prefix="bench-dask-") as folder:
        tmp = Path(folder)
        (tmp / "in").mkdir()
        print(f"bench_dask: generating {args.shards} shards of {args.rows:,} cases ...", file=sys.stderr)
        for k in range(args.shards):
            subprocess.run(command("generate", "--n", str(args.rows), "--seed", str(100 + k),
                                   "-o", str(tmp / "in" / f"cases_{k:02}.csv")), check=True, capture_output=True)
        size = sum(p.stat().st_size for p in (tmp / "in").iterdir())

        def score(*engine: str) -> tuple[float, int]:
            """The command in a fresh process: wall seconds and peak RSS."""
            return timed_run(command("score", str(tmp / "in"), "-o", str(tmp / "out"), "--quiet", "--force",
                                     *model, *engine))

        def in_process(engine, source: str = str(tmp / "in")) -> tuple[float, float]:
            """``shards.run`` with ``engine`` in this process (imports done, the model loaded): wall seconds,
            and the seconds its tasks took, summed (the manifest's)."""
            settled()
            start = time.perf_counter()
            plan = shards.plan(source, str(tmp / "out"), model=args.model, kb=None, force=True)
            summary = shards.run(plan, engine)
            wall = time.perf_counter() - start
            assert not summary.failed, summary.line()
            records = json.loads(plan.manifest.read_text())["shards"].values()
            return wall, sum(record["seconds"] for record in records)

        with dask_engine.local_cluster(1) as one, dask_engine.local_cluster(2) as two:
            clusters = {ONE: one.scheduler_address, TWO: two.scheduler_address}
            engines = {LOCAL: shards.local_engine, **{name: dask_engine.engine(address)
                                                      for name, address in clusters.items()}}
            print("bench_dask: warm-up ...", file=sys.stderr)
            for engine in engines.values():  # each worker loads the model
                in_process(engine, str(tmp / "in" / "cases_00.csv*"))
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name in engines}
            for round_ in range(args.rounds):
                print(f"bench_dask: round {round_ + 1} of {args.rounds} in process ...", file=sys.stderr)
                for name, engine in engines.items():
                    runs[name].append(in_process(engine))
            print("bench_dask: the command ...", file=sys.stderr)
            commands = {LOCAL: (), **{name: ("--engine", "dask", "--scheduler", address)
                                      for name, address in clusters.items()},
                        "dask, 2 workers, the command's own cluster": ("--engine", "dask", "--workers", "2")}
            as_run = {name: score(*engine) for name, engine in commands.items()}
            worker_rss = {}
            for name, address in clusters.items():
                with distributed.Client(address) as client:
                    worker_rss[name] = max(client.run(peak_rss).values())

    t = {name: statistics.median(wall for wall, _ in times) for name, times in runs.items()}
    in_tasks = {name: statistics.median(task for _, task in times) for name, times in runs.items()}
    workers = {LOCAL: 1, ONE: 1, TWO: 2}
    overhead, scaling = t[ONE] / t[LOCAL] - 1, t[ONE] / t[TWO]
    memory = {LOCAL: f"{as_run[LOCAL][1] / 2**20:.0f} MB (the command)", ONE: f"{worker_rss[ONE] / 2**20:.0f} MB",
              TWO: f"{worker_rss[TWO] / 2**20:.0f} MB (the larger)"}
    ok = {True: "met", False: "**not met**"}
    rows = [
        "## Scoring shards: the local engine and Dask",
        "",
        f"{total:,} cases in {args.shards} shards of {args.rows:,} ({size / 1e6:.0f} MB) written by "
        "`twitch-triage generate`, every shard scored (`--force`). Dask runs on a `LocalCluster` of 1 or 2 worker "
        "processes (one thread each; `dask_engine.local_cluster`, as `--workers N` starts it) started by this "
        "benchmark before the runs. In process: `shards.run` with "
        "each engine (the plan, the tasks, the manifest; imports done, the model loaded), one run of each per "
        f"round, in turn, the median of {args.rounds} rounds. Peak memory per worker: each worker process's peak "
        "RSS over all its runs; for the local engine, the command's.",
        "",
        "| engine | in process, median | rows/s | rows/s per worker | time in the tasks (summed) | "
        "rows/s per worker in its tasks | peak memory per worker |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(f"| {name} | {t[name]:.2f} s | {total / t[name]:,.0f} | {total / t[name] / workers[name]:,.0f} "
          f"| {in_tasks[name]:.2f} s | {total / in_tasks[name]:,.0f} | {memory[name]} |" for name in t),
        "",
        "The time in the tasks is each shard's own time, from the manifest: for the local engine, the run "
        "less its plan and manifest; for Dask, the work a worker does, without the scheduling. With 2 workers "
        "on 2 shared cores, each task also waits for a core.",
        "",
        "The command as the user runs it (a fresh process, one run each, after the rounds): its start-up "
        "includes importing Dask's client; with `--workers N` it also starts and closes its own cluster.",
        "",
        "| engine | the command | rows/s |",
        "| --- | ---: | ---: |",
        *(f"| {name} | {seconds:.2f} s | {total / seconds:,.0f} |" for name, (seconds, _) in as_run.items()),
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
        f"| the overhead of Dask with one worker over the local engine at most 15% (in process) "
        f"| {t[ONE]:.2f} s against {t[LOCAL]:.2f} s: {100 * overhead:+.0f}% (the command: "
        f"{100 * (as_run[ONE][0] / as_run[LOCAL][0] - 1):+.0f}%) | {ok[overhead <= 0.15]} |",
        f"| scaling from 1 to 2 workers on this 2-core machine, shared (in process) | {scaling:.2f}x "
        f"({t[ONE]:.2f} s -> {t[TWO]:.2f} s) | |",
    ]
    return "\n".join([BEGIN, *rows, END]) + "\n"


if __name__ == "__main__":  # (Dask's worker processes import this module: nothing runs at import)
    just_print = "--print" in sys.argv[1:]
    section = main([a for a in sys.argv[1:] if a != "--print"])
    if not just_print:
        write_section(section, begin=BEGIN, end=END)
    print(section, end="")
