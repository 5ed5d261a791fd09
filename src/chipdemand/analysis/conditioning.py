"""Condition a run on observations: importance weights of its prior draws.

Each draw of a run is weighted by the likelihood of the observations given that draw; Pareto
k̂ of the weights (PSIS, from arviz-stats) says whether they can be trusted, and whether they are
used raw (light tail) or Pareto-smoothed (heavy tail); posterior summaries are weighted
quantiles. Nothing is simulated again: a saved run is conditioned from its draws, and the
weights are stored with it. The weight
kernels are in :mod:`chipdemand.kernels.weights`; power-scaling one input's prior at a time is
:mod:`chipdemand.analysis.prior_sensitivity`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from scipy import special

from ..errors import StudyError, did_you_mean
from ..io import json_value
from ..kernels.weights import (
    MAX_PARETO_K,
    importance_log_weights,
    khat_threshold,
    kish_ess,
    psis_log_weights,
    sorted_weighted_quantiles,
    weighted_quantiles,
)
from ..study.observations import Observation, parse_observations

__all__ = [
    "Observation",
    "parse_observations",
    "variables_of",
    "weighted_quantiles",
    "kish_ess",
    "khat_threshold",
    "psis_log_weights",
    "log_likelihood",
    "condition",
    "Conditioned",
    "attach_weights",
    "read_weights",
    "stored_observations",
    "WEIGHT",
    "MAX_PARETO_K",
    "TAIL_DRAWS",
]

#: name of the Dataset variable that stores a run's log weights
WEIGHT = "log_weight"
#: effective draws wanted beyond each bound of a posterior interval: a 90% interval needs
#: 5 / 0.05 = 100 effective draws in all
TAIL_DRAWS = 5
#: the interquartile range of a normal distribution, in standard deviations (2 Φ⁻¹(0.75))
IQR_PER_SD = float(2 * special.ndtri(0.75))
#: the label of all observations together in :attr:`Conditioned.moved`
ALL = "(all)"
#: columns of :attr:`Conditioned.moved`
MOVED_COLUMNS = [
    "observation",
    "scenario",
    "input",
    "unit",
    "prior_median",
    "posterior_median",
    "shift",
    "pareto_k",
]
#: an input whose first draws take at most this many distinct values is treated as discrete
DISCRETE_VALUES = 32


# ----------------------------------------------------------------------------- observations
#: observations by name, a list of them, a study file's ``[observations]`` tables, or None
ObservationsLike = (
    Mapping[str, Observation] | Sequence[Observation] | Observation | Mapping[str, Mapping[str, Any]] | None
)


def variables_of(res: xr.Dataset) -> dict[str, str]:
    """The inputs and outputs of a run and their units (what observations may target)."""
    return {
        str(v): str(res[v].attrs.get("unit", "1"))
        for v in res.data_vars
        if res[v].attrs.get("role") in ("input", "output")
    }


def _as_observations(res: xr.Dataset, observations: ObservationsLike) -> dict[str, Observation]:
    """Observations given as a mapping, a list, study-file tables, or None (stored with ``res``)."""
    if observations is None:
        observations = stored_observations(res)
        if not observations:
            raise StudyError("no observations given, and the run carries none", key="observations")
        return observations
    if isinstance(observations, Observation):
        return {observations.name: observations}
    if isinstance(observations, Mapping):
        values = list(observations.values())
        if values and all(isinstance(o, Observation) for o in values):
            return {name: o for name, o in observations.items() if isinstance(o, Observation)}
        scenarios = [str(s) for s in res["scenario"].values]
        return parse_observations(observations, variables_of(res), scenarios=scenarios)
    out: dict[str, Observation] = {}
    for o in observations:
        if not isinstance(o, Observation):
            raise StudyError(f"expected Observation objects, got {o!r}", key="observations")
        if o.name in out:
            raise StudyError("two observations share this name", key=f"observations.{o.name}")
        out[o.name] = o
    return out


def _observed_draws(res: xr.Dataset, o: Observation) -> NDArray:
    """The draws of an observation's target, shape ``(scenario, draw)``."""
    where = f"observations.{o.name}"
    variables = variables_of(res)
    if o.target not in variables:
        raise StudyError(
            f"the run has no variable {o.target!r}" + did_you_mean(o.target, variables), key=f"{where}.target"
        )
    da = res[o.target]
    if o.unit and o.unit != variables[o.target]:
        raise StudyError(
            f"the observation is in {o.unit!r} but the run's {o.target} is in {variables[o.target]!r}",
            key=f"{where}.unit",
        )
    extra = [d for d in da.dims if d not in ("scenario", "draw")]
    if o.year is not None and "year" not in extra:
        raise StudyError(f"{o.target} has no year dimension; leave 'year' out", key=f"{where}.year")
    if "year" in extra:
        years = [int(y) for y in np.asarray(da["year"].values)]
        if o.year is None:
            raise StudyError(
                f"{o.target} is given by year; say which ({years[0]}-{years[-1]})", key=f"{where}.year"
            )
        if o.year not in years:
            raise StudyError(f"{o.year} is not among the run's years {years}", key=f"{where}.year")
        da = da.sel(year=o.year)
    others = [d for d in da.dims if d not in ("scenario", "draw")]
    if others:
        raise StudyError(
            f"{o.target} has dimensions {others} an observation cannot select", key=f"{where}.target"
        )
    return np.asarray(da.transpose("scenario", "draw").values, dtype=float)


def _log_likelihoods(res: xr.Dataset, observations: Mapping[str, Observation]) -> dict[str, NDArray]:
    """Each observation's log-likelihood of every draw, ``(scenario, draw)``; 0 where it does not apply."""
    scenarios = [str(s) for s in res["scenario"].values]
    out = {}
    for name, o in observations.items():
        x = _observed_draws(res, o)
        applies = np.array([o.applies_to(s) for s in scenarios])
        key = f"observations.{name}.target"
        for i in np.flatnonzero(applies):
            if not np.all(np.isfinite(x[i])):
                raise StudyError(
                    f"{o.target} has non-finite draws in scenario {scenarios[i]!r} (a division by "
                    "zero or an overflow in the model; check the inputs' ranges)",
                    key=key,
                )
            if np.ptp(x[i]) == 0:
                raise StudyError(
                    f"{o.target} is a point value ({x[i, 0]:g}) in scenario {scenarios[i]!r}: "
                    "an observation cannot move it",
                    key=key,
                )
        ll = np.zeros_like(x)
        ll[applies] = o.log_likelihood(x[applies])
        for i in np.flatnonzero(applies):
            if not np.any(np.isfinite(ll[i])):
                raise StudyError(
                    f"no draw of {o.target} in scenario {scenarios[i]!r} is positive: a log-normal "
                    'error needs positive values (use error = "normal")',
                    key=f"observations.{name}.error",
                )
        out[name] = ll
    if not any(o.applies_to(s) for o in observations.values() for s in scenarios):
        raise StudyError(f"no observation applies to the run's scenarios {scenarios}", key="observations")
    return out


def log_likelihood(res: xr.Dataset, observations: ObservationsLike) -> xr.DataArray:
    """Log-likelihood of every draw given all ``observations`` (their sum), dims ``(scenario, draw)``.

    A scenario an observation does not apply to gets nothing from it (0).
    """
    observations = _as_observations(res, observations)
    total = sum(_log_likelihoods(res, observations).values())
    return xr.DataArray(
        total, dims=("scenario", "draw"), coords={"scenario": res["scenario"], "draw": res["draw"]}
    ).rename("log_likelihood")


# ----------------------------------------------------------------------------- conditioning
def _check_ci(ci: float) -> None:
    if isinstance(ci, bool) or not isinstance(ci, int | float) or not 0 < ci < 1:
        raise StudyError(f"must be between 0 and 1, got {ci!r}", key="ci")


def condition(res: xr.Dataset, observations: ObservationsLike = None, *, ci: float = 0.9) -> Conditioned:
    """Weight the draws of a run by the likelihood of ``observations`` (importance sampling).

    Parameters
    ----------
    res : xarray.Dataset
        A run (:func:`chipdemand.simulate`, or :func:`chipdemand.load_results` of a saved one).
    observations : mapping, sequence or None
        :class:`Observation` objects (by name, or a list), or the ``[observations]`` tables of a
        study file (parsed with the run's variables and units); ``None`` for the observations
        whose weights the run carries (:func:`attach_weights`).
    ci : float
        Probability mass of the posterior intervals.

    Returns
    -------
    Conditioned
        Log weights, Pareto k̂ and effective sample size per scenario; posterior table, what the
        observations moved, and a JSON document.

    Raises
    ------
    StudyError
        When, in some scenario an observation applies to, k̂ exceeds :func:`khat_threshold`
        (0.7 for 2,200 draws or more) or fewer than ``TAIL_DRAWS / ((1 - ci) / 2)`` effective
        draws remain (100 for a 90% interval): the message says where the observations fall in
        the prior and what to do.

    Notes
    -----
    The weight of a draw is ``p(observations | draw)``: the prior draws are the proposal and the
    posterior the target, so the log ratio is the log-likelihood. PSIS (``r_eff = 1``) estimates
    k̂ of their tail; where k̂ is below 0.5 (bounded or light-tailed weights, e.g. an informative
    observation with a normal error) the raw self-normalized weights are used, since smoothing
    would widen the posterior intervals, and above it the Pareto-smoothed ones
    (:func:`chipdemand.kernels.weights.importance_log_weights`). The effective sample size is
    Kish's, of the weights used. An observation of an output
    constrains the inputs jointly through the model; correlated inputs move together.

    Examples
    --------
    >>> res = simulate("chatgpt_inference", draws=100_000)  # doctest: +SKIP
    >>> obs = Observation("dau", "daily_active_users", 2.3e7, (1.6e7, 3.4e7), source="...")  # doctest: +SKIP
    >>> cond = condition(res, [obs])  # doctest: +SKIP
    >>> cond.table[["variable", "median", "posterior_median"]]  # doctest: +SKIP
    """
    _check_ci(ci)
    observations = _as_observations(res, observations)
    run = res.drop_vars(WEIGHT, errors="ignore")
    per = _log_likelihoods(run, observations)
    log_w, k, ess, smoothed = _weights(run, sum(per.values()))
    _check_trust(run, observations, per, k, ess, ci)
    return Conditioned(run, observations, log_w, k, ess, ci, smoothed)


def _weights(run: xr.Dataset, ll: ArrayLike) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray, xr.DataArray]:
    lw, k, smoothed = importance_log_weights(ll)
    scen = {"scenario": run["scenario"]}
    return (
        xr.DataArray(lw, dims=("scenario", "draw"), coords={**scen, "draw": run["draw"]}, name=WEIGHT),
        xr.DataArray(k, dims="scenario", coords=scen, name="pareto_k"),
        xr.DataArray(kish_ess(lw), dims="scenario", coords=scen, name="ess"),
        xr.DataArray(smoothed, dims="scenario", coords=scen, name="smoothed"),
    )


def _check_trust(
    run: xr.Dataset,
    observations: Mapping[str, Observation],
    per: Mapping[str, NDArray],
    k: xr.DataArray,
    ess: xr.DataArray,
    ci: float,
) -> None:
    n = run.sizes["draw"]
    limit = khat_threshold(n)
    least = TAIL_DRAWS / ((1 - ci) / 2)
    names = list(observations)
    key = f"observations.{names[0]}" if len(names) == 1 else "observations"
    for i, s in enumerate(str(x) for x in run["scenario"].values):
        applying = [o for o in observations.values() if o.applies_to(s)]
        if not applying:
            continue
        khat, eff = float(k.values[i]), float(ess.values[i])
        where = _placement(run, applying, i)
        if not khat <= limit and not np.isnan(khat):
            shown = "cannot be estimated" if khat == np.inf else f"= {khat:.2f}, above {limit:.2f}"
            raise StudyError(
                f"the importance weights of scenario {s!r} cannot be trusted: Pareto k̂ {shown} "
                f"({eff:.0f} effective draws of {n}). {where}. The observations lie where the prior "
                "puts almost no draws: check them against the prior (unit, date, definition; a prior "
                "that rules out a sound measurement is wrong and should be revised with a source), "
                "widen an observation's ci if it is that uncertain, or draw more",
                key=key,
            )
        if eff < least:
            raise StudyError(
                f"only {eff:.0f} effective draws of {n} remain in scenario {s!r} (k̂ = {khat:.2f}); "
                f"a {ci:.0%} interval needs at least {least:.0f}. {where}. Draw more (about "
                f"{n * least / eff:.2g} draws), or widen an observation's ci if it is that uncertain",
                key=key,
            )


def _placement(run: xr.Dataset, observations: Sequence[Observation], i: int) -> str:
    """Where each observed value falls among the prior draws of its target, in words."""
    parts = []
    for o in observations:
        x = _observed_draws(run, o)[i]
        below = float(np.mean(x < o.value))
        parts.append(f"{o.name}: {o.target} = {o.value:.4g} is above {below:.2%} of the prior draws")
    return "; ".join(parts)


# ----------------------------------------------------------------------------- the result
@dataclass(frozen=True)
class Conditioned:
    """A run weighted by observations: weights, diagnostics and posterior summaries.

    Attributes
    ----------
    run : xarray.Dataset
        The run's prior draws (without stored weights).
    observations : dict of str to Observation
    log_weight : xarray.DataArray
        Log weights, dims ``(scenario, draw)``, ``logsumexp`` over draws 0: raw where k̂ is below
        0.5, Pareto-smoothed above.
    pareto_k, ess : xarray.DataArray
        Per scenario: k̂ of the weights (``nan`` where nothing needed smoothing, e.g. a scenario
        no observation applies to) and Kish's effective sample size of the weights used.
    ci : float
        Probability mass of the intervals.
    smoothed : xarray.DataArray or None
        Per scenario: True where the Pareto-smoothed weights are used (None: not recorded, a run
        conditioned by an older version, whose weights were all smoothed).
    """

    run: xr.Dataset
    observations: dict[str, Observation]
    log_weight: xr.DataArray
    pareto_k: xr.DataArray
    ess: xr.DataArray
    ci: float = 0.9
    smoothed: xr.DataArray | None = None

    @property
    def weights(self) -> xr.DataArray:
        """Normalized weights (each scenario's sum to 1)."""
        # numpy's stubs type np.exp of a DataArray as an ndarray; __array_ufunc__ keeps it a DataArray
        return cast(xr.DataArray, np.exp(self.log_weight)).rename("weight")

    @property
    def scenarios(self) -> list[str]:
        return [str(s) for s in self.run["scenario"].values]

    def estimator(self, scenario: str) -> str:
        """``"raw"`` or ``"Pareto-smoothed"``: which weights ``scenario``'s summaries use."""
        if self.smoothed is None:
            return "Pareto-smoothed"
        return "Pareto-smoothed" if bool(self.smoothed.sel(scenario=scenario)) else "raw"

    def observed(self, scenario: str) -> list[str]:
        """Names of the observations that apply to ``scenario``."""
        return [n for n, o in self.observations.items() if o.applies_to(scenario)]

    @cached_property
    def table(self) -> pd.DataFrame:
        """The run table of every output and input, with ``posterior_mean``, ``posterior_median``,
        ``posterior_low``, ``posterior_high`` beside the prior's ``mean``, ``median``, ``low``,
        ``high`` (a scenario no observation applies to keeps its prior)."""
        from .summaries import summarize

        roles = {str(v): self.run[v].attrs.get("role") for v in self.run.data_vars}
        variables = [v for v in roles if roles[v] == "output"] + [v for v in roles if roles[v] == "input"]
        prior = summarize(self.run, ci=self.ci, variables=variables)
        post = pd.DataFrame(self._posterior_rows(variables))
        keys = ["scenario", "variable", *(["year"] if "year" in prior else [])]
        if "year" in prior:
            post["year"] = post.get("year", pd.Series(pd.NA, index=post.index)).astype(prior["year"].dtype)
        table = prior.merge(post, on=keys, how="left", validate="one_to_one")
        unobserved = ~table["scenario"].isin([s for s in self.scenarios if self.observed(s)])
        for q in ("mean", "median", "low", "high"):
            table.loc[unobserved, f"posterior_{q}"] = table.loc[unobserved, q]
        return table

    def _posterior_rows(self, variables: Sequence[str]) -> list[dict]:
        w = np.exp(self.log_weight.transpose("scenario", "draw").values)
        probs = [(1 - self.ci) / 2, 0.5, (1 + self.ci) / 2]
        rows = []
        for var in variables:
            da = self.run[var]
            others = [d for d in da.dims if d not in ("scenario", "draw")]
            x = np.asarray(da.transpose("scenario", *others, "draw").values, dtype=float)
            ww = w.reshape(w.shape[0], *([1] * len(others)), w.shape[1])
            q = weighted_quantiles(x, ww, probs)
            mean = np.sum(x * ww, axis=-1)
            for index in np.ndindex(*q.shape[:-1]):
                row: dict[Hashable, Any] = {
                    "scenario": str(self.run["scenario"].values[index[0]]),
                    "variable": var,
                }
                for d, j in zip(others, index[1:], strict=True):
                    row[d] = self.run[d].values[j].item()
                low, median, high = q[index]
                row.update(
                    posterior_mean=float(mean[index]),
                    posterior_median=float(median),
                    posterior_low=float(low),
                    posterior_high=float(high),
                )
                rows.append(row)
        return rows

    @cached_property
    def moved(self) -> pd.DataFrame:
        """What each observation moved most: inputs ranked by the shift of their median.

        For each observation alone (and, where several apply to a scenario, for ``"(all)"`` of
        them together), each scenario it applies to and each input drawn there: ``shift`` is the
        posterior median minus the prior median in prior standard units, that is divided by the
        prior's interquartile range / 1.349 (the standard deviation of a normal with that IQR;
        robust to the heavy tails of the priors here). It is measured on the log scale for an
        input whose draws are all positive, so that a log-normal prior's shift is in units of its
        log-sd and a halving counts as much as a doubling. A discrete input (a structural choice:
        at most 32 distinct values) moves by its mean in units of its prior sd instead, since its
        median jumps between values. Columns: ``observation, scenario, input, unit,
        prior_median, posterior_median, shift, pareto_k``; largest ``|shift|`` first within each
        observation and scenario.
        """
        sets: dict[str, dict[str, Observation]] = {n: {n: o} for n, o in self.observations.items()}
        if len(self.observations) > 1:
            sets[ALL] = dict(self.observations)
        inputs = [str(v) for v in self.run.data_vars if self.run[v].attrs.get("role") == "input"]
        priors: dict[tuple[int, str], _InputPrior] = {}  # sorted once, reused by every set
        rows = []
        for label, subset in sets.items():
            if not any(o.applies_to(s) for o in subset.values() for s in self.scenarios):
                continue  # an observation of scenarios this run does not have
            if len(subset) == len(self.observations):
                lw, k = self.log_weight.values, self.pareto_k.values
            else:
                lw, k, _ = importance_log_weights(sum(_log_likelihoods(self.run, subset).values()))
            for i, s in enumerate(self.scenarios):
                applying = sum(o.applies_to(s) for o in subset.values())
                if applying == 0 or (label == ALL and applying == len(self.observed(s)) == 1):
                    continue  # nothing observed, or "(all)" is the one observation already listed
                w = np.exp(lw[i])
                block = []
                for name in inputs:
                    if (i, name) not in priors:
                        priors[i, name] = _InputPrior.of(np.asarray(self.run[name].values[i], dtype=float))
                    prior = priors[i, name]
                    if prior.constant:
                        continue
                    posterior_median, shift = prior.shift(w)
                    block.append(
                        {
                            "observation": label,
                            "scenario": s,
                            "input": name,
                            "unit": self.run[name].attrs.get("unit", ""),
                            "prior_median": prior.median,
                            "posterior_median": posterior_median,
                            "shift": shift,
                            "pareto_k": float(k[i]),
                        }
                    )
                block.sort(key=lambda r: -abs(r["shift"]) if np.isfinite(r["shift"]) else 0.0)
                rows += block
        return pd.DataFrame(rows, columns=MOVED_COLUMNS)

    def document(self) -> dict[str, Any]:
        """A JSON-ready document: the run's ``run --json`` shape with posterior columns in each
        row, plus ``observations``, ``pareto_k`` and ``ess`` per scenario, and ``moved``."""
        a = self.run.attrs
        return {
            "study": a.get("study"),
            "draws": int(self.run.sizes["draw"]),
            "seed": json_value(a.get("seed")),
            "method": a.get("method"),
            "ci": self.ci,
            "observations": [o.to_dict() for o in self.observations.values()],
            "pareto_k": {s: json_value(k) for s, k in zip(self.scenarios, self.pareto_k.values, strict=True)},
            "ess": {s: json_value(e) for s, e in zip(self.scenarios, self.ess.values, strict=True)},
            "weights": {s: self.estimator(s) for s in self.scenarios},
            "results": [{k: json_value(v) for k, v in row.items()} for row in self.table.to_dict("records")],
            "moved": [{k: json_value(v) for k, v in row.items()} for row in self.moved.to_dict("records")],
        }

    def dataset(self) -> xr.Dataset:
        """The run with its weights stored (:func:`attach_weights`), ready to save."""
        return attach_weights(self.run, self)


@dataclass(frozen=True)
class _InputPrior:
    """An input's prior draws, sorted once, and its scale for :attr:`Conditioned.moved`."""

    order: NDArray  # argsort of the draws
    sorted_draws: NDArray  # the draws, sorted
    scaled: NDArray  # the same on the scale shifts are measured on (log for positive draws)
    median: float  # of the draws
    centre: float  # median (continuous) or mean (discrete) on that scale
    spread: float  # IQR / 1.349 (continuous) or sd (discrete) on that scale
    discrete: bool
    constant: bool

    @classmethod
    def of(cls, x: NDArray) -> _InputPrior:
        order = np.argsort(x)
        xs = x[order]
        constant = bool(xs[0] == xs[-1])
        ys = np.log(xs) if xs[0] > 0 else xs
        discrete = np.unique(x[:1000]).size <= DISCRETE_VALUES
        q1, q2, q3 = np.quantile(ys, [0.25, 0.5, 0.75])
        centre, spread = float(q2), float((q3 - q1) / IQR_PER_SD)
        if discrete or spread == 0:
            discrete, centre, spread = True, float(np.mean(ys)), float(np.std(ys))
        return cls(order, xs, ys, float(np.median(xs)), centre, spread, discrete, constant)

    def shift(self, w: NDArray) -> tuple[float, float]:
        """Posterior median under weights ``w`` (in draw order), and the shift in prior units."""
        ws = w[self.order]
        posterior_median = float(sorted_weighted_quantiles(self.sorted_draws, ws, np.array([0.5]))[0])
        if self.spread == 0:
            return posterior_median, math.nan
        if self.discrete:
            moved = float(np.sum(ws * self.scaled) / np.sum(ws))
        else:
            moved = float(sorted_weighted_quantiles(self.scaled, ws, np.array([0.5]))[0])
        return posterior_median, (moved - self.centre) / self.spread


# ----------------------------------------------------------------------------- storage
def attach_weights(res: xr.Dataset, conditioned: Conditioned) -> xr.Dataset:
    """``res`` with the conditioned weights as the variable ``log_weight`` (dims scenario, draw).

    Its attrs carry ``role = "weight"``, the observations (JSON), and ``pareto_k`` and ``ess``
    per scenario, so that :func:`read_weights` gives the :class:`Conditioned` back and
    :func:`condition` can redo it (``observations=None``) from a saved file, without simulating.
    """
    run = res.drop_vars(WEIGHT, errors="ignore")
    if [str(s) for s in run["scenario"].values] != conditioned.scenarios or run.sizes["draw"] != (
        conditioned.run.sizes["draw"]
    ):
        raise StudyError("the weights belong to another run (scenarios or draws differ)", key=WEIGHT)
    lw = conditioned.log_weight.transpose("scenario", "draw").copy()
    lw.attrs = {
        "role": "weight",
        "unit": "1",
        "description": "importance log weights of the draws given the observations (raw, or "
        "Pareto-smoothed where the attribute smoothed is 1) "
        "(logsumexp over draws is 0 in each scenario)",
        "observations": json.dumps([o.to_dict() for o in conditioned.observations.values()]),
        "pareto_k": np.asarray(conditioned.pareto_k.values, dtype=float),
        "ess": np.asarray(conditioned.ess.values, dtype=float),
        "ci": float(conditioned.ci),
    }
    if conditioned.smoothed is not None:
        lw.attrs["smoothed"] = np.asarray(conditioned.smoothed.values, dtype=np.int8)
    return run.assign({WEIGHT: lw})


def stored_observations(res: xr.Dataset) -> dict[str, Observation]:
    """The observations whose weights ``res`` carries (empty when it carries none)."""
    if WEIGHT not in res:
        return {}
    try:
        items = json.loads(str(res[WEIGHT].attrs["observations"]))
        return {d["name"]: Observation.from_dict(d) for d in items}
    except (KeyError, TypeError, ValueError) as exc:
        raise StudyError(f"the stored observations cannot be read ({exc})", key=WEIGHT) from None


def read_weights(res: xr.Dataset, *, ci: float | None = None) -> Conditioned:
    """The :class:`Conditioned` whose weights ``res`` carries (as stored, not recomputed)."""
    if WEIGHT not in res:
        raise StudyError("the run carries no weights (condition it first)", key=WEIGHT)
    da = res[WEIGHT]
    observations = stored_observations(res)
    scen = {"scenario": res["scenario"]}
    try:
        k = np.atleast_1d(np.asarray(da.attrs["pareto_k"], dtype=float))
        ess = np.atleast_1d(np.asarray(da.attrs["ess"], dtype=float))
        ci = float(da.attrs.get("ci", 0.9)) if ci is None else ci
        flags = da.attrs.get("smoothed")
        smoothed = None if flags is None else np.atleast_1d(np.asarray(flags, dtype=bool))
    except (KeyError, TypeError, ValueError) as exc:
        raise StudyError(f"the stored diagnostics cannot be read ({exc})", key=WEIGHT) from None
    _check_ci(ci)
    log_weight = da.transpose("scenario", "draw").copy()
    log_weight.attrs = {}
    return Conditioned(
        res.drop_vars(WEIGHT),
        observations,
        log_weight,
        xr.DataArray(k, dims="scenario", coords=scen, name="pareto_k"),
        xr.DataArray(ess, dims="scenario", coords=scen, name="ess"),
        ci,
        None if smoothed is None else xr.DataArray(smoothed, dims="scenario", coords=scen, name="smoothed"),
    )
