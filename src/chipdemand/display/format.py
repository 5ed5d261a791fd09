"""Numbers for people: one set of rules for the terminal tables, the HTML report and the plots.

Every number a person reads goes through :func:`number` (16,204 / 403M / 3.431B / 0.35), every
calendar year through :func:`year` (2029, never 2,029), every interval through :func:`interval`
and every Monte Carlo error through :func:`relative_mcse`, so the three places print the same
digits. Nothing here imports numpy: the command line formats without loading it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "DASH",
    "YEAR_UNITS",
    "number",
    "year",
    "value",
    "interval",
    "ratio",
    "relative_mcse",
    "reference_value",
    "mcse_text",
    "table",
    "position",
    "ends",
]

DASH = "—"
#: units whose values are calendar years (printed plainly: 2029, not 2,029)
YEAR_UNITS = frozenset({"year", "yr", "a"})
_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"))


def _missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def number(x: Any) -> str:
    """A number as people write it, to four significant digits.

    Whole thousands in full below a million (16,204), then M, B and T (403M, 3.431B), plain
    below a thousand (0.35, 12.5), scientific outside [0.01, 1e15) (8.294e+16); ``None`` and
    NaN are a dash.

    Examples
    --------
    >>> number(16204), number(4.03e8), number(0.35), number(999_999_999.9), number(None)
    ('16,204', '403M', '0.35', '1B', '—')
    """
    if _missing(x):
        return DASH
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        return "0"
    size = abs(x)
    if size < 1e-2 or size >= 1e15:
        return f"{x:.4g}"
    if float(f"{size:.4g}") < 1e3:
        return f"{x:.4g}"
    if float(f"{size:.6g}") < 1e6:
        return f"{x:,.0f}"
    for scale, suffix in _SUFFIXES:
        if float(f"{size:.4g}") >= scale:  # round first: 999,999,999.99 is 1B, not 1000M
            return f"{x / scale:.4g}{suffix}"
    return f"{x:,.0f}"  # pragma: no cover - every size >= 1e6 has a suffix


def year(x: Any) -> str:
    """A calendar year plainly: ``2029``, ``2029.5`` (a median between two years)."""
    return DASH if _missing(x) else f"{float(x):.6g}"


def value(x: Any, unit: str = "") -> str:
    """A value in ``unit``: a calendar year plainly, anything else by :func:`number`."""
    return year(x) if unit in YEAR_UNITS else number(x)


def interval(low: Any, high: Any, unit: str = "") -> str:
    """``low – high`` with both ends written alike."""
    return f"{value(low, unit)} – {value(high, unit)}"


def ratio(x: Any) -> str:
    """A ratio of two outputs: ``×2.583``."""
    return DASH if _missing(x) else f"×{float(x):.4g}"


def relative_mcse(row: Mapping[str, Any]) -> float:
    """The largest MCSE of low, median and high relative to its value (0 where a value is 0)."""
    worst = 0.0
    for q in ("low", "median", "high"):
        v: Any = row.get(q)
        err: Any = row.get(f"mcse_{q}")
        if not _missing(v) and not _missing(err) and float(v) != 0:
            worst = max(worst, abs(float(err) / float(v)))
    return worst


def mcse_text(row: Mapping[str, Any]) -> str:
    """:func:`relative_mcse` as people read it: ``±0.4%``, ``±0.05%``; ``±0.4%, tie`` or ``tie``
    where a quantile falls on a tie (a discrete output) and its error is unknown (NaN), not 0."""
    worst = relative_mcse(row)
    shown = f"±{worst:.1%}" if worst >= 0.001 else f"±{worst:.2%}"
    tied = [
        q for q in ("low", "median", "high") if not _missing(row.get(q)) and _missing(row.get(f"mcse_{q}"))
    ]
    if not tied:
        return shown
    measured = [q for q in ("low", "median", "high") if q not in tied and not _missing(row.get(q))]
    return f"{shown}, tie" if measured and worst > 0 else "tie"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, left: int = 2) -> str:
    """A plain-text table: the first ``left`` columns left-aligned, the others right-aligned."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        cells = [
            c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def reference_value(row: Mapping[str, Any]) -> str:
    """A reference's value as tables print it: ``1.2M``, ``≤ 1.2M`` for an upper bound, ``≥``
    for a lower one, or its range ``1M – 2M``."""
    if "ref_value" in row:
        shown = value(row["ref_value"], row["unit"])
        return {"upper": f"≤ {shown}", "lower": f"≥ {shown}"}.get(row.get("bound") or "", shown)
    return interval(row["ref_low"], row["ref_high"], row["unit"])


def position(row: Mapping[str, Any]) -> str:
    """A reference's place in our distribution, for tables: its percentile, or against a point
    answer (a scenario that fixes every input) its relative difference, e.g. 'point +2.4%'."""
    if row.get("percentile") is not None:
        return f"{100 * row['percentile']:.0f}%"
    d = row.get("difference")
    return "point" if d is None else f"point {100 * d:+.1f}%"


def ends(low: Any, high: Any, labels: Sequence[str] | None = None, arrow: str = " → ") -> str:
    """An input's two ends, e.g. ``20B → 175B``; a structural choice's by its labels (its
    values are codes: 0 → 1 is ``latency → roofline``)."""
    if labels:
        return f"{labels[int(round(low))]}{arrow}{labels[int(round(high))]}"
    return f"{number(low)}{arrow}{number(high)}"
