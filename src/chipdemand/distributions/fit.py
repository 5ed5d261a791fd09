"""Fit a family to quantiles an expert gives: any list of (probability, value) pairs.

Each candidate family's parameters are found by least squares on the relative errors of the
quantiles (scipy.optimize.least_squares) from a start read off the pairs (a regression of the
values on the normal scores, or on the probabilities); ``auto`` keeps the family that matches
best. The result is a spec ready to paste into a study file. :func:`from_quantiles` is the same
fit for an input written as ``quantiles = [[0.05, 1e7], [0.5, 2e7], [0.95, 5e7]]``.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import optimize, special

from ..errors import StudyError, StudyWarning, did_you_mean
from ..validate import FIT_TOLERANCE
from .base import FAMILIES, Distribution

__all__ = ["Fit", "fit_quantiles", "from_quantiles", "quantile_pairs", "FITTABLE", "TOLERANCE"]

#: a fit whose quantiles are all within this (relative) of those given matches them
TOLERANCE = FIT_TOLERANCE
#: values beyond this magnitude overflow the families' parameters (a lognormal's exp, a normal's sd²)
MAX_MAGNITUDE = 1e100
#: nor can values nearer zero than this be matched to a relative tolerance
MIN_MAGNITUDE = 1e-100
#: the residual of a parameter set that gives no finite quantiles (and the cap of any residual)
_PENALTY = 1e6
#: what a family's spec, its scipy distribution or the optimizer may raise on extreme parameters
_FAILURES = (ArithmeticError, ValueError, np.linalg.LinAlgError, Warning)


@dataclass(frozen=True)
class Fit:
    """A family's best spec for the quantiles, and how far its quantiles are from them.

    ``quantiles`` are the fitted distribution's values at the probabilities given;
    ``max_rel_error`` is the largest of ``|fitted - given| / |given|``.
    """

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


# ----------------------------------------------------------------------------- the families
@dataclass(frozen=True)
class _Setup:
    """One family made ready for some pairs: where to start, its quantiles for a parameter
    vector ``x`` (or a stack of them, one per row), and the spec of ``x``."""

    start: list[float]
    quantiles: Callable[[np.ndarray], np.ndarray]
    spec: Callable[[np.ndarray], dict]
    grid: np.ndarray | None = None  # more starting points, the closest of which are tried too


@dataclass(frozen=True)
class _Fittable:
    """A family the quantiles can be fitted to.

    ``parameters``: how many; ``support``: the open interval its quantiles lie in; ``measure``:
    where the optimizer first compares fitted and given quantiles (``relative`` error, difference
    of ``log``, or of ``logit`` for a share), which keeps far tails in scale; ``setup(p, q)``;
    ``stays_positive``: its fit to positive quantiles never reaches 0 or below.
    """

    parameters: int
    support: tuple[float, float]
    measure: str
    setup: Callable[[np.ndarray, np.ndarray], _Setup]
    stays_positive: bool


#: family → how to fit it; the order breaks ties (lognormal before loguniform)
FITTABLE: dict[str, _Fittable] = {}


#: how a family is fitted: from probabilities and quantiles, its starting point and maps
_SetupFunction = Callable[[np.ndarray, np.ndarray], _Setup]


def _fittable(
    name: str,
    parameters: int,
    support: tuple[float, float] = (-math.inf, math.inf),
    measure: str = "relative",
    stays_positive: bool | None = None,
) -> Callable[[_SetupFunction], _SetupFunction]:
    def register(setup: _SetupFunction) -> _SetupFunction:
        positive = support[0] >= 0 if stays_positive is None else stays_positive
        FITTABLE[name] = _Fittable(parameters, support, measure, setup, positive)
        return setup

    return register


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Intercept and slope of the least-squares line of ``y`` on ``x`` (exact for two points)."""
    dx = x - x.mean()
    slope = float(np.sum(dx * (y - y.mean())) / np.sum(dx * dx))
    return float(y.mean() - slope * x.mean()), slope


def _col(x: np.ndarray, i: int) -> np.ndarray:
    """Parameter ``i`` of one vector, or of each row of a stack, broadcast against the pairs."""
    return np.asarray(x)[..., i, None]


#: a coarse grid of log shapes, from very skewed to nearly normal
_LOG_SHAPES = np.log(np.geomspace(1e-2, 1e4, 13))


@_fittable("normal", 2)
def _normal(p, q):
    mean, sd = _line(special.ndtri(p), q)
    return _Setup(
        [mean, math.log(sd)],
        lambda x: _col(x, 0) + np.exp(_col(x, 1)) * special.ndtri(p),
        lambda x: {"dist": "normal", "mean": x[0], "sd": math.exp(x[1])},
    )


@_fittable("lognormal", 2, (0.0, math.inf), "log")
def _lognormal(p, q):
    mu, sigma = _line(special.ndtri(p), np.log(q))
    return _Setup(
        [mu, math.log(sigma)],
        lambda x: np.exp(_col(x, 0) + np.exp(_col(x, 1)) * special.ndtri(p)),
        lambda x: {"dist": "lognormal", "mu": x[0], "sigma": math.exp(x[1])},
    )


@_fittable("gamma", 2, (0.0, math.inf), "log")
def _gamma(p, q):
    # the log of a gamma(k) has sd ≈ sqrt(trigamma(k)) ≈ sqrt(1/k + 1/(2k²)): solve for k
    mu, sigma = _line(special.ndtri(p), np.log(q))
    s2 = min(max(sigma * sigma, 1e-12), 1e6)
    shape = (1 + math.sqrt(1 + 2 * s2)) / (2 * s2)
    # and each shape of a grid, with the scale that puts the median-most quantile in place
    i = int(np.argmin(np.abs(p - 0.5)))
    log_scale = math.log(q[i]) - np.log(special.gammaincinv(np.exp(_LOG_SHAPES), p[i]))
    return _Setup(
        [math.log(shape), mu - float(special.digamma(shape))],
        lambda x: np.exp(_col(x, 1)) * special.gammaincinv(np.exp(_col(x, 0)), p),
        lambda x: {"dist": "gamma", "shape": math.exp(x[0]), "scale": math.exp(x[1])},
        np.column_stack([_LOG_SHAPES, log_scale]),
    )


@_fittable("beta", 2, (0.0, 1.0), "logit")
def _beta(p, q):
    # a logit-normal start: for a beta, var(logit X) ≈ 1/α + 1/β = 1 / (c·m·(1 - m)), c = α + β
    centre, spread = _line(special.ndtri(p), special.logit(q))
    m = float(special.expit(centre))
    concentration = min(max(1 / (spread * spread * m * (1 - m)), 1e-2), 1e8)
    return _Setup(
        [math.log(m * concentration), math.log((1 - m) * concentration)],
        lambda x: special.betaincinv(np.exp(_col(x, 0)), np.exp(_col(x, 1)), p),
        lambda x: {"dist": "beta", "alpha": math.exp(x[0]), "beta": math.exp(x[1])},
        np.array([[a, b] for a in _LOG_SHAPES for b in _LOG_SHAPES]),
    )


@_fittable("pert", 3, stays_positive=True)
def _pert(p, q):
    lo, hi = float(q[0]), float(q[-1])
    span = hi - lo

    def ends(x):
        # beyond the outer quantiles; a positive quantity keeps a positive minimum
        low = lo * np.exp(-np.exp(_col(x, 0))) if lo > 0 else lo - span * np.exp(_col(x, 0))
        return low, hi + span * np.exp(_col(x, 1))

    def quantiles(x):
        low, high = ends(x)
        share = special.expit(_col(x, 2))  # where the mode lies between min and max
        return low + (high - low) * special.betaincinv(1 + 4 * share, 1 + 4 * (1 - share), p)

    def spec(x):
        low, high = (float(v[0]) for v in ends(x))
        return {"dist": "pert", "min": low, "mode": low + (high - low) * special.expit(x[2]), "max": high}

    frac = min(max((float(np.interp(0.5, p, q)) - lo) / span, 0.05), 0.95)
    tails, modes = np.log([0.01, 0.1, 1.0, 10.0]), special.logit([0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98])
    return _Setup(
        [math.log(0.15), math.log(0.15), math.log(frac / (1 - frac))],
        quantiles,
        spec,
        np.array([[a, b, c] for a in tails for b in tails for c in modes]),
    )


@_fittable("uniform", 2)
def _uniform(p, q):
    low, width = _line(p, q)
    return _Setup(
        [low, math.log(width)],
        lambda x: _col(x, 0) + np.exp(_col(x, 1)) * p,
        lambda x: {"dist": "uniform", "low": x[0], "high": x[0] + math.exp(x[1])},
    )


@_fittable("loguniform", 2, (0.0, math.inf), "log")
def _loguniform(p, q):
    log_low, log_width = _line(p, np.log(q))
    return _Setup(
        [log_low, math.log(log_width)],
        lambda x: np.exp(_col(x, 0) + np.exp(_col(x, 1)) * p),
        lambda x: {"dist": "loguniform", "low": math.exp(x[0]), "high": math.exp(x[0] + math.exp(x[1]))},
    )


# ----------------------------------------------------------------------------- checking the pairs
def _is_number(x: Any) -> bool:
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)


def quantile_pairs(pairs: Any, names: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(probabilities, values)`` of ``[[p, value], ...]``, checked.

    The probabilities lie strictly between 0 and 1 and increase, the values increase, and each
    value is finite, non-zero and within 1e-100 to 1e100 in magnitude (the fit is judged by
    relative error, which a 0 does not have, and the families' parameters overflow beyond).
    ``names`` key each pair in errors (default ``quantiles[i]``). Raises :class:`StudyError`.
    """
    if isinstance(pairs, np.ndarray):
        pairs = pairs.tolist()
    shape = "a list of [probability, value] pairs, e.g. [[0.05, 1e7], [0.5, 2e7], [0.95, 5e7]]"
    if not isinstance(pairs, list | tuple) or not pairs:
        raise StudyError(f"expected {shape}, got {pairs!r}", key="quantiles")
    keys = list(names) if names is not None else [f"quantiles[{i}]" for i in range(len(pairs))]
    for key, pair in zip(keys, pairs, strict=True):
        if not isinstance(pair, list | tuple) or len(pair) != 2 or not all(_is_number(x) for x in pair):
            raise StudyError(f"expected a [probability, value] pair of numbers, got {pair!r}", key=key)
    p = np.array([float(pair[0]) for pair in pairs])
    q = np.array([float(pair[1]) for pair in pairs])
    for key, prob, value in zip(keys, p, q, strict=True):
        if not 0 < prob < 1:
            raise StudyError(f"the probability must lie strictly between 0 and 1, got {prob:g}", key=key)
        if not math.isfinite(value):
            raise StudyError(f"the value must be a finite number, got {value!r}", key=key)
        if value == 0:
            raise StudyError(
                f"a quantile of 0 cannot be fitted: a fit is judged by its relative error, and 0 has "
                f"none. If the quantity is positive, give its smallest plausible value (at {prob:g}) "
                'instead; if it may be 0, write the distribution out (dist = "pert" or "uniform" '
                "with min/low = 0)",
                key=key,
            )
        if abs(value) > MAX_MAGNITUDE:
            raise StudyError(
                f"{value:g} is too large to fit (beyond {MAX_MAGNITUDE:g} the families' parameters "
                "overflow): give the quantity in a larger unit (e.g. 'EFLOP' rather than 'FLOP')",
                key=key,
            )
        if abs(value) < MIN_MAGNITUDE:
            raise StudyError(
                f"{value:g} is too near 0 to fit (below {MIN_MAGNITUDE:g}): give the quantity in a "
                "smaller unit",
                key=key,
            )
    for i in range(1, len(pairs)):
        if not p[i - 1] < p[i]:
            raise StudyError(f"the probabilities must increase: {p[i]:g} follows {p[i - 1]:g}", key=keys[i])
        if not q[i - 1] < q[i]:
            raise StudyError(
                f"the values must increase with the probabilities: {q[i]:g} at {p[i]:g} is not "
                f"above {q[i - 1]:g} at {p[i - 1]:g}",
                key=keys[i],
            )
    return p, q


# ----------------------------------------------------------------------------- fitting
class _Failed(Exception):
    """The optimizer found no usable parameters for one family."""


_MEASURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relative": lambda x: x,
    "log": np.log,
    "logit": special.logit,
}


#: how many of a family's grid points, closest first, the optimizer may start from when the
#: pairs' own start gives no exact fit. Two were too few: a PERT whose minimum is pulled towards
#: 0 finds a plateau there (its minimum ``lo·exp(-exp(x))`` stops moving), and from the start and
#: the two closest points all three ended on it, 2.2% off quantiles the family gives exactly
#: (min 0.001, mode 0.0385, max 0.101 at 0.1%, 0.2%, 49.7%); the third closest reaches them.
_GRID_STARTS = 8


def _fit_one(name: str, p: np.ndarray, q: np.ndarray) -> Fit:
    """The least-squares fit of one family; :class:`_Failed` when there is none.

    The optimizer starts from the pairs' own start and, unless that fit is exact, from the
    closest points of the family's grid too, until one is exact (at most ``_GRID_STARTS``); it
    works first in the family's measure, then refines the best by relative error, which is how
    a fit is judged.
    """
    fittable = FITTABLE[name]
    measure = _MEASURES[fittable.measure]
    scale = np.abs(q) if fittable.measure == "relative" else 1.0

    def residual(x, measure=measure, scale=scale):
        r = (measure(setup.quantiles(x)) - measure(q)) / scale
        return np.where(np.isfinite(r), np.clip(r, -_PENALTY, _PENALTY), _PENALTY)

    def relative(x):
        return residual(x, _MEASURES["relative"], np.abs(q))

    def solve(fun, x0):
        return optimize.least_squares(fun, x0, x_scale="jac", xtol=1e-12, ftol=1e-12)

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # a trial point's warnings show in its residual
            setup = fittable.setup(p, q)
            starts = [np.asarray(setup.start, dtype=float)]
            if setup.grid is not None:
                cost = np.sum(residual(setup.grid) ** 2, axis=-1)
                starts += [setup.grid[i] for i in np.argsort(cost)[:_GRID_STARTS]]
            starts = [x for x in starts if np.all(np.isfinite(x))]
            if not starts:
                raise _Failed
            found = solve(residual, starts[0])
            for x0 in starts[1:]:  # not exact: from the grid's closest points too, until one is
                if found.cost <= 1e-20:
                    break
                other = solve(residual, x0)
                found = other if other.cost < found.cost else found
            if fittable.measure != "relative" and found.cost > 1e-20:
                found = solve(relative, found.x)  # the compromise is judged by relative error
            spec = {k: (v if isinstance(v, str) else float(v)) for k, v in setup.spec(found.x).items()}
        # the quantiles the study will draw: the family's own ppf, and no warning allowed
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("error")
            got = _family(spec).ppf(p)
            err = float(np.max(np.abs(got - q) / np.abs(q)))
    except _FAILURES as failure:
        raise _Failed from failure
    if not (np.all(np.isfinite(got)) and math.isfinite(err)):
        raise _Failed
    return Fit(name, spec, tuple(float(x) for x in got), err, fittable.parameters)


@functools.lru_cache(maxsize=256)
def _fits(
    p: tuple[float, ...], q: tuple[float, ...], family: str, tolerance: float, positive: bool
) -> tuple[Fit, ...]:
    probs, values = np.array(p), np.array(q)
    if family == "auto":
        names = [
            n
            for n, f in FITTABLE.items()
            if f.parameters <= len(p)
            and f.support[0] < values[0]
            and values[-1] < f.support[1]
            and (f.stays_positive or not (positive and values[0] > 0))
        ]
    else:
        names = [family]
    fits = []
    for name in names:
        try:
            fits.append(_fit_one(name, probs, values))
        except _Failed:
            continue  # another family may fit; none at all is an error below
    if not fits:
        tried = ", ".join(names)
        raise StudyError(
            f"the optimizer found no parameters of {tried} that give these quantiles: check the "
            "values (their spread, their units) or name another family",
            key="family" if family != "auto" else "quantiles",
        )
    order = list(FITTABLE)
    # two pairs fit every two-parameter family exactly: for positive values, one that stays positive
    undetermined = len(p) == 2 and values[0] > 0

    def rank(f: Fit) -> tuple:  # a sort key
        close = f.max_rel_error <= tolerance
        return (
            not close,
            f.parameters if close else 0,
            round(f.max_rel_error, 6),
            undetermined and not FITTABLE[f.family].stays_positive,
            order.index(f.family),
        )

    return tuple(sorted(fits, key=rank))


def _family(spec: Mapping[str, Any]) -> Distribution:
    """A family from a fitted spec (plain parameters: no truncation, no quantiles)."""
    cls = FAMILIES[str(spec["dist"])]
    dist = cls.from_spec(spec)
    dist.spec = {k: v for k, v in spec.items() if k in cls.keys}
    return dist


def fit_quantiles(
    pairs: Any,
    *legacy: float,
    family: str = "auto",
    tolerance: float = TOLERANCE,
    positive: bool = False,
) -> list[Fit]:
    """Fits of the families to quantiles ``[[probability, value], ...]``, best first.

    Parameters
    ----------
    pairs : list of [float, float]
        Probabilities strictly between 0 and 1, increasing, with increasing values (finite,
        non-zero, within 1e-100 to 1e100 in magnitude). Three numbers ``fit_quantiles(p5, p50,
        p95)`` are read as the pairs at 0.05, 0.5 and 0.95 (the form of the command line).
    family : str
        ``"auto"`` tries every family whose support holds the values and whose parameters the
        pairs determine (two pairs for a two-parameter family, three for PERT); a name tries only
        that family.
    tolerance : float
        Best means: the fewest parameters among the fits whose quantiles are all within
        ``tolerance`` (relative) of those given, else the smallest error. A three-parameter PERT
        matches three quantiles closely, so it wins only where no two-parameter family does.
        Ties go to the family listed first in :data:`FITTABLE` (normal, lognormal, gamma, beta,
        pert, uniform, loguniform), except that two positive values, which every two-parameter
        family reproduces, go to a family that stays positive (lognormal).
    positive : bool
        The quantity cannot be negative: ``auto`` tries only the families whose fit to positive
        quantiles stays positive (lognormal, gamma, beta, PERT, loguniform).

    Returns
    -------
    list of Fit
        Every family that could be fitted, best first (the first may still miss: compare its
        ``max_rel_error`` with ``tolerance``).

    Raises
    ------
    StudyError
        For pairs that cannot be fitted (keyed ``quantiles[i]``, or ``p5``/``p50``/``p95``), a
        family that is unknown, whose support does not hold the values or that needs more
        pairs (keyed ``family``), and when the optimizer finds no parameters at all.

    Examples
    --------
    >>> best = fit_quantiles([[0.05, 1e7], [0.5, 2e7], [0.95, 4.5e7]])[0]
    >>> best.family, f"{best.max_rel_error:.1%}"
    ('lognormal', '3.9%')
    >>> fit_quantiles([[0.1, 2.0], [0.9, 8.0]], family="gamma")[0].max_rel_error < 1e-6
    True
    """
    if legacy:
        if len(legacy) != 2:
            raise TypeError("fit_quantiles(pairs) or fit_quantiles(p5, p50, p95)")
        pairs = [[0.05, pairs], [0.5, legacy[0]], [0.95, legacy[1]]]
        names: Sequence[str] | None = ("p5", "p50", "p95")
    else:
        names = None
    p, q = quantile_pairs(pairs, names)
    if not _is_number(tolerance) or not 0 < tolerance < 1:
        raise StudyError(f"expected a number between 0 and 1, got {tolerance!r}", key="tolerance")
    if family != "auto":
        if not isinstance(family, str) or family not in FITTABLE:
            raise StudyError(
                f"cannot fit {family!r}" + did_you_mean(str(family), [*FITTABLE, "auto"]), key="family"
            )
        fittable = FITTABLE[family]
        if len(p) < fittable.parameters:
            raise StudyError(
                f"{family} has {fittable.parameters} parameters: give at least {fittable.parameters} "
                f"quantiles, got {len(p)}",
                key="family",
            )
        lo, hi = fittable.support
        outside = [f"{v:g}" for v in q if not lo < v < hi]
        if outside:
            raise StudyError(
                f"the quantiles lie outside the support ({lo:g}, {hi:g}) of {family} "
                f"({', '.join(outside)}): name a family that reaches them, or check the values",
                key="family",
            )
    elif len(p) < 2:
        raise StudyError(f"give at least two quantiles (three for pert), got {len(p)}", key="quantiles")
    fits = _fits(tuple(p.tolist()), tuple(q.tolist()), family, float(tolerance), bool(positive))
    return [replace(f, spec=dict(f.spec)) for f in fits]


# ----------------------------------------------------------------------------- an input written as quantiles
#: keys of an input written as quantiles (``dist`` may name the family instead of ``family``)
QUANTILE_KEYS = frozenset({"quantiles", "family", "dist"})


def _pairs_text(p: Iterable[float], q: Iterable[float]) -> str:
    return "[" + ", ".join(f"[{a:g}, {b:.4g}]" for a, b in zip(p, q, strict=True)) + "]"


def from_quantiles(
    spec: Mapping[str, Any], extra_keys: frozenset[str] = frozenset(), *, positive: bool = False
) -> Distribution:
    """The distribution of a spec written ``quantiles = [[p, value], ...]`` (optionally with
    ``family``, or ``dist``, naming the family; the best fit otherwise).

    The fit is :func:`fit_quantiles` with :data:`TOLERANCE`; the written quantiles are kept in
    the result's ``spec`` (so ``describe()`` shows them beside the fitted parameters); with
    ``positive`` the best fit is among the families that stay positive. When the
    best fit misses a quantile by more than the tolerance, the closest fit is returned and a
    :class:`StudyWarning` keyed ``quantiles`` says by how much and what it gives instead.
    Raises :class:`StudyError` with the key for anything that cannot be fitted.
    """
    unknown = [k for k in spec if k not in QUANTILE_KEYS | extra_keys]
    for key in unknown:
        if key in ("ci", "level"):
            raise StudyError("give either 'ci' or 'quantiles', not both", key=key)
        if key in ("lower", "upper"):
            raise StudyError(
                "truncating a fit to quantiles would move its quantiles: name a family whose "
                'support suits the quantity instead (family = "beta" for a share, "lognormal" or '
                '"gamma" for a positive quantity)',
                key=key,
            )
        raise StudyError(
            f"unknown key '{key}' for an input given by quantiles"
            + did_you_mean(key, QUANTILE_KEYS | extra_keys),
            key=key,
        )
    family = spec.get("family", "auto")
    if "dist" in spec:
        if "family" in spec and spec["family"] != spec["dist"]:
            raise StudyError(
                f"'dist' says {spec['dist']!r}, 'family' says {family!r}: give one", key="family"
            )
        family = spec["dist"]
        if not isinstance(family, str) or family not in FITTABLE:
            raise StudyError(
                f"{family!r} cannot be fitted to quantiles" + did_you_mean(str(family), FITTABLE), key="dist"
            )
    best = fit_quantiles(spec["quantiles"], family=family, positive=positive)[0]
    p, q = quantile_pairs(spec["quantiles"])
    dist = _family(best.spec)
    fitted = {k: v for k, v in best.spec.items() if k != "dist"}
    dist.spec = {"quantiles": [[float(a), float(b)] for a, b in zip(p, q, strict=True)], "fitted": fitted}
    if best.max_rel_error > TOLERANCE:
        if family != "auto":
            lead = f"{family} does not fit these quantiles"
        elif positive and q[0] > 0:
            lead = "no family that stays positive fits these quantiles"
        else:
            lead = "no family fits these quantiles"
        warnings.warn(
            StudyWarning(
                f"{lead} within {TOLERANCE:.0%}: the closest, {best.toml()}, is "
                f"{best.max_rel_error:.1%} off; it gives {_pairs_text(p, best.quantiles)} for "
                f"{_pairs_text(p, q)}. It is used as it is; name another family, or check the quantiles",
                key="quantiles",
            ),
            stacklevel=2,
        )
    return dist
