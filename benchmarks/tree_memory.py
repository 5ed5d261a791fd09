"""Wall time and peak memory of a command and every process it forks (issue 18).

    python benchmarks/tree_memory.py chipdemand run chatgpt_inference --draws 1e8 --json

GNU time's ``%M`` is the peak of the largest single process; a run that forks workers needs
their sum. Every 0.25 s this reads ``/proc/PID/smaps_rollup`` of the command and its
descendants and keeps the peak of the summed RSS (pages shared between parent and workers
counted in each) and of the summed PSS (each shared page counted once, split between its
sharers: the memory the tree really holds). Linux only; stdout of the command is discarded.
"""

from __future__ import annotations

import subprocess
import sys
import time


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    out = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            for child in f.read().split():
                out += tree(int(child))
    except OSError:
        pass
    return out


def memory(pid: int) -> tuple[int, int]:
    """``(rss, pss)`` of one process in kB (0 once it has gone)."""
    found = {"Rss:": 0, "Pss:": 0}
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                key = line.split(maxsplit=1)[0]
                if key in found:
                    found[key] = int(line.split()[1])
    except OSError:
        pass
    return found["Rss:"], found["Pss:"]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    peak_rss = peak_pss = most = 0
    while p.poll() is None:
        pids = tree(p.pid)
        sizes = [memory(q) for q in pids]
        peak_rss = max(peak_rss, sum(r for r, _ in sizes))
        peak_pss = max(peak_pss, sum(s for _, s in sizes))
        most = max(most, len(pids))
        time.sleep(0.25)
    print(
        f"exit {p.returncode}, {time.perf_counter() - start:.1f} s wall, peak PSS {peak_pss / 1024:.0f} MiB, "
        f"peak summed RSS {peak_rss / 1024:.0f} MiB, up to {most} processes"
    )
    return p.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
