"""Domains: the values an input or an output can physically take, checked before and after a run.

A model's :class:`~chipdemand.models.Input` (or a formula study's ``domain = "..."``) declares
one of :data:`DOMAINS`; when a study is loaded, the probability each distribution puts outside
its input's domain is computed from the distribution itself (its cdf, its atoms, or bisection
on its ppf) and more than :data:`TOLERANCE` is refused with a suggestion. Outputs are checked
on the values computed (:func:`outside_values`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .errors import StudyError, did_you_mean

if TYPE_CHECKING:  # at run time the functions below import the families they need
    from .distributions import Distribution

__all__ = [
    "Domain",
    "DOMAINS",
    "TOLERANCE",
    "check_domain_name",
    "probability_outside",
    "check_distribution",
    "check_value",
    "outside_values",
    "probability_below",
]

#: probability a distribution may put outside its input's domain
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Domain:
    """A set of admissible values: ``low`` (open or closed) to ``high`` (closed), maybe whole."""

    name: str
    text: str
    low: float = -math.inf
    low_open: bool = True
    high: float = math.inf
    whole: bool = False
    suggestion: str = ""

    def contains(self, x: float) -> bool:
        if not math.isfinite(x):
            return False
        if x < self.low or (self.low_open and x == self.low):
            return False
        if x > self.high:
            return False
        return not self.whole or x == round(x)


DOMAINS: dict[str, Domain] = {
    d.name: d
    for d in (
        Domain(
            "positive",
            "a positive number (> 0)",
            low=0.0,
            suggestion="truncate it with lower = 0, or use a lognormal or a gamma",
        ),
        Domain(
            "nonnegative",
            "a number >= 0",
            low=0.0,
            low_open=False,
            suggestion="truncate it with lower = 0, or use a lognormal or a gamma",
        ),
        Domain(
            "share",
            "a share in (0, 1]",
            low=0.0,
            high=1.0,
            suggestion='use a beta (dist = "beta", ci = [...]), or truncate it with lower = 0 and upper = 1',
        ),
        Domain(
            "indicator",
            "0 or 1 (an event: its mean over the draws is its probability)",
            low=0.0,
            low_open=False,
            high=1.0,
            whole=True,
            suggestion="write it as where(condition, 1, 0)",
        ),
        Domain(
            "at_least_one",
            "a number >= 1",
            low=1.0,
            low_open=False,
            suggestion="truncate it with lower = 1, or use a lognormal above 1",
        ),
        Domain(
            "count",
            "a whole number >= 1",
            low=1.0,
            low_open=False,
            whole=True,
            suggestion="use a point or a choice of whole numbers",
        ),
        Domain("any", "a finite number"),
    )
}


def check_domain_name(name: object, *, where: str = "") -> str:
    """``name`` if it is one of :data:`DOMAINS`, else a :class:`StudyError`."""
    what = f" for {where}" if where else ""
    if not isinstance(name, str):
        raise StudyError(f"expected a domain's name (text){what}, got {name!r}" + did_you_mean("", DOMAINS))
    if name not in DOMAINS:
        raise StudyError(f"unknown domain {name!r}{what}" + did_you_mean(str(name), DOMAINS))
    return name


# ----------------------------------------------------------------------------- distributions
def _atoms(dist: Distribution) -> tuple[np.ndarray, np.ndarray] | None:
    """``(values, probabilities)`` of a discrete distribution, or None."""
    from .distributions import Choice, Empirical, Point

    if isinstance(dist, Point):
        return np.array([dist.value]), np.array([1.0])
    if isinstance(dist, Choice):
        return np.asarray(dist.values, dtype=float), np.asarray(dist.probs, dtype=float)
    if isinstance(dist, Empirical):
        n = dist.samples.size
        return dist.samples, np.full(n, 1.0 / n)
    return None


def probability_below(dist: Distribution, x: float, inclusive: bool) -> float:
    """P(X < x), or P(X <= x) when ``inclusive``."""
    from .distributions import Catalogued, Scaled

    if isinstance(dist, Scaled) and dist.factor > 0:
        return probability_below(dist.base, x / dist.factor, inclusive)
    atoms = _atoms(dist)
    if atoms is not None:
        values, probs = atoms
        return float(probs[(values <= x) if inclusive else (values < x)].sum())
    if isinstance(dist, Catalogued):
        total = 0.0
        for p, lo, hi in zip(dist.probs, dist.low, dist.high, strict=True):
            if lo == hi:
                total += p * float(lo <= x if inclusive else lo < x)
            else:
                total += p * min(max((x - lo) / (hi - lo), 0.0), 1.0)
        return total
    lo, hi = dist.support
    # at an end of its support a continuous distribution has no mass: no cdf needed (a frozen
    # scipy distribution's cdf gives these exact values, after importing scipy.stats)
    if x <= lo:
        return 0.0
    if x >= hi:
        return 1.0
    try:
        with np.errstate(all="ignore"):
            return float(np.clip(dist.cdf(np.array([x]))[0], 0.0, 1.0))
    except NotImplementedError:
        return _below_by_ppf(dist, x)


def _below_by_ppf(dist: Distribution, x: float) -> float:
    """P(X < x) for a family with only a ppf: bisection on the (monotone) ppf."""
    lo, hi = 0.0, 1.0
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        if float(dist.ppf(np.array([mid]))[0]) < x:
            lo = mid
        else:
            hi = mid
    return lo


def _continuous_mass(dist: Distribution) -> float:
    """The probability a distribution spreads over intervals rather than on single values."""
    from .distributions import Catalogued, Scaled

    if isinstance(dist, Scaled):
        return _continuous_mass(dist.base)
    if _atoms(dist) is not None:
        return 0.0
    if isinstance(dist, Catalogued):
        return float(sum(p for p, lo, hi in zip(dist.probs, dist.low, dist.high, strict=True) if lo != hi))
    return 0.0 if dist.is_point else 1.0


def probability_outside(dist: Distribution, domain: str) -> float:
    """The probability ``dist`` puts outside ``domain`` (0 for a choice of labels).

    Examples
    --------
    >>> from chipdemand.distributions import Normal
    >>> round(probability_outside(Normal(0.5, 0.25), "share"), 4)
    0.0455
    """
    d = DOMAINS[check_domain_name(domain)]
    if getattr(dist, "labels", None) is not None or d.name == "any":
        return 0.0
    p = probability_below(dist, d.low, inclusive=d.low_open) if math.isfinite(d.low) else 0.0
    if math.isfinite(d.high):
        p += 1.0 - probability_below(dist, d.high, inclusive=True)
    if d.whole:
        from .distributions import Scaled

        atoms = _atoms(dist.base if isinstance(dist, Scaled) else dist)
        if atoms is not None:
            values, probs = atoms
            if isinstance(dist, Scaled):
                values = values * dist.factor
            inside = values >= d.low
            p += float(probs[inside & (values != np.round(values))].sum())
        else:
            p += _continuous_mass(dist)
    return min(max(p, 0.0), 1.0)


def check_distribution(dist: Distribution, domain: str, *, what: str) -> None:
    """Refuse ``dist`` when more than :data:`TOLERANCE` of it lies outside ``domain``.

    ``what`` names the input (``input 'utilization'``) in the message.
    """
    p = probability_outside(dist, domain)
    if p > TOLERANCE:
        d = DOMAINS[domain]
        shown = f"{p:.2g}" if p >= 1e-3 else f"{p:.1e}"
        suggestion = d.suggestion
        if "quantiles" in (getattr(dist, "spec", None) or {}):  # fitted to quantiles: no truncation
            suggestion = (
                'name a family that stays inside it (family = "lognormal" or "gamma", "beta" for a share)'
            )
        raise StudyError(
            f"{dist.describe()} puts probability {shown} outside the domain of {what}, {domain!r} "
            f"({d.text}); {suggestion}"
        )


def check_value(value: float, domain: str, *, what: str) -> None:
    """Refuse a single value (a report's ``point``) outside ``domain``."""
    d = DOMAINS[domain]
    if not d.contains(float(value)):
        raise StudyError(f"{value:g} is outside the domain of {what}, {domain!r} ({d.text})")


# ----------------------------------------------------------------------------- outputs
def outside_values(array: np.ndarray, domain: str) -> tuple[int, ...] | None:
    """The index of the first value of ``array`` outside ``domain`` (NaN and inf included).

    Two reductions (min and max) in the common case where every value is fine.
    """
    d = DOMAINS[domain]
    a = np.asarray(array)
    if a.size == 0:
        return None
    lowest, highest = np.min(a), np.max(a)  # NaN propagates into both
    fine = math.isfinite(lowest) and math.isfinite(highest)
    if fine and math.isfinite(d.low):
        fine = lowest > d.low if d.low_open else lowest >= d.low
    if fine and math.isfinite(d.high):
        fine = highest <= d.high
    if fine and d.whole:
        fine = bool(np.all(a == np.round(a)))
    if fine:
        return None
    ok = np.isfinite(a)
    if math.isfinite(d.low):
        ok &= (a > d.low) if d.low_open else (a >= d.low)
    if math.isfinite(d.high):
        ok &= a <= d.high
    if d.whole:
        ok &= a == np.round(a)
    return tuple(int(i) for i in np.argwhere(~ok)[0])
