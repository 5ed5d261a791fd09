"""Discrete families: a known value, a choice among values or labelled alternatives, resampling."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._lazy import lazy_module
from .._typing import FloatArray
from ..errors import StudyError, did_you_mean
from .base import Distribution, family, require_keys, spec_number

stats = lazy_module("scipy.stats")  # rv_discrete for a frozen Empirical only

__all__ = ["Point", "Choice", "Empirical", "tie_factor"]


@family("point")
class Point(Distribution):
    """A known value (``value``, or the input's ``point``)."""

    keys = frozenset({"value"})
    continuous = False

    def __init__(self, value: float, label: str | None = None) -> None:
        self.value = float(value)
        self.support = (self.value, self.value)
        self.label = label
        self.spec = {"value": label if label is not None else self.value}

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Distribution:
        require_keys(spec, ("value",), "point")
        if isinstance(spec["value"], str):
            return Choice([spec["value"]], [1.0])
        return cls(spec_number(spec, "value"))

    @property
    def is_point(self) -> bool:
        return True

    def ppf(self, u: FloatArray) -> FloatArray:
        return np.full(np.shape(u), self.value)

    def describe(self) -> str:
        return f"point({self.spec['value']:g})" if self.label is None else f"point({self.label!r})"


def tie_factor(dist: Distribution) -> float:
    """``sqrt(1 - Σ p³)`` over the distinct values of a discrete ``dist`` (1 for a continuous
    one, 0 for a point): the largest Spearman correlation its draws can have with a continuous
    variable (midranks of tied values; the variance of a variable with masses ``p`` in ranks is
    ``(1 - Σ p³) / 12`` against ``1 / 12``). Two inputs' product bounds their rank correlation.
    """
    from .catalogued import Catalogued
    from .composite import Scaled

    if dist.is_point:
        return 0.0
    if isinstance(dist, Scaled):
        return tie_factor(dist.base)
    if isinstance(dist, Catalogued) and np.all(dist.low == dist.high):  # chips' single values
        values, probs = dist.low, dist.probs
    elif isinstance(dist, Choice):
        values, probs = dist.values, dist.probs
    elif isinstance(dist, Empirical):
        values, probs = dist.samples, np.full(dist.samples.size, 1 / dist.samples.size)
    else:
        return 1.0
    distinct, where = np.unique(values, return_inverse=True)
    masses = np.bincount(where, weights=probs, minlength=distinct.size)
    return float(np.sqrt(max(1.0 - np.sum(masses**3), 0.0)))


@family("choice")
class Choice(Distribution):
    """Discrete choice among ``values`` (numbers, or labels of structural alternatives)."""

    keys = frozenset({"values", "probs"})
    continuous = False

    def __init__(self, values: list, probs: list[float] | None = None) -> None:
        if not isinstance(values, list) or not values:
            raise StudyError(f"expected a non-empty list, got {values!r}", key="values")
        if all(isinstance(v, str) for v in values):
            self.labels = tuple(values)
            self.values = np.arange(len(values), dtype=float)
        elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            self.values = np.asarray(values, dtype=float)
            if not np.all(np.isfinite(self.values)):
                raise StudyError(f"expected finite numbers, got {values!r}", key="values")
        else:
            raise StudyError(f"expected all numbers or all labels, got {values!r}", key="values")
        if probs is None:
            probs = [1.0 / len(values)] * len(values)
        if (
            not isinstance(probs, list)
            or len(probs) != len(values)
            or not all(isinstance(p, int | float) and not isinstance(p, bool) for p in probs)
        ):
            raise StudyError(f"expected {len(values)} probabilities, got {probs!r}", key="probs")
        p = np.asarray(probs, dtype=float)
        if np.any(p < 0) or abs(p.sum() - 1) > 1e-6:
            raise StudyError(f"probabilities must be >= 0 and sum to 1, got {probs!r}", key="probs")
        self.probs = p / p.sum()
        self._set_order()
        self.support = (float(self.values.min()), float(self.values.max()))
        self.spec = {"values": list(values), "probs": [float(x) for x in self.probs]}

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Distribution:
        require_keys(spec, ("values",), "choice")
        return cls(spec["values"], spec.get("probs"))

    @property
    def is_point(self) -> bool:
        return len(self.values) == 1

    def _set_order(self) -> None:
        """The order ``ppf`` maps uniforms to: numbers by value (each keeping its probability), so
        that a quantile, a tornado's low and high and a rank correlation mean what they say
        whatever order the study lists them in; labels as listed (their codes are no order)."""
        order = np.arange(self.values.size) if self.labels else np.argsort(self.values, kind="stable")
        self._sorted = self.values[order]
        self._cum = np.cumsum(self.probs[order])[:-1]

    def ppf(self, u: FloatArray) -> FloatArray:
        return self._sorted[np.searchsorted(self._cum, u, side="right")]

    def with_label_order(self, order: tuple[str, ...]) -> Choice:
        """The same choice with each label's value its position in ``order`` (a model's codes)."""
        if self.labels is None:
            raise TypeError("a choice of numbers has no labels to order")
        unknown = [label for label in self.labels if label not in order]
        if unknown:
            raise StudyError(
                f"unknown alternative '{unknown[0]}'" + did_you_mean(unknown[0], order), key="values"
            )
        out = Choice(list(self.labels), list(self.probs))
        out.values = np.array([order.index(label) for label in self.labels], dtype=float)
        out._set_order()
        out.support = (float(out.values.min()), float(out.values.max()))
        return out

    def describe(self) -> str:
        shown = self.labels or tuple(f"{v:g}" for v in self.values)
        return "choice(" + ", ".join(f"{v}: {p:.3g}" for v, p in zip(shown, self.probs, strict=True)) + ")"


@family("empirical")
class Empirical(Distribution):
    """Resampling of a list of observed ``samples`` (inverse empirical CDF, no smoothing)."""

    keys = frozenset({"samples"})
    continuous = False

    def __init__(self, samples: ArrayLike) -> None:
        x = np.sort(np.asarray(samples, dtype=float))
        if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)):
            raise StudyError("expected a list of at least two finite numbers", key="samples")
        self.samples = x
        self.support = (float(x[0]), float(x[-1]))
        self.spec = {"samples": f"{x.size} values"}

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Distribution:
        require_keys(spec, ("samples",), "empirical")
        samples = spec["samples"]
        if not isinstance(samples, list) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in samples
        ):
            raise StudyError("expected a list of numbers", key="samples")
        return cls(samples)

    def ppf(self, u: FloatArray) -> FloatArray:
        n = self.samples.size
        return self.samples[np.minimum((np.asarray(u) * n).astype(np.intp), n - 1)]

    def scipy(self) -> Any:
        return stats.rv_discrete(values=(self.samples, np.full(self.samples.size, 1 / self.samples.size)))
