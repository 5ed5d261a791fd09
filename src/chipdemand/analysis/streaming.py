"""Runs too large to hold: summarized block by block, in bounded memory, whatever the draws.

Each fixed block of draws is generated, summarized and dropped, twice (a histogram pass, then a
pass that keeps the draws near each wanted quantile; :class:`~chipdemand.kernels.stats.StreamingQuantiles`),
through the same executor seam as every other run. The summary equals
``summary(simulate(...))`` of the same draws exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr

from .. import validate
from ..engine import Plan
from ..errors import StudyError
from ..execution import Executor, executor_for, map_ordered
from ..kernels.stats import summary_probabilities, summary_row
from .summaries import check_finite, summary_dataset, two_passes

__all__ = ["summary_of_plan", "share_below"]


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
    ci = validate.ci(ci)
    probs = summary_probabilities(ci, plan.draws)
    outs = list(plan.study.outputs)

    def read(block: int) -> dict[tuple[str, str, int], np.ndarray]:
        chunk = plan.evaluate_block(block)
        return {
            (s, var, j): x
            for s in plan.scenarios
            for var in outs
            for j, x in enumerate(_columns(chunk[s][var]))
        }

    def tick(block: int) -> None:
        if progress is not None:
            progress(plan.block_size(block))

    with executor_for(threads, executor) as ex:
        out = two_passes(read(0), plan.draws, probs, plan.blocks, read, ex, tick)
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
    queries: list[tuple[str, str, tuple[int, ...], float]],
    *,
    threads: int | None = None,
    executor: Executor | None = None,
) -> list[float]:
    """The share of a run's draws at or below a value, for each ``(scenario, output, index,
    value)`` (``index`` into the output's extra dims), counted block by block in bounded memory."""

    at: list[tuple[slice | int, ...]] = [(slice(None), *index) for _, _, index, _ in queries]

    def count(block: int) -> list[int]:
        chunk = plan.evaluate_block(block)
        return [
            int(np.count_nonzero(chunk[s][var][where] <= value))
            for (s, var, _, value), where in zip(queries, at, strict=True)
        ]

    totals = np.zeros(len(queries), dtype=np.int64)
    with executor_for(threads, executor) as ex:
        for part in map_ordered(count, plan.blocks, ex):
            totals += part
    return [float(t) / plan.draws for t in totals]
