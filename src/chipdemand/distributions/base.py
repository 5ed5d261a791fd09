"""The base of every distribution family: the registry, spec helpers and fast inversion.

A family maps uniforms ``u`` in (0, 1) to values with a vectorized ``ppf``; one registered
class per family (:func:`family`) is the only extension point.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from .._lazy import lazy_module
from .._typing import FloatArray
from ..errors import StudyError

sampling = lazy_module("scipy.stats.sampling")  # UNU.RAN, built only for the families that need it

__all__ = [
    "FAMILIES",
    "COMMON_KEYS",
    "Distribution",
    "ScipyBacked",
    "family",
    "spec_number",
    "spec_positive",
    "spec_interval",
    "require_keys",
    "by_halves",
]

FAMILIES: dict[str, type[Distribution]] = {}

#: keys of an input spec that are not a family's parameters
COMMON_KEYS = frozenset({"dist", "ci", "level", "lower", "upper"})


def family(name: str) -> Callable[[type[Distribution]], type[Distribution]]:
    """Register a distribution class under ``name`` (the ``dist`` of a study file)."""

    def register(cls: type[Distribution]) -> type[Distribution]:
        cls.name = name
        FAMILIES[name] = cls
        return cls

    return register


# ----------------------------------------------------------------------------- spec helpers
def spec_number(spec: Mapping[str, Any], key: str) -> float:
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StudyError(f"expected a number, got {value!r}", key=key)
    value = float(value)
    if not math.isfinite(value):
        raise StudyError(f"expected a finite number, got {value!r}", key=key)
    return value


def spec_positive(spec: Mapping[str, Any], key: str) -> float:
    value = spec_number(spec, key)
    if value <= 0:
        raise StudyError(f"must be positive, got {value:g}", key=key)
    return value


def spec_interval(spec: Mapping[str, Any], positive: str | None = None) -> tuple[float, float, float]:
    """``ci = [low, high]`` and ``level`` (default 0.9), validated; both bounds above zero when
    ``positive`` names a family on (0, inf)."""
    ci = spec["ci"]
    if not isinstance(ci, list | tuple) or len(ci) != 2:
        raise StudyError(f"expected two numbers [low, high], got {ci!r}", key="ci")
    for bound in ci:
        if isinstance(bound, bool) or not isinstance(bound, int | float) or not math.isfinite(bound):
            raise StudyError(f"expected two numbers [low, high], got {ci!r}", key="ci")
    low, high = float(ci[0]), float(ci[1])
    if not low < high:
        raise StudyError(f"lower bound {low:g} is not below upper bound {high:g}", key="ci")
    if positive and low <= 0:
        raise StudyError(f"lower bound {low:g} is outside the support (0, inf) of {positive}", key="ci")
    level = spec_number(spec, "level") if "level" in spec else 0.9
    if not 0 < level < 1:
        raise StudyError(f"must be between 0 and 1, got {level:g}", key="level")
    return low, high, level


def require_keys(spec: Mapping[str, Any], keys: tuple[str, ...], family_name: str) -> None:
    missing = [k for k in keys if k not in spec]
    if missing:
        raise StudyError(
            f"{family_name} needs {', '.join(repr(k) for k in keys)}; missing {', '.join(missing)}"
        )


# ----------------------------------------------------------------------------- base classes
class Distribution:
    """A distribution of one input: ``ppf`` maps uniforms in (0, 1) to values.

    Subclasses set ``name`` (through :func:`family`), ``keys`` (their parameters in a study file)
    and implement :meth:`from_spec` and :meth:`ppf`. Continuous families also give ``cdf``,
    ``sf``, ``isf`` (by default from their frozen ``scipy`` distribution), which truncation,
    mixtures and the tests use. ``isf(q)`` is the quantile at ``1 - q`` computed where ``q``
    keeps its precision: upper tails are sampled through it.
    """

    name: str = ""  # the family's (set by @family); Truncated and Scaled take their base's
    keys: ClassVar[frozenset[str]] = frozenset()
    by_interval: ClassVar[bool] = False  # accepts ci/level
    continuous: bool = True
    nested: ClassVar[bool] = False  # a family whose spec holds specs (a mixture's components)
    labels: tuple[str, ...] | None = None
    support: tuple[float, float] = (-math.inf, math.inf)
    spec: dict[str, Any]
    #: ``ppf(u)`` is ``from_normal(ndtri(u))`` (normal, log-normal and their unit conversions): a
    #: run computes a stream's standard-normal quantiles once per block and every scenario's
    #: distribution on that stream starts from them (the same floats as its own ``ppf``)
    via_normal: bool = False

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Distribution:
        raise NotImplementedError

    def ppf(self, u: FloatArray) -> FloatArray:
        raise NotImplementedError

    def from_normal(self, z: FloatArray) -> FloatArray:
        """The quantiles at the uniforms whose standard-normal quantiles are ``z`` (families
        with :attr:`via_normal`)."""
        raise NotImplementedError(f"{self.name} is not a transform of a standard normal")

    def scipy(self) -> Any:
        """The frozen ``scipy.stats`` distribution, where one exists."""
        return None

    def cdf(self, x: ArrayLike) -> FloatArray:
        frozen = self.scipy()
        if frozen is None:
            raise NotImplementedError(f"{self.name} has no cdf")
        return frozen.cdf(x)

    def pdf(self, x: ArrayLike) -> FloatArray:
        frozen = self.scipy()
        if frozen is None:
            raise NotImplementedError(f"{self.name} has no pdf")
        return frozen.pdf(x)

    def sf(self, x: ArrayLike) -> FloatArray:
        """``P(X > x)``, precise where it is small."""
        frozen = self.scipy()
        if frozen is None:
            raise NotImplementedError(f"{self.name} has no sf")
        return frozen.sf(x)

    def isf(self, q: FloatArray) -> FloatArray:
        """The ``x`` with ``P(X > x) = q``: the inverse survival function, precise for small ``q``."""
        frozen = self.scipy()
        if frozen is None:
            raise NotImplementedError(f"{self.name} has no isf")
        return frozen.isf(q)

    def quantile(self, q: float) -> float:
        return float(self.ppf(np.array([q]))[0])

    def median(self) -> float:
        return self.quantile(0.5)

    @property
    def is_point(self) -> bool:
        return False

    def describe(self) -> str:
        """The spec as written, e.g. ``lognormal(ci=[1e+07, 5e+07])``."""
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self.spec.items() if k != "dist")
        return f"{self.name}({args})"

    def __repr__(self) -> str:
        return f"<{self.describe()}>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_fmt(v)}" for k, v in value.items()) + "}"
    return repr(value) if isinstance(value, str) else str(value)


#: HINV serves u in [_HINV_TAIL, 1 - _HINV_TAIL]; the exact inverse the ~2e-6 of draws outside
_HINV_TAIL = 1e-6


class ScipyBacked(Distribution):
    """A continuous family whose ppf is fast Hermite inversion (HINV) of a scipy distribution.

    ``scipy.stats.beta.ppf`` costs ~2.4 µs per draw; UNU.RAN's HINV
    (``scipy.stats.sampling.NumericalInverseHermite``, built once per distribution from the exact
    cdf and pdf) costs 25-65 ns with error < 1e-9 in u. Polynomial inversion (PINV), which
    DESIGN.md suggests, never returns from its set-up for some betas in scipy 1.17 (e.g.
    Beta(4.11, 1.89), a PERT(0.5, 4, 5)), so it is not used.

    HINV is used for u in [1e-6, 1 - 1e-6] only, where it is checked at set-up (error below 1e-9
    in u, and below 1e-4 of the tail probability at the ends); in its own tails it is coarse (a
    gamma of shape 0.3 gives exactly 0 below u = 1e-12, one of shape 30 gives 0.0014 for its
    3.9 at u = 2**-54). The ~2e-6 of draws outside, and every draw of a distribution HINV cannot
    serve, go to the exact inverse: :meth:`lower_inverse` below the median, :meth:`upper_inverse`
    of ``1 - u`` above it (scipy.special's ``betaincinv``/``betainccinv``, ``gammaincinv``/
    ``gammainccinv``: ``scipy.stats.beta.ppf``, boost's ibeta_inv, warns and misses by orders of
    magnitude in the lower tail of e.g. Beta(0.5, 3) at u = 1e-12 in scipy 1.17). Every draw is
    then finite and inside the support, and above zero where the support starts at zero (a value
    that underflows becomes the smallest normal double, 2.2e-308). :meth:`isf` is served the
    same way, so upper tails keep their precision.
    """

    _inverse: Any = None

    def standard(self) -> tuple[Any, float, float]:
        """``(frozen, loc, scale)``: a standardized scipy distribution and its affine map."""
        return self.scipy(), 0.0, 1.0

    def lower_inverse(self, p: FloatArray) -> FloatArray:
        """Exact quantiles at ``p`` of the standardized distribution (for its lower tail).

        Families override this and :meth:`upper_inverse` with scipy.special's inverse incomplete
        functions where ``scipy.stats``' ppf is unreliable in the tails.
        """
        return self.standard()[0].ppf(p)

    def upper_inverse(self, q: FloatArray) -> FloatArray:
        """Exact inverse survival function at ``q`` of the standardized distribution."""
        return self.standard()[0].isf(q)

    def _fast_ppf(self) -> tuple[Callable[[np.ndarray], np.ndarray] | None, float, float]:
        """``(hinv, loc, scale)``; ``hinv`` is None where HINV cannot serve this distribution.

        Built once, by the first thread to need it (the others wait for it)."""
        if self._inverse is None:
            with _HINV_SETUP:
                if self._inverse is None:
                    frozen, loc, scale = self.standard()
                    target, mirrored = self.hinv_target(frozen)
                    hinv = _hermite_inverse_cached(target)
                    if hinv is not None and mirrored:
                        hinv = _mirrored(hinv)
                    self._inverse = (hinv, loc, scale)
        return self._inverse

    def hinv_target(self, frozen: Any) -> tuple[Any, bool]:
        """The scipy distribution HINV is built for, given the standardized one, ``frozen``, and
        whether it is that one mirrored (``x = 1 - y``): a family whose density has a pole at
        its upper end (a beta with ``beta < 1``) is inverted through its mirror image, whose pole
        is at zero, where UNU.RAN handles it (at the upper end its set-up took seconds and then
        failed)."""
        return frozen, False

    def ppf(self, u: FloatArray) -> FloatArray:
        return self._invert(u, upper=False)

    def isf(self, q: FloatArray) -> FloatArray:
        return self._invert(q, upper=True)

    def _invert(self, v: np.ndarray, upper: bool) -> np.ndarray:
        """Quantiles at ``v`` (``upper``: at ``1 - v``): HINV in the bulk, exact in the tails."""
        fast, loc, scale = self._fast_ppf()
        v = np.asarray(v, dtype=float)
        flat = v.reshape(-1)
        if fast is None:
            x = self._exact(flat, upper)
        else:
            x = np.asarray(fast(1.0 - flat if upper else flat), dtype=float)
            # monotone across each switch: HINV is held between the exact quantiles at the two
            # switches, the exact tails beyond them (HINV errs by up to 1e-4 of the tail
            # probability at its ends: Gamma(0.3)'s quantile went down 1.4e-8 at u = 1e-6)
            first, last = self._hinv_ends(upper)
            np.clip(x, min(first, last), max(first, last), out=x)
            if flat.size and (flat.min() < _HINV_TAIL or flat.max() > 1 - _HINV_TAIL):
                tail = (flat < _HINV_TAIL) | (flat > 1 - _HINV_TAIL)
                v_tail = flat[tail]
                near = v_tail < _HINV_TAIL
                exact = self._exact(v_tail, upper)
                bound = np.where(near, first, last)
                x[tail] = np.where(near != upper, np.minimum(exact, bound), np.maximum(exact, bound))
        if (loc, scale) != (0.0, 1.0):
            x *= scale
            x += loc
        low, high = self.support
        np.clip(x, np.finfo(float).tiny if low == 0 else low, high, out=x)
        return x.reshape(v.shape)

    def _hinv_ends(self, upper: bool) -> tuple[float, float]:
        """The exact quantiles (standardized) at the switches, ``v = _HINV_TAIL`` and
        ``1 - _HINV_TAIL`` (``upper``: of the survival function), computed once."""
        ends = self.__dict__.setdefault("_switch_values", {})
        if upper not in ends:
            at = self._exact(np.array([_HINV_TAIL, 1 - _HINV_TAIL]), upper)
            ends[upper] = (float(at[0]), float(at[1]))
        return ends[upper]

    def _exact(self, v: np.ndarray, upper: bool) -> np.ndarray:
        if upper:  # v is a survival probability
            return by_halves(v, self.upper_inverse, self.lower_inverse)
        return by_halves(v, self.lower_inverse, self.upper_inverse)

    def __getstate__(self) -> dict[str, Any]:
        # the UNU.RAN generator is rebuilt after pickling (dask workers)
        state = self.__dict__.copy()
        state.pop("_inverse", None)
        state.pop("_switch_values", None)
        return state


def by_halves(
    u: np.ndarray, lower: Callable[[np.ndarray], np.ndarray], upper: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """``lower(u)`` where ``u < 0.5``, ``upper(1 - u)`` elsewhere (``1 - u`` is exact there)."""
    u = np.asarray(u, dtype=float)
    x = np.empty_like(u)
    low = u < 0.5
    x[low] = lower(u[low])
    x[~low] = upper(1.0 - u[~low])
    return x


_HINV_SETUP = threading.Lock()


def _mirrored(hinv: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """The inverse of ``X = 1 - Y`` from the inverse of ``Y``: ``x(u) = 1 - y(1 - u)``."""

    def ppf(u: np.ndarray) -> np.ndarray:
        return 1.0 - hinv(1.0 - np.asarray(u, dtype=float))

    return ppf


#: HINV set-ups kept for the life of the process, keyed by the scipy distribution and its
#: parameters (the same spec in another scenario, study or run is not set up again); at most
#: _HINV_KEEP of them (the oldest are dropped)
_HINV_CACHE: dict[tuple[Any, ...], Callable[[np.ndarray], np.ndarray] | None] = {}
_HINV_KEEP = 512


def _hinv_key(frozen: Any) -> tuple[Any, ...] | None:
    """``(family, args, kwds)`` of a frozen scipy distribution, or None if not plain numbers."""
    try:
        args = tuple(float(a) for a in frozen.args)
        kwds = tuple(sorted((str(k), float(v)) for k, v in frozen.kwds.items()))
        return (frozen.dist.name, args, kwds)
    except (AttributeError, TypeError, ValueError):
        return None


def _hermite_inverse_cached(frozen: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    """:func:`_hermite_inverse`, set up once per distribution and parameters in a process
    (called under ``_HINV_SETUP``)."""
    key = _hinv_key(frozen)
    if key is None:
        return _hermite_inverse(frozen)
    if key not in _HINV_CACHE:
        while len(_HINV_CACHE) >= _HINV_KEEP:
            del _HINV_CACHE[next(iter(_HINV_CACHE))]
        _HINV_CACHE[key] = _hermite_inverse(frozen)
    return _HINV_CACHE[key]


def _hermite_inverse(frozen: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    """UNU.RAN's HINV of ``frozen`` if it is exact enough (:func:`_check_hinv`), else None.

    UNU.RAN reports lost accuracy as RuntimeWarnings: they are recorded, not turned into
    errors, because the warnings filter is the whole process's (under ``"error"`` a warning
    another thread gave meanwhile, e.g. dask's, was raised in that thread)."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            gen = sampling.NumericalInverseHermite(frozen, random_state=0)
            _check_hinv(gen.ppf, frozen)
        except (RuntimeError, ValueError, sampling.UNURANError):
            return None
    if any(issubclass(w.category, RuntimeWarning) for w in caught):
        return None
    return gen.ppf


def _check_hinv(ppf: Callable[[np.ndarray], np.ndarray], frozen: Any) -> None:
    """Raise ValueError unless HINV inverts ``frozen`` on [1e-6, 1 - 1e-6].

    The error must be below 1e-9 in u everywhere and below 1e-4 of the tail probability
    ``min(u, 1 - u)`` (read from the cdf below the median, the survival function above it).
    """
    tail = np.geomspace(_HINV_TAIL, 0.5, 200)
    u = np.unique(np.concatenate([tail, np.linspace(0.001, 0.999, 999), 1 - tail]))
    x = ppf(u)
    lower = u < 0.5
    p = np.where(lower, frozen.cdf(x), frozen.sf(x))
    target = np.where(lower, u, 1 - u)
    error = np.abs(p - target)
    if not (np.all(error <= 1e-9) and np.all(error <= 1e-4 * target)):
        raise ValueError("HINV inaccurate")
