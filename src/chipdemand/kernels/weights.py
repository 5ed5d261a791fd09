"""Importance-weight kernels on plain arrays: weighted quantiles, Kish's effective sample size,
Pareto-smoothed importance sampling (PSIS) and its k̂, and the choice between raw and smoothed
weights. NumPy and SciPy only (and arviz-stats' array layer, which is the same)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = [
    "weighted_quantiles",
    "sorted_weighted_quantiles",
    "kish_ess",
    "khat_threshold",
    "psis_log_weights",
    "importance_log_weights",
    "MAX_PARETO_K",
    "RAW_BELOW_K",
]

#: k̂ above which PSIS weights are not trusted (Vehtari et al. 2024, sec. 3.2.4)
MAX_PARETO_K = 0.7
#: k̂ below which the raw self-normalized weights are used: their variance is finite there
#: (Vehtari et al. 2024, sec. 3.2.3: for k < 1/2 the raw importance sampling estimate obeys the
#: central limit theorem), and smoothing would only bias them
RAW_BELOW_K = 0.5


def weighted_quantiles(x: ArrayLike, weights: ArrayLike, probs: ArrayLike) -> NDArray:
    """Quantiles of the last axis of ``x`` under ``weights``, by inverting the weighted CDF.

    The ``p`` quantile is the smallest draw whose cumulative normalized weight reaches ``p``
    (``numpy.quantile(x, p, weights=w, method="inverted_cdf")``): with weights that are whole
    numbers it is the quantile of the draws repeated that many times.

    Parameters
    ----------
    x : array_like
        Draws, shape ``(..., n)``.
    weights : array_like
        Non-negative weights broadcastable to ``x`` (need not be normalized); each series needs
        a positive total.
    probs : array_like
        Probabilities in [0, 1], any shape.

    Returns
    -------
    ndarray
        Shape ``(..., *probs.shape)``: the series' leading shape, then one value per probability.

    Examples
    --------
    >>> weighted_quantiles([1.0, 2.0, 3.0, 4.0], [1, 0, 0, 3], [0.25, 0.5])
    array([1., 4.])
    """
    x = np.asarray(x, dtype=float)
    w = np.broadcast_to(np.asarray(weights, dtype=float), x.shape)
    probs = np.asarray(probs, dtype=float)
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    if np.any((probs < 0) | (probs > 1)):
        raise ValueError("probabilities must be in [0, 1]")
    order = np.argsort(x, axis=-1)
    xs = np.take_along_axis(x, order, axis=-1)
    out = sorted_weighted_quantiles(xs, np.take_along_axis(w, order, axis=-1), probs.ravel())
    return out.reshape((*x.shape[:-1], *probs.shape))


def sorted_weighted_quantiles(xs: NDArray, ws: NDArray, probs: NDArray) -> NDArray:
    """:func:`weighted_quantiles` of draws already sorted along the last axis (``ws`` in the
    same order); ``probs`` 1-d, results last (for many quantiles of one sorted series)."""
    cdf = np.cumsum(ws, axis=-1)
    total = cdf[..., -1:]
    if np.any(total <= 0):
        raise ValueError("every series needs a positive total weight")
    cdf /= total
    n = xs.shape[-1]
    out = np.empty((*xs.shape[:-1], probs.size))
    tiny = np.finfo(float).tiny  # p = 0: the first draw of positive weight, not a leading zero
    for j, p in enumerate(probs):  # a few probabilities, each vectorized over series
        k = np.minimum(np.count_nonzero(cdf < max(p, tiny), axis=-1), n - 1)
        out[..., j] = np.take_along_axis(xs, k[..., None], axis=-1)[..., 0]
    return out


def kish_ess(log_weights: ArrayLike, axis: int = -1) -> NDArray:
    """Kish's effective sample size ``1 / Σ w²`` of the normalized weights ``exp(log_weights)``.

    Equal weights give the number of draws; one draw with all the weight gives 1.
    """
    lw = np.asarray(log_weights, dtype=float)
    lw = lw - special.logsumexp(lw, axis=axis, keepdims=True)
    return np.exp(-special.logsumexp(2 * lw, axis=axis))


def khat_threshold(draws: int) -> float:
    """The largest Pareto k̂ at which PSIS estimates from ``draws`` draws can be trusted.

    ``min(1 - 1 / log10(draws), 0.7)`` (Vehtari, Simpson, Gelman, Yao & Gabry, Pareto Smoothed
    Importance Sampling, JMLR 25(72), 2024, sec. 3.2.4): 0.7 from about 2,200 draws on, lower for
    fewer draws.
    """
    if draws <= 10:
        return -math.inf
    return min(1 - 1 / math.log10(draws), MAX_PARETO_K)


def psis_log_weights(log_ratios: ArrayLike, r_eff: float = 1.0) -> tuple[NDArray, NDArray]:
    """Pareto-smoothed, normalized log importance weights along the last axis, and each k̂.

    Parameters
    ----------
    log_ratios : array_like
        ``log(target density / proposal density)`` of each draw, shape ``(..., n)``; to condition
        prior draws on observations, the log-likelihood. ``-inf`` is a draw the target rules out.
    r_eff : float
        Relative efficiency of the draws (1 for independent draws; conservative for LHS and Sobol).

    Returns
    -------
    log_weights : ndarray
        Shape ``(..., n)``; ``logsumexp`` over the last axis is 0.
    pareto_k : ndarray
        Shape ``(...)``. ``nan`` where there is no tail to smooth (every draw of the series has the
        same finite ratio, or its largest ratios are all equal: the weights are bounded and used
        as they are); ``inf`` where the tail cannot be fitted (no draw is allowed, or the largest
        weights differ by more than the floating-point range: a handful of draws carry all the
        weight).

    Notes
    -----
    Smoothing is :func:`arviz_stats.base.array_stats.psislw` (Vehtari et al. 2024), which takes a
    log-likelihood whose negative is a log weight, as in leave-one-out cross-validation; it is
    given ``-log_ratios``.
    """
    from arviz_stats.base import array_stats

    lr = np.asarray(log_ratios, dtype=float)
    flat = lr.reshape(-1, lr.shape[-1])
    out = np.empty_like(flat)
    khat = np.empty(len(flat))
    for i, row in enumerate(flat):  # one series per scenario
        allowed = np.isfinite(row)
        if not allowed.any():
            out[i], khat[i] = np.nan, np.inf
            continue
        if np.ptp(row[allowed]) == 0:
            out[i] = np.where(allowed, -math.log(allowed.sum()), -np.inf)
            khat[i] = np.nan
            continue
        try:
            with np.errstate(all="ignore"):  # a degenerate tail divides by zero; detected below
                lw, k = array_stats.psislw(-row, r_eff)
        except ValueError:  # "All tail values are the same": bounded weights, nothing to smooth
            lw, k = row - special.logsumexp(row), np.nan
        k = float(k)
        if np.isnan(lw).any() or np.isinf(k):
            out[i], khat[i] = row - special.logsumexp(row), np.inf
        else:
            out[i], khat[i] = lw, k
    return out.reshape(lr.shape), khat.reshape(lr.shape[:-1])


def importance_log_weights(
    log_ratios: ArrayLike, r_eff: float = 1.0, *, raw_below: float = RAW_BELOW_K
) -> tuple[NDArray, NDArray, NDArray]:
    """Normalized log importance weights along the last axis: raw where the tail is light,
    Pareto-smoothed where it is heavy; with each series' k̂ and which was used.

    PSIS stabilizes heavy-tailed weights (Vehtari, Simpson, Gelman, Yao & Gabry 2024); it
    replaces the largest ``min(n / 5, 3 √n)`` weights by quantiles of a fitted generalized Pareto
    distribution. Where the weights are bounded (an informative observation whose likelihood has
    a maximum) those few hundred draws hold most of the posterior mass, and smoothing them moves
    the bounds of a posterior interval outwards (a 90% interval at the exact posterior's 2% and
    98%). Where k̂ is below ``raw_below`` the raw self-normalized weights have finite variance
    and are unbiased in the limit, so they are used as they are; above it the smoothed ones.
    k̂ is the diagnostic either way.

    Parameters
    ----------
    log_ratios : array_like
        ``log(target / proposal)`` of each draw, shape ``(..., n)``.
    r_eff : float
        Relative efficiency of the draws, passed to PSIS.
    raw_below : float
        k̂ below which the raw weights are used (``nan`` k̂, nothing to smooth, counts as below).

    Returns
    -------
    log_weights : ndarray
        Shape ``(..., n)``; ``logsumexp`` over the last axis is 0.
    pareto_k : ndarray
        Shape ``(...)``, as :func:`psis_log_weights`.
    smoothed : ndarray of bool
        Shape ``(...)``: True where the Pareto-smoothed weights were used.
    """
    lr = np.asarray(log_ratios, dtype=float)
    smoothed_lw, khat = psis_log_weights(lr, r_eff)
    with np.errstate(invalid="ignore"):  # logsumexp of an all -inf series: nan, as PSIS gives
        raw = lr - special.logsumexp(lr, axis=-1, keepdims=True)
    smoothed = np.asarray(khat >= raw_below)  # nan (nothing to smooth) compares False
    out = np.where(smoothed[..., None], smoothed_lw, raw)
    return out, khat, smoothed
