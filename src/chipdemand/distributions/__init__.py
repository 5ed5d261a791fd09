"""Distribution families of a study's inputs: parsed from a spec, sampled through their ppf.

Every family maps uniforms ``u`` in (0, 1) to values with a vectorized ``ppf``, so one code path
serves Monte Carlo, Latin hypercube and Sobol sampling, rank correlation and common random
numbers. A new family is one class registered with :func:`family`; nothing else changes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..errors import StudyError, StudyErrors, did_you_mean
from .base import COMMON_KEYS, FAMILIES, Distribution, family, spec_number
from .catalogued import FIELD_UNITS, Catalogued
from .composite import Mixture, Scaled, Truncated
from .continuous import PERT, Beta, Gamma, LogNormal, LogUniform, Normal, Triangular, Uniform
from .discrete import Choice, Empirical, Point

__all__ = [
    "FAMILIES",
    "COMMON_KEYS",
    "Distribution",
    "family",
    "parse_distribution",
    "Point",
    "Uniform",
    "LogUniform",
    "Normal",
    "LogNormal",
    "Triangular",
    "PERT",
    "Beta",
    "Gamma",
    "Choice",
    "Mixture",
    "Empirical",
    "Truncated",
    "Scaled",
    "Catalogued",
    "FIELD_UNITS",
]


# ----------------------------------------------------------------------------- parsing
def parse_distribution(
    spec: Mapping[str, Any], extra_keys: frozenset[str] = frozenset(), *, positive: bool = False
) -> Distribution:
    """Build a :class:`Distribution` from one spec table of a study file.

    ``spec["dist"]`` names the family; the family's parameters, or ``ci``/``level`` for the
    families that accept an interval, follow; ``lower``/``upper`` truncate a continuous family.
    Keys in ``extra_keys`` (unit, source, point, ...) are the caller's and are ignored here.
    A spec written ``quantiles = [[p, value], ...]`` (``family`` or ``dist`` optional) is the
    family fitted to them (:func:`chipdemand.distributions.fit.from_quantiles`, which warns when
    no family reproduces them within its tolerance); ``positive`` says the quantity is never
    negative, and the best fit is then among the families that stay positive. Raises
    :class:`StudyError` with the offending key.
    """
    if "quantiles" in spec:
        from .fit import from_quantiles

        return from_quantiles(spec, extra_keys, positive=positive)
    if "dist" not in spec:
        raise StudyError("missing 'dist' (the distribution's family)" + did_you_mean("", FAMILIES))
    name = spec["dist"]
    if not isinstance(name, str) or name not in FAMILIES:
        raise StudyError(f"unknown distribution {name!r}" + did_you_mean(str(name), FAMILIES), key="dist")
    cls = FAMILIES[name]
    allowed = cls.keys | {"dist"} | extra_keys
    if cls.by_interval:
        allowed |= {"ci", "level"}
    if cls.continuous:
        allowed |= {"lower", "upper"}
    unknown = [
        StudyError(f"unknown key '{key}' for {name}" + did_you_mean(key, allowed), key=key)
        for key in spec
        if key not in allowed
    ]
    if len(unknown) == 1:
        raise unknown[0]
    if unknown:
        raise StudyErrors(unknown)  # every unknown key at once
    if "ci" in spec:
        clash = sorted(k for k in cls.keys & set(spec) if k not in ("low", "high") or name != "beta")
        if clash:
            raise StudyError(f"give either 'ci' or {', '.join(clash)}, not both", key="ci")
    dist = cls.from_spec(spec, parse_distribution) if cls.nested else cls.from_spec(spec)  # type: ignore[call-arg]
    dist.spec = getattr(dist, "spec", None) or {
        k: v for k, v in spec.items() if k in cls.keys | {"ci", "level"}
    }
    if "lower" in spec or "upper" in spec:
        lower = spec_number(spec, "lower") if "lower" in spec else -math.inf
        upper = spec_number(spec, "upper") if "upper" in spec else math.inf
        lo, hi = dist.support
        for key, bound in (("lower", lower), ("upper", upper)):
            if math.isfinite(bound) and not lo <= bound <= hi:
                raise StudyError(f"{bound:g} is outside the support [{lo:g}, {hi:g}] of {name}", key=key)
        dist = Truncated(dist, lower, upper)
    return dist
