"""Fit a family to three quantiles an expert gives (5th, 50th, 95th percentile).

Each candidate family's parameters are found by least squares on the relative errors of the
three quantiles (scipy.optimize.least_squares), starting from the interval fit; ``auto`` keeps
the family that matches best. The result is a spec ready to paste into a study file.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ..errors import StudyError
from . import parse_distribution

__all__ = ["Fit", "fit_quantiles", "FITTABLE"]

PROBS = np.array([0.05, 0.5, 0.95])


@dataclass(frozen=True)
class Fit:
    """A family's best spec for the quantiles, and how far its quantiles are from them."""

    family: str
    spec: dict
    quantiles: tuple[float, ...]
    max_rel_error: float
    parameters: int

    def toml(self) -> str:
        body = ", ".join(f"{k} = {_toml(v)}" for k, v in self.spec.items())
        return "{ " + body + " }"


def _toml(v: str | float) -> str:
    if isinstance(v, str):
        return f'"{v}"'
    return f"{float(v):.6g}"


def _normal(q):
    lo, mid, hi = q
    return [mid, math.log((hi - lo) / 3.29)], lambda p: {"dist": "normal", "mean": p[0], "sd": math.exp(p[1])}


def _lognormal(q):
    lo, mid, hi = np.log(q)
    return [mid, math.log((hi - lo) / 3.29)], lambda p: {
        "dist": "lognormal",
        "mu": p[0],
        "sigma": math.exp(p[1]),
    }


def _gamma(q):
    mean, sd = q[1], (q[2] - q[0]) / 3.29
    shape = (mean / sd) ** 2
    return [math.log(shape), math.log(mean / shape)], lambda p: {
        "dist": "gamma",
        "shape": math.exp(p[0]),
        "scale": math.exp(p[1]),
    }


def _beta(q):
    m = q[1]
    return [math.log(10 * m), math.log(10 * (1 - m))], lambda p: {
        "dist": "beta",
        "alpha": math.exp(p[0]),
        "beta": math.exp(p[1]),
    }


def _pert(q):
    lo, mid, hi = q
    span = hi - lo

    def spec(p):
        # a positive quantity keeps a positive minimum
        low = lo * math.exp(-math.exp(p[0])) if lo > 0 else lo - span * math.exp(p[0])
        high = hi + span * math.exp(p[1])
        mode = low + (high - low) / (1 + math.exp(-p[2]))
        return {"dist": "pert", "min": low, "mode": mode, "max": high}

    frac = min(max((mid - lo) / span, 0.05), 0.95)
    return [math.log(0.15), math.log(0.15), math.log(frac / (1 - frac))], spec


def _uniform(q):
    lo, _, hi = q
    return [lo, math.log(hi - lo)], lambda p: {"dist": "uniform", "low": p[0], "high": p[0] + math.exp(p[1])}


def _loguniform(q):
    lo, _, hi = np.log(q)
    return [lo, math.log(hi - lo)], lambda p: {
        "dist": "loguniform",
        "low": math.exp(p[0]),
        "high": math.exp(p[0] + math.exp(p[1])),
    }


#: family → (support check on the quantiles, start-and-spec builder)
FITTABLE: dict[str, tuple[Callable, Callable]] = {
    "normal": (lambda q: True, _normal),
    "lognormal": (lambda q: q[0] > 0, _lognormal),
    "gamma": (lambda q: q[0] > 0, _gamma),
    "beta": (lambda q: q[0] > 0 and q[2] < 1, _beta),
    "pert": (lambda q: True, _pert),
    "uniform": (lambda q: True, _uniform),
    "loguniform": (lambda q: q[0] > 0, _loguniform),
}


def _fit_one(name: str, q: np.ndarray) -> Fit:
    start, make = FITTABLE[name][1](q)

    def residual(p):
        try:
            got = parse_distribution(make(p)).ppf(PROBS)
        except (StudyError, OverflowError, ValueError):
            return np.full(3, 1e3)
        scale = np.maximum(np.abs(q), 1e-300)
        return np.where(np.isfinite(got), (got - q) / scale, 1e3)

    fit = optimize.least_squares(residual, np.asarray(start, dtype=float), xtol=1e-12, ftol=1e-12)
    spec = {k: (float(v) if not isinstance(v, str) else v) for k, v in make(fit.x).items()}
    got = parse_distribution(spec).ppf(PROBS)
    err = float(np.max(np.abs(got - q) / np.maximum(np.abs(q), 1e-300)))
    return Fit(name, spec, tuple(float(x) for x in got), err, len(start))


def fit_quantiles(
    p5: float, p50: float, p95: float, family: str = "auto", tolerance: float = 0.01
) -> list[Fit]:
    """Fits of the families to the 5th, 50th and 95th percentiles, best first.

    With ``family="auto"`` every family whose support holds the quantiles is tried; otherwise
    only the one named. Best means: the fewest parameters among the fits whose quantiles are
    all within ``tolerance`` (relative) of those given, else the smallest error; a
    three-parameter PERT matches any three quantiles, so it wins only where no two-parameter
    family does. Raises :class:`StudyError` for quantiles out of order.

    Examples
    --------
    >>> best = fit_quantiles(1e7, 2e7, 4.5e7)[0]
    >>> best.family
    'lognormal'
    """
    q = np.array([p5, p50, p95], dtype=float)
    if not np.all(np.isfinite(q)) or not (q[0] < q[1] < q[2]):
        raise StudyError(f"need p5 < p50 < p95, got {p5:g}, {p50:g}, {p95:g}", key="quantiles")
    if family != "auto" and family not in FITTABLE:
        from ..errors import did_you_mean

        raise StudyError(f"cannot fit {family!r}" + did_you_mean(family, [*FITTABLE, "auto"]), key="family")
    names = [n for n, (ok, _) in FITTABLE.items() if ok(q)] if family == "auto" else [family]
    if family != "auto" and not FITTABLE[family][0](q):
        raise StudyError(f"the quantiles lie outside the support of {family}", key="family")
    fits = [_fit_one(name, q) for name in names]
    order = list(FITTABLE)  # ties go to the family listed first (lognormal before loguniform)

    def rank(f: Fit) -> tuple:  # a sort key
        close = f.max_rel_error <= tolerance
        return (not close, f.parameters if close else 0, round(f.max_rel_error, 6), order.index(f.family))

    return sorted(fits, key=rank)
