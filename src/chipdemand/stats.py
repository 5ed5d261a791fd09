"""Summary kernels on plain arrays: exact quantiles, their Monte Carlo error, chunk-free means.

Every summary is defined on the fixed blocks of draws, so an in-memory run, a run streamed
block by block in bounded memory and a dask run give bit-identical numbers: means add the
blocks' sums exactly (``math.fsum``), quantiles interpolate between exact order statistics
(NumPy's "linear" rule), found in memory by partition or, streamed, by a histogram pass that
locates each order statistic's bin and a second pass that keeps only those bins' draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps

from .sampling import BLOCK

__all__ = [
    "STATS",
    "summary_probabilities",
    "summary_row",
    "ExactSum",
    "quantile_ranks",
    "interpolate",
    "order_statistics",
    "exact_quantiles",
    "block_sums",
    "exact_mean",
    "mcse_probabilities",
    "StreamingQuantiles",
]

_ONE_SD = sps.norm.cdf([-1.0, 1.0])  # 0.1587, 0.8413: ±1 standard deviation of a rank

#: the statistics of a summary, in order (the ``stat`` dimension of a summary Dataset)
STATS = ("mean", "median", "low", "high", "mcse_low", "mcse_median", "mcse_high")


def quantile_ranks(n: int, probs: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Lower order-statistic index ``k`` and weight ``t`` of each probability (NumPy "linear")."""
    h = (n - 1) * np.asarray(probs, dtype=float)
    k = np.floor(h).astype(np.int64)
    return np.clip(k, 0, n - 1), h - k


def interpolate(lower: np.ndarray, upper: np.ndarray, t: np.ndarray) -> np.ndarray:
    """NumPy's quantile interpolation between neighbouring order statistics (its ``_lerp``)."""
    diff = upper - lower
    out = lower + diff * t
    return np.where(t >= 0.5, upper - diff * (1 - t), out)


def _select(a: np.ndarray, ranks: np.ndarray) -> None:
    """Put the order statistics ``ranks`` (sorted, unique) of 1-d ``a`` in their places, in place.

    One kth per partition call: NumPy selects a single kth with its SIMD quickselect, several at
    once with a generic introselect ~10x slower (NumPy 2.x).
    """
    stack = [(0, a.size, ranks)]
    while stack:
        lo, hi, rs = stack.pop()
        if rs.size == 0:
            continue
        m = int(rs[rs.size // 2])
        a[lo:hi].partition(m - lo)
        stack.append((lo, m, rs[rs < m]))
        stack.append((m + 1, hi, rs[rs > m]))


def order_statistics(x: np.ndarray, ranks: np.ndarray, gap: int = 1 << 14) -> np.ndarray:
    """Exact order statistics of the last axis of ``x`` at 0-based ``ranks``.

    Ranks closer than ``gap`` form a cluster (a quantile and its MCSE bounds): the cluster's two
    ends are selected, and the few draws between them sorted.
    """
    ranks = np.unique(ranks)
    clusters = np.split(ranks, np.flatnonzero(np.diff(ranks) > gap) + 1)
    ends = np.unique(np.concatenate([[c[0], c[-1]] for c in clusters]))
    part = np.array(x, copy=True).reshape(-1, x.shape[-1])
    for row in part:
        _select(row, ends)
        for c in clusters:
            if c[-1] - c[0] > 1:
                row[c[0] + 1 : c[-1]].sort()
    return part.reshape(x.shape)[..., ranks], ranks


def exact_quantiles(x: np.ndarray, probs: Sequence[float]) -> np.ndarray:
    """Quantiles of the last axis, equal to ``np.quantile(x, probs, axis=-1)`` moved to the end."""
    n = x.shape[-1]
    k, t = quantile_ranks(n, probs)
    wanted = np.unique(np.concatenate([k, np.minimum(k + 1, n - 1)]))
    values, ranks = order_statistics(x, wanted)
    lower = values[..., np.searchsorted(ranks, k)]
    upper = values[..., np.searchsorted(ranks, np.minimum(k + 1, n - 1))]
    return interpolate(lower, upper, t)


def block_sums(x: np.ndarray) -> np.ndarray:
    """Sums of the last axis over fixed blocks of ``BLOCK`` draws (shape ``(..., n_blocks)``)."""
    n = x.shape[-1]
    full = n // BLOCK * BLOCK
    sums = x[..., :full].reshape(*x.shape[:-1], -1, BLOCK).sum(axis=-1)
    if full < n:
        sums = np.concatenate([sums, x[..., full:].sum(axis=-1, keepdims=True)], axis=-1)
    return sums


def exact_mean(sums: np.ndarray, n: int) -> np.ndarray:
    """Correctly rounded total of block sums (last axis) divided by ``n``."""
    flat = sums.reshape(-1, sums.shape[-1])
    return (np.array([math.fsum(row) for row in flat]) / n).reshape(sums.shape[:-1])


def mcse_probabilities(probs: Sequence[float], ess: float) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities one standard deviation of the rank below and above each quantile.

    The Monte Carlo standard error of the ``p`` quantile is half the distance between the
    sample quantiles at these probabilities: the order-statistic (beta) method, as in
    ``arviz.mcse(method="quantile")`` with ``ess`` effective draws (``n`` for independent draws;
    conservative for LHS and Sobol, which do better).
    """
    p = np.asarray(probs, dtype=float)
    a = sps.beta.ppf(_ONE_SD[0], ess * p + 1, ess * (1 - p) + 1)
    b = sps.beta.ppf(_ONE_SD[1], ess * p + 1, ess * (1 - p) + 1)
    return a, b


def summary_probabilities(ci: float, n: int) -> np.ndarray:
    """The nine probabilities a summary reads: low, median, high of a ``ci`` equal-tailed
    interval, then one standard deviation of the rank below and above each (their MCSE)."""
    centre = np.array([(1 - ci) / 2, 0.5, (1 + ci) / 2])
    below, above = mcse_probabilities(centre, n)
    return np.concatenate([centre, below, above])


def summary_row(mean: float | np.ndarray, q: np.ndarray) -> np.ndarray:
    """:data:`STATS` from a mean and the quantiles at :func:`summary_probabilities` (last axis).

    The MCSE of each quantile is half the distance between the quantiles one standard
    deviation of its rank below and above it.
    """
    q = np.asarray(q, dtype=float)
    mcse = (q[..., 6:9] - q[..., 3:6]) / 2
    return np.concatenate(
        [np.asarray(mean, dtype=float)[..., None], q[..., [1, 0, 2]], mcse[..., [0, 1, 2]]], axis=-1
    )


class ExactSum:
    """The correctly rounded sum of floats added in any order, in constant memory.

    Shewchuk's non-overlapping partials (the algorithm of :func:`math.fsum`): the partials hold
    the exact sum, so sums of blocks added and merged in any order, by any number of workers,
    give the same float as ``math.fsum`` of all of them.
    """

    __slots__ = ("partials",)

    def __init__(self) -> None:
        self.partials: list[float] = []

    def add(self, x: float) -> ExactSum:
        """Add one float; returns ``self``."""
        x = float(x)
        partials, i = self.partials, 0
        for y in partials:
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo:
                partials[i] = lo
                i += 1
            x = hi
        partials[i:] = [x]
        return self

    def merge(self, other: ExactSum) -> ExactSum:
        """Add another sum; returns ``self``."""
        for p in other.partials:
            self.add(p)
        return self

    def value(self) -> float:
        return math.fsum(self.partials)


# ----------------------------------------------------------------------------- streaming
@dataclass
class StreamingQuantiles:
    """Exact quantiles and mean of a stream of blocks, in bounded memory, by two passes.

    Pass 1 (:meth:`count`) histograms every block on fine bins fixed from the first block (in
    log space when the first block is positive), and adds block sums. Pass 2 (:meth:`collect`)
    keeps, of every block, only the draws in the bins that hold a wanted order statistic, as
    distinct values with counts. Blocks may come in any order in either pass and partial results
    merge (:meth:`merge`), so threads or dask workers can share the passes.
    """

    n: int
    probs: np.ndarray
    edges_from: np.ndarray  # the first block, to fix the bins
    bins: int = 1 << 16
    counts: np.ndarray = field(init=False)
    total: ExactSum = field(init=False, default_factory=ExactSum)
    kept: dict[int, list[tuple[np.ndarray, np.ndarray]]] = field(init=False, default_factory=dict)

    def __post_init__(self):
        x = np.asarray(self.edges_from, dtype=float)
        self.log = bool(np.all(x > 0))
        y = np.log(x) if self.log else x
        lo, hi = float(y.min()), float(y.max())
        if not hi > lo:
            hi = lo + 1.0
        self.lo, self.scale = lo, self.bins / (hi - lo)
        self.counts = np.zeros(self.bins + 2, dtype=np.int64)  # underflow, bins, overflow
        k, _ = quantile_ranks(self.n, self.probs)
        self.ranks = np.unique(np.concatenate([k, np.minimum(k + 1, self.n - 1)]))

    def spawn(self) -> StreamingQuantiles:
        """An empty accumulator with the same bins (and, after pass 1, the same targets)."""
        twin = object.__new__(StreamingQuantiles)
        twin.__dict__.update(self.__dict__)
        twin.counts = np.zeros_like(self.counts)
        twin.total, twin.kept = ExactSum(), {}
        return twin

    def _bin(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.log(x) if self.log else x
            pos = (y - self.lo) * self.scale
        pos = np.nan_to_num(pos, nan=-1.0, posinf=self.bins + 1.0, neginf=-1.0)
        return (np.clip(pos, -1, self.bins) + 1).astype(np.intp)

    def count(self, block: int, x: np.ndarray) -> None:
        """Pass 1: add one block's histogram and sum."""
        self.counts += np.bincount(self._bin(x), minlength=self.bins + 2)
        self.total.add(float(np.sum(x)))

    def target_bins(self) -> np.ndarray:
        """After pass 1: the bins that hold a wanted order statistic."""
        if self.counts.sum() != self.n:
            raise RuntimeError(f"pass 1 counted {self.counts.sum()} draws, expected {self.n}")
        cum = np.cumsum(self.counts)
        self._targets = np.unique(np.searchsorted(cum, self.ranks, side="right"))
        self._is_target = np.zeros(self.bins + 2, dtype=bool)
        self._is_target[self._targets] = True
        return self._targets

    def collect(self, block: int, x: np.ndarray) -> None:
        """Pass 2: keep one block's draws in the target bins."""
        idx = self._bin(x)
        sel = self._is_target[idx]
        values, where = x[sel], idx[sel]
        for b in np.unique(where):
            self.kept.setdefault(int(b), []).append(np.unique(values[where == b], return_counts=True))

    def merge(self, other: StreamingQuantiles) -> StreamingQuantiles:
        """Add another accumulator's partial results of the same pass; returns ``self``."""
        self.counts += other.counts
        self.total.merge(other.total)
        for b, parts in other.kept.items():
            self.kept.setdefault(b, []).extend(parts)
        return self

    def result(self) -> tuple[float, np.ndarray]:
        """``(mean, quantiles)`` after both passes."""
        cum = np.cumsum(self.counts)
        before = np.concatenate([[0], cum[:-1]])
        stats = {}
        for b in self._targets:
            values = np.concatenate([v for v, _ in self.kept[int(b)]])
            counts = np.concatenate([c for _, c in self.kept[int(b)]])
            order = np.argsort(values, kind="stable")
            values, cumcount = values[order], np.cumsum(counts[order])
            for r in self.ranks[np.searchsorted(cum, self.ranks, side="right") == b]:
                stats[int(r)] = values[np.searchsorted(cumcount, r - before[b], side="right")]
        k, t = quantile_ranks(self.n, self.probs)
        lower = np.array([stats[int(r)] for r in k])
        upper = np.array([stats[int(r)] for r in np.minimum(k + 1, self.n - 1)])
        mean = self.total.value() / self.n
        return mean, interpolate(lower, upper, t)
