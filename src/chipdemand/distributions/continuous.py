"""Continuous families given by parameters or by an interval: uniform to gamma."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from .._lazy import lazy_module
from .._typing import FloatArray
from ..errors import StudyError
from .base import (
    Distribution,
    ScipyBacked,
    family,
    require_keys,
    spec_interval,
    spec_number,
    spec_positive,
)

# frozen SciPy distributions (reference, truncation) and the PERT fit only: imported on first use
stats = lazy_module("scipy.stats")
optimize = lazy_module("scipy.optimize")

__all__ = ["Uniform", "LogUniform", "Normal", "LogNormal", "Triangular", "PERT", "Beta", "Gamma"]


@family("uniform")
class Uniform(Distribution):
    """Uniform on [low, high]; by ``ci`` the central interval at ``level``."""

    keys = frozenset({"low", "high"})
    by_interval = True

    def __init__(self, low: float, high: float) -> None:
        if not low < high:
            raise StudyError(f"low {low:g} is not below high {high:g}", key="low")
        self.low, self.high = low, high
        self.support = (low, high)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Distribution:
        if "ci" in spec:
            lo, hi, level = spec_interval(spec)
            pad = (hi - lo) * (1 - level) / (2 * level)
            return cls(lo - pad, hi + pad)
        require_keys(spec, ("low", "high"), "uniform")
        return cls(spec_number(spec, "low"), spec_number(spec, "high"))

    def ppf(self, u: FloatArray) -> FloatArray:
        return self.low + (self.high - self.low) * u

    def isf(self, q: FloatArray) -> FloatArray:
        return self.high - (self.high - self.low) * np.asarray(q)

    def sf(self, x: ArrayLike) -> FloatArray:
        return np.clip((self.high - np.asarray(x, dtype=float)) / (self.high - self.low), 0.0, 1.0)

    def scipy(self) -> Any:
        return stats.uniform(self.low, self.high - self.low)


@family("loguniform")
class LogUniform(Distribution):
    """Log-uniform (reciprocal) on [low, high] > 0; by ``ci`` the central interval."""

    keys = frozenset({"low", "high"})
    by_interval = True
    support = (0.0, math.inf)

    def __init__(self, low: float, high: float) -> None:
        if not 0 < low < high:
            raise StudyError(f"needs 0 < low < high, got {low:g}, {high:g}", key="low")
        self.low, self.high = low, high
        self.support = (low, high)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Distribution:
        if "ci" in spec:
            lo, hi, level = spec_interval(spec, positive="loguniform")
            pad = (math.log(hi) - math.log(lo)) * (1 - level) / (2 * level)
            return cls(lo * math.exp(-pad), hi * math.exp(pad))
        require_keys(spec, ("low", "high"), "loguniform")
        return cls(spec_number(spec, "low"), spec_number(spec, "high"))

    def ppf(self, u: FloatArray) -> FloatArray:
        x = self.low * np.exp(math.log(self.high / self.low) * np.asarray(u))
        return np.clip(x, self.low, self.high)

    def isf(
        self, q: FloatArray
    ) -> FloatArray:  # high e^(-L q): exact near high, where exp(log(high) - L q) loses digits
        x = self.high * np.exp(-math.log(self.high / self.low) * np.asarray(q))
        return np.clip(x, self.low, self.high)

    def sf(self, x: ArrayLike) -> FloatArray:
        inside = np.clip(np.asarray(x, dtype=float), self.low, self.high)
        return np.log(self.high / inside) / math.log(self.high / self.low)

    def scipy(self) -> Any:
        return stats.loguniform(self.low, self.high)


@family("normal")
class Normal(Distribution):
    """Normal with ``mean`` and ``sd``; by ``ci`` the symmetric central interval."""

    keys = frozenset({"mean", "sd"})
    by_interval = True

    def __init__(self, mean: float, sd: float) -> None:
        self.mean, self.sd = mean, sd

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Distribution:
        if "ci" in spec:
            lo, hi, level = spec_interval(spec)
            z = special.ndtri((1 + level) / 2)
            return cls((lo + hi) / 2, (hi - lo) / (2 * z))
        require_keys(spec, ("mean", "sd"), "normal")
        return cls(spec_number(spec, "mean"), spec_positive(spec, "sd"))

    via_normal = True

    def ppf(self, u: FloatArray) -> FloatArray:
        return self.from_normal(special.ndtri(u))

    def from_normal(self, z: FloatArray) -> FloatArray:
        return self.mean + self.sd * z

    def isf(self, q: FloatArray) -> FloatArray:
        return self.mean - self.sd * special.ndtri(q)

    def scipy(self) -> Any:
        return stats.norm(self.mean, self.sd)


@family("lognormal")
class LogNormal(Distribution):
    """Log-normal: ``log X ~ Normal(mu, sigma)``; also ``median`` + ``sigma``, or ``ci``."""

    keys = frozenset({"mu", "sigma", "median"})
    by_interval = True
    support = (0.0, math.inf)

    def __init__(self, mu: float, sigma: float) -> None:
        self.mu, self.sigma = mu, sigma

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Distribution:
        if "ci" in spec:
            lo, hi, level = spec_interval(spec, positive="lognormal")
            z = special.ndtri((1 + level) / 2)
            return cls((math.log(lo) + math.log(hi)) / 2, (math.log(hi) - math.log(lo)) / (2 * z))
        if "median" in spec:
            require_keys(spec, ("median", "sigma"), "lognormal")
            return cls(math.log(spec_positive(spec, "median")), spec_positive(spec, "sigma"))
        require_keys(spec, ("mu", "sigma"), "lognormal")
        return cls(spec_number(spec, "mu"), spec_positive(spec, "sigma"))

    via_normal = True

    def ppf(self, u: FloatArray) -> FloatArray:
        return self.from_normal(special.ndtri(u))

    def from_normal(self, z: FloatArray) -> FloatArray:
        return np.exp(self.mu + self.sigma * z)

    def isf(self, q: FloatArray) -> FloatArray:
        return np.exp(self.mu - self.sigma * special.ndtri(q))

    def cdf(self, x: ArrayLike) -> FloatArray:
        return _lognormal_tail(x, self.mu, self.sigma, 1.0)

    def sf(self, x: ArrayLike) -> FloatArray:
        return _lognormal_tail(x, self.mu, self.sigma, -1.0)

    def scipy(self) -> Any:
        return stats.lognorm(self.sigma, scale=math.exp(self.mu))


def _lognormal_tail(x: ArrayLike, mu: float, sigma: float, sign: float) -> FloatArray:
    """``cdf`` (sign 1) or ``sf`` (sign -1) of a log-normal, the very operations of
    ``scipy.stats.lognorm(sigma, scale=exp(mu))`` (bit for bit) without importing scipy.stats:
    a truncated log-normal needs them at load time."""
    y = np.asarray(x, dtype=float) / math.exp(mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = special.ndtr(sign * (np.log(y) / sigma))
    out = np.where(y <= 0, 0.0 if sign > 0 else 1.0, out)
    return out[()] if out.ndim == 0 else out


def _three_point(spec: Mapping[str, Any], family_name: str) -> tuple[float, float, float]:
    require_keys(spec, ("min", "mode", "max"), family_name)
    lo, mode, hi = (spec_number(spec, k) for k in ("min", "mode", "max"))
    if not lo <= mode <= hi or lo == hi:
        raise StudyError(f"needs min <= mode <= max and min < max, got {lo:g}, {mode:g}, {hi:g}")
    return lo, mode, hi


@family("triangular")
class Triangular(Distribution):
    """Triangular on [min, max] with its peak at ``mode``."""

    keys = frozenset({"min", "mode", "max"})

    def __init__(self, lo: float, mode: float, hi: float) -> None:
        self.lo, self.mode, self.hi = lo, mode, hi
        self.support = (lo, hi)
        self._c = (mode - lo) / (hi - lo)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Distribution:
        return cls(*_three_point(spec, "triangular"))

    def ppf(self, u: FloatArray) -> FloatArray:
        lo, mode, hi, c = self.lo, self.mode, self.hi, self._c
        left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
        right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode))
        return np.where(u < c, left, right)

    def isf(self, q: FloatArray) -> FloatArray:
        lo, mode, hi, c = self.lo, self.mode, self.hi, self._c
        left = lo + np.sqrt((1 - q) * (hi - lo) * (mode - lo))
        right = hi - np.sqrt(q * (hi - lo) * (hi - mode))
        return np.where(q < 1 - c, right, left)

    def sf(self, x: ArrayLike) -> FloatArray:
        lo, mode, hi = self.lo, self.mode, self.hi
        inside = np.clip(np.asarray(x, dtype=float), lo, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            right = (hi - inside) ** 2 / ((hi - lo) * (hi - mode))
            left = 1 - (inside - lo) ** 2 / ((hi - lo) * (mode - lo))
        return np.where(inside >= mode, np.where(hi > mode, right, 0.0), left)

    def scipy(self) -> Any:
        return stats.triang(self._c, loc=self.lo, scale=self.hi - self.lo)


class _BetaShaped(ScipyBacked):
    """A scaled beta (Beta, PERT): its tails inverted by scipy.special's incomplete beta
    inverses, with the leading term of the lower tail where those return NaN."""

    alpha: float
    beta: float

    def hinv_target(self, frozen: Any) -> tuple[Any, bool]:
        if self.beta < 1 and self.beta < self.alpha:  # the pole at 1 becomes one at 0
            return stats.beta(self.beta, self.alpha), True
        return frozen, False

    def lower_inverse(self, p: FloatArray) -> FloatArray:
        x = special.betaincinv(self.alpha, self.beta, p)
        lost = np.isnan(x)
        return np.where(lost, _lower_tail(p, self.alpha, self.beta), x) if lost.any() else x

    def upper_inverse(self, q: FloatArray) -> FloatArray:
        x = special.betainccinv(self.alpha, self.beta, q)
        lost = np.isnan(x)  # 1 - x is the lower quantile of Beta(beta, alpha) at q
        return np.where(lost, 1.0 - _lower_tail(q, self.beta, self.alpha), x) if lost.any() else x


def _lower_tail(p: FloatArray, a: float, b: float) -> np.ndarray:
    """The lower quantile of Beta(``a``, ``b``) at ``p`` from ``I_x(a, b) ~ x**a / (a B(a, b))``
    (relative error O(x): exact in doubles far in the tail, the only place it is used).

    scipy.special.betaincinv (boost's ibeta_inv, scipy 1.17) returns NaN at u = 2**-54 for
    alpha near 1 and beta below 1, e.g. Beta(1.037, 0.5)."""
    with np.errstate(divide="ignore"):
        start = np.exp((np.log(p) + np.log(a) + special.betaln(a, b)) / a)
    return np.minimum(start, 1.0)


#: a gamma's lower tail is its series where the leading term is below this share of ``a + 1``
#: (each term then at most a quarter of the one before: 40 terms and 40 steps reach a double)
_GAMMA_SERIES_SHARE = 0.2
_GAMMA_SERIES_TERMS = 40


def _gamma_series(start: np.ndarray, a: float) -> np.ndarray:
    """The quantile ``x`` of Gamma(``a``) whose leading term ``(p Γ(a+1))**(1/a)`` is ``start``,
    from ``P(a, x) = x**a e**-x S(x) / Γ(a+1)``, ``S(x) = 1 + x/(a+1) + x²/((a+1)(a+2)) + ...``:
    the fixed point of ``x = start · exp((x - log S(x)) / a)``. Each step is increasing in
    ``start`` (so the result is, to the last ulp) and shrinks the error by ``x/(a+1)`` or more."""
    x = start
    for _ in range(_GAMMA_SERIES_TERMS):
        term, total = np.ones_like(x), np.ones_like(x)
        for n in range(1, _GAMMA_SERIES_TERMS):
            term = term * x / (a + n)
            total = total + term
        x = start * np.exp((x - np.log(total)) / a)
    return x


def _gamma_lower_tail(p: np.ndarray, a: float) -> np.ndarray:
    """The lower quantile of Gamma(``a``) at ``p``: its series (:func:`_gamma_series`) where
    that converges fast, ``gammaincinv`` above, never below the series' value where they meet.

    scipy.special.gammaincinv is not monotone at the scale of a few ulps (scipy 1.17: about one
    step in sixteen between neighbouring doubles goes down; Gamma(1 + 2**-52) gave 3.7e-31 less
    at the double after 2**-54 than at 2**-54), and LHS, Sobol' and rank correlation need a
    monotone ppf. The two agree within ~2e-13 (gammainc's own accuracy there)."""
    p = np.asarray(p, dtype=float)
    limit = _GAMMA_SERIES_SHARE * (a + 1)
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        start = np.exp((np.log(p) + special.gammaln(a + 1)) / a)
        deep = start < limit
        if deep.all():
            return _gamma_series(start, a)
        meet = float(_gamma_series(np.array([limit]), a)[0])
        x = np.maximum(special.gammaincinv(a, p), meet)
        return np.where(deep, _gamma_series(np.where(deep, start, 0.0), a), x)


@family("pert")
class PERT(_BetaShaped):
    """PERT (scaled beta) on [min, max] around ``mode``; ``lambda`` (default 4) sets the peak."""

    keys = frozenset({"min", "mode", "max", "lambda"})

    def __init__(self, lo: float, mode: float, hi: float, lam: float = 4.0) -> None:
        self.lo, self.mode, self.hi, self.lam = lo, mode, hi, lam
        self.support = (lo, hi)
        self.alpha = 1 + lam * (mode - lo) / (hi - lo)
        self.beta = 1 + lam * (hi - mode) / (hi - lo)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Distribution:
        lam = spec_positive(spec, "lambda") if "lambda" in spec else 4.0
        return cls(*_three_point(spec, "pert"), lam)

    def scipy(self) -> Any:
        return stats.beta(self.alpha, self.beta, loc=self.lo, scale=self.hi - self.lo)

    def standard(self) -> tuple[Any, float, float]:
        return stats.beta(self.alpha, self.beta), self.lo, self.hi - self.lo


#: (family and its fixed parameters, lo, hi, level) → the fitted (a, b): a study is parsed again
#: on every edit of the live page and every load, and a fit is the same each time
_FITS: dict[tuple, tuple[float, float]] = {}


def _fit_two_parameters(
    ppf: Callable[[float, float, FloatArray], FloatArray],
    lo: float,
    hi: float,
    level: float,
    guess: tuple[float, float],
    *,
    key: tuple,
) -> tuple[float, float]:
    """Positive (a, b) with ``ppf(a, b, q)`` at the interval's ends equal to ``lo``, ``hi``.

    ``ppf`` is the family's quantile function on plain arrays (scipy.special, no frozen
    distribution: a fit evaluates it hundreds of times); ``key`` names the family and its fixed
    parameters, under which the fit is remembered for the life of the process.
    """
    remembered = _FITS.get((key, lo, hi, level))
    if remembered is not None:
        return remembered
    q = np.array([(1 - level) / 2, (1 + level) / 2])
    target = np.array([lo, hi])

    def residual(log_ab: FloatArray) -> FloatArray:
        with np.errstate(all="ignore"):
            a, b = np.exp(log_ab)
            got = ppf(float(a), float(b), q)
        return np.where(np.isfinite(got), got / target - 1, 1e6)

    fit = optimize.least_squares(residual, np.log(guess), method="lm", xtol=1e-14, ftol=1e-14)
    if not fit.success or np.max(np.abs(residual(fit.x))) > 1e-6:
        raise StudyError(f"no distribution of this family has the interval [{lo:g}, {hi:g}]", key="ci")
    a, b = np.exp(fit.x)
    _FITS[(key, lo, hi, level)] = (float(a), float(b))
    return float(a), float(b)


@family("beta")
class Beta(_BetaShaped):
    """Beta(``alpha``, ``beta``) on [``low``, ``high``] (default [0, 1]); or by ``ci``."""

    keys = frozenset({"alpha", "beta", "low", "high"})
    by_interval = True

    def __init__(self, alpha: float, beta: float, low: float = 0.0, high: float = 1.0) -> None:
        self.alpha, self.beta, self.low, self.high = alpha, beta, low, high
        self.support = (low, high)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Distribution:
        low = spec_number(spec, "low") if "low" in spec else 0.0
        high = spec_number(spec, "high") if "high" in spec else 1.0
        if not low < high:
            raise StudyError(f"low {low:g} is not below high {high:g}", key="low")
        if "ci" in spec:
            lo, hi, level = spec_interval(spec)
            for bound in (lo, hi):
                if not low < bound < high:
                    raise StudyError(
                        f"{bound:g} is outside the support ({low:g}, {high:g}) of beta", key="ci"
                    )
            # start from the moments a normal approximation of the interval implies
            m = ((lo + hi) / 2 - low) / (high - low)
            sd = (hi - lo) / (high - low) / (2 * special.ndtri((1 + level) / 2))
            concentration = max(m * (1 - m) / sd**2 - 1, 0.5)

            def ppf(a: float, b: float, q: FloatArray) -> FloatArray:
                return low + (high - low) * special.betaincinv(a, b, q)

            guess = (m * concentration, (1 - m) * concentration)
            a, b = _fit_two_parameters(ppf, lo, hi, level, guess, key=("beta", low, high))
            return cls(a, b, low, high)
        require_keys(spec, ("alpha", "beta"), "beta")
        return cls(spec_positive(spec, "alpha"), spec_positive(spec, "beta"), low, high)

    def scipy(self) -> Any:
        return stats.beta(self.alpha, self.beta, loc=self.low, scale=self.high - self.low)

    def standard(self) -> tuple[Any, float, float]:
        return stats.beta(self.alpha, self.beta), self.low, self.high - self.low


@family("gamma")
class Gamma(ScipyBacked):
    """Gamma with ``shape`` and ``scale``; or by ``ci`` (both bounds positive)."""

    keys = frozenset({"shape", "scale"})
    by_interval = True
    support = (0.0, math.inf)

    def __init__(self, shape: float, scale: float) -> None:
        self.shape, self.scale = shape, scale

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Distribution:
        if "ci" in spec:
            lo, hi, level = spec_interval(spec, positive="gamma")
            mid = (lo + hi) / 2
            spread = (hi - lo) / 3.3
            shape = (mid / spread) ** 2
            shape, scale = _fit_two_parameters(
                lambda k, s, q: s * special.gammaincinv(k, q),
                lo,
                hi,
                level,
                (shape, mid / shape),
                key=("gamma",),
            )
            return cls(shape, scale)
        require_keys(spec, ("shape", "scale"), "gamma")
        return cls(spec_positive(spec, "shape"), spec_positive(spec, "scale"))

    def scipy(self) -> Any:
        return stats.gamma(self.shape, scale=self.scale)

    def standard(self) -> tuple[Any, float, float]:
        return stats.gamma(self.shape), 0.0, self.scale

    def lower_inverse(self, p: FloatArray) -> FloatArray:
        return _gamma_lower_tail(np.asarray(p, dtype=float), self.shape)

    def upper_inverse(self, q: FloatArray) -> FloatArray:
        return special.gammainccinv(self.shape, q)
