"""Summaries of a run, xarray first: intervals with their Monte Carlo error, comparison, exceedance.

The kernels are in :mod:`chipdemand.kernels.stats` (plain arrays); this layer wraps them for labelled
data, as arviz-stats does. :func:`summary` reduces each variable's ``draw`` dimension to a
``stat`` dimension (:data:`~chipdemand.kernels.stats.STATS`: mean, median, low, high and the MCSE of each),
keeping its other dims and attributes; :func:`table` turns that into the rows people read (and
``run --json`` prints); ``res.chipdemand.summary()`` and friends are the same calls as a Dataset
accessor. In-memory and dask-backed Datasets give the same numbers, and so do runs streamed
block by block (:mod:`chipdemand.analysis.streaming`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .. import validate
from ..errors import StudyError
from ..execution import DaskCollections, Executor, executor_for, map_ordered
from ..kernels.sampling import BLOCK
from ..kernels.stats import (
    STATS,
    StreamingQuantiles,
    block_sums,
    exact_mean,
    exact_quantiles,
    hdi_bounds,
    hdi_intervals,
    mcse_hdi,
    share_above,
    summary_probabilities,
    summary_row,
)

__all__ = [
    "COLUMNS",
    "outputs_of",
    "summary",
    "summarize",
    "table",
    "summary_dataset",
    "check_finite",
    "two_passes",
    "compare",
    "EQUAL_RTOL",
    "exceedance",
    "worst_relative_mcse",
]

#: the columns of a summary table, as ``run --json`` prints its rows (``year`` after ``variable``
#: where some output has years)
COLUMNS = [
    "scenario",
    "variable",
    "unit",
    "mean",
    "median",
    "low",
    "high",
    "reported",
    "mcse_low",
    "mcse_median",
    "mcse_high",
]


def outputs_of(res: xr.Dataset) -> list[str]:
    """Names of the output variables of a run, in study order."""
    return [str(v) for v in res.data_vars if res[v].attrs.get("role") == "output"]


def _where(res: xr.Dataset | None) -> str | None:
    if res is None:
        return None
    return res.attrs.get("study_path") or res.attrs.get("study")


def check_finite(stats: np.ndarray, var: str, file: str | None) -> None:
    # mean and quantiles (the first four of STATS); an MCSE is NaN where its quantile is on a tie
    if not np.all(np.isfinite(stats[..., :4])):
        raise StudyError(
            f"{var} has non-finite draws (a division by zero or an overflow in the model; "
            "check the inputs' ranges)",
            file=file,
            key=f"outputs.{var}",
        )


# ----------------------------------------------------------------------------- kernels, mapped
def _row_stats(row: np.ndarray, probs: np.ndarray) -> tuple[float, np.ndarray]:
    n = row.shape[-1]
    return float(exact_mean(block_sums(row)[None], n)[0]), exact_quantiles(row, probs)


def _in_memory(
    rows: np.ndarray, probs: np.ndarray, threads: int | None, executor: Executor | None
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and quantiles of every row (draws on the last axis), rows run by the executor."""
    flat = rows.reshape(-1, rows.shape[-1])
    with executor_for(1 if len(flat) == 1 else threads, executor) as ex:
        done = list(map_ordered(lambda r: _row_stats(r, probs), flat, ex))
    mean = np.array([m for m, _ in done]).reshape(rows.shape[:-1])
    quant = np.array([q for _, q in done]).reshape(*rows.shape[:-1], len(probs))
    return mean, quant


def two_passes(
    first: dict[Any, np.ndarray],
    n: int,
    probs: np.ndarray,
    blocks: Sequence[Any] | range,
    read: Callable[[Any], dict[Any, np.ndarray]],
    executor: Executor | None,
    progress: Callable[[Any], None] | None = None,
    *,
    tally: Callable[[Any], np.ndarray] | None = None,
    tallied: list[np.ndarray] | None = None,
) -> dict[Any, tuple[float, np.ndarray]]:
    """Mean and exact quantiles of many series given block by block, in bounded memory.

    ``read(block)`` returns ``{series: draws of that block}``; ``first`` is the first block's
    (it fixes the histogram bins). Two passes over the blocks through the executor (see
    :class:`~chipdemand.kernels.stats.StreamingQuantiles`); ``progress(block)`` after each block of each pass.
    ``tally(data)``, if given, counts something more in each block's data during the first pass
    (an integer array, e.g. draws below reference values); the blocks' sum is appended to
    ``tallied``. An executor with ``blocks_per_task`` (:class:`~chipdemand.execution.ForkedProcesses`)
    is given that many blocks a task and returns their merged histograms, shipped once.
    """
    acc = {k: StreamingQuantiles(n, probs, v) for k, v in first.items()}
    per_task = max(1, int(getattr(executor, "blocks_per_task", 1)))

    def run(
        pass_: Callable[[StreamingQuantiles, np.ndarray], None], more: Callable[[Any], np.ndarray] | None
    ) -> dict[Any, StreamingQuantiles]:
        empty = {k: a.spawn() for k, a in acc.items()}  # what a block's work carries: no bins' arrays

        def work(task: Sequence[Any]) -> tuple[dict[Any, StreamingQuantiles], np.ndarray | None]:
            part = {k: a.spawn() for k, a in empty.items()}
            count = None
            for block in task:
                data = read(block)
                for k, a in part.items():
                    pass_(a, data[k])
                if more is not None:
                    found = more(data).astype(np.int64)
                    count = found if count is None else count + found
            return part, count

        # the tasks, made as they are consumed (a range of a billion blocks stays lazy): one copy
        # for the executor, one for progress, at most its window apart
        given, done = itertools.tee(blocks[i : i + per_task] for i in range(0, len(blocks), per_task))
        total, counts = None, None
        for task, (part, count) in zip(done, map_ordered(work, given, executor), strict=False):
            total = part if total is None else {k: total[k].merge(part[k]) for k in total}
            if count is not None:
                counts = count if counts is None else counts + count
            if progress is not None:
                for block in task:
                    progress(block)
        if total is None:
            raise ValueError("no blocks to summarize")
        if counts is not None and tallied is not None:
            tallied.append(counts)
        return total

    counted = run(lambda a, x: a.count(0, x), tally)
    for k, a in acc.items():
        a.counts, a.total = counted[k].counts, counted[k].total
        a.target_bins()
    kept = run(lambda a, x: a.collect(0, x), None)
    for k, a in acc.items():
        a.kept = kept[k].kept
    return {k: a.result() for k, a in acc.items()}


def _dask_rows(arrays: dict[str, Any], probs: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Mean and quantiles of the rows (draws last) of several dask arrays of one run, computed
    by dask on fixed blocks: each block of every array in one computation, so the simulation
    they share runs once per block and pass, not once per variable."""
    import dask

    flats = {v: a.reshape(-1, a.shape[-1]).rechunk({0: -1, 1: BLOCK}) for v, a in arrays.items()}
    any_flat = next(iter(flats.values()))
    blocks = [tuple(f.blocks[0, b] for f in flats.values()) for b in range(len(any_flat.chunks[1]))]

    def read(block: tuple[np.ndarray, ...]) -> dict[tuple[str, int], np.ndarray]:
        return {(v, i): row for v, rows in zip(flats, block, strict=True) for i, row in enumerate(rows)}

    out = two_passes(
        read(dask.compute(*blocks[0])), any_flat.shape[1], probs, blocks, read, DaskCollections()
    )
    results = {}
    for v, a in arrays.items():
        n = flats[v].shape[0]
        mean = np.array([out[v, i][0] for i in range(n)]).reshape(a.shape[:-1])
        quant = np.array([out[v, i][1] for i in range(n)]).reshape(*a.shape[:-1], len(probs))
        results[v] = (mean, quant)
    return results


def _rows(da: xr.DataArray) -> xr.DataArray:
    """A variable with its draws last."""
    return da.transpose(*(d for d in da.dims if d != "draw"), "draw")


def _hdi(x: np.ndarray, ci: float, stats: np.ndarray) -> tuple[np.ndarray, dict]:
    """``stats`` with low/high the HDI bounds and their honest MCSE (a smoothed bootstrap,
    :func:`chipdemand.kernels.stats.mcse_hdi`), and the highest-density region of every series whose
    draws have several modes (:func:`chipdemand.kernels.stats.hdi_intervals`): ``{index: [[low, high],
    ...]}``."""
    bounds = hdi_bounds(x, ci)
    errors = mcse_hdi(x, ci)
    stats = stats.copy()
    stats[..., 2:4] = bounds
    stats[..., 4] = errors[..., 0]
    stats[..., 6] = errors[..., 1]
    regions = hdi_intervals(x, ci)
    several = {}
    for index in np.ndindex(*x.shape[:-1]):
        found = regions[index]
        found = found[~np.isnan(found[:, 0])]
        if len(found) > 1:
            several[index] = found.tolist()
    return stats, several


# ----------------------------------------------------------------------------- summary
def _label(rows: xr.DataArray, dims: Sequence[str], index: tuple[int, ...]) -> str:
    """A series' coordinates as text: ``base`` or ``base, 2030``."""
    return ", ".join(str(rows[d].values[i].item()) for d, i in zip(dims, index, strict=True))


def summary_dataset(
    stats: dict[str, np.ndarray],
    variables: dict[str, tuple[tuple[str, ...], dict[str, Any]]],
    coords: dict[str, Any],
    attrs: dict[str, Any],
) -> xr.Dataset:
    """The summary Dataset from arrays of :data:`~chipdemand.kernels.stats.STATS` (last axis) per variable.

    ``variables`` gives each variable's dims without ``draw`` and its attributes.
    """
    data = {}
    for var, values in stats.items():
        dims, var_attrs = variables[var]
        data[var] = xr.DataArray(
            values,
            dims=(*dims, "stat"),
            coords={d: coords[d] for d in dims if d in coords},
            attrs={
                k: v
                for k, v in var_attrs.items()
                if k in ("unit", "role", "reported", "description", "hdi_regions")
            },
        )
    return xr.Dataset(data, coords={"stat": list(STATS)}, attrs=attrs)


def summary(
    res: xr.Dataset,
    ci: float = 0.9,
    interval: str = "eti",
    variables: Sequence[str] | None = None,
    *,
    threads: int | None = None,
    executor: Executor | None = None,
) -> xr.Dataset:
    """Mean, median and credible interval of each output per scenario, with their MCSE.

    Parameters
    ----------
    res : xarray.Dataset
        A run from :func:`chipdemand.simulate` (in memory or dask-backed).
    ci : float
        Probability mass of the interval (0.9: from the 5th to the 95th percentile).
    interval : {"eti", "hdi"}
        Equal-tailed interval, or highest-density interval (arviz-stats; needs the draws in memory).
    variables : list of str, optional
        Variables to summarize (default: the outputs).
    threads : int, optional
        Worker threads over the series (default: the machine's cores).
    executor : Executor, optional
        Run the series with this executor instead (see :mod:`chipdemand.execution`).

    Returns
    -------
    xarray.Dataset
        One variable per summarized variable, its ``draw`` dim replaced by ``stat``
        (:data:`~chipdemand.kernels.stats.STATS`). The MCSE of a quantile is the order-statistic estimate
        for independent draws (conservative for LHS and Sobol). Attributes: ``ci``,
        ``interval``, ``draws`` and the run's provenance.
    """
    ci = validate.ci(ci)
    interval = validate.interval(interval)
    names = outputs_of(res) if variables is None else [str(v) for v in variables]
    for var in names:
        validate.output(res.data_vars, var, key="variables", what="variable", file=_where(res))
    n = res.sizes["draw"]
    probs = summary_probabilities(ci, n)
    stats, layout = {}, {}
    chunked = [var for var in names if res[var].chunks is not None] if interval == "eti" else []
    # dask-backed variables are summarized together (see _dask_rows)
    lazy = _dask_rows({var: _rows(res[var]).data for var in chunked}, probs) if chunked else {}
    for var in names:
        da = res[var]
        others = tuple(str(d) for d in da.dims if d != "draw")
        rows = _rows(da)
        if var in lazy:
            mean, quant = lazy[var]
        else:
            mean, quant = _in_memory(np.asarray(rows.values), probs, threads, executor)
        values = summary_row(mean, quant)
        check_finite(values, var, _where(res))
        attrs = dict(da.attrs)
        if interval == "hdi":
            values, several = _hdi(np.asarray(rows.values), ci, values)
            if several:  # where the draws have several modes: the union of intervals
                attrs["hdi_regions"] = {
                    _label(rows, others, index): region for index, region in several.items()
                }
        stats[var] = values
        layout[var] = (others, attrs)
    coords = {str(d): res[d].values for d in res.coords if d != "draw"}
    attrs = {**res.attrs, "ci": ci, "interval": interval, "draws": n}
    return summary_dataset(stats, layout, coords, attrs)


def table(summary: xr.Dataset) -> pd.DataFrame:
    """The rows people read: one per scenario, variable (and year), in run and study order.

    Columns :data:`COLUMNS` (with ``year`` after ``variable`` where some variable has years,
    ``<NA>`` for the others).
    """
    rows = []
    has_year = False
    for var in summary.data_vars:
        da = summary[var]
        others = [d for d in da.dims if d != "stat"]
        has_year |= "year" in others
        values = da.transpose(*others, "stat").values
        reported = da.attrs.get("reported")
        for index in np.ndindex(*values.shape[:-1]):
            row: dict[Hashable, Any] = {d: da[d].values[i].item() for d, i in zip(others, index, strict=True)}
            v = values[index]
            row.update(
                variable=str(var),
                unit=da.attrs.get("unit", ""),
                mean=float(v[0]),
                median=float(v[1]),
                low=float(v[2]),
                high=float(v[3]),
                reported=None if reported is None else float(reported),
                mcse_low=float(v[4]),
                mcse_median=float(v[5]),
                mcse_high=float(v[6]),
            )
            regions = da.attrs.get("hdi_regions")
            if regions is not None:
                key = ", ".join(str(row[d]) for d in others)
                row["hdi_regions"] = regions.get(key)
            rows.append(row)
    cols = COLUMNS[:2] + (["year"] if has_year else []) + COLUMNS[2:]
    if any("hdi_regions" in r for r in rows):
        cols.append("hdi_regions")
    frame = pd.DataFrame(rows).reindex(columns=cols)
    if not len(frame):
        return frame
    order = {k: list(dict.fromkeys(frame[k])) for k in ("scenario", "variable")}
    keys = ["scenario", "variable", *(["year"] if has_year else [])]
    frame = frame.sort_values(
        keys, key=lambda col: col.map(order[col.name].index) if col.name in order else col, kind="stable"
    )
    if has_year and pd.api.types.is_float_dtype(frame["year"]):
        whole = frame["year"].dropna()
        if (whole == whole.round()).all():
            frame["year"] = frame["year"].astype("Int64")  # 2026, and <NA> for outputs without years
    return frame.reset_index(drop=True)


def summarize(
    res: xr.Dataset,
    ci: float = 0.9,
    interval: str = "eti",
    variables: Sequence[str] | None = None,
    *,
    threads: int | None = None,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """:func:`table` of :func:`summary`: a pandas DataFrame with the rows of ``run --json``.

    Columns ``scenario, variable[, year], unit, mean, median, low, high, reported, mcse_low,
    mcse_median, mcse_high``, one row per scenario, variable (and year).

    Examples
    --------
    >>> res = chipdemand.simulate("chatgpt_inference", draws=10_000)  # doctest: +SKIP
    >>> summarize(res).set_index(["scenario", "variable"]).loc[("base", "chips"), "median"]  # doctest: +SKIP
    """
    return table(summary(res, ci, interval, variables, threads=threads, executor=executor))


def worst_relative_mcse(summary: xr.Dataset | pd.DataFrame) -> float:
    """The largest MCSE of low, median or high relative to its value (0 where the value is 0).

    For highest-density intervals (a summary Dataset whose ``interval`` is ``"hdi"``) the MCSE
    of a bound is relative to the larger of its value and the interval's width: a bound on the
    smallest draws of an output whose density is highest at 0 has a value near 0 and an error
    that is not, whatever the draws.
    """
    hdi = isinstance(summary, xr.Dataset) and summary.attrs.get("interval") == "hdi"
    frame = table(summary) if isinstance(summary, xr.Dataset) else summary
    width = np.abs(frame["high"].to_numpy(dtype=float) - frame["low"].to_numpy(dtype=float))
    worst = 0.0
    for q in ("low", "median", "high"):
        value = np.abs(frame[q].to_numpy(dtype=float))
        if hdi and q != "median":
            value = np.maximum(value, width)
        err = frame[f"mcse_{q}"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(value != 0, np.abs(err / value), np.where(err == 0, 0.0, np.inf))
        worst = max(worst, float(np.nanmax(rel, initial=0.0)))  # NaN: a quantile on a tie
    return worst


# ----------------------------------------------------------------------------- comparison
#: two draws of an output are equal in :func:`compare` where they differ by at most this share of
#: the larger magnitude: floating-point noise of one formula computed two ways (1e-15 apart)
EQUAL_RTOL = 1e-9


def compare(res: xr.Dataset, a: str, b: str, ci: float = 0.9) -> pd.DataFrame:
    """Scenario ``b`` against scenario ``a`` of one run, draw by draw, for every output.

    With common random numbers the draw-by-draw ratio ``b / a`` isolates the scenarios'
    difference from sampling noise. Returns per output (and year) the ratio's median and
    ``ci`` interval, and ``P(b > a)``, ``P(b = a)`` and ``P(b < a)`` (columns ``p_b_greater``,
    ``p_b_equal``, ``p_b_less``): two draws are equal where they differ by at most
    ``EQUAL_RTOL`` of the larger magnitude (floating-point noise of the same computation), and
    a draw is greater or less only beyond that.
    """
    ci = validate.ci(ci)
    names = [str(s) for s in res["scenario"].values]
    for s in (a, b):
        validate.scenario(names, s)
    rows = []
    for var in outputs_of(res):
        x = res[var].sel(scenario=a)
        y = res[var].sel(scenario=b)
        rows += _ratio_rows(x, y, var, ci, extra={"a": a, "b": b})
    return _ratio_frame(rows)


def ratio_rows(x: xr.DataArray, y: xr.DataArray, var: str, ci: float, *, paired: bool) -> list[dict]:
    """Rows of the ratio ``y / x`` of one output: draw by draw when ``paired``, else the ratio
    of independent draws (each of ``y`` over the same-index draw of an independent ``x``)."""
    return _ratio_rows(x, y, var, ci, extra={}, paired=paired)


def _ratio_rows(
    x: xr.DataArray, y: xr.DataArray, var: str, ci: float, *, extra: dict, paired: bool = True
) -> list[dict]:
    others = [d for d in x.dims if d != "draw"]
    xv = np.asarray(x.transpose(*others, "draw").values, dtype=float)
    yv = np.asarray(y.transpose(*others, "draw").values, dtype=float)
    if not paired:
        n = min(xv.shape[-1], yv.shape[-1])
        xv, yv = xv[..., :n], yv[..., :n]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # an overflow is an infinite ratio
        ratio = np.where((xv == 0) & (yv == 0), 1.0, yv / xv)
        q = exact_quantiles(ratio, [(1 - ci) / 2, 0.5, (1 + ci) / 2])  # b > 0 = a: an infinite ratio
    equal, greater, less = _order(xv, yv)
    rows = []
    for index in np.ndindex(*xv.shape[:-1]):
        row = {d: x[d].values[i].item() for d, i in zip(others, index, strict=True)}
        row.update(
            variable=var,
            **extra,
            ratio_median=_num(q[index][1]),
            ratio_low=_num(q[index][0]),
            ratio_high=_num(q[index][2]),
            p_b_greater=float(greater[index]),
            p_b_equal=float(equal[index]),
            p_b_less=float(less[index]),
        )
        rows.append(row)
    return rows


def _order(xv: np.ndarray, yv: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shares of draws (last axis) where ``y`` equals ``x`` within ``EQUAL_RTOL``, is greater, is
    less; a NaN draw is none of them."""
    with np.errstate(invalid="ignore"):
        tie = (yv == xv) | (np.abs(yv - xv) <= EQUAL_RTOL * np.maximum(np.abs(xv), np.abs(yv)))
        greater = (yv > xv) & ~tie
        less = (yv < xv) & ~tie
    return tie.mean(axis=-1), greater.mean(axis=-1), less.mean(axis=-1)


def _ratio_frame(rows: list[dict]) -> pd.DataFrame:
    head = ["variable", *(["year"] if any("year" in r for r in rows) else [])]
    rest = [c for c in ("a", "b") if any(c in r for r in rows)]
    cols = [*head, *rest, "ratio_median", "ratio_low", "ratio_high", "p_b_greater", "p_b_equal", "p_b_less"]
    return pd.DataFrame(rows).reindex(columns=cols)


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def exceedance(res: xr.Dataset, var: str, thresholds: Any) -> xr.DataArray:
    """``P(var > threshold)`` per scenario (and year), for each threshold.

    Examples
    --------
    >>> p = exceedance(res, "chips", [1e4, 1e5])  # doctest: +SKIP
    """
    validate.output(res.data_vars, var, key="variable", what="variable", file=_where(res))
    t = xr.DataArray(np.atleast_1d(np.asarray(thresholds, dtype=float)), dims="threshold")
    t = t.assign_coords(threshold=t.values)
    # one sort per scenario (and year), not a draws × thresholds comparison
    above = xr.apply_ufunc(
        share_above, res[var], t, input_core_dims=[["draw"], ["threshold"]], output_core_dims=[["threshold"]]
    )
    return above.rename(f"P({var} > threshold)")
