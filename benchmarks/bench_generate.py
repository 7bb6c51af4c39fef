"""Peak memory of ``twitch-triage generate`` as the number of cases grows, beside its fixed cost.

Each run is a process of its own, its peak RSS reported by a small wrapper process
(``bench_score.timed_run``). The baseline, in the same run, is a process that imports
what the command imports and loads the knowledge base: what any ``generate`` holds
before it draws a case. ``main()`` returns a markdown section (``benchmarks/run.py``
runs it in a process of its own); run as a script, it prints it.

Usage::

    .venv/bin/python benchmarks/bench_generate.py [--sizes 100000 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bench_score import command, timed_run

FIXED_COST = "from twitch_triage import knowledge; from twitch_triage.io import casefiles, files; from twitch_triage import oracle; knowledge.load_default()"


def main(argv: list[str] | None = None) -> str:
    """Run the benchmark; returns its markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], metavar="N")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (median)")
    args = parser.parse_args(argv)
    mb = 2**20
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as folder:
        out = Path(folder) / "cases.csv"
        floor = [timed_run([sys.executable, "-c", FIXED_COST]) for _ in range(args.repeat)]
        runs = {}
        for n in args.sizes:
            print(f"bench_generate: {n:,} cases ...", file=sys.stderr)
            runs[n] = [timed_run(command("generate", "--n", str(n), "--seed", "1", "-o", str(out)))
                       for _ in range(args.repeat)]
    floor_rss = statistics.median(r for _, r in floor)
    rss = {n: statistics.median(r for _, r in runs[n]) for n in args.sizes}
    seconds = {n: statistics.median(s for s, _ in runs[n]) for n in args.sizes}
    small, big = min(args.sizes), max(args.sizes)
    grows = rss[big] / rss[small]
    rows = [
        "## Generating cases (`twitch-triage generate`)",
        "",
        f"Peak RSS of the command, a process of its own (median of {args.repeat} runs), beside its fixed cost: "
        f"a process that imports what it imports and loads the knowledge base, {floor_rss / mb:.0f} MB.",
        "",
        "| cases | wall | peak RSS | over the fixed cost |",
        "| ---: | ---: | ---: | ---: |",
        *(f"| {n:,} | {seconds[n]:.1f} s ({n / seconds[n]:,.0f} cases/s) | {rss[n] / mb:.0f} MB "
          f"| {(rss[n] - floor_rss) / mb:+.0f} MB ({rss[n] / floor_rss:.2f}x) |" for n in args.sizes),
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
        f"| memory does not grow with the number of cases ({big // small}x the cases) "
        f"| {rss[small] / mb:.0f} MB -> {rss[big] / mb:.0f} MB ({grows:.2f}x) "
        f"| {'met' if grows <= 1.1 else '**not met**'} |",
    ]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(main(sys.argv[1:]), end="")
