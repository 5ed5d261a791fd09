"""Calibration: how often our intervals hold the independent published estimates, and where they fall.

Each reference placed by ``check`` (an estimate, not a physical bound) is inside our interval or
not, and has a percentile among our draws: its probability integral transform (PIT). Were our
intervals calibrated, about ``nominal`` (90%) of the references would fall inside, and the PIT
values would spread evenly over (0, 1); over-confident intervals (too narrow) pile them at the ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = [
    "ALPHA",
    "Coverage",
    "assess",
    "binomial_interval",
    "coverage",
    "coverage_json",
    "inside_from_pit",
    "over_confidence_p_value",
]

#: significance of the over-confidence test; with a 90% two-sided exact interval, a study is
#: flagged exactly when that interval's upper end is below the nominal level
ALPHA = 0.05

CRITERION = (
    "over-confident when P(at most k of n inside | the nominal rate) < 0.05 (one-sided exact binomial "
    "test), i.e. when the 90% Clopper-Pearson interval of the share lies wholly below the nominal level; "
    "under-confident when it lies wholly above"
)


def binomial_interval(inside: int, n: int, level: float = 0.9) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for the share ``inside / n``.

    Parameters
    ----------
    inside, n : int
        References inside our intervals, and references placed (``0 <= inside <= n``, ``n >= 1``).
    level : float
        Two-sided confidence level of the interval.

    Returns
    -------
    (float, float)
        Lower and upper end, in [0, 1].

    Examples
    --------
    >>> low, high = binomial_interval(67, 87)
    >>> round(low, 3), round(high, 3)
    (0.684, 0.842)
    """
    ci = stats.binomtest(int(inside), int(n)).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def over_confidence_p_value(inside: int, n: int, nominal: float) -> float:
    """P(at most ``inside`` of ``n`` references inside | each is inside with probability ``nominal``).

    Small when fewer references fall inside than calibrated intervals would hold: the exact
    one-sided binomial test of over-confidence.
    """
    return float(stats.binom.cdf(int(inside), int(n), nominal))


def inside_from_pit(pit: Iterable[float], nominal: float = 0.9) -> np.ndarray:
    """Whether each percentile lies in the central ``nominal`` interval [(1−c)/2, (1+c)/2]."""
    p = np.asarray(list(pit), dtype=float)
    tail = (1.0 - nominal) / 2.0
    return (p >= tail) & (p <= 1.0 - tail)


@dataclass(frozen=True)
class Coverage:
    """How many independent estimates our intervals hold, for one study or all of them.

    Attributes
    ----------
    scope : str
        A study's name, or ``"all"``.
    inside, n : int
        Estimates inside our interval, and estimates placed (bounds are not counted).
    nominal : float
        The interval's level (the share calibrated intervals hold).
    low, high : float
        The exact binomial interval (at ``level``) of the share; NaN when ``n`` is 0.
    level : float
        Level of that interval.
    p_value : float
        :func:`over_confidence_p_value`; 1 when ``n`` is 0.
    pit : tuple of float
        The estimates' percentiles in our draws (none for an estimate of a point answer).
    """

    scope: str
    inside: int
    n: int
    nominal: float
    low: float
    high: float
    level: float
    p_value: float
    pit: tuple[float, ...] = ()

    @property
    def share(self) -> float:
        """``inside / n`` (NaN when nothing was placed)."""
        return self.inside / self.n if self.n else float("nan")

    @property
    def over_confident(self) -> bool:
        """Too few inside for the nominal level: the references pile at the ends (see ``CRITERION``)."""
        return self.n > 0 and self.p_value < ALPHA

    @property
    def under_confident(self) -> bool:
        """More inside than the nominal level allows: our intervals are wider than needed."""
        return self.n > 0 and self.low > self.nominal

    @property
    def verdict(self) -> str:
        """``"over-confident"``, ``"under-confident"``, ``"consistent"`` or ``"no estimates"``."""
        if not self.n:
            return "no estimates"
        if self.over_confident:
            return "over-confident"
        return "under-confident" if self.under_confident else "consistent"

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``check --json``'s ``coverage`` entries."""

        def num(x: float) -> float | None:
            return None if x != x else round(float(x), 6)

        return {
            "scope": self.scope,
            "inside": self.inside,
            "n": self.n,
            "share": num(self.share),
            "low": num(self.low),
            "high": num(self.high),
            "nominal": self.nominal,
            "level": self.level,
            "p_value": num(self.p_value),
            "over_confident": self.over_confident,
            "verdict": self.verdict,
            "pit": [round(float(p), 6) for p in self.pit],
        }


def assess(
    inside: Sequence[bool],
    *,
    nominal: float = 0.9,
    level: float = 0.9,
    pit: Iterable[float] = (),
    scope: str = "all",
) -> Coverage:
    """The :class:`Coverage` of a list of inside/outside verdicts (and their percentiles).

    Parameters
    ----------
    inside : sequence of bool
        For each independent estimate, whether it is inside our interval.
    nominal : float
        The level of our intervals.
    level : float
        The level of the binomial interval of the share.
    pit : iterable of float
        The estimates' percentiles, kept for the histogram.
    scope : str
        What the verdicts cover (a study's name, or ``"all"``).
    """
    k, n = int(sum(bool(x) for x in inside)), len(inside)
    low, high = binomial_interval(k, n, level) if n else (float("nan"), float("nan"))
    p = over_confidence_p_value(k, n, nominal) if n else 1.0
    return Coverage(scope, k, n, float(nominal), low, high, float(level), p, tuple(float(x) for x in pit))


def _estimates(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [r for r in rows if not r.get("bound")]


def coverage(
    rows: Sequence[Mapping[str, Any]], *, nominal: float = 0.9, level: float = 0.9
) -> dict[str, Any]:
    """Calibration of ``check``'s rows: overall and per study.

    Parameters
    ----------
    rows : sequence of mappings
        Placed references (``check``'s rows: ``study``, ``inside``, ``percentile``, ``bound``).
        Bounds are left out: they are limits, not estimates.
    nominal : float
        The level of the intervals the references were placed in.
    level : float
        The level of the binomial interval of each share.

    Returns
    -------
    dict
        ``{"nominal", "level", "criterion", "overall": Coverage, "studies": [Coverage, ...],
        "over_confident": [study, ...]}``, studies in the order they first appear.
    """
    estimates = _estimates(rows)

    def of(subset: list[Mapping[str, Any]], scope: str) -> Coverage:
        pit = [r["percentile"] for r in subset if r.get("percentile") is not None]
        return assess([bool(r["inside"]) for r in subset], nominal=nominal, level=level, pit=pit, scope=scope)

    names = list(dict.fromkeys(str(r["study"]) for r in rows))
    studies = [of([r for r in estimates if r["study"] == name], name) for name in names]
    return {
        "nominal": nominal,
        "level": level,
        "criterion": CRITERION,
        "overall": of(estimates, "all"),
        "studies": studies,
        "over_confident": [c.scope for c in studies if c.over_confident],
    }


def coverage_json(result: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`coverage`'s result as plain JSON (the ``coverage`` key of ``check --json``)."""
    return {
        "nominal": result["nominal"],
        "level": result["level"],
        "criterion": result["criterion"],
        "overall": result["overall"].to_dict(),
        "studies": [c.to_dict() for c in result["studies"]],
        "over_confident": list(result["over_confident"]),
    }
