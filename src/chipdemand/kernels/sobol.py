"""Sobol' sensitivity indices with honest intervals, from independent randomized replicates.

The Saltelli design is drawn ``replicates`` times, each time from an independently scrambled
Sobol' sequence; each replicate estimates the indices, and the interval is the replicates' mean
plus or minus a Student t quantile times their standard error. Scrambled Sobol' rows are not
independent draws, so a bootstrap over them (which treats them as such) measures the spread
of plain Monte Carlo and gives intervals several times too wide; independent replicates measure
the design's own spread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from ..errors import StudyError
from .sampling import stream

__all__ = ["SobolIndices", "sobol_indices", "REPLICATES"]

#: independent scrambles the base samples are split into
REPLICATES = 8


@dataclass(frozen=True)
class SobolIndices:
    """First-order and total Sobol' indices with their intervals, each of shape ``(d,)``.

    (``(s, d)`` for a function of ``s`` outputs.) ``first_se`` and ``total_se`` are the
    standard errors of the estimates (the replicates' standard deviation over the square root
    of their number).
    """

    first: np.ndarray
    total: np.ndarray
    first_low: np.ndarray
    first_high: np.ndarray
    total_low: np.ndarray
    total_high: np.ndarray
    first_se: np.ndarray
    total_se: np.ndarray

    def columns(self) -> dict[str, np.ndarray]:
        """The estimates and interval bounds by column name (as ``sensitivity`` tables use)."""
        return {
            k: getattr(self, k)
            for k in ("first", "total", "first_low", "first_high", "total_low", "total_high")
        }


def saltelli_jansen(f_A: np.ndarray, f_B: np.ndarray, f_AB: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-order (Saltelli et al. 2010) and total (Jansen 1999) indices, shape ``(..., s, d)``.

    ``f_A``, ``f_B``: ``(..., s, n)``; ``f_AB``: ``(..., d, s, n)``; draws on the last axis.
    The estimators of ``scipy.stats.sobol_indices(method="saltelli_2010")``, written to
    broadcast over leading dims.
    """
    var = np.var(np.concatenate([f_A, f_B], axis=-1), axis=-1)[..., None, :]  # (..., 1, s)
    f_A, f_B = f_A[..., None, :, :], f_B[..., None, :, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.mean(f_B * (f_AB - f_A), axis=-1) / var
        total = 0.5 * np.mean((f_A - f_AB) ** 2, axis=-1) / var
    return np.swapaxes(first, -1, -2), np.swapaxes(total, -1, -2)


def sobol_indices(
    func: Callable[[np.ndarray], np.ndarray],
    dists: Sequence,
    n: int,
    *,
    seed: int | np.random.Generator = 0,
    ci: float = 0.9,
    replicates: int = REPLICATES,
) -> SobolIndices:
    """Sobol' indices of ``func`` over independent inputs, with intervals from replicates.

    The design (scrambled Sobol' matrices A and B and the d mixed matrices), its transform
    through each input's ``ppf`` and the estimators (Saltelli 2010 first-order, Jansen total)
    are :func:`scipy.stats.sobol_indices`'s, run ``replicates`` times on ``n / replicates`` base
    samples each, every time with an independent scramble. The estimate is the replicates'
    mean; the interval at level ``ci`` is the mean plus or minus the Student t quantile on
    ``replicates - 1`` degrees of freedom times the standard error of the mean.

    Parameters
    ----------
    func : callable
        ``func(x)`` with ``x`` of shape ``(d, m)`` returns the output, shape ``(m,)`` (or
        ``(s, m)`` for ``s`` outputs).
    dists : sequence
        One object with a vectorized ``ppf`` per input (a chipdemand distribution or a frozen
        scipy one).
    n : int
        Base samples in all; ``n / replicates`` must be a power of two of at least 2.
        ``func`` sees ``n * (d + 2)`` points, as with one design of ``n`` base samples.
    seed : int or numpy.random.Generator
        An int seeds replicate ``r`` with ``sampling.stream(seed, "sensitivity", "sobol", r)``;
        a Generator gives its ``spawn(replicates)`` children.
    ci : float
        Level of the intervals, in (0, 1).
    replicates : int
        Independent scrambles, at least 2.

    Returns
    -------
    SobolIndices

    Notes
    -----
    Checked on the Ishigami function (Ishigami & Homma 1990), whose indices are known in closed
    form (Saltelli et al. 2008, Global Sensitivity Analysis: The Primer, §4.6): the intervals'
    coverage over independent seeds is near nominal (tests/test_sobol.py,
    benchmarks/sobol_intervals.py).
    """
    if isinstance(replicates, bool) or not isinstance(replicates, int | np.integer) or replicates < 2:
        raise StudyError(f"must be a whole number of at least 2, got {replicates!r}", key="replicates")
    per = n // replicates if isinstance(n, int | np.integer) and not isinstance(n, bool) else 0
    if per < 2 or per * replicates != n or per & (per - 1):
        raise StudyError(
            f"must be {replicates} (replicates) times a power of two of at least 2, got {n!r}", key="n"
        )
    if isinstance(ci, bool) or not isinstance(ci, int | float) or not 0 < ci < 1:
        raise StudyError(f"must be between 0 and 1, got {ci!r}", key="ci")
    if isinstance(seed, np.random.Generator):
        generators = seed.spawn(replicates)
    else:
        generators = [stream(seed, "sensitivity", "sobol", r) for r in range(replicates)]
    firsts, totals = [], []
    for rng in generators:
        first, total = _one_replicate(func, list(dists), per, rng)
        firsts.append(first)
        totals.append(total)
    first, total = np.array(firsts), np.array(totals)  # (replicates, s, d)
    quantile = stats.t.ppf((1 + ci) / 2, replicates - 1)
    out = {}
    for name, estimates in (("first", first), ("total", total)):
        mean = estimates.mean(axis=0)
        se = estimates.std(axis=0, ddof=1) / np.sqrt(replicates)
        out.update(
            {
                name: mean,
                f"{name}_se": se,
                f"{name}_low": mean - quantile * se,
                f"{name}_high": mean + quantile * se,
            }
        )
    s = first.shape[1]
    return SobolIndices(**{k: v[0] if s == 1 else v for k, v in out.items()})


def _one_replicate(
    func: Callable[[np.ndarray], np.ndarray], dists: list[Any], n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """First-order and total indices, shape ``(s, d)``, of one scrambled design of ``n`` rows."""
    captured: dict[str, np.ndarray] = {}

    def estimator(f_A: np.ndarray, f_B: np.ndarray, f_AB: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        captured.update(f_A=f_A, f_B=f_B, f_AB=f_AB)
        return saltelli_jansen(f_A, f_B, f_AB)

    stats.sobol_indices(
        func=lambda x: np.atleast_2d(np.array(func(x), dtype=float)),
        n=n,
        dists=dists,
        method=estimator,
        rng=rng,
    )
    f_A, f_B, f_AB = captured["f_A"], captured["f_B"], captured["f_AB"]
    if not np.all(np.var(np.concatenate([f_A, f_B], axis=-1), axis=-1) > 0):
        raise StudyError(
            "the output does not vary with the inputs; its Sobol' indices are undefined", key="output"
        )
    return saltelli_jansen(f_A, f_B, f_AB)
