"""Figures of a run: densities, scenario forest, tornado, exceedance curves and fan charts.

Each function returns a :class:`matplotlib.figure.Figure` built without pyplot (no global figure
state; the Agg canvas renders it headless); :func:`to_png` and :func:`to_data_uri` render one.
Numbers come from the API (:func:`~chipdemand.analysis.summarize`, ``exceedance``, sensitivity).
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator
from numpy.typing import ArrayLike

from ..analysis.summaries import exceedance, outputs_of, summarize
from ..errors import StudyError
from . import format as fmt

if TYPE_CHECKING:  # for annotations only
    from ..analysis.conditioning import Conditioned

__all__ = [
    "density",
    "forest",
    "tornado_chart",
    "exceedance_curve",
    "fan_chart",
    "prior_posterior",
    "side_by_side",
    "pit_histogram",
    "to_png",
    "to_data_uri",
    "WIDE",
]

#: an axis is logarithmic when the plotted values span more than this ratio (two decades)
WIDE = 100.0
REPORTED: dict[str, Any] = dict(color="black", linestyle="--", linewidth=1.2)


# ----------------------------------------------------------------------------- helpers
_TICKS = FuncFormatter(lambda x, _: fmt.number(x))


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _is_wide(values: ArrayLike) -> bool:
    """Positive values spanning more than two decades (plotted on a log axis)."""
    array = np.asarray(values, dtype=float)
    finite = array[np.isfinite(array)]
    if finite.size == 0 or np.any(finite <= 0):
        return False
    return float(finite.max() / finite.min()) > WIDE


_PLAIN = FuncFormatter(lambda x, _: fmt.year(x))
YEAR_UNITS = fmt.YEAR_UNITS


def _scale(ax: Axes, axis: str, wide: bool, unit: str = "") -> None:
    """Log scale for a wide axis; tick labels as people write numbers (100,000 / 1M / 10B).

    Calendar years (unit ``year``) are written plainly (2030, not 2,030).
    """
    target = ax.xaxis if axis == "x" else ax.yaxis
    if wide:
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
        target.set_major_locator(LogLocator(base=10, numticks=6))  # labels never crowd
    if unit in YEAR_UNITS and not wide:
        target.set_major_locator(MaxNLocator(integer=True))  # 2025, 2030: no half years
    target.set_major_formatter(_PLAIN if unit in YEAR_UNITS else _TICKS)


def _scenarios(res: xr.Dataset, scenarios: Sequence[str] | None) -> list[str]:
    names = [str(s) for s in res["scenario"].values]
    if scenarios is None:
        return names
    for s in scenarios:
        if s not in names:
            raise StudyError(f"the run has no scenario {s!r}", key="scenario")
    return list(scenarios)


def _check_output(res: xr.Dataset, output: str) -> None:
    if output not in res:
        raise StudyError(f"no variable {output!r} in the results", key="output")


def _at(res: xr.Dataset, output: str, at: Mapping | None) -> dict:
    """Selection of one element of an output's extra dims (default: the last of each)."""
    at = dict(at or {})
    for d in res[output].dims:
        if d not in ("scenario", "draw") and d not in at:
            at[d] = res[d].values[-1].item()
    return at


def _title(res: xr.Dataset, output: str, at: Mapping) -> str:
    unit = res[output].attrs.get("unit", "")
    where = ", ".join(f"{v}" for v in at.values())
    return f"{output}" + (f" in {where}" if where else "") + (f" ({unit})" if unit else "")


def _draws(res: xr.Dataset, output: str, scenario: str, at: Mapping) -> np.ndarray:
    return np.asarray(res[output].sel(scenario=scenario, **at).values, dtype=float)


def _reported(res: xr.Dataset, output: str) -> float | None:
    value = res[output].attrs.get("reported")
    return None if value is None else float(value)


def _mark_reported(ax: Axes, value: float | None, label: bool = True, unit: str = "") -> None:
    if value is None:
        return
    ax.axvline(value, **REPORTED, label=f"reported {fmt.value(value, unit)}" if label else None)


REFERENCE: dict[str, Any] = dict(color="#1b7f3b", linestyle="-.", linewidth=1.3)
BOUND: dict[str, Any] = dict(color="#b2182b", linestyle=":", linewidth=1.6)


def _applicable(references: Sequence, names: Sequence[str], at: Mapping) -> list:
    """References that answer one of the plotted scenarios' questions at the plotted coords."""
    return [
        r
        for r in references
        if (r.scenario is None or r.scenario in names) and all(at.get(d) == v for d, v in r.coords.items())
    ]


def _span_of(references: Sequence) -> list[float]:
    return [x for r in references for x in (r.value, r.low, r.high) if x is not None]


def _mark_references(ax: Axes, references: Sequence, unit: str = "") -> None:
    """Independent estimates as green dash-dot lines (a range as a green band), physical bounds
    as red dotted lines, each labelled with its source."""
    for r in references:
        label = (
            f"{'bound' if r.bound else 'ref'}: {r.source[:40]}{'…' if len(r.source) > 40 else ''} ({r.date})"
        )
        if r.value is not None:
            ax.axvline(r.value, **(BOUND if r.bound else REFERENCE), label=label)
        else:
            ax.axvspan(r.low, r.high, color=REFERENCE["color"], alpha=0.12, label=label)


def to_png(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def to_data_uri(fig: Figure, dpi: int = 110) -> str:
    """The figure as a ``data:image/png;base64,...`` URI, for a self-contained page."""
    return "data:image/png;base64," + base64.b64encode(to_png(fig, dpi)).decode("ascii")


# ----------------------------------------------------------------------------- figures
def density(
    res: xr.Dataset,
    output: str,
    *,
    ci: float = 0.9,
    scenarios: Sequence[str] | None = None,
    at: Mapping | None = None,
    bins: int = 80,
    references: Sequence = (),
) -> Figure:
    """Histogram density of ``output`` per scenario, each with its median and ``ci`` interval.

    The report's printed value is a dashed vertical line; ``references``
    (:class:`chipdemand.study.references.Reference`) are green dash-dot lines or bands, physical
    bounds red dotted lines. The x axis is logarithmic when the
    central 99.8% of the draws spans more than two decades (densities are then per unit of
    log10 x, so the areas still read as probabilities).
    """
    _check_output(res, output)
    names = _scenarios(res, scenarios)
    at = _at(res, output, at)
    draws = {s: _draws(res, output, s, at) for s in names}
    pooled = np.concatenate(list(draws.values()))
    lo, hi = np.quantile(pooled, [0.001, 0.999])
    reported = _reported(res, output)
    references = _applicable(references, names, at)
    wide = _is_wide([lo, hi])
    if wide:
        edges = np.geomspace(lo, hi, bins + 1)
        widths = np.diff(np.log10(edges))
    else:
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, bins + 1)
        widths = np.diff(edges)
    table = summarize(res.sel(scenario=names, **at), ci=ci, variables=[output])
    fig = _figure(7.0, 3.6)
    ax = fig.add_subplot()
    top = 0.0
    colours = {s: f"C{i}" for i, s in enumerate(names)}
    for s, x in draws.items():
        if np.ptp(x) <= 1e-12 * abs(float(x[0])):  # a fixed value: a line, not a spike
            ax.axvline(float(x[0]), color=colours[s], linestyle=":", linewidth=1.5, label=f"{s} (fixed)")
            continue
        counts, _ = np.histogram(x, edges)
        height = counts / (x.size * widths)
        ax.stairs(height, edges, fill=True, alpha=0.25, color=colours[s])
        ax.stairs(height, edges, color=colours[s], linewidth=1.2, label=s)
        top = max(top, float(height.max()))
    top = top or 1.0
    for i, s in enumerate(names):  # the intervals, stacked above the histograms
        row = table[table["scenario"] == s].iloc[0]
        y = top * (1.08 + 0.07 * i)
        ax.plot([row["low"], row["high"]], [y, y], color=colours[s], linewidth=2.5, solid_capstyle="butt")
        ax.plot([row["median"]], [y], "o", color=colours[s], markersize=5)
    _mark_reported(ax, reported, unit=res[output].attrs.get("unit", ""))
    _mark_references(ax, references)
    if wide and references:  # keep every reference in view (a log axis shows them all)
        shown = [x for x in _span_of(references) if x > 0]
        ax.set_xlim(min([lo, *shown]) / 1.5, max([hi, *shown]) * 1.5)
    _scale(ax, "x", wide, res[output].attrs.get("unit", ""))
    ax.set_ylim(0, top * (1.15 + 0.07 * len(names)))
    ax.set_yticks([])
    ax.set_ylabel("density" + (" (per decade)" if wide else ""))
    ax.set_xlabel(res[output].attrs.get("unit", ""))
    ax.set_title(f"{_title(res, output, at)}: median and {ci:.0%} interval per scenario", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    return fig


def forest(
    res: xr.Dataset,
    outputs: Sequence[str] | None = None,
    *,
    ci: float = 0.9,
    table: pd.DataFrame | None = None,
    at: Mapping | None = None,
) -> Figure:
    """Median and ``ci`` interval of each scenario, one panel per output; reported values dashed.

    ``table`` is a :func:`~chipdemand.analysis.summarize` table of the run, when one is at hand.
    """
    outputs = list(outputs) if outputs is not None else outputs_of(res)
    for o in outputs:
        _check_output(res, o)
    if table is None:
        table = summarize(res, ci=ci, variables=outputs)
    names = [str(s) for s in res["scenario"].values]
    cols = 2 if len(outputs) > 2 else 1
    rows = -(-len(outputs) // cols)
    fig = _figure(7.0 if cols == 2 else 6.0, rows * (0.35 * len(names) + 1.0) + 0.2)
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, output in enumerate(outputs):
        ax = axes[k // cols][k % cols]
        where = _at(res, output, at)
        sel = table[table["variable"] == output]
        if "year" in where and "year" in sel:
            sel = sel[sel["year"] == where["year"]]
        y = np.arange(len(names))[::-1]
        vals = []
        for yi, s in zip(y, names, strict=True):
            row = sel[sel["scenario"] == s].iloc[0]
            ax.plot([row["low"], row["high"]], [yi, yi], color="C0", linewidth=2.5, solid_capstyle="butt")
            ax.plot([row["median"]], [yi], "o", color="C3", markersize=5)
            vals += [row["low"], row["high"]]
        reported = _reported(res, output)
        _mark_reported(ax, reported, label=False)
        _scale(ax, "x", _is_wide(vals + ([reported] if reported else [])), res[output].attrs.get("unit", ""))
        ax.set_yticks(y, names if k % cols == 0 else [""] * len(names), fontsize=8)
        ax.set_ylim(-0.6, len(names) - 0.4)
        ax.tick_params(axis="x", labelsize=8)
        ax.set_title(_title(res, output, where), fontsize=9)
    for k in range(len(outputs), rows * cols):
        axes[k // cols][k % cols].set_visible(False)
    fig.suptitle(f"Scenarios: median (dot) and {ci:.0%} interval; dashed: the report's value", fontsize=10)
    return fig


def tornado_chart(table: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Tornado chart of a ``sensitivity(..., method="tornado")`` table.

    Each bar spans the output with one input at its low quantile (blue side) and at its high
    quantile (orange side), the others at their medians; the vertical line is the output with
    every input at its median. Inputs with the largest swing on top, on a linear axis so that
    bar lengths follow the ranking (on a log axis a large ratio below the centre would look
    larger than a larger swing above it).
    """
    if not {"low", "high", "centre", "input_low", "input_high"} <= set(table.columns):
        raise StudyError("expected a tornado table (sensitivity(..., method='tornado'))", key="table")
    output = table.attrs.get("output", "output")
    unit = table.attrs.get("unit", "")
    labels = table.attrs.get("labels", {})
    still = table[~(table["swing"] > 0)]
    table = table[table["swing"] > 0].sort_values("swing", ascending=True, kind="stable")
    fig = _figure(7.0, 0.42 * len(table) + 1.9)
    ax = fig.add_subplot()
    centre = float(table["centre"].iloc[0]) if len(table) else 0.0
    y = np.arange(len(table))
    for yi, (_, row) in zip(y, table.iterrows(), strict=True):
        for end, colour in (("low", "C0"), ("high", "C1")):
            value = float(row[end])
            ax.barh(
                yi,
                value - centre,
                left=centre,
                color=colour,
                height=0.6,
                label=("input at its low quantile" if end == "low" else "input at its high quantile")
                if yi == 0
                else None,
            )
    ax.axvline(centre, color="black", linewidth=1)
    labels = [
        f"{r['input']}  ({fmt.ends(r['input_low'], r['input_high'], labels.get(r['input']))})"
        for _, r in table.iterrows()
    ]
    ax.set_yticks(y, labels, fontsize=8)
    _scale(ax, "x", False, unit)  # linear, so bar lengths follow the ranking by swing
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4))  # long labels (250,000) never run together
    ax.set_xlabel(unit, fontsize=9)
    # inputs that move nothing: with the legend, wrapped to the figure's width (not the axes')
    none = textwrap.fill(f"no effect: {', '.join(still['input'])}", 110) if len(still) else None
    fig.suptitle(
        title or f"What moves {output}: one input at a time, the others at their medians", fontsize=10
    )
    if len(table):
        legend = fig.legend(fontsize=8, frameon=False, loc="outside lower center", ncols=2, title=none)
        legend.get_title().set_fontsize(8)
    elif none:
        fig.supxlabel(none, fontsize=8)
    return fig


def exceedance_curve(
    res: xr.Dataset,
    output: str,
    *,
    scenarios: Sequence[str] | None = None,
    at: Mapping | None = None,
    points: int = 300,
    references: Sequence = (),
) -> Figure:
    """``P(output > x)`` against ``x`` per scenario, with the report's value and ``references``
    (independent estimates, physical bounds) marked."""
    _check_output(res, output)
    names = _scenarios(res, scenarios)
    at = _at(res, output, at)
    sub = res.sel(scenario=names, **at)
    pooled = np.concatenate([_draws(res, output, s, at) for s in names])
    lo, hi = np.quantile(pooled, [0.0005, 0.9995])
    reported = _reported(res, output)
    references = _applicable(references, names, at)
    span = [lo, hi] + ([reported] if reported else []) + _span_of(references)
    wide = _is_wide(span)
    lo, hi = min(span), max(span)
    grid = np.geomspace(lo, hi, points) if wide else np.linspace(lo, hi, points)
    p = exceedance(sub, output, grid)
    fig = _figure(7.0, 3.4)
    ax = fig.add_subplot()
    for s in names:
        ax.plot(grid, p.sel(scenario=s).values, linewidth=1.5, label=s)
    if reported is not None:
        ax.axvline(reported, **REPORTED)
        chance = float(exceedance(sub, output, [reported]).sel(scenario=names[0]).values[0])
        ax.annotate(
            f"reported {fmt.number(reported)}\nP(> reported) = {chance:.2f} ({names[0]})",
            (reported, 0.03),
            xytext=(4, 0),
            textcoords="offset points",
            va="bottom",
            fontsize=8,
        )
    _mark_references(ax, references)
    _scale(ax, "x", wide, res[output].attrs.get("unit", ""))
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("P(exceeded)")
    ax.set_xlabel(res[output].attrs.get("unit", ""))
    ax.grid(alpha=0.3)
    ax.set_title(f"{_title(res, output, at)}: chance of exceeding each value", fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    return fig


def fan_chart(
    res: xr.Dataset,
    output: str,
    *,
    levels: Sequence[float] = (0.5, 0.9),
    scenarios: Sequence[str] | None = None,
    dim: str = "year",
    bands: Sequence[str] | None = None,
) -> Figure:
    """Median and nested credible bands of ``output`` over ``dim`` (years), per scenario.

    ``bands`` names the scenarios drawn with their bands (default: all of them when there are
    at most two, else the first only, so overlapping fans stay readable); the others get
    their median line.
    """
    _check_output(res, output)
    if dim not in res[output].dims:
        raise StudyError(f"{output} has no {dim!r} dimension to draw a fan chart over", key="output")
    names = _scenarios(res, scenarios)
    extra = [d for d in res[output].dims if d not in ("scenario", "draw", dim)]
    sub = res[[output]].sel(scenario=names).isel({d: -1 for d in extra})
    tables = {lv: summarize(sub, ci=lv, variables=[output]) for lv in sorted(levels, reverse=True)}
    if bands is None:
        bands = names if len(names) <= 2 else names[:1]
    fig = _figure(7.0, 3.8)
    ax = fig.add_subplot()
    values = []
    for i, s in enumerate(names):
        colour = f"C{i}"
        for k, (lv, table) in enumerate(tables.items()):
            rows = table[table["scenario"] == s].sort_values(dim)
            if s in bands:
                ax.fill_between(
                    rows[dim],
                    rows["low"],
                    rows["high"],
                    color=colour,
                    alpha=0.15 + 0.15 * k,
                    linewidth=0,
                    label=f"{s} {lv:.0%}",
                )
                values += list(rows["low"]) + list(rows["high"])
        values += list(rows["median"])
        ax.plot(rows[dim], rows["median"], color=colour, linewidth=1.8, label=f"{s} median")
    reported = _reported(res, output)
    if reported is not None:
        ax.axhline(reported, **REPORTED, label=f"reported {fmt.number(reported)}")
    _scale(ax, "y", _is_wide(values), res[output].attrs.get("unit", ""))
    ax.set_xlabel(dim)
    ax.set_ylabel(res[output].attrs.get("unit", ""))
    shown = " and ".join(f"{lv:.0%}" for lv in sorted(levels))
    whose = "" if len(bands) == len(names) else f" ({', '.join(bands)})"
    ax.set_title(f"{output} over {dim}s: medians, {shown} bands{whose}", fontsize=10)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, frameon=False)
    return fig


def prior_posterior(conditioned: Conditioned, variable: str, scenario: str, *, bins: int = 60) -> Figure:
    """The prior and the posterior of one variable in one scenario of a conditioned run.

    ``conditioned`` is a :class:`chipdemand.analysis.conditioning.Conditioned`; the posterior histogram is
    the prior draws weighted by their importance weights. An observation of this variable is a
    green band (its range) with its value.
    """
    run = conditioned.run
    _check_output(run, variable)
    x = np.asarray(run[variable].sel(scenario=scenario).values, dtype=float)
    if x.ndim > 1:
        x = x[..., -1]  # over years: the last year
    w = np.exp(np.asarray(conditioned.log_weight.sel(scenario=scenario).values, dtype=float))
    lo, hi = np.quantile(x, [0.001, 0.999])
    wide = _is_wide([lo, hi])
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.geomspace(lo, hi, bins + 1) if wide else np.linspace(lo, hi, bins + 1)
    widths = np.diff(np.log10(edges)) if wide else np.diff(edges)
    prior, _ = np.histogram(x, edges)
    post, _ = np.histogram(x, edges, weights=w)
    fig = _figure(7.0, 3.2)
    ax = fig.add_subplot()
    ax.stairs(prior / (x.size * widths), edges, color="C7", fill=True, alpha=0.35, label="prior")
    ax.stairs(post / (w.sum() * widths), edges, color="C3", linewidth=1.6, label="posterior")
    for o in conditioned.observations.values():
        if o.target == variable and o.applies_to(scenario):
            ax.axvspan(*o.ci, color=REFERENCE["color"], alpha=0.12, label=f"observed {fmt.number(o.value)}")
            ax.axvline(o.value, **REFERENCE)
    unit = run[variable].attrs.get("unit", "")
    _scale(ax, "x", wide, unit)
    ax.set_yticks([])
    ax.set_xlabel(unit)
    ax.set_ylabel("density" + (" (per decade)" if wide else ""))
    ax.set_title(f"{variable} ({scenario}): prior and posterior given the observations", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    return fig


def side_by_side(
    rows: Mapping[str, tuple[xr.Dataset, str]],
    outputs: Sequence[str],
    *,
    ci: float = 0.9,
) -> Figure:
    """Runs side by side (e.g. a study and the study it extends): median and ``ci`` interval of
    each shared output, one panel per output, one row per ``label: (run, scenario)``."""
    labels = list(rows)
    cols = 2 if len(outputs) > 2 else 1
    n_rows = -(-len(outputs) // cols)
    fig = _figure(7.0 if cols == 2 else 6.0, n_rows * (0.35 * len(labels) + 1.0) + 0.3)
    axes = fig.subplots(n_rows, cols, squeeze=False)
    lo_p, hi_p = (1 - ci) / 2, (1 + ci) / 2
    first = rows[labels[0]][0]
    for k, output in enumerate(outputs):
        ax = axes[k // cols][k % cols]
        y = np.arange(len(labels))[::-1]
        values = []
        for yi, label in zip(y, labels, strict=True):
            res, scenario = rows[label]
            x = np.asarray(res[output].sel(scenario=scenario, **_at(res, output, None)).values, dtype=float)
            low, median, high = np.quantile(x, [lo_p, 0.5, hi_p])
            ax.plot(
                [low, high], [yi, yi], color=f"C{len(labels) - 1 - yi}", linewidth=2.5, solid_capstyle="butt"
            )
            ax.plot([median], [yi], "o", color="C3", markersize=5)
            values += [low, high]
        _scale(ax, "x", _is_wide(values), first[output].attrs.get("unit", ""))
        ax.set_yticks(y, labels if k % cols == 0 else [""] * len(labels), fontsize=8)
        ax.set_ylim(-0.6, len(labels) - 0.4)
        ax.tick_params(axis="x", labelsize=8)
        ax.set_title(_title(first, output, _at(first, output, None)), fontsize=9)
    for k in range(len(outputs), n_rows * cols):
        axes[k // cols][k % cols].set_visible(False)
    fig.suptitle(f"Side by side: median (dot) and {ci:.0%} interval", fontsize=10)
    return fig


def pit_histogram(
    pit: Sequence[float] | Mapping[str, Sequence[float]],
    *,
    nominal: float = 0.9,
    bins: int = 10,
    title: str | None = None,
) -> Figure:
    """The references' percentiles in our draws as a histogram (a PIT histogram).

    Flat when our intervals are calibrated, piled at the ends when they are over-confident
    (too narrow), heaped in the middle when they are under-confident. ``pit`` is one list of
    percentiles in [0, 1], or a mapping ``study -> percentiles`` stacked by study. The shaded
    ends lie outside the central ``nominal`` interval; the dashed line is the count each bin
    would hold were the percentiles uniform.
    """
    given = dict(pit) if isinstance(pit, Mapping) else {"": list(pit)}
    groups = {k: np.clip(np.asarray(v, dtype=float), 0.0, 1.0) for k, v in given.items() if len(v)}
    n = sum(v.size for v in groups.values())
    edges = np.linspace(0.0, 1.0, bins + 1)
    fig = _figure(6.4, 3.2)
    ax = fig.add_subplot()
    tail = (1.0 - nominal) / 2.0
    ax.axvspan(0.0, tail, color="C3", alpha=0.1)
    ax.axvspan(1.0 - tail, 1.0, color="C3", alpha=0.1, label=f"outside our {nominal:.0%} interval")
    bottom = np.zeros(bins)
    for k, (label, values) in enumerate(groups.items()):
        counts, _ = np.histogram(values, edges)
        ax.bar(
            edges[:-1],
            counts,
            width=np.diff(edges),
            bottom=bottom,
            align="edge",
            color=f"C{k % 10}",
            edgecolor="white",
            linewidth=0.6,
            label=label or None,
        )
        bottom += counts
    if n:
        ax.axhline(n / bins, color="black", linestyle="--", linewidth=1.0, label="uniform (calibrated)")
    ax.set_xlim(0.0, 1.0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("percentile of the reference among our draws")
    ax.set_ylabel("references")
    ax.set_title(title or f"Where {n} independent estimates fall in our distributions", fontsize=10)
    ax.legend(fontsize=7, frameon=False, ncol=2 if len(groups) > 3 else 1)
    return fig
