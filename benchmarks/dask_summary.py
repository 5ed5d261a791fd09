"""Summaries of a dask-backed run: this checkout against another, as a ratio.

Each side runs in its own process (``--against SRC`` puts another checkout's ``src`` first on
``PYTHONPATH``, e.g. ``git worktree add /tmp/old COMMIT``): it simulates ``chatgpt_inference``
lazily (``chunks``), then times ``cd.summarize`` under dask's threads and under a
``dask.distributed`` LocalCluster of in-process workers. Runs alternate side by side; the table
gives each side's median and the median of the per-pair ratios.

    python benchmarks/dask_summary.py --against /tmp/old/src --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
import chipdemand as cd, distributed
draws, chunks = int(sys.argv[1]), int(sys.argv[2])
study = cd.load_study("chatgpt_inference")
lazy = cd.simulate(study, draws=draws, seed=5, scenarios=["base", "usage_2024"], chunks=chunks)
t0 = time.perf_counter(); cd.summarize(lazy); threads = time.perf_counter() - t0
with distributed.LocalCluster(n_workers=4, threads_per_worker=1, processes=False,
                              dashboard_address=":0") as cluster, distributed.Client(cluster):
    t0 = time.perf_counter(); cd.summarize(lazy); dist = time.perf_counter() - t0
print(json.dumps({"dask threads": threads, "distributed, 4 workers": dist}))
"""


def once(src: str | None, draws: int, chunks: int) -> dict[str, float]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(draws), str(chunks)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="SRC", required=True, help="the other checkout's src")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--draws", type=int, default=150_000)
    parser.add_argument("--chunks", type=int, default=40_000)
    args = parser.parse_args()
    ours: list[dict[str, float]] = []
    theirs: list[dict[str, float]] = []
    for _ in range(args.runs):
        ours.append(once(None, args.draws, args.chunks))
        theirs.append(once(args.against, args.draws, args.chunks))
    print(f"{args.draws:,} draws in chunks of {args.chunks:,}, 2 scenarios, {args.runs} runs each\n")
    print("| summarize under | this (s) | other (s) | this ÷ other: median [min – max] |")
    print("|---|---:|---:|---:|")
    for key in ours[0]:
        a, b = [r[key] for r in ours], [r[key] for r in theirs]
        ratios = [x / y for x, y in zip(a, b, strict=True)]
        print(
            f"| {key} | {statistics.median(a):.2f} | {statistics.median(b):.2f} | "
            f"{statistics.median(ratios):.2f} [{min(ratios):.2f} – {max(ratios):.2f}] |"
        )


if __name__ == "__main__":
    main()
