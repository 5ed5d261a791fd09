"""Every command as a whole process, against ``python -c "import numpy"`` timed beside it.

Each command runs once to warm the file cache, then ``--runs`` times, interleaved with the
baseline run by run; the table gives the median wall time, its min–max, and the median of the
per-pair ratios to the baseline (a noisy machine affects both alike). Commands that simulate
nothing should answer in well under a second; those that simulate are listed with their draws.

    python benchmarks/commands.py               # every command, 5 runs each (~3 minutes)
    python benchmarks/commands.py --runs 3 --only show fit
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = [sys.executable, "-m", "chipdemand.cli"]
BASELINE = [sys.executable, "-c", "import numpy"]

MISSING_SOURCE = """\
[study]
name = "no_source"
title = "an input without its source"
source = "a test"

[inputs.x]
unit = "1"
dist = "lognormal"
ci = [1, 10]

[outputs.y]
unit = "1"
formula = "2 * x"
"""


def commands(folder: Path) -> dict[str, list[str]]:
    """name → argv; ``folder`` holds the files some commands read or write."""
    bad = folder / "no_source.toml"
    bad.write_text(MISSING_SOURCE, encoding="utf-8")
    return {
        "--help": [*CLI, "--help"],
        "list": [*CLI, "list"],
        "show chatgpt_inference": [*CLI, "show", "chatgpt_inference"],
        "describe chatgpt_inference": [*CLI, "describe", "chatgpt_inference"],
        "new (a study file)": [*CLI, "new", "fresh", "--out", str(folder / "fresh.toml"), "--force"],
        "fit --p5 1e7 --p50 2e7 --p95 4.5e7": [*CLI, "fit", "--p5", "1e7", "--p50", "2e7", "--p95", "4.5e7"],
        "run of a study missing a source (error)": [*CLI, "run", str(bad)],
        "replay": [*CLI, "replay"],
        "run chatgpt_inference (1e5 draws)": [*CLI, "run", "chatgpt_inference"],
        "sensitivity chatgpt_inference --method rank": [*CLI, "sensitivity", "chatgpt_inference"],
        "sensitivity chatgpt_inference --method prior": [
            *CLI,
            "sensitivity",
            "chatgpt_inference",
            "--method",
            "prior",
        ],
        "report chatgpt_inference": [
            *CLI,
            "report",
            "chatgpt_inference",
            "--out",
            str(folder / "rep"),
            "--force",
        ],
    }


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument("--only", nargs="*", help="commands whose name starts with one of these words")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        table = commands(Path(tmp))
        if args.only:
            table = {k: v for k, v in table.items() if any(k.startswith(w) for w in args.only)}
        print("| command | median (s) | min – max (s) | ÷ `import numpy`: median [min – max] |")
        print("|---|---|---|---|")
        for name, cmd in table.items():
            wall(cmd)
            ours, base = [], []
            for _ in range(args.runs):
                ours.append(wall(cmd))
                base.append(wall(BASELINE))
            ratios = [a / b for a, b in zip(ours, base, strict=True)]
            print(
                f"| `chipdemand {name}` | {statistics.median(ours):.2f} | {min(ours):.2f} – {max(ours):.2f} "
                f"| {statistics.median(ratios):.1f} [{min(ratios):.1f} – {max(ratios):.1f}] |",
                flush=True,
            )
        print(f"\n`import numpy` alone: median {statistics.median(base):.2f} s (last command's pairs)")


if __name__ == "__main__":
    main()
