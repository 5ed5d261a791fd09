"""Runs whose draws are not kept: summarized from their outputs alone, in bounded memory.

:func:`summarize_plan` keeps a run's outputs only (not its inputs) when they fit the memory
budget and summarizes them exactly in one pass (:func:`chipdemand.engine.simulate_outputs`);
otherwise each fixed block of draws is generated, summarized and dropped, twice (a histogram
pass, then a pass that keeps the draws near each wanted quantile;
:class:`~chipdemand.kernels.stats.StreamingQuantiles`). Either way the share of draws below each
reference value is counted in the same pass, and the summary equals ``summary(simulate(...))``
of the same draws exactly, through the same executor seam as every other run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .. import validate
from ..engine import Plan, processes_for, simulate_outputs, threads_for
from ..errors import StudyError
from ..execution import Executor, executor_for, map_ordered
from ..kernels.stats import summary_probabilities, summary_row
from .summaries import check_finite, summary, summary_dataset, two_passes

__all__ = ["summarize_plan", "PlanSummary", "summary_of_plan", "share_below"]

#: ``(scenario, output, index into the output's extra dims, value)``: a share of draws to count
Query = tuple[str, str, tuple[int, ...], float]


@dataclass(frozen=True)
class PlanSummary:
    """A run summarized without its draws: the summary Dataset and the share of draws at or
    below each query's value (in the order of the queries)."""

    summary: xr.Dataset
    shares: list[float]


def summarize_plan(
    plan: Plan,
    ci: float = 0.9,
    interval: str = "eti",
    *,
    outputs_in_memory: bool,
    queries: Sequence[Query] = (),
    threads: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> PlanSummary:
    """Summary and reference shares of a run whose draws are not kept.

    Parameters
    ----------
    plan : Plan
        The run (see :func:`chipdemand.engine.make_plan`).
    ci, interval
        As :func:`chipdemand.analysis.summaries.summary` (``"hdi"`` needs ``outputs_in_memory``).
    outputs_in_memory : bool
        Hold the outputs (:meth:`Plan.outputs_nbytes`) and summarize them in one pass; else
        stream every block twice in bounded memory.
    queries : sequence of (scenario, output, index, value)
        Count the share of draws at or below each value, in the same pass.
    threads, executor
        Who runs the blocks (see :mod:`chipdemand.execution`).
    progress : callable, optional
        Called with the draws of each block done (once per pass).
    """
    if outputs_in_memory:
        with simulate_outputs(plan, threads=threads, executor=executor, progress=progress) as arrays:
            dims = {name: ("scenario", *plan.study.outputs[name].dims, "draw") for name in arrays}
            layout = plan.variable_attrs()
            outputs = xr.Dataset(
                {name: (dims[name], a, layout[name][1]) for name, a in arrays.items()},
                coords=plan.coords(),
                attrs=plan.attrs(),
            )
            summ = summary(outputs, ci, interval, threads=threads_for(plan, threads), executor=executor)
            index = {s: i for i, s in enumerate(plan.scenarios)}
            shares = [
                float(np.count_nonzero(arrays[var][(index[s], *at)] <= value)) / plan.draws
                for s, var, at, value in queries
            ]
        return PlanSummary(summ, shares)
    if validate.interval(interval) == "hdi":
        raise StudyError("an HDI needs the outputs in memory", key="interval")
    tallied: list[np.ndarray] = []
    summ = _streamed(plan, ci, list(queries), tallied, threads, executor, progress)
    counts = tallied[0] if tallied else np.zeros(0, dtype=np.int64)
    return PlanSummary(summ, [float(c) / plan.draws for c in counts])


def _columns(x: np.ndarray) -> list[np.ndarray]:
    """The series of one output's block: itself, or one per trailing coordinate (year)."""
    if x.ndim == 1:
        return [x]
    return [np.ascontiguousarray(c) for c in x.reshape(x.shape[0], -1).T]


def summary_of_plan(
    plan: Plan,
    ci: float = 0.9,
    *,
    threads: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> xr.Dataset:
    """The :func:`~chipdemand.analysis.summaries.summary` of a run that is never held in memory.

    Parameters
    ----------
    plan : Plan
        The run (see :func:`chipdemand.engine.make_plan`).
    ci : float
        Mass of the equal-tailed intervals.
    threads, executor
        Who runs the blocks (see :mod:`chipdemand.execution`); a ``dask.distributed.Client``
        spreads the passes over a cluster.
    progress : callable, optional
        Called with the draws of each block done, in each of the two passes.
    """
    return _streamed(plan, ci, [], [], threads, executor, progress)


def _count_below(chunk: dict[str, dict[str, np.ndarray]], queries: list[Query]) -> np.ndarray:
    """Draws of one block at or below each query's value (``index`` into the extra dims)."""
    counts = []
    for s, var, index, value in queries:
        at: tuple[slice | int, ...] = (slice(None), *index)  # every draw of the block at the index
        counts.append(np.count_nonzero(chunk[s][var][at] <= value))
    return np.array(counts, dtype=np.int64)


def _streamed(
    plan: Plan,
    ci: float,
    queries: list[Query],
    tallied: list[np.ndarray],
    threads: int | None,
    executor: Executor | None,
    progress: Callable[[int], None] | None,
) -> xr.Dataset:
    """Two passes over the blocks; the queries' counts (if any) appended to ``tallied``."""
    ci = validate.ci(ci)
    probs = summary_probabilities(ci, plan.draws)
    outs = list(plan.study.outputs)

    def read(block: int) -> dict:
        chunk = plan.evaluate_block(block)
        data: dict = {
            (s, var, j): x
            for s in plan.scenarios
            for var in outs
            for j, x in enumerate(_columns(chunk[s][var]))
        }
        if queries:
            data["chunk"] = chunk
        return data

    def tally(data: dict) -> np.ndarray:
        return _count_below(data["chunk"], queries)

    def tick(block: int) -> None:
        if progress is not None:
            progress(plan.block_size(block))

    first = read(0)
    first.pop("chunk", None)
    with executor_for(threads_for(plan, threads), executor, processes=processes_for(plan, threads)) as ex:
        out = two_passes(
            first,
            plan.draws,
            probs,
            plan.blocks,
            read,
            ex,
            tick,
            tally=tally if queries else None,
            tallied=tallied,
        )
    layout = plan.variable_attrs()
    stats, variables = {}, {}
    file = plan.study.path or plan.study.name
    for var in outs:
        extra = plan.extra_shape(var)
        width = int(np.prod(extra)) if extra else 1
        per_scenario = []
        for s in plan.scenarios:
            mean = np.array([out[(s, var, j)][0] for j in range(width)]).reshape(extra)
            quant = np.array([out[(s, var, j)][1] for j in range(width)]).reshape(*extra, len(probs))
            per_scenario.append(summary_row(mean, quant))
        values = np.stack(per_scenario)
        check_finite(values, var, file)
        dims, attrs = layout[var]
        stats[var] = values
        variables[var] = (tuple(d for d in dims if d != "draw"), attrs)
    coords = plan.coords()
    attrs = {**plan.attrs(), "ci": ci, "interval": "eti", "draws": plan.draws, "streamed": 1}
    if not stats:
        raise StudyError("the study has no outputs to summarize", file=file, key="outputs")
    return summary_dataset(stats, variables, coords, attrs)


def share_below(
    plan: Plan,
    queries: list[Query],
    *,
    threads: int | None = None,
    executor: Executor | None = None,
) -> list[float]:
    """The share of a run's draws at or below a value, for each ``(scenario, output, index,
    value)`` (``index`` into the output's extra dims), counted block by block in bounded memory
    (a third evaluation of every block: :func:`summarize_plan` counts them in its own pass)."""
    if not queries:  # nothing to count (no reference is answered in the run's scenarios)
        return []
    totals = np.zeros(len(queries), dtype=np.int64)
    with executor_for(threads_for(plan, threads), executor) as ex:
        for part in map_ordered(
            lambda block: _count_below(plan.evaluate_block(block), queries), plan.blocks, ex
        ):
            totals += part
    return [float(t) / plan.draws for t in totals]
