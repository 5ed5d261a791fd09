"""Monte Carlo error of interval bounds against their spread over independent seeds (issue 10).

Run on demand (numbers go to benchmarks/README.md and the issue's closing note):

    python benchmarks/mcse_hdi.py                      # 200 seeds at 4096, 16384 and 65536 draws, ~3 minutes
    python benchmarks/mcse_hdi.py --seeds 100 --draws 4096

For each distribution, ``--seeds`` independent samples of ``--draws`` draws; each gives its 90%
ETI and HDI bounds and their MCSE. The table gives the mean MCSE divided by the standard deviation
of the bounds over the seeds (1 is honest; its sampling error is about 3/sqrt(2 seeds) at 3 sd,
21% at 200 seeds): the HDI's new error (``stats.mcse_hdi``), the order-statistic error at the
bound's own probability that ``summarize(interval="hdi")`` reported before, and the ETI's
order-statistic error (``stats.mcse_probabilities``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats as sps

from chipdemand.kernels.stats import exact_quantiles, hdi_bounds, mcse_hdi, mcse_probabilities

CI = 0.9
DISTRIBUTIONS = {
    "lognormal(0, 1)": sps.lognorm(1.0),
    "lognormal(0, 0.5)": sps.lognorm(0.5),
    "gamma(2)": sps.gamma(2.0),
    "gamma(1.3)": sps.gamma(1.3),
    "normal": sps.norm(),
    "exponential": sps.expon(),
    "beta(0.5, 3)": sps.beta(0.5, 3.0),
    "uniform": sps.uniform(),
}


def measure(dist, seeds: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    x = dist.ppf(np.random.default_rng(0).random((seeds, n)))
    start = time.perf_counter()
    new = mcse_hdi(x, CI)
    per_series = (time.perf_counter() - start) / seeds
    bounds = hdi_bounds(x, CI)
    old = np.empty_like(new)
    for r in range(seeds):  # summaries._hdi before issue 10
        p = np.array([np.mean(x[r] <= b) for b in bounds[r]])
        below, above = mcse_probabilities(p, n)
        q = exact_quantiles(x[r], np.concatenate([below, above]))
        old[r] = (q[2:] - q[:2]) / 2
    centre = np.array([(1 - CI) / 2, (1 + CI) / 2])
    below, above = mcse_probabilities(centre, n)
    q = exact_quantiles(x, np.concatenate([centre, below, above]))
    spread, eti_spread = bounds.std(axis=0, ddof=1), q[:, :2].std(axis=0, ddof=1)
    eti = ((q[:, 4:] - q[:, 2:4]) / 2).mean(axis=0) / eti_spread
    return new.mean(axis=0) / spread, old.mean(axis=0) / spread, eti, per_series


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--draws", type=int, nargs="+", default=[4096, 16384, 65536])
    args = parser.parse_args()
    print(f"MCSE / spread over {args.seeds} seeds, 90% intervals (lower, upper bound)\n")
    print("| distribution | draws | HDI new | HDI before | ETI | ms per series (new) |")
    print("|---|---|---|---|---|---|")
    for n in args.draws:
        for name, dist in DISTRIBUTIONS.items():
            new, old, eti, seconds = measure(dist, args.seeds, n)
            cells = [" / ".join(f"{v:.2f}" for v in r) for r in (new, old, eti)]
            print(f"| {name} | {n} | " + " | ".join(cells) + f" | {seconds * 1e3:.0f} |", flush=True)


if __name__ == "__main__":
    main()
