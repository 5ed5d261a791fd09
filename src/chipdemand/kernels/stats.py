"""Summary kernels on plain arrays: exact quantiles, their Monte Carlo error, chunk-free means.

Every summary is defined on the fixed blocks of draws, so an in-memory run, a run streamed
block by block in bounded memory and a dask run give bit-identical numbers: means add the
blocks' sums exactly (``math.fsum``), quantiles interpolate between exact order statistics
(NumPy's "linear" rule), found in memory by partition or, streamed, by a histogram pass that
locates each order statistic's bin and a second pass that keeps only those bins' draws.
"""

from __future__ import annotations

import math
from dataclasses import InitVar, dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as sps

from .sampling import BLOCK, stream

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
    "hdi_bounds",
    "mcse_hdi",
    "hdi_intervals",
    "StreamingQuantiles",
    "average_ranks",
    "share_above",
]

_ONE_SD = sps.norm.cdf([-1.0, 1.0])  # 0.1587, 0.8413: ±1 standard deviation of a rank

#: the statistics of a summary, in order (the ``stat`` dimension of a summary Dataset)
STATS = ("mean", "median", "low", "high", "mcse_low", "mcse_median", "mcse_high")


def quantile_ranks(n: int, probs: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Lower order-statistic index ``k`` and weight ``t`` of each probability (NumPy "linear")."""
    h = (n - 1) * np.asarray(probs, dtype=float)
    k = np.floor(h).astype(np.int64)
    return np.clip(k, 0, n - 1), h - k


def interpolate(lower: np.ndarray, upper: np.ndarray, t: np.ndarray) -> np.ndarray:
    """NumPy's quantile interpolation between neighbouring order statistics (its ``_lerp``).

    Infinite order statistics, where NumPy answers NaN: two equal ones give their value, and
    between an infinite and a finite one (``0 < t < 1``) the infinite one; ``-inf`` and ``inf``
    give NaN.
    """
    with np.errstate(invalid="ignore"):  # inf - inf: handled below
        diff = upper - lower
        out = np.where(t >= 0.5, upper - diff * (1 - t), lower + diff * t)
    infinite = np.isinf(lower) | np.isinf(upper)
    if np.any(infinite):
        inside = np.where(np.isinf(lower), lower, upper)
        inside = np.where(np.isinf(lower) & np.isinf(upper) & (lower != upper), np.nan, inside)
        inside = np.where(lower == upper, lower, np.where(t == 0, lower, inside))
        out = np.where(infinite, inside, out)
    return out


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


def order_statistics(x: np.ndarray, ranks: np.ndarray, gap: int = 1 << 14) -> tuple[np.ndarray, np.ndarray]:
    """Exact order statistics of the last axis of ``x`` at 0-based ``ranks``, and the sorted
    unique ranks they stand at (``values[..., i]`` is the statistic of rank ``ranks[i]``).

    Ranks closer than ``gap`` form a cluster (a quantile and its MCSE bounds). A long row's
    clusters are read from a bracket a sample of it gives (:func:`_bracketed`); a cluster the
    bracket misses, and every cluster of a short row, by selection (:func:`_selected`). Both
    are exact, and NaN sorts last as in ``np.sort``.
    """
    ranks = np.unique(ranks)
    clusters = np.split(ranks, np.flatnonzero(np.diff(ranks) > gap) + 1)
    flat = x.reshape(-1, x.shape[-1])
    out = np.empty((flat.shape[0], ranks.size), dtype=x.dtype)
    size = min(_SAMPLE, flat.shape[-1] // 16)
    for i, row in enumerate(flat):
        found = _bracketed(row, clusters, size) if size >= _MIN_SAMPLE else [None] * len(clusters)
        missed = [c for c, v in zip(clusters, found, strict=True) if v is None]
        exact = iter(_selected(row, missed) if missed else [])
        out[i] = np.concatenate([next(exact) if v is None else v for v in found])
    return out.reshape(*x.shape[:-1], ranks.size), ranks


#: draws of a row whose sorted values bracket each cluster of ranks (:func:`_bracketed`): a
#: sixteenth of the row, at most _SAMPLE; rows whose sixteenth is below _MIN_SAMPLE are selected
_SAMPLE = 1 << 15
_MIN_SAMPLE = 1 << 10


def _bracketed(row: np.ndarray, clusters: list[np.ndarray], size: int) -> list[np.ndarray | None]:
    """The values at each cluster's ranks, or None where the bracket missed (Floyd–Rivest's idea).

    A strided sample of about ``size`` draws is sorted; each cluster's bracket is the sample's
    values four standard deviations of a sample rank (plus two) beyond the cluster's ends. One
    pass counts the draws below the bracket and keeps those inside; when the cluster's ranks
    fall inside, sorting the few kept gives them exactly. Three to five times faster than
    selection from 1e5 to 2e6 draws (the bracket holds 2-4% of them).
    """
    n = row.size
    sample = np.sort(row[:: max(1, n // size)])
    m = sample.size
    found: list[np.ndarray | None] = []
    for c in clusters:
        p_lo, p_hi = c[0] / (n - 1), c[-1] / (n - 1)
        a = math.floor(p_lo * (m - 1) - 4 * math.sqrt(m * p_lo * (1 - p_lo)) - 2)
        b = math.ceil(p_hi * (m - 1) + 4 * math.sqrt(m * p_hi * (1 - p_hi)) + 2)
        lo = sample[a] if a > 0 else -np.inf
        hi = sample[b] if b < m - 1 else np.inf
        below = int(np.count_nonzero(row < lo)) if a > 0 else 0
        inside = row[(row >= lo) & (row <= hi)]
        if below <= c[0] and c[-1] < below + inside.size and inside.size <= n // 8:
            inside.sort()
            found.append(inside[c - below])
        else:  # the bracket missed (or holds too much of the row to sort, e.g. ties)
            found.append(None)
    return found


def _selected(row: np.ndarray, clusters: list[np.ndarray]) -> list[np.ndarray]:
    """The values at each cluster's ranks by selection: the clusters' ends are put in place
    (:func:`_select`, on a copy) and the few draws between them sorted."""
    part = np.array(row, copy=True)
    _select(part, np.unique(np.concatenate([[c[0], c[-1]] for c in clusters])))
    for c in clusters:
        if c[-1] - c[0] > 1:
            part[c[0] + 1 : c[-1]].sort()
    return [part[c] for c in clusters]


def exact_quantiles(x: np.ndarray, probs: ArrayLike) -> np.ndarray:
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


def mcse_probabilities(probs: ArrayLike, ess: float) -> tuple[np.ndarray, np.ndarray]:
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
    deviation of its rank below and above it. Where those two are the same value (the quantile
    falls on a tie: a discrete output, or one with a point mass) that distance is 0 by
    construction, whatever the error: a 95% quantile of a discrete output at small draws moves
    by a third of a standard deviation across seeds. Its MCSE is then NaN (unknown), not 0. An
    output that is one value in every draw keeps 0: its quantiles have no error.
    """
    q = np.asarray(q, dtype=float)
    mean = np.asarray(mean, dtype=float)
    with np.errstate(invalid="ignore"):  # inf - inf
        mcse = (q[..., 6:9] - q[..., 3:6]) / 2
    constant = (np.ptp(q, axis=-1) == 0) & np.isclose(mean, q[..., 0], rtol=1e-12, atol=0.0)
    tied = (q[..., 6:9] == q[..., 3:6]) & ~constant[..., None]
    mcse = np.where(tied, np.nan, mcse)
    return np.concatenate([mean[..., None], q[..., [1, 0, 2]], mcse[..., [0, 1, 2]]], axis=-1)


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


# ----------------------------------------------------------------------------- HDI
def _hdi_rank(xs: np.ndarray, ci: float) -> tuple[int, int]:
    """Rank of the lower bound of the shortest interval of ``floor(ci n)`` steps, and the steps."""
    n = xs.size
    k = int(np.floor(ci * n))
    return int(np.argmin(xs[k:] - xs[: n - k])), k


def hdi_bounds(x: ArrayLike, ci: float) -> NDArray[np.float64]:
    """Highest-density interval of the last axis: the shortest interval of sample points.

    The interval from the ``i``-th to the ``(i + floor(ci n))``-th smallest draw with the least
    width, as ``arviz_stats.base.array_stats.hdi(x, ci, method="nearest")`` gives it.

    Returns
    -------
    numpy.ndarray
        Shape ``(..., 2)``: lower and upper bound.
    """
    x = np.asarray(x, dtype=float)
    out = np.empty((*x.shape[:-1], 2))
    for index in np.ndindex(*x.shape[:-1]):
        xs = np.sort(x[index])
        i, k = _hdi_rank(xs, ci)
        out[index] = xs[i], xs[i + k]
    return out


def mcse_hdi(x: ArrayLike, ci: float, *, seed: int = 0, resamples: int = 100) -> NDArray[np.float64]:
    """Monte Carlo standard error of the HDI bounds of the last axis (independent draws).

    The bounds of the shortest interval move more than the order statistics they are: which
    draw starts the interval is itself random (an argmin over the draws, whose error shrinks
    like ``n**(-1/3)`` rather than ``n**(-1/2)``), so the order-statistic error at the bound's
    own probability is 1.6 to 5 times too small. Here the error is the standard deviation of the
    bounds over ``resamples`` smoothed bootstrap samples: ``n`` fresh uniforms, sorted (drawn
    as ordered by Rényi's representation: cumulated exponentials), mapped through the
    sample's linearly interpolated quantile function, and their shortest interval found; at
    least the order-statistic error (:func:`mcse_probabilities`). Only the ranks near the two
    bounds are drawn (a window of ``n**(2/3)`` ranks, widened until no resample's interval
    touches its edge), so a series costs O(resamples × n**(2/3)) after its sort.

    Measured against the spread of the bounds over 200 independent seeds (tests/test_stats.py,
    benchmarks/mcse_hdi.py): 0.9 to 1.1 of it for bounds inside the support (lognormal, gamma,
    normal), 1.5 to 3 times it for a bound on the sample's smallest draws (exponential,
    Beta(0.5, 3): conservative); for a flat density (uniform), whose HDI is not unique, 0.6.

    Parameters
    ----------
    x : array_like
        Draws on the last axis, any leading shape; finite.
    ci : float
        Probability mass of the interval, in (0, 1).
    seed : int
        Seed of the resampling (:func:`chipdemand.kernels.sampling.stream` ``(seed, "stats",
        "mcse_hdi")``), so that the error is a fixed function of the draws.
    resamples : int
        Bootstrap samples (the error's own relative error is about ``1/sqrt(2 resamples)``
        plus the sample's).

    Returns
    -------
    numpy.ndarray
        Shape ``(..., 2)``: the standard errors of the lower and upper bound, in the unit of
        ``x``.
    """
    x = np.asarray(x, dtype=float)
    rng = stream(seed, "stats", "mcse_hdi")
    out = np.empty((*x.shape[:-1], 2))
    for index in np.ndindex(*x.shape[:-1]):
        xs = np.sort(x[index])
        n = xs.size
        i, k = _hdi_rank(xs, ci)
        window = max(256, int(n ** (2 / 3)))
        while True:
            bounds = _smoothed_bootstrap(xs, i, k, rng, resamples, window)
            if bounds is not None:
                break
            window *= 4
        spread = bounds.std(axis=0, ddof=1)
        p = np.array([i, i + k]) / max(n - 1, 1)
        below, above = mcse_probabilities(p, n)
        q = exact_quantiles(xs, np.concatenate([below, above]))
        out[index] = np.maximum(spread, (q[2:] - q[:2]) / 2)
    return out


def _smoothed_bootstrap(
    xs: np.ndarray, i: int, k: int, rng: np.random.Generator, resamples: int, window: int
) -> np.ndarray | None:
    """HDI bounds of smoothed bootstrap samples, drawn only near ranks ``i`` and ``i + k``.

    Returns ``(resamples, 2)``, or None when some resample's interval reaches the edge of a
    window that does not end at the sample's end (the caller widens the window).
    """
    n = xs.size
    a0, a1 = max(i - window, 0), min(i + window + 1, n)
    b0, b1 = max(i + k - window, 0), min(i + k + window + 1, n)
    if a1 >= b0:  # one window holds both bounds
        a1 = b0 = b1
    # ordered uniforms U_(j+1) = S_(j+1) / S_(n+1), S partial sums of standard exponentials
    s_a = rng.gamma(a0 + 1.0, size=(resamples, 1)) + _cumulated(rng, resamples, a1 - a0)
    if b0 == b1:  # merged
        s_b, b0 = s_a, a0
        total = s_a[:, -1] + rng.gamma(n + 1.0 - a1, size=resamples)
    else:
        start = s_a[:, -1:] + rng.gamma(b0 - a1 + 1.0, size=(resamples, 1))
        s_b = start + _cumulated(rng, resamples, b1 - b0)
        total = s_b[:, -1] + rng.gamma(n + 1.0 - b1, size=resamples)
    ranks = np.arange(n)
    x_a = np.interp(s_a / total[:, None] * (n - 1), ranks, xs)
    x_b = x_a if s_b is s_a else np.interp(s_b / total[:, None] * (n - 1), ranks, xs)
    # pair rank a0 + t of window a with rank a0 + t + k of window b
    shift = a0 + k - b0
    t_lo, t_hi = max(0, -shift), min(x_a.shape[1], x_b.shape[1] - shift)
    if t_hi <= t_lo:
        return None
    t = np.arange(t_lo, t_hi)
    j = np.argmin(x_b[:, t + shift] - x_a[:, t], axis=1)
    first_cut = (a0 > 0) if t_lo == 0 else (b0 > 0)
    last_cut = (a1 < n) if t_hi == x_a.shape[1] else (b1 < n)
    if (first_cut and np.any(j == 0)) or (last_cut and np.any(j == t.size - 1)):
        return None
    rows = np.arange(resamples)
    return np.column_stack([x_a[rows, t[j]], x_b[rows, t[j] + shift]])


def _cumulated(rng: np.random.Generator, rows: int, length: int) -> np.ndarray:
    """``(rows, length)`` partial sums of standard exponentials, starting at 0."""
    steps = rng.standard_exponential(size=(rows, length))
    steps[:, 0] = 0.0
    return np.cumsum(steps, axis=1)


def hdi_intervals(x: ArrayLike, ci: float, *, max_modes: int = 8) -> NDArray[np.float64]:
    """The highest-density region of the last axis: one interval, or several for several modes.

    The region ``{x: f(x) >= t}`` holding ``ci`` of the probability is found on a kernel density
    estimate (``arviz_stats``' ``kde``, ISJ bandwidth, 2048 grid points) of ``log x`` when every
    draw is positive, of ``x`` otherwise; the density of ``x`` is ``f(log x) / x``. Two runs of
    grid points above ``t`` are kept apart only when the draws between them are significantly
    fewer (3 Poisson standard deviations) than the threshold density implies, and a run holding
    fewer than 0.5% of the draws (and fewer than 20) is dropped: the kernel estimate's wiggles
    near ``t`` and its edges are not modes. When one interval remains, it is the exact
    :func:`hdi_bounds`; when several do, their bounds are those of the grid (a step is 1/2047 of
    the draws' range, in log space for positive draws).

    ``arviz_stats.base.array_stats.hdi(..., method="multimodal")`` is not used: on a lognormal
    of sigma 2 (90%: [0.015, 14.07]) it gives [4.97, 14.9], its linear grid being too coarse
    for the tail, and on a lognormal of sigma 1 it adds degenerate intervals such as
    [3.806, 3.806] in one seed out of two (65,536 draws). Checked here (tests/test_stats.py) on
    normal and lognormal mixtures against the exact region, and on ten unimodal families (no
    second interval in 20 seeds at 4,096 and 65,536 draws).

    Parameters
    ----------
    x : array_like
        Draws on the last axis, any leading shape; finite.
    ci : float
        Probability mass of the region, in (0, 1).
    max_modes : int
        Room for intervals in the result; beyond it the intervals holding the most draws are
        kept.

    Returns
    -------
    numpy.ndarray
        Shape ``(..., max_modes, 2)``: the intervals' lower and upper bounds in increasing
        order, NaN after the last. ``np.sum(~np.isnan(r[..., 0]), axis=-1) > 1`` flags a
        multimodal output.
    """
    x = np.asarray(x, dtype=float)
    out = np.full((*x.shape[:-1], max_modes, 2), np.nan)
    for index in np.ndindex(*x.shape[:-1]):
        xs = np.sort(x[index])
        i, k = _hdi_rank(xs, ci)
        found = _density_region(xs, ci)
        if len(found) < 2:
            out[index][0] = xs[i], xs[i + k]
            continue
        found = found[np.argsort(found[:, 2])[::-1][:max_modes]]  # the most draws first
        found = found[np.argsort(found[:, 0])]
        out[index][: len(found)] = found[:, :2]
    return out


def _density_region(xs: np.ndarray, ci: float, grid_len: int = 2048) -> np.ndarray:
    """Rows ``(lower, upper, draws)`` of the region's intervals, from sorted draws ``xs``."""
    from arviz_stats.base import array_stats

    n = xs.size
    if n < 100 or np.unique(xs[:: max(1, n // 1000)]).size < 20:  # too few, or a few values
        return np.empty((0, 3))
    log = xs[0] > 0
    y = np.log(xs) if log else xs
    grid, f_y, _ = array_stats.kde(y, grid_len=grid_len, bw="isj", bound_correction=not log)
    step = grid[1] - grid[0]
    f_x = f_y / np.exp(grid) if log else f_y
    mass = f_y / f_y.sum()
    order = np.argsort(f_x)[::-1]
    threshold = f_x[order[min(int(np.searchsorted(np.cumsum(mass[order]), ci)), grid_len - 1)]]
    inside = np.concatenate([[0], (f_x >= threshold).astype(np.int8), [0]])
    change = np.flatnonzero(np.diff(inside))
    runs = [[a, b] for a, b in zip(change[0::2], change[1::2], strict=True)]  # cells a .. b-1

    def edge(cell):  # left edge of a grid cell, in the draws' unit
        value = grid[0] + (cell - 0.5) * step
        return math.exp(value) if log else value

    def draws(a, b):
        return np.searchsorted(xs, edge(b)) - np.searchsorted(xs, edge(a))

    merged = [runs[0]]
    for a, b in runs[1:]:
        low, high = edge(merged[-1][1]), edge(a)
        expected = n * threshold * (high - low)
        observed = np.searchsorted(xs, high) - np.searchsorted(xs, low)
        if observed > expected - 3 * math.sqrt(expected):  # no significant valley: one interval
            merged[-1][1] = b
        else:
            merged.append([a, b])
    rows = np.array([[edge(a), edge(b), draws(a, b)] for a, b in merged])
    kept = rows[rows[:, 2] >= max(20, 0.005 * n)]
    return kept if len(kept) else rows


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
    edges_from: InitVar[np.ndarray]  # the first block, to fix the bins (not kept)
    bins: int = 1 << 16
    counts: np.ndarray = field(init=False)
    total: ExactSum = field(init=False, default_factory=ExactSum)
    kept: dict[int, list[tuple[np.ndarray, np.ndarray]]] = field(init=False, default_factory=dict)

    def __post_init__(self, edges_from: np.ndarray) -> None:
        x = np.asarray(edges_from, dtype=float)
        if np.isnan(x).any():
            raise ValueError("StreamingQuantiles: the first block has NaN draws, which have no quantile")
        self.log = bool(np.all(x > 0))
        y = np.log(x) if self.log else x
        y = y[np.isfinite(y)]  # ±inf fall in the under- and overflow bins; the bins span the rest
        lo, hi = (float(y.min()), float(y.max())) if y.size else (0.0, 1.0)
        if not hi > lo:
            hi = lo + 1.0
        self.lo, self.scale = lo, self.bins / (hi - lo)
        self.counts = np.zeros(self.bins + 2, dtype=np.int64)  # underflow, bins, overflow
        k, _ = quantile_ranks(self.n, self.probs)
        self.ranks = np.unique(np.concatenate([k, np.minimum(k + 1, self.n - 1)]))

    def spawn(self) -> StreamingQuantiles:
        """An empty accumulator with the same bins (and, after pass 1, the same targets).

        It holds no array the size of the bins until it is used, so it is small to pickle:
        :func:`chipdemand.analysis.summaries.two_passes` ships spawned ones to dask workers."""
        twin = object.__new__(StreamingQuantiles)
        twin.__dict__.update(self.__dict__)
        twin.counts = None  # type: ignore[assignment]  # allocated by the first count()
        twin.__dict__.pop("_is_target", None)  # rebuilt from the targets by the first collect()
        twin.total, twin.kept = ExactSum(), {}
        return twin

    def _bin(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.log(x) if self.log else x
            pos = (y - self.lo) * self.scale
        pos = np.nan_to_num(pos, nan=-1.0, posinf=self.bins + 1.0, neginf=-1.0)
        return (np.clip(pos, -1, self.bins) + 1).astype(np.intp)

    def count(self, block: int, x: np.ndarray) -> None:
        """Pass 1: add one block's histogram and sum (``±inf`` draws are counted in the end bins
        and are order statistics like any other; NaN draws are refused)."""
        if np.isnan(x).any():
            raise ValueError(f"StreamingQuantiles: block {block} has NaN draws, which have no quantile")
        counted = np.bincount(self._bin(x), minlength=self.bins + 2)
        self.counts = counted if self.counts is None else self.counts + counted
        with np.errstate(invalid="ignore"):  # inf + -inf: the mean is NaN
            self.total.add(float(np.sum(x)))

    def target_bins(self) -> np.ndarray:
        """After pass 1: the bins that hold a wanted order statistic."""
        if self.counts.sum() != self.n:
            raise RuntimeError(f"pass 1 counted {self.counts.sum()} draws, expected {self.n}")
        cum = np.cumsum(self.counts)
        self._targets = np.unique(np.searchsorted(cum, self.ranks, side="right"))
        self.__dict__.pop("_is_target", None)
        return self._targets

    def collect(self, block: int, x: np.ndarray) -> None:
        """Pass 2: keep one block's draws in the target bins."""
        if "_is_target" not in self.__dict__:
            self._is_target = np.zeros(self.bins + 2, dtype=bool)
            self._is_target[self._targets] = True
        idx = self._bin(x)
        sel = self._is_target[idx]
        values, where = x[sel], idx[sel]
        for b in np.unique(where):
            self.kept.setdefault(int(b), []).append(np.unique(values[where == b], return_counts=True))

    def merge(self, other: StreamingQuantiles) -> StreamingQuantiles:
        """Add another accumulator's partial results of the same pass; returns ``self``."""
        if other.counts is not None:
            self.counts = other.counts.copy() if self.counts is None else self.counts + other.counts
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


# ----------------------------------------------------------------------------- ranks
def average_ranks(a: ArrayLike) -> np.ndarray:
    """Ranks 1..n along the first axis, tied values sharing the mean of their ranks.

    The values of ``scipy.stats.rankdata(a, axis=0)`` (for NaN-free ``a``), exactly: every rank
    is an integer or a half, so any order of the ties gives the same floats. Ties sit next to
    each other after any sort, so the sort need not be stable: NumPy's default introsort is
    ~3x faster than the mergesort ``rankdata`` uses (1e5 draws × 14 inputs: 0.09 s, not 0.23).
    """
    x = np.asarray(a, dtype=float)
    n = x.shape[0]
    order = np.argsort(x, axis=0)
    s = np.take_along_axis(x, order, axis=0)
    index = np.arange(n).reshape((n,) + (1,) * (x.ndim - 1))
    first = np.empty(s.shape, dtype=bool)  # the first of its run of equal values
    first[:1] = True
    first[1:] = s[1:] != s[:-1]
    last = np.empty(s.shape, dtype=bool)
    last[-1:] = True
    last[:-1] = first[1:]
    start = np.maximum.accumulate(np.where(first, index, 0), axis=0)
    end = np.minimum.accumulate(np.where(last, index, n)[::-1], axis=0)[::-1]
    ranks = np.empty(s.shape, dtype=float)
    np.put_along_axis(ranks, order, (start + end) / 2 + 1, axis=0)
    return ranks


def share_above(x: ArrayLike, thresholds: ArrayLike) -> np.ndarray:
    """The share of ``x``'s last axis above each threshold: ``(x[..., None] > t).mean(-2)``.

    Exactly those floats (the count above, divided by the count of draws; NaN is above nothing),
    from one sort and a binary search per threshold instead of a draws × thresholds comparison:
    an exceedance curve of 300 points over 1e5 draws in ~10 ms, not ~0.2 s. Returns shape
    ``x.shape[:-1] + t.shape``.
    """
    values = np.asarray(x, dtype=float)
    t = np.asarray(thresholds, dtype=float)
    n = values.shape[-1]
    rows = np.sort(values, axis=-1).reshape(-1, n)  # NaN last
    above = np.empty((rows.shape[0], t.size))
    for i, row in enumerate(rows):
        valid = n - int(np.count_nonzero(np.isnan(row)))
        above[i] = valid - np.searchsorted(row[:valid], t.ravel(), side="right")
    return (above / n).reshape(values.shape[:-1] + t.shape)
