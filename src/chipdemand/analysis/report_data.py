"""What a report page shows, gathered: every number, table and analysis of a run that the HTML
page lays out (its summary, references placed, observations, the parent study's run, tornado
swings, rank correlations and scenario comparisons), so that rendering it calls no analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import StudyError
from ..study.loader import BASE
from ..study.references import place, shares_in_draws
from .calibration import Coverage, coverage
from .sensitivity import rank_inputs
from .summaries import compare, exceedance, outputs_of, summarize, summary

if TYPE_CHECKING:  # for annotations only
    from ..study.loader import Study
    from .conditioning import Conditioned

__all__ = ["ReportData", "ParentRun", "gather"]


@dataclass(frozen=True)
class ParentRun:
    """The study a run's study extends, simulated with the run's draws and seed.

    ``rows`` maps a label (``"parent: base"``, ``"child: scenario"``) to a run and a scenario,
    for the side-by-side figure of the ``shared`` outputs; ``note`` says why there is nothing to
    show (the parent cannot be loaded, has no such scenario, shares no output), else ``""``.
    """

    name: str
    rows: dict[str, tuple[xr.Dataset, str]] = field(default_factory=dict)
    shared: list[str] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class ReportData:
    """Everything a report page of ``res`` shows, computed once.

    ``table`` is the run table (:func:`chipdemand.analysis.summaries.summarize`) with
    ``p_above_reported``: the share of draws above the report's number (NaN where there is none,
    or the answer does not spread). ``calibration`` is how many of the placed references our
    intervals hold (:func:`chipdemand.analysis.calibration.coverage`), with their percentiles.
    ``conditioned`` is the run weighted by its observations, or None with
    ``why_not_conditioned``. ``tornados``, ``ranks`` and ``comparisons`` are keyed by output (the
    first two) and by scenario compared with ``base``.
    """

    res: xr.Dataset
    study: Study | None
    ci: float
    origin: str
    base: str
    scenarios: list[str]
    outputs: list[str]
    table: pd.DataFrame
    placed: list[dict]
    calibration: Coverage | None
    conditioned: Conditioned | None
    why_not_conditioned: str
    parent: ParentRun | None
    tornados: dict[str, pd.DataFrame]
    ranks: dict[str, pd.DataFrame]
    comparisons: dict[str, pd.DataFrame]


def gather(res: xr.Dataset, study: Study | None, *, ci: float = 0.9, origin: str = "") -> ReportData:
    """Compute what the report page of run ``res`` shows (``study`` None if it cannot be rebuilt)."""
    scenarios = [str(s) for s in res["scenario"].values]
    base = BASE if BASE in scenarios else scenarios[0]
    conditioned, why = _conditioned(res, study, ci)
    if conditioned is not None:
        _ = conditioned.table  # its posterior table, computed here rather than while rendering
    analysed = [o for o in outputs_of(res) if study is not None and o in study.outputs]
    placed = _placed(res, study, ci)
    return ReportData(
        res=res,
        study=study,
        ci=ci,
        origin=origin,
        base=base,
        scenarios=scenarios,
        outputs=outputs_of(res),
        table=_table(res, ci),
        placed=placed,
        calibration=coverage(placed, nominal=ci)["overall"] if placed else None,
        conditioned=conditioned,
        why_not_conditioned=why,
        parent=_parent(res, study, base) if study is not None and study.parents else None,
        tornados={
            o: rank_inputs(study, o, "tornado", res=res, scenario=base, ci=ci) for o in analysed if study
        },
        ranks={o: rank_inputs(study, o, "rank", res=res, scenario=base) for o in analysed if study},
        comparisons={s: compare(res, base, s, ci=ci) for s in scenarios if s != base},
    )


def _table(res: xr.Dataset, ci: float) -> pd.DataFrame:
    """The run table with the chance of exceeding the report's number in each row."""
    table = summarize(res, ci=ci)
    has_year = "year" in table.columns and table["year"].notna().any()
    chances = []
    for _, r in table.iterrows():
        reported = r["reported"]
        fixed = not r["high"] - r["low"] > 1e-9 * abs(r["median"])  # no spread: P(>) is a tie
        if reported is None or not np.isfinite(reported) or fixed:
            chances.append(np.nan)
            continue
        sel = {"scenario": r["scenario"]}
        if has_year and pd.notna(r.get("year")):
            sel["year"] = r["year"]
        p = exceedance(res[[r["variable"]]].sel(**sel), r["variable"], [reported])
        chances.append(float(p.values.ravel()[0]))
    return table.assign(p_above_reported=chances)


def _placed(res: xr.Dataset, study: Study | None, ci: float) -> list[dict]:
    """The study's references placed in this run's draws."""
    if study is None or not any(o.references for o in study.outputs.values()):
        return []
    names = [str(x) for x in res["scenario"].values]
    return place(study, summary(res, ci=ci), names, shares_in_draws(res))


def _conditioned(res: xr.Dataset, study: Study | None, ci: float) -> tuple[Conditioned | None, str]:
    """The run conditioned on observations: from its stored weights, else the study's own
    observations (``None`` and why, when they cannot be trusted)."""
    from .conditioning import WEIGHT, condition

    try:
        if WEIGHT in res:
            return condition(res, None, ci=ci), ""
        if study is not None and study.observations:
            return condition(res, study.observations, ci=ci), ""
    except StudyError as err:
        return None, f"The study's observations were not applied: {err.message}"
    return None, ""


def _parent(res: xr.Dataset, study: Study, base: str) -> ParentRun:
    """The parent study simulated with the same draws and seed (they share the random streams of
    the inputs they have in common, so the comparison is draw by draw)."""
    from ..engine import simulate
    from ..study.loader import load_study

    try:
        parent = load_study(study.parents[0])
    except StudyError as err:
        return ParentRun(str(study.parents[0]), note=f"The parent study could not be loaded: {err}")
    if base not in parent.scenario_names:
        return ParentRun(parent.name, note="The parent study has no scenario of this name to compare with.")
    draws, seed = int(res.attrs.get("draws", res.sizes["draw"])), int(res.attrs.get("seed", 0))
    theirs = simulate(
        parent, draws=draws, seed=seed, method=str(res.attrs.get("method", "mc")), scenarios=[base]
    )
    shared = [o for o in outputs_of(res) if o in theirs and res[o].dims == theirs[o].dims]
    if not shared:
        return ParentRun(parent.name, note="The two studies share no output.")
    rows = {f"{parent.name}: {base}": (theirs, base)}
    mine = [str(x) for x in res["scenario"].values]
    rows.update({f"{study.name}: {s}": (res, s) for s in mine if s == base or s not in parent.scenario_names})
    return ParentRun(parent.name, rows=rows, shared=shared)
