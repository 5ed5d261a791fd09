"""Families built from others: mixtures, truncation, and unit scaling."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._typing import FloatArray
from ..errors import StudyError, located_warnings
from .base import Distribution, by_halves, family, require_keys

__all__ = ["Mixture", "Truncated", "Scaled"]


def _cell(p: np.ndarray, grid_p: np.ndarray, grid_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The grid points either side of each ``p`` (increasing ``grid_p``): the quantile lies between
    them, so a Newton step where the density is nearly 0 (between two modes) cannot leave."""
    k = np.clip(np.searchsorted(grid_p, p), 1, len(grid_p) - 1)
    return grid_x[k - 1], grid_x[k]


@family("mixture")
class Mixture(Distribution):
    """Weighted mixture of continuous ``components`` (each a spec table) with ``weights``.

    The ppf inverts the mixture CDF: interpolation on a grid solved once by bisection, then two
    Newton steps, on the cdf below the median and on the survival function above it (so upper
    tails keep their precision); beyond the grid's 1e-13 tails, bisection between the
    components' quantiles. The map from u to x is monotone, so LHS, Sobol and rank correlation
    work.
    """

    keys = frozenset({"components", "weights"})

    def __init__(self, components: list[Distribution], weights: np.ndarray) -> None:
        self.components = components
        self.weights = weights
        self.support = (min(c.support[0] for c in components), max(c.support[1] for c in components))
        self._grid_u, self._grid_x = self._grid()

    nested = True  # its components are specs: parse_distribution hands it the parser

    @classmethod
    def from_spec(
        cls, spec: Mapping[str, Any], parse: Callable[[Mapping[str, Any]], Distribution] | None = None
    ) -> Distribution:
        if parse is None:
            raise TypeError("a mixture parses its components with parse_distribution(spec)")
        require_keys(spec, ("components",), "mixture")
        raw = spec["components"]
        if not isinstance(raw, list) or len(raw) < 2 or not all(isinstance(c, dict) for c in raw):
            raise StudyError("expected a list of at least two distribution tables", key="components")
        comps = []
        for i, comp in enumerate(raw):
            try:
                with located_warnings(key_prefix=f"components[{i}]"):
                    dist = parse(comp)
            except StudyError as err:
                raise err.located(key_prefix=f"components[{i}]") from None
            if not dist.continuous:
                raise StudyError(f"{dist.name} cannot be a mixture component", key=f"components[{i}]")
            comps.append(dist)
        weights = spec.get("weights", [1.0 / len(comps)] * len(comps))
        w = np.asarray(weights, dtype=float) if isinstance(weights, list) else np.array([])
        if w.shape != (len(comps),) or np.any(w < 0) or abs(w.sum() - 1) > 1e-6:
            raise StudyError(f"expected {len(comps)} weights >= 0 summing to 1", key="weights")
        out = cls(comps, w / w.sum())
        out.spec = {"components": [c.describe() for c in comps], "weights": list(map(float, w))}
        return out

    def cdf(self, x: ArrayLike) -> FloatArray:
        x = np.asarray(x, dtype=float)
        return sum(w * c.cdf(x) for w, c in zip(self.weights, self.components, strict=True))

    def sf(self, x: ArrayLike) -> FloatArray:
        x = np.asarray(x, dtype=float)
        return sum(w * c.sf(x) for w, c in zip(self.weights, self.components, strict=True))

    def pdf(self, x: ArrayLike) -> FloatArray:
        x = np.asarray(x, dtype=float)
        return sum(w * c.pdf(x) for w, c in zip(self.weights, self.components, strict=True))

    def _grid(self) -> tuple[FloatArray, FloatArray]:
        tails = np.geomspace(1e-13, 1e-3, 60)
        u = np.unique(np.concatenate([tails, np.linspace(1e-3, 1 - 1e-3, 2001), 1 - tails]))
        lo = np.min([c.ppf(u) for c in self.components], axis=0)
        hi = np.max([c.ppf(u) for c in self.components], axis=0)
        return u, _bisect(self.cdf, u, lo, hi, rising=True)

    def ppf(self, u: FloatArray) -> FloatArray:
        return by_halves(u, self._lower, self._upper)

    def isf(self, q: FloatArray) -> FloatArray:
        return by_halves(q, self._upper, self._lower)

    def _lower(self, p: FloatArray) -> FloatArray:
        """Quantiles at small ``p``: the grid, then Newton steps on the cdf; bisection below it."""
        x = np.interp(p, self._grid_u, self._grid_x)
        inside = p >= self._grid_u[0]
        lo, hi = _cell(p, self._grid_u, self._grid_x)
        for _ in range(2):  # Newton steps, kept inside the grid cell that holds the quantile
            with np.errstate(divide="ignore", invalid="ignore"):
                step = (self.cdf(x) - p) / self.pdf(x)
            x = np.where(inside & np.isfinite(step), np.clip(x - step, lo, hi), x)
        with np.errstate(invalid="ignore"):
            slow = inside & ~(np.abs(self.cdf(x) - p) <= 1e-10 * np.maximum(p, 1e-300) + 1e-14)
        if np.any(slow):  # where the density is nearly 0 (between modes) Newton crawls: bisect
            x[slow] = _bisect(self.cdf, p[slow], lo[slow], hi[slow], rising=True)
        if not np.all(inside):
            far = p[~inside]
            lo = np.min([c.ppf(far) for c in self.components], axis=0)
            hi = np.max([c.ppf(far) for c in self.components], axis=0)
            x[~inside] = _bisect(self.cdf, far, lo, hi, rising=True)
        return x

    def _upper(self, q: FloatArray) -> FloatArray:
        """Quantiles at ``1 - q`` for small ``q``, by the survival function (mirror of _lower)."""
        x = np.interp(q, 1.0 - self._grid_u[::-1], self._grid_x[::-1])
        inside = q >= 1.0 - self._grid_u[-1]
        lo, hi = _cell(q, 1.0 - self._grid_u[::-1], self._grid_x[::-1])
        lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
        for _ in range(2):
            with np.errstate(divide="ignore", invalid="ignore"):
                step = (self.sf(x) - q) / self.pdf(x)
            x = np.where(inside & np.isfinite(step), np.clip(x + step, lo, hi), x)
        with np.errstate(invalid="ignore"):
            slow = inside & ~(np.abs(self.sf(x) - q) <= 1e-10 * np.maximum(q, 1e-300) + 1e-14)
        if np.any(slow):
            x[slow] = _bisect(self.sf, q[slow], lo[slow], hi[slow], rising=False)
        if not np.all(inside):
            far = q[~inside]
            lo = np.min([c.isf(far) for c in self.components], axis=0)
            hi = np.max([c.isf(far) for c in self.components], axis=0)
            x[~inside] = _bisect(self.sf, far, lo, hi, rising=False)
        return x


def _bisect(
    fn: Callable[[FloatArray], FloatArray], target: np.ndarray, lo: np.ndarray, hi: np.ndarray, rising: bool
) -> np.ndarray:
    """The ``x`` in ``[lo, hi]`` with ``fn(x) = target`` (``fn`` monotone), by 80 halvings."""
    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    for _ in range(80):  # the mixture's quantile lies between its components' quantiles
        mid = 0.5 * (lo + hi)
        below = (fn(mid) < target) if rising else (fn(mid) > target)
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


class Truncated(Distribution):
    """A continuous distribution restricted to [lower, upper], sampled by inverse CDF.

    The truncated quantile at ``u`` is the base's quantile at ``F(lower) + u (F(upper) -
    F(lower))`` while that lies below the base's median, and otherwise its inverse survival
    function at ``S(upper) + (1 - u) (S(lower) - S(upper))``: each tail in the coordinate where
    its probabilities keep their precision. So a normal truncated at 7 or 20 standard deviations
    (where ``F`` rounds to 1) samples finitely, with distinct values and the right conditional
    distribution, as does a far lower tail. The base needs ``cdf``, ``sf``, ``ppf`` and ``isf``.
    """

    def __init__(self, base: Distribution, lower: float, upper: float) -> None:
        if not lower < upper:
            raise StudyError(f"lower {lower:g} is not below upper {upper:g}", key="lower")
        self.base = base
        self.name = base.name
        self.lower, self.upper = lower, upper
        self.support = (max(lower, base.support[0]), min(upper, base.support[1]))
        self._fa = float(base.cdf(lower)) if math.isfinite(lower) else 0.0
        self._fb = float(base.cdf(upper)) if math.isfinite(upper) else 1.0
        self._sa = float(base.sf(lower)) if math.isfinite(lower) else 1.0
        self._sb = float(base.sf(upper)) if math.isfinite(upper) else 0.0
        # the interval's probability, from the side where it is not a difference of numbers near 1
        self._mass = self._sa - self._sb if self._sa < 0.5 else self._fb - self._fa
        if not self._mass > 0:
            raise StudyError(f"[{lower:g}, {upper:g}] holds no probability of {base.describe()}", key="lower")
        # below this u the truncated quantile lies below the base's median
        self._split = min(max((0.5 - self._fa) / self._mass, 0.0), 1.0) if self._fa < 0.5 else 0.0
        self.spec = {**base.spec, "lower": lower, "upper": upper}

    def ppf(self, u: FloatArray) -> FloatArray:
        u = np.asarray(u, dtype=float)
        x = np.empty(u.shape)
        low = u < self._split
        x[low] = self.base.ppf(self._fa + self._mass * u[low])
        x[~low] = self.base.isf(self._sb + self._mass * (1.0 - u[~low]))
        return np.clip(x, *self.support)

    def cdf(self, x: ArrayLike) -> FloatArray:
        x = np.asarray(x, dtype=float)
        if self._sa < 0.5:  # the interval is above the base's median: work with survival
            p = (self._sa - self.base.sf(x)) / self._mass
        else:
            p = (self.base.cdf(x) - self._fa) / self._mass
        return np.clip(p, 0.0, 1.0)

    def sf(self, x: ArrayLike) -> FloatArray:
        x = np.asarray(x, dtype=float)
        if self._fb < 0.5:  # the interval is below the base's median: work with the cdf
            q = (self._fb - self.base.cdf(x)) / self._mass
        else:
            q = (self.base.sf(x) - self._sb) / self._mass
        return np.clip(q, 0.0, 1.0)

    def isf(self, q: FloatArray) -> FloatArray:
        q = np.asarray(q, dtype=float)
        x = np.empty(q.shape)
        high = q <= 1.0 - self._split
        x[high] = self.base.isf(self._sb + self._mass * q[high])
        x[~high] = self.base.ppf(self._fa + self._mass * (1.0 - q[~high]))
        return np.clip(x, *self.support)

    def pdf(self, x: ArrayLike) -> FloatArray:
        x = np.asarray(x, dtype=float)
        inside = (x >= self.lower) & (x <= self.upper)
        return np.where(inside, self.base.pdf(x) / self._mass, 0.0)

    def scipy(self) -> Any:
        return None

    def describe(self) -> str:
        return f"{self.base.describe()[:-1]}, lower={self.lower:g}, upper={self.upper:g})"


class Scaled(Distribution):
    """``factor × base``: a distribution converted to the model's unit (ms given, s used)."""

    def __init__(self, base: Distribution, factor: float) -> None:
        self.base, self.factor = base, factor
        self.name = base.name
        self.continuous = base.continuous
        self.labels = base.labels
        self.via_normal = base.via_normal
        lo, hi = base.support
        self.support = (lo * factor, hi * factor)
        self.spec = base.spec

    @property
    def is_point(self) -> bool:
        return self.base.is_point

    def ppf(self, u: FloatArray) -> FloatArray:
        return self.factor * self.base.ppf(u)

    def from_normal(self, z: FloatArray) -> FloatArray:
        return self.factor * self.base.from_normal(z)

    def cdf(self, x: ArrayLike) -> FloatArray:
        return self.base.cdf(np.asarray(x) / self.factor)

    def sf(self, x: ArrayLike) -> FloatArray:
        return self.base.sf(np.asarray(x) / self.factor)

    def isf(self, q: FloatArray) -> FloatArray:
        return self.factor * self.base.isf(q)

    def pdf(self, x: ArrayLike) -> FloatArray:
        return self.base.pdf(np.asarray(x) / self.factor) / self.factor

    def scipy(self) -> Any:
        frozen = self.base.scipy()
        if frozen is None:
            return None
        return _ScaledFrozen(frozen, self.factor)

    def describe(self) -> str:
        return self.base.describe()


class _ScaledFrozen:
    """Enough of a frozen scipy distribution for ``factor × X`` (tests use ppf/cdf)."""

    def __init__(self, frozen: Any, factor: float) -> None:
        self.frozen, self.factor = frozen, factor

    def ppf(self, q: ArrayLike) -> Any:
        return self.factor * self.frozen.ppf(q)

    def cdf(self, x: ArrayLike) -> Any:
        return self.frozen.cdf(np.asarray(x) / self.factor)
