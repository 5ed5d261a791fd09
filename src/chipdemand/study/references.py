"""Evidence beside every answer: independent published estimates of a study's outputs, and bounds.

A study lists, per output, ``[[outputs.NAME.references]]``: a value or a range published by
someone else (never the seed report's own number, which is ``reported``), with its source and
date, the scenario whose question it answers, and a note on how its question differs. A reference
with ``bound = "upper"`` (or ``"lower"``) is a physical bound an answer cannot pass, such as every
accelerator shipped to date. :func:`compare_references` says where each falls in a run's
distribution (its percentile) and whether it is inside the run's interval; a bound is "passed"
when the run's median is beyond it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import StudyError, did_you_mean
from ..units import conversion_factor

__all__ = [
    "Reference",
    "parse_references",
    "compare_references",
    "answered_in",
    "POINT_TOLERANCE",
    "POINT_RTOL",
    "is_point_answer",
    "place",
    "reference_queries",
    "shares_in_draws",
    "REFERENCE_COLUMNS",
    "BOUNDS",
]

#: ``(scenario, output, index into the output's extra dims, value)``: a share of draws to count
Query = tuple[str, str, tuple[int, ...], float]

BOUNDS = ("upper", "lower")
_KEYS = frozenset(
    {
        "value",
        "low",
        "high",
        "unit",
        "source",
        "date",
        "url",
        "scenario",
        "note",
        "coords",
        "bound",
        "tolerance",
    }
)
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")

#: the columns of a comparison (``check --json`` rows; ``run --json`` "references")
REFERENCE_COLUMNS = [
    "study",
    "output",
    "scenario",
    "year",
    "source",
    "date",
    "ref_value",
    "ref_low",
    "ref_high",
    "unit",
    "median",
    "low",
    "high",
    "percentile",
    "difference",
    "inside",
    "bound",
    "passed",
    "note",
    "url",
]


@dataclass(frozen=True)
class Reference:
    """An independent estimate of an output (``value``, or ``low``-``high``), in the output's unit."""

    output: str
    source: str
    date: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    scenario: str | None = None
    note: str = ""
    url: str = ""
    coords: Mapping[str, Any] = field(default_factory=dict)
    bound: str | None = None
    tolerance: float = 0.005  # against a point answer: within this relative difference is inside

    @property
    def point(self) -> float:
        """The value, or the middle of the range (geometric when both ends are positive)."""
        if self.value is not None:
            return self.value
        low, high = float(self.low or 0.0), float(self.high or 0.0)  # set together when no value
        return math.sqrt(low * high) if low > 0 else 0.5 * (low + high)

    def inside(self, low: float, high: float) -> bool:
        """Whether the reference meets the interval ``[low, high]`` (a range: overlaps it)."""
        if self.value is not None:
            return bool(low <= self.value <= high)
        return bool(self.low is not None and self.high is not None and self.low <= high and self.high >= low)


def _number(raw: Mapping[str, Any], key: str, where: str) -> float | None:
    if key not in raw:
        return None
    x = raw[key]
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        raise StudyError(f"expected a number, got {x!r}", key=f"{where}.{key}")
    return float(x)


def _text(raw: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
    x = raw.get(key, "")
    if not isinstance(x, str) or (required and not x.strip()):
        raise StudyError(
            "missing (a text value)" if required else f"expected text, got {x!r}", key=f"{where}.{key}"
        )
    return x.strip()


def _tolerance(entry: Mapping[str, Any], at: str) -> float:
    x = _number(entry, "tolerance", at)
    if x is None:
        return POINT_TOLERANCE
    if not 0 <= x < 1:
        raise StudyError(f"expected a relative tolerance in [0, 1), got {x:g}", key=f"{at}.tolerance")
    return x


def parse_references(
    raw: Any,
    *,
    output: str,
    unit: str,
    scenarios: Sequence[str],
    coords: Mapping[str, Sequence[Any]] | None = None,
    where: str | None = None,
) -> tuple[Reference, ...]:
    """Parse ``[[outputs.OUTPUT.references]]`` (a list of tables) into :class:`Reference` objects.

    Each needs ``source`` and ``date`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) and either
    ``value`` or ``low`` and ``high``; ``unit`` (default: the output's) is converted to the
    output's ``unit``; ``scenario`` must be one of ``scenarios``; ``coords`` picks an element
    of an output with extra dims (``{ year = 2024 }``); ``bound`` is ``"upper"`` or ``"lower"``.
    Every mistake is a :class:`~chipdemand.errors.StudyError` naming the key.
    """
    base = where or f"outputs.{output}.references"
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise StudyError("expected a list of tables ([[...references]])", key=base)
    coords = coords or {}
    out = []
    for i, entry in enumerate(raw):
        at = f"{base}[{i}]"
        for key in entry:
            if key not in _KEYS:
                raise StudyError(f"unknown key '{key}'" + did_you_mean(key, _KEYS), key=f"{at}.{key}")
        source = _text(entry, "source", at, required=True)
        date = _text(entry, "date", at, required=True)
        if not _DATE.match(date):
            raise StudyError(f"expected a date YYYY, YYYY-MM or YYYY-MM-DD, got {date!r}", key=f"{at}.date")
        value, low, high = (_number(entry, k, at) for k in ("value", "low", "high"))
        if (value is None) == (low is None and high is None) or (
            value is None and (low is None or high is None)
        ):
            raise StudyError("give either 'value' or both 'low' and 'high'", key=at)
        if low is not None and high is not None and not low <= high:
            raise StudyError(f"low {low:g} is above high {high:g}", key=f"{at}.low")
        bound = entry.get("bound")
        if bound is not None:
            if bound not in BOUNDS:
                raise StudyError(f"expected 'upper' or 'lower', got {bound!r}", key=f"{at}.bound")
            if value is None:
                raise StudyError("a bound is one 'value'", key=f"{at}.value")
        written = _text(entry, "unit", at) or unit
        factor = conversion_factor(written, unit, key=f"{at}.unit") if written != unit else 1.0
        scenario = entry.get("scenario")
        if scenario is not None and scenario not in scenarios:
            raise StudyError(
                f"unknown scenario {scenario!r}" + did_you_mean(str(scenario), scenarios),
                key=f"{at}.scenario",
            )
        where_at = entry.get("coords", {})
        if not isinstance(where_at, dict):
            raise StudyError(
                f"expected a table such as {{ year = 2024 }}, got {where_at!r}", key=f"{at}.coords"
            )
        for dim, v in where_at.items():
            if dim not in coords:
                raise StudyError(
                    f"{output} has no dimension {dim!r}" + did_you_mean(dim, coords), key=f"{at}.coords.{dim}"
                )
            if v not in list(coords[dim]):
                raise StudyError(f"{v!r} is not among {list(coords[dim])}", key=f"{at}.coords.{dim}")
        missing = [d for d in coords if d not in where_at]
        if missing:
            raise StudyError(
                f"{output} varies over {missing[0]}: say which, e.g. coords = {{ {missing[0]} = ... }}",
                key=f"{at}.coords",
            )
        value, low, high = (None if x is None else x * factor for x in (value, low, high))
        out.append(
            Reference(
                output=output,
                source=source,
                date=date,
                value=value,
                low=low,
                high=high,
                scenario=scenario,
                note=_text(entry, "note", at),
                url=_text(entry, "url", at),
                coords=dict(where_at),
                bound=bound,
                tolerance=_tolerance(entry, at),
            )
        )
    return tuple(out)


#: relative difference within which a reference meets a point answer (three significant digits)
POINT_TOLERANCE = 0.005


def answered_in(ref: Reference, scenarios: Sequence[str], base: str = "base") -> list[str]:
    """The scenarios of a run a reference is placed in: its own scenario; else base for an
    estimate, and every scenario for a physical bound (no answer may pass it). None when the
    run lacks them (a reference is never placed in another scenario's distribution)."""
    if ref.scenario is not None:
        return [ref.scenario] if ref.scenario in scenarios else []
    if ref.bound is not None:
        return list(scenarios)
    return [base] if base in scenarios else []


def compare_references(
    references: Sequence[Reference],
    *,
    study: str,
    scenarios: Sequence[str],
    stats: Callable[[Reference, str], tuple[float, float, float, str]],
    below: Callable[[Reference, str, float], float],
    base: str = "base",
) -> list[dict[str, Any]]:
    """Where each reference falls in a run: one row per reference and scenario it answers
    (:func:`answered_in`).

    ``stats(ref, scenario)`` gives the run's median, low, high and unit of the reference's output
    (at its coords); ``below(ref, scenario, x)`` the share of the run's draws at or below ``x``,
    the reference's percentile. Against a point answer (low = high: a percentile says nothing)
    the row gives ``difference``, the reference ÷ our value − 1 (the middle of a range), and
    ``inside`` means within the reference's ``tolerance`` (default 0.5%); ``percentile`` is None.
    A bound is ``passed`` when our median is beyond it.
    """
    rows = []
    for ref in references:
        for scenario in answered_in(ref, scenarios, base):
            median, low, high, unit = stats(ref, scenario)
            point = is_point_answer(low, high)
            row: dict[str, Any] = {
                "study": study,
                "output": ref.output,
                "scenario": scenario,
                **({"year": ref.coords["year"]} if "year" in ref.coords else {}),
                "source": ref.source,
                "date": ref.date,
                **(
                    {"ref_value": ref.value}
                    if ref.value is not None
                    else {"ref_low": ref.low, "ref_high": ref.high}
                ),
                "unit": unit,
                "median": median,
                "low": low,
                "high": high,
                "percentile": None if point else below(ref, scenario, ref.point),
                "inside": ref.inside(low, high),
            }
            if point and ref.bound is None:
                tol = ref.tolerance
                row["difference"] = ref.point / median - 1 if median else None
                if median > 0:
                    row["inside"] = ref.inside(low * (1 - tol), high * (1 + tol))
            if ref.bound is not None:
                row["bound"] = ref.bound
                row["passed"] = bool(median > ref.point if ref.bound == "upper" else median < ref.point)
            row["note"] = ref.note
            if ref.url:
                row["url"] = ref.url
            rows.append(row)
    return rows


#: a run's interval narrower than this share of its ends is a point answer up to rounding (one
#: formula computed in two orders differs by about 1e-16; a percentile of it would say 0% or 100%)
POINT_RTOL = 1e-9


def is_point_answer(low: float, high: float) -> bool:
    """Whether the interval ``[low, high]`` is one value up to floating-point noise."""
    return not high - low > POINT_RTOL * max(abs(low), abs(high))


def _references_of(study: Any) -> list[Reference]:
    return [r for spec in study.outputs.values() for r in getattr(spec, "references", ())]


def _wanted(study: Any, refs: list[Reference], scenarios: Sequence[str]) -> dict[tuple[int, str], Query]:
    def query(ref: Reference, scenario: str) -> Query:
        dims = study.outputs[ref.output].dims
        index = tuple(list(study.model.coords[d]).index(ref.coords[d]) for d in dims)
        return (scenario, ref.output, index, ref.point)

    return {(id(r), s): query(r, s) for r in refs for s in answered_in(r, scenarios)}


def reference_queries(study: Any, scenarios: Sequence[str]) -> list[Query]:
    """The shares :func:`place` will ask for, known before the run: a run that does not keep
    its draws counts them in its own pass (:func:`chipdemand.analysis.streaming.summarize_plan`)."""
    return list(dict.fromkeys(_wanted(study, _references_of(study), scenarios).values()))


def place(
    study: Any,
    summary: Any,
    scenarios: Sequence[str],
    shares: Callable[[list[Query]], list[float]],
) -> list[dict[str, Any]]:
    """Every reference of ``study`` placed in a run (see :func:`compare_references`).

    ``summary`` is the run's summary Dataset (:func:`chipdemand.summary`); ``shares(queries)``
    counts the share of the run's draws at or below each query's value (:func:`shares_in_draws`
    for draws in memory, :func:`chipdemand.analysis.streaming.share_below` for a streamed run).
    """
    refs = _references_of(study)
    if not refs:
        return []
    wanted = _wanted(study, refs, scenarios)
    queries = list(dict.fromkeys(wanted.values()))
    found = dict(zip(queries, shares(queries), strict=True))

    def stats(ref: Reference, scenario: str) -> tuple[float, float, float, str]:
        da = summary[ref.output].sel(scenario=scenario, **ref.coords)
        return (*(float(da.sel(stat=k)) for k in ("median", "low", "high")), da.attrs.get("unit", ""))

    return compare_references(
        refs,
        study=study.name,
        scenarios=list(scenarios),
        stats=stats,
        below=lambda ref, scenario, x: found[wanted[(id(ref), scenario)]],
    )


def shares_in_draws(res: Any) -> Callable[[list[Query]], list[float]]:
    """``shares`` for :func:`place` from a run whose draws are in memory."""
    import numpy as np

    def shares(queries: list[Query]) -> list[float]:
        out = []
        for scenario, output, index, value in queries:
            at: tuple[slice | int, ...] = (slice(None), *index)  # every draw at the index
            x = np.asarray(res[output].sel(scenario=scenario).values)[at]
            out.append(float(np.mean(x <= value)))
        return out

    return shares
