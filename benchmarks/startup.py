"""Start-up time of the command line and of `import chipdemand`, as whole processes.

Each command runs once to warm the file cache, then ``--runs`` times; the table gives the
median, minimum and maximum wall time. ``--against SRC`` also times the same commands with
another checkout's ``src`` folder first on ``PYTHONPATH`` (e.g. an older commit made with
``git worktree add /tmp/old COMMIT``), interleaved run by run, and gives the median of the
per-pair ratios, so a noisy machine affects both alike.

    python benchmarks/startup.py                          # this checkout (installed or editable)
    python benchmarks/startup.py --against /tmp/old/src   # against another checkout
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "import chipdemand": [sys.executable, "-c", "import chipdemand"],
    "chipdemand --help": [sys.executable, "-m", "chipdemand.cli", "--help"],
    "chipdemand list": [sys.executable, "-m", "chipdemand.cli", "list"],
    "chipdemand describe chatgpt_inference": [
        sys.executable,
        "-m",
        "chipdemand.cli",
        "describe",
        "chatgpt_inference",
    ],
}


def wall(cmd: list[str], src: str | None) -> float:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command (default 15)")
    parser.add_argument("--against", metavar="SRC", help="another checkout's src folder to compare with")
    args = parser.parse_args()
    head = "| command | median (s) | min – max (s) |"
    if args.against:
        head += " other checkout: median (s) | ratio this ÷ other: median [min – max] |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for name, cmd in COMMANDS.items():
        wall(cmd, None)
        if args.against:
            wall(cmd, args.against)
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(wall(cmd, None))
            if args.against:
                theirs.append(wall(cmd, args.against))
        row = f"| `{name}` | {statistics.median(ours):.3f} | {min(ours):.3f} – {max(ours):.3f} |"
        if args.against:
            ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
            row += (
                f" {statistics.median(theirs):.3f} | {statistics.median(ratios):.2f} "
                f"[{min(ratios):.2f} – {max(ratios):.2f}] |"
            )
        print(row)


if __name__ == "__main__":
    main()
