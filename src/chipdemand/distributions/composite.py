"""Families built from others: mixtures, truncation, and unit scaling."""

from __future__ import annotations

import math

import numpy as np

from ..errors import StudyError, located_warnings
from .base import Distribution, _require, family

__all__ = ["Mixture", "Truncated", "Scaled"]


@family("mixture")
class Mixture(Distribution):
    """Weighted mixture of continuous ``components`` (each a spec table) with ``weights``.

    The ppf inverts the mixture CDF: interpolation on a grid solved once by bisection, then one
    Newton steps, so the map from u to x is monotone and LHS, Sobol and rank correlation work.
    """

    keys = frozenset({"components", "weights"})

    def __init__(self, components: list[Distribution], weights: np.ndarray):
        self.components = components
        self.weights = weights
        self.support = (min(c.support[0] for c in components), max(c.support[1] for c in components))
        self._grid_u, self._grid_x = self._grid()

    @classmethod
    def from_spec(cls, spec):
        _require(spec, ("components",), "mixture")
        raw = spec["components"]
        if not isinstance(raw, list) or len(raw) < 2 or not all(isinstance(c, dict) for c in raw):
            raise StudyError("expected a list of at least two distribution tables", key="components")
        comps = []
        for i, comp in enumerate(raw):
            try:
                from . import parse_distribution

                with located_warnings(key_prefix=f"components[{i}]"):
                    dist = parse_distribution(comp)
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

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        return sum(w * c.cdf(x) for w, c in zip(self.weights, self.components, strict=True))

    def pdf(self, x):
        x = np.asarray(x, dtype=float)
        return sum(w * c.pdf(x) for w, c in zip(self.weights, self.components, strict=True))

    def _grid(self):
        tails = np.geomspace(1e-13, 1e-3, 60)
        u = np.unique(np.concatenate([tails, np.linspace(1e-3, 1 - 1e-3, 2001), 1 - tails]))
        lo = np.min([c.ppf(u) for c in self.components], axis=0)
        hi = np.max([c.ppf(u) for c in self.components], axis=0)
        for _ in range(80):  # the mixture's quantile lies between its components' quantiles
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid) < u
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return u, 0.5 * (lo + hi)

    def ppf(self, u):
        u = np.asarray(u, dtype=float)
        x = np.interp(u, self._grid_u, self._grid_x)
        inside = (u > self._grid_u[0]) & (u < self._grid_u[-1])
        for _ in range(2):  # Newton steps from the interpolated guess
            with np.errstate(divide="ignore", invalid="ignore"):
                step = (self.cdf(x) - u) / self.pdf(x)
            x = np.where(inside & np.isfinite(step), x - step, x)
        return x


class Truncated(Distribution):
    """A continuous distribution restricted to [lower, upper], sampled by inverse CDF."""

    def __init__(self, base: Distribution, lower: float, upper: float):
        if not lower < upper:
            raise StudyError(f"lower {lower:g} is not below upper {upper:g}", key="lower")
        self.base = base
        self.name = base.name
        self.lower, self.upper = lower, upper
        self.support = (max(lower, base.support[0]), min(upper, base.support[1]))
        self._fa = float(base.cdf(lower)) if math.isfinite(lower) else 0.0
        self._fb = float(base.cdf(upper)) if math.isfinite(upper) else 1.0
        if not self._fb - self._fa > 1e-12:
            raise StudyError(f"[{lower:g}, {upper:g}] holds no probability of {base.describe()}", key="lower")
        self.spec = {**base.spec, "lower": lower, "upper": upper}

    def ppf(self, u):
        x = self.base.ppf(self._fa + (self._fb - self._fa) * np.asarray(u))
        return np.clip(x, self.lower, self.upper)

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        return np.clip((self.base.cdf(x) - self._fa) / (self._fb - self._fa), 0.0, 1.0)

    def pdf(self, x):
        x = np.asarray(x, dtype=float)
        inside = (x >= self.lower) & (x <= self.upper)
        return np.where(inside, self.base.pdf(x) / (self._fb - self._fa), 0.0)

    def scipy(self):
        return None

    def describe(self) -> str:
        return f"{self.base.describe()[:-1]}, lower={self.lower:g}, upper={self.upper:g})"


class Scaled(Distribution):
    """``factor × base``: a distribution converted to the model's unit (ms given, s used)."""

    def __init__(self, base: Distribution, factor: float):
        self.base, self.factor = base, factor
        self.name = base.name
        self.continuous = base.continuous
        self.labels = base.labels
        lo, hi = base.support
        self.support = (lo * factor, hi * factor)
        self.spec = base.spec

    @property
    def is_point(self) -> bool:
        return self.base.is_point

    def ppf(self, u):
        return self.factor * self.base.ppf(u)

    def cdf(self, x):
        return self.base.cdf(np.asarray(x) / self.factor)

    def pdf(self, x):
        return self.base.pdf(np.asarray(x) / self.factor) / self.factor

    def scipy(self):
        frozen = self.base.scipy()
        if frozen is None:
            return None
        return _ScaledFrozen(frozen, self.factor)

    def describe(self) -> str:
        return self.base.describe()


class _ScaledFrozen:
    """Enough of a frozen scipy distribution for ``factor × X`` (tests use ppf/cdf)."""

    def __init__(self, frozen, factor):
        self.frozen, self.factor = frozen, factor

    def ppf(self, q):
        return self.factor * self.frozen.ppf(q)

    def cdf(self, x):
        return self.frozen.cdf(np.asarray(x) / self.factor)
