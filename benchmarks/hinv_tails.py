"""Cost of exact tails and support clamping on the Hermite-inversion hot path (issue 10).

Run on demand (numbers go to benchmarks/README.md):

    python benchmarks/hinv_tails.py            # 1e6 draws, 21 interleaved rounds, ~1 minute

``before`` is the ppf as it was: UNU.RAN's HINV on every u, then the affine map. ``after`` is
``Distribution.ppf`` now: the same HINV on u in [1e-6, 1 - 1e-6], the exact inverse outside
(about 2 draws in a million), and a clip into the support. Both run on the same uniforms
(clamped into [2**-54, 1) as sampling.py does), interleaved round by round; the ratio is the
median of the per-round ratios, with their range.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from chipdemand.distributions import parse_distribution

SPECS = [
    {"dist": "beta", "alpha": 4.0, "beta": 2.5},
    {"dist": "pert", "min": 50.0, "mode": 350.0, "max": 600.0},
    {"dist": "gamma", "shape": 0.3, "scale": 2.0},
    {"dist": "gamma", "shape": 3.0, "scale": 2e9},
]


def before(dist, u):
    hinv, loc, scale = dist._fast_ppf()
    x = hinv(u)
    return x if (loc, scale) == (0.0, 1.0) else loc + scale * x


def main(n: int = 10**6, rounds: int = 21) -> None:
    u = np.maximum(np.random.default_rng(0).random(n), 2.0**-54)
    print(f"{n:.0e} draws, {rounds} rounds: ns per draw (median) and after / before\n")
    print("| distribution | before ns | after ns | after / before (min-max) |")
    print("|---|---|---|---|")
    for spec in SPECS:
        dist = parse_distribution(spec)
        dist.ppf(u[:10])
        times = {"before": [], "after": []}
        for r in range(rounds):
            order = [("before", before), ("after", lambda d, v: d.ppf(v))]
            for name, fn in order if r % 2 == 0 else order[::-1]:
                start = time.perf_counter()
                fn(dist, u)
                times[name].append(time.perf_counter() - start)
        ratios = [a / b for a, b in zip(times["after"], times["before"], strict=True)]
        print(
            f"| {dist.describe()} | {statistics.median(times['before']) / n * 1e9:.1f} "
            f"| {statistics.median(times['after']) / n * 1e9:.1f} "
            f"| {statistics.median(ratios):.3f} ({min(ratios):.2f}-{max(ratios):.2f}) |"
        )


if __name__ == "__main__":
    main()
