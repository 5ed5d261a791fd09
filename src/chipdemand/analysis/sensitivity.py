"""Which inputs drive an output: rank correlation, tornado swings and Sobol indices.

Rank correlation reads the draws of a run; the tornado and Sobol methods re-evaluate the study's
model at chosen input values (:func:`evaluate_at`). Each method is one registered function;
:func:`rank_inputs` runs one. :func:`chipdemand.sensitivity` is the entry point for people.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .. import validate
from ..errors import StudyError
from ..kernels.sampling import stream
from ..kernels.sobol import REPLICATES, SobolIndices, sobol_indices
from ..kernels.stats import average_ranks
from ..study.loader import BASE, Study

__all__ = [
    "rank_inputs",
    "evaluate_at",
    "varying_inputs",
    "stream_groups",
    "METHODS",
    "SOBOL_N",
]

#: default number of Sobol' base samples (the model is evaluated ``SOBOL_N * (d + 2)`` times)
SOBOL_N = 2**13
#: default draws of the run a rank correlation is read from, when it has to simulate one
RANK_DRAWS = 100_000
#: with scale="auto", Sobol' indices are of log(output) when its 5th-95th percentiles span more
#: than this ratio (two decades), estimated from a pilot of PILOT model evaluations
LOG_SPAN = 100.0
PILOT = 4096

METHODS: dict[str, Callable[..., pd.DataFrame]] = {}


#: a sensitivity method: keyword arguments res, study, output, scenario, names, draws, seed, ci,
#: position and scale (each takes those it needs), a table of inputs back
Method = Callable[..., pd.DataFrame]


def _method(name: str) -> Callable[[Method], Method]:
    def register(fn: Method) -> Method:
        METHODS[name] = fn
        return fn

    return register


# ----------------------------------------------------------------------------- helpers
def varying_inputs(study: Study, scenario: str) -> list[str]:
    """Inputs that are not a point value in ``scenario``, in study order."""
    return [n for n in study.inputs if not study.spec(scenario, n).dist.is_point]


def stream_groups(study: Study, scenario: str, names: list[str]) -> dict[str, list[str]]:
    """``names`` grouped by the random stream they draw from, in order: inputs that share a
    ``stream`` (two fields of one chip) are one dimension of the uncertainty, moved together by
    the tornado and the Sobol' design (drawn apart they would pair one card's memory with another's
    power). A group is named by its inputs joined with ``" + "``."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(study.spec(scenario, name).stream, []).append(name)
    return {" + ".join(members): members for members in groups.values()}


class _Uniform:
    """The uniform of a shared stream, as the Sobol' design's factor (its inputs' ppf applied in
    the model)."""

    @staticmethod
    def ppf(u: np.ndarray) -> np.ndarray:
        return np.asarray(u, dtype=float)


def _position(study: Study, output: str, at: Mapping | None) -> tuple:
    """Index into an output's extra dims (e.g. ``year``): ``at`` or the last coordinate."""
    dims = study.outputs[output].dims
    coords = study.model.coords
    at = dict(at or {})
    unknown = [d for d in at if d not in dims]
    if unknown == ["year"] and not dims:
        raise StudyError(f"{output} is one number per draw, not an output over years", key="at")
    if unknown:
        raise StudyError(
            f"{output} has no dimension {unknown[0]!r} (it has {list(dims) or 'none'})", key="at"
        )
    index = []
    for d in dims:
        values = list(coords[d])
        if d in at:
            if at[d] not in values:
                raise StudyError(f"{at[d]!r} is not among {values}", key=f"at.{d}")
            index.append(values.index(at[d]))
        else:
            index.append(len(values) - 1)
    return tuple(index)


def evaluate_at(
    study: Study, values: Mapping[str, np.ndarray], scenario: str = BASE
) -> dict[str, np.ndarray]:
    """The model's outputs with some inputs at given values and the rest at their medians.

    Parameters
    ----------
    study : Study
    values : mapping of str to array
        Arrays of one shape ``(n,)`` for the inputs to set; every other input is held at its
        median in ``scenario`` (a point input at its value).
    scenario : str
        Scenario whose distributions give the medians.

    Returns
    -------
    dict of str to ndarray
        Each output, shape ``(n, *extra dims)``.

    Examples
    --------
    >>> study = load_study("chatgpt_inference")
    >>> out = evaluate_at(study, {"daily_active_users": np.array([1e7, 4.5e7])})
    >>> out["chips"].shape
    (2,)
    """
    n = len(np.atleast_1d(next(iter(values.values())))) if values else 1
    full = {}
    for name in study.inputs:
        if name in values:
            full[name] = np.broadcast_to(np.asarray(values[name], dtype=float), (n,))
        else:
            full[name] = np.full(n, study.spec(scenario, name).dist.median())
    return study.model.evaluate(full)


def _finite(y: np.ndarray, output: str) -> None:
    if not np.all(np.isfinite(y)):
        raise StudyError(
            f"{output} is not finite for some input values (a division by zero or an overflow; "
            "check the inputs' ranges)",
            key=f"outputs.{output}",
        )


# ----------------------------------------------------------------------------- the API
def rank_inputs(
    study: Study,
    output: str | None = None,
    method: str = "rank",
    *,
    res: xr.Dataset | None = None,
    scenario: str | None = None,
    draws: int | None = None,
    seed: int = 0,
    ci: float = 0.9,
    at: Mapping | None = None,
    scale: str = "auto",
) -> pd.DataFrame:
    """Rank the inputs that drive ``output``, largest first.

    Parameters
    ----------
    study : Study
        The study whose model is analysed.
    output : str, optional
        Output variable (default: the study's ``headline`` output if it names one, else its
        first output).
    method : {"rank", "tornado", "sobol"}
        ``rank``: Spearman rank correlation of each input's draws with the output's draws
        (a structural choice by its code), ranked by ``|rho|``; columns ``rho`` (with its sign)
        and ``index = |rho|``. It sees the run as drawn, correlations included.

        ``tornado``: the model re-evaluated with one input at its ``(1 - ci) / 2`` quantile
        (``low``) and then at its ``(1 + ci) / 2`` quantile (``high``), all others at their
        medians; ``swing = |high - low|`` is the index. Columns also give ``input_low``,
        ``input_high`` (the input's values) and ``centre`` (every input at its median). One input
        at a time: correlations are not applied.

        ``sobol``: first-order and total Sobol' indices (:func:`chipdemand.kernels.sobol.sobol_indices`:
        the model evaluated on ``draws`` base samples, rounded up to 8 times a power of two,
        default 2**13, in 8 independently scrambled replicates), with Student t intervals at
        ``ci`` from the replicates' spread; ranked by ``total``. The first-order index of
        an input is the share of the output's variance it explains alone, the total index the
        share it takes part in (alone or through interactions); ``total - first`` measures its
        interactions. Variance-based indices assume independent inputs: a study's
        ``[correlations]`` are *not* applied here, so the indices describe the model over
        independent inputs with the study's marginal distributions. With strongly correlated
        inputs, read them together with the rank method, which sees the correlated draws.

        Variance is a poor yardstick for an output that spans orders of magnitude: a handful of
        tail draws dominate it and the estimates scatter (indices above 1, intervals from 0 to
        10). With ``scale="auto"`` the indices are then those of ``log(output)`` (the share of
        its spread in orders of magnitude, which for the multiplicative models here is nearly
        additive); ``attrs["scale"]`` says which was used.
    res : xarray.Dataset, optional
        A run of ``study`` (from :func:`chipdemand.simulate` or :func:`chipdemand.load_results`):
        the rank method reads its draws; tornado and Sobol do not need one.
    scenario : str, optional
        Scenario whose distributions are used (default ``"base"``; for a run that lacks it, the
        run's first scenario).
    draws : int, optional
        Sobol' base samples (the rank method uses the run's draws).
    seed : int
        Seed of the Sobol' design (``sampling.stream(seed, "sensitivity", ...)``).
    ci : float
        Tornado quantiles and the Sobol' intervals' level.
    at : mapping, optional
        For an output with extra dims, which element to analyse, e.g. ``{"year": 2030}``
        (default: the last coordinate of each).
    scale : {"auto", "linear", "log"}
        Sobol' only: indices of the output, or of its logarithm; ``"auto"`` takes the log when
        the output is positive and its 5th to 95th percentiles span more than two decades.

    Returns
    -------
    pandas.DataFrame
        Columns ``input``, ``index`` and the method's own, one row per input that is not a
        point value in the scenario, largest ``index`` first. ``attrs`` hold ``output``,
        ``method``, ``scenario`` and ``unit``.

    Examples
    --------
    >>> res = simulate("chatgpt_inference", draws=20_000)  # doctest: +SKIP
    >>> rank_inputs(load_study("chatgpt_inference"), "chips", "rank", res=res).head(3)  # doctest: +SKIP
    """
    method = validate.choice(method, METHODS, key="method", what="method")
    ci = validate.ci(ci)
    file = study.path or study.name
    output = study.headline if output is None else validate.output(study.outputs, output, file=file)
    if scenario is None and res is not None and BASE not in list(res["scenario"].values):
        scenario = str(res["scenario"].values[0])
    scenario = validate.scenario(study.scenario_names, BASE if scenario is None else scenario, file=file)
    names = varying_inputs(study, scenario)
    table = METHODS[method](
        res=res,
        study=study,
        output=output,
        scenario=scenario,
        names=names,
        draws=draws,
        seed=seed,
        ci=ci,
        position=_position(study, output, at),
        scale=scale,
    )
    table = table.sort_values("index", ascending=False, kind="stable").reset_index(drop=True)
    table.attrs.update(output=output, method=method, scenario=scenario, unit=study.outputs[output].unit)
    return table


# ----------------------------------------------------------------------------- methods
@_method("rank")
def _rank(
    *,
    res: xr.Dataset | None,
    study: Study,
    output: str,
    scenario: str,
    names: list[str],
    position: tuple[int, ...],
    **_: Any,
) -> pd.DataFrame:
    if res is None:
        raise StudyError("the rank method reads a run's draws; give one (res=)", key="res")
    if scenario not in list(res["scenario"].values):
        raise StudyError(f"the run has no scenario {scenario!r}", key="scenario")
    run = res.sel(scenario=scenario)
    draws = run[output]
    extra = [d for d in draws.dims if d != "draw"]
    at: tuple[slice | int, ...] = (slice(None), *position)  # every draw at the position
    y = np.asarray(draws.transpose("draw", *extra).values)[at]
    _finite(y, output)
    x = np.column_stack([np.asarray(run[n].values, dtype=float) for n in names] or [np.empty(len(y))])
    rho = _spearman(x, y)[: len(names)]
    return pd.DataFrame({"input": names, "index": np.abs(rho), "rho": rho})


def _spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman correlation of each column of ``x`` with ``y`` (average ranks for ties)."""
    rx = average_ranks(x)
    ry = average_ranks(y)
    rx -= rx.mean(axis=0)
    ry -= ry.mean()
    num = ry @ rx
    den = np.sqrt((rx**2).sum(axis=0) * (ry**2).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = num / den
    return np.where(den > 0, rho, 0.0)


@_method("prior")
def _prior(
    *, res: xr.Dataset | None, study: Study, output: str, scenario: str, position: tuple[int, ...], **_: Any
) -> pd.DataFrame:
    """Power-scaling of each input's prior, from the run's draws (no new simulation)."""
    from .prior_sensitivity import prior_sensitivity

    if res is None:
        raise StudyError("the prior method reads a run's draws; give one (res=)", key="res")
    dims = study.outputs[output].dims
    at = {d: list(study.model.coords[d])[i] for d, i in zip(dims, position, strict=True)}
    table = prior_sensitivity(res, output, scenario=scenario, study=study, at=at or None)
    keep = {k: v for k, v in table.attrs.items() if k in ("conditioned", "skipped")}
    table.attrs = keep
    return table


@_method("tornado")
def _tornado(
    *,
    study: Study,
    output: str,
    scenario: str,
    names: list[str],
    ci: float,
    position: tuple[int, ...],
    **_: Any,
) -> pd.DataFrame:
    lo_p, hi_p = (1 - ci) / 2, (1 + ci) / 2
    centre = evaluate_at(study, {}, scenario)[output][(0, *position)]
    at: tuple[slice | int, ...] = (slice(None), *position)  # both ends at the position
    rows = []
    groups = stream_groups(study, scenario, names)
    for label, members in groups.items():  # inputs of one stream move together
        ends = {}
        for name in members:
            dist = study.spec(scenario, name).dist
            ends[name] = np.array([dist.quantile(lo_p), dist.quantile(hi_p)])
        y = evaluate_at(study, ends, scenario)[output][at]
        _finite(y, output)
        x = ends[members[0]]  # a group's ends are shown as its first input's
        rows.append(
            {
                "input": label,
                "index": abs(y[1] - y[0]),
                "low": y[0],
                "high": y[1],
                "swing": abs(y[1] - y[0]),
                "input_low": x[0],
                "input_high": x[1],
                "centre": centre,
            }
        )
    table = pd.DataFrame(
        rows, columns=["input", "index", "low", "high", "swing", "input_low", "input_high", "centre"]
    )
    # a structural choice's ends are codes: its labels, in code order, name them
    table.attrs["labels"] = {
        i.name: list(i.choices) for i in study.model.inputs if i.choices and i.name in names
    }
    table.attrs["streams"] = {label: members for label, members in groups.items() if len(members) > 1}
    return table


@_method("sobol")
def _sobol(
    *,
    study: Study,
    output: str,
    scenario: str,
    names: list[str],
    draws: int | None,
    seed: int,
    ci: float,
    position: tuple[int, ...],
    scale: str,
    **_: Any,
) -> pd.DataFrame:
    n = SOBOL_N if draws is None else _base_samples(draws)
    if not names:  # every input is a point value: nothing varies
        empty = pd.DataFrame(columns=["input", "index", *SobolIndices.__dataclass_fields__], dtype=float)
        empty.attrs.update(n=n, scale="linear")
        return empty
    fixed = {name: study.spec(scenario, name).dist.median() for name in study.inputs if name not in names}
    groups = stream_groups(study, scenario, names)  # one factor per stream
    factors = list(groups.values())
    dists = [study.spec(scenario, m[0]).dist if len(m) == 1 else _Uniform() for m in factors]
    at: tuple[slice | int, ...] = (slice(None), *position)  # every evaluation at the position

    def model(x: np.ndarray) -> np.ndarray:
        values = {}
        for i, members in enumerate(factors):
            if len(members) == 1:
                values[members[0]] = x[i]
            else:  # the stream's uniform, through each of its inputs
                values.update({name: study.spec(scenario, name).dist.ppf(x[i]) for name in members})
        values.update({name: np.full(x.shape[1], v) for name, v in fixed.items()})
        y = study.model.evaluate(values)[output][at]
        _finite(y, output)
        return y

    if scale not in ("auto", "linear", "log"):
        raise StudyError(f"unknown scale {scale!r} (expected auto, linear or log)", key="scale")
    if scale == "auto":
        rng = stream(seed, "sensitivity", "pilot")  # apart from the Sobol' design's streams
        pilot = model(np.array([d.ppf(rng.random(PILOT)) for d in dists]).reshape(len(dists), PILOT))
        lo, hi = np.quantile(pilot, [0.05, 0.95])
        scale = "log" if np.all(pilot > 0) and hi > LOG_SPAN * lo else "linear"
    func = model
    if scale == "log":

        def func(x):
            y = model(x)
            if not np.all(y > 0):
                raise StudyError(
                    "is not positive for some input values; use scale='linear'", key=f"outputs.{output}"
                )
            return np.log(y)

    found = sobol_indices(func, dists, n, seed=seed, ci=ci)
    table = pd.DataFrame({"input": list(groups), "index": found.total, **found.columns()})
    table.attrs.update(n=n, scale=scale, streams={k: m for k, m in groups.items() if len(m) > 1})
    return table


def _base_samples(draws: int) -> int:
    """Sobol' base samples: ``draws`` rounded up to :data:`~chipdemand.kernels.sobol.REPLICATES` times a
    power of two (at least 16), the sizes independent scrambles of a Sobol' net balance at."""
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 2:
        raise StudyError(f"must be a whole number of at least 2, got {draws!r}", key="draws")
    per = -(-int(draws) // REPLICATES)
    return REPLICATES * max(2, 1 << (per - 1).bit_length())
