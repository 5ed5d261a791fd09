"""Condition a run on observations: importance weights of its prior draws, Pareto-smoothed.

Each draw of a run is weighted by the likelihood of the observations given that draw; the weights
are smoothed by Pareto-smoothed importance sampling (PSIS, from arviz-stats), whose k̂ says whether
they can be trusted, and posterior summaries are weighted quantiles. Nothing is simulated again:
a saved run is conditioned from its draws, and the weights are stored with it. The same weights
power-scale one input's prior at a time (:func:`prior_sensitivity`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from scipy import special

from ..errors import StudyError, did_you_mean
from ..io import json_value
from ..study.observations import Observation, parse_observations

if TYPE_CHECKING:  # for annotations only
    from ..distributions import Distribution
    from ..study.loader import Study

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
    "prior_sensitivity",
    "WEIGHT",
    "MAX_PARETO_K",
    "TAIL_DRAWS",
]

#: name of the Dataset variable that stores a run's log weights
WEIGHT = "log_weight"
#: k̂ above which PSIS weights are not trusted (Vehtari et al. 2024, sec. 3.2.4)
MAX_PARETO_K = 0.7
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


# ----------------------------------------------------------------------------- kernels
def weighted_quantiles(x: ArrayLike, weights: ArrayLike, probs: ArrayLike) -> NDArray:
    """Quantiles of the last axis of ``x`` under ``weights``, by inverting the weighted CDF.

    The ``p`` quantile is the smallest draw whose cumulative normalized weight reaches ``p``
    (``numpy.quantile(x, p, weights=w, method="inverted_cdf")``): with weights that are whole
    numbers it is the quantile of the draws repeated that many times.

    Parameters
    ----------
    x : array_like
        Draws, shape ``(..., n)``.
    weights : array_like
        Non-negative weights broadcastable to ``x`` (need not be normalized); each series needs
        a positive total.
    probs : array_like
        Probabilities in [0, 1], any shape.

    Returns
    -------
    ndarray
        Shape ``(..., *probs.shape)``: the series' leading shape, then one value per probability.

    Examples
    --------
    >>> weighted_quantiles([1.0, 2.0, 3.0, 4.0], [1, 0, 0, 3], [0.25, 0.5])
    array([1., 4.])
    """
    x = np.asarray(x, dtype=float)
    w = np.broadcast_to(np.asarray(weights, dtype=float), x.shape)
    probs = np.asarray(probs, dtype=float)
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    if np.any((probs < 0) | (probs > 1)):
        raise ValueError("probabilities must be in [0, 1]")
    order = np.argsort(x, axis=-1)
    xs = np.take_along_axis(x, order, axis=-1)
    out = _sorted_quantiles(xs, np.take_along_axis(w, order, axis=-1), probs.ravel())
    return out.reshape((*x.shape[:-1], *probs.shape))


def _sorted_quantiles(xs: NDArray, ws: NDArray, probs: NDArray) -> NDArray:
    """:func:`weighted_quantiles` of draws already sorted along the last axis (``ws`` in the
    same order); ``probs`` 1-d, results last."""
    cdf = np.cumsum(ws, axis=-1)
    total = cdf[..., -1:]
    if np.any(total <= 0):
        raise ValueError("every series needs a positive total weight")
    cdf /= total
    n = xs.shape[-1]
    out = np.empty((*xs.shape[:-1], probs.size))
    tiny = np.finfo(float).tiny  # p = 0: the first draw of positive weight, not a leading zero
    for j, p in enumerate(probs):  # a few probabilities, each vectorized over series
        k = np.minimum(np.count_nonzero(cdf < max(p, tiny), axis=-1), n - 1)
        out[..., j] = np.take_along_axis(xs, k[..., None], axis=-1)[..., 0]
    return out


def kish_ess(log_weights: ArrayLike, axis: int = -1) -> NDArray:
    """Kish's effective sample size ``1 / Σ w²`` of the normalized weights ``exp(log_weights)``.

    Equal weights give the number of draws; one draw with all the weight gives 1.
    """
    lw = np.asarray(log_weights, dtype=float)
    lw = lw - special.logsumexp(lw, axis=axis, keepdims=True)
    return np.exp(-special.logsumexp(2 * lw, axis=axis))


def khat_threshold(draws: int) -> float:
    """The largest Pareto k̂ at which PSIS estimates from ``draws`` draws can be trusted.

    ``min(1 - 1 / log10(draws), 0.7)`` (Vehtari, Simpson, Gelman, Yao & Gabry, Pareto Smoothed
    Importance Sampling, JMLR 25(72), 2024, sec. 3.2.4): 0.7 from about 2,200 draws on, lower for
    fewer draws.
    """
    if draws <= 10:
        return -math.inf
    return min(1 - 1 / math.log10(draws), MAX_PARETO_K)


def psis_log_weights(log_ratios: ArrayLike, r_eff: float = 1.0) -> tuple[NDArray, NDArray]:
    """Pareto-smoothed, normalized log importance weights along the last axis, and each k̂.

    Parameters
    ----------
    log_ratios : array_like
        ``log(target density / proposal density)`` of each draw, shape ``(..., n)``; to condition
        prior draws on observations, the log-likelihood. ``-inf`` is a draw the target rules out.
    r_eff : float
        Relative efficiency of the draws (1 for independent draws; conservative for LHS and Sobol).

    Returns
    -------
    log_weights : ndarray
        Shape ``(..., n)``; ``logsumexp`` over the last axis is 0.
    pareto_k : ndarray
        Shape ``(...)``. ``nan`` where there is no tail to smooth (every draw of the series has the
        same finite ratio, or its largest ratios are all equal: the weights are bounded and used
        as they are); ``inf`` where the tail cannot be fitted (no draw is allowed, or the largest
        weights differ by more than the floating-point range: a handful of draws carry all the
        weight).

    Notes
    -----
    Smoothing is :func:`arviz_stats.base.array_stats.psislw` (Vehtari et al. 2024), which takes a
    log-likelihood whose negative is a log weight, as in leave-one-out cross-validation; it is
    given ``-log_ratios``.
    """
    from arviz_stats.base import array_stats

    lr = np.asarray(log_ratios, dtype=float)
    flat = lr.reshape(-1, lr.shape[-1])
    out = np.empty_like(flat)
    khat = np.empty(len(flat))
    for i, row in enumerate(flat):  # one series per scenario
        allowed = np.isfinite(row)
        if not allowed.any():
            out[i], khat[i] = np.nan, np.inf
            continue
        if np.ptp(row[allowed]) == 0:
            out[i] = np.where(allowed, -math.log(allowed.sum()), -np.inf)
            khat[i] = np.nan
            continue
        try:
            with np.errstate(all="ignore"):  # a degenerate tail divides by zero; detected below
                lw, k = array_stats.psislw(-row, r_eff)
        except ValueError:  # "All tail values are the same": bounded weights, nothing to smooth
            lw, k = row - special.logsumexp(row), np.nan
        k = float(k)
        if np.isnan(lw).any() or np.isinf(k):
            out[i], khat[i] = row - special.logsumexp(row), np.inf
        else:
            out[i], khat[i] = lw, k
    return out.reshape(lr.shape), khat.reshape(lr.shape[:-1])


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
    posterior the target, so the log ratio is the log-likelihood. The weights are smoothed by
    PSIS (:func:`psis_log_weights`, ``r_eff = 1``), which also estimates k̂ of their tail. The
    effective sample size is Kish's, of the smoothed weights. An observation of an output
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
    log_w, k, ess = _weights(run, sum(per.values()))
    _check_trust(run, observations, per, k, ess, ci)
    return Conditioned(run, observations, log_w, k, ess, ci)


def _weights(run: xr.Dataset, ll: ArrayLike) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray]:
    lw, k = psis_log_weights(ll)
    scen = {"scenario": run["scenario"]}
    return (
        xr.DataArray(lw, dims=("scenario", "draw"), coords={**scen, "draw": run["draw"]}, name=WEIGHT),
        xr.DataArray(k, dims="scenario", coords=scen, name="pareto_k"),
        xr.DataArray(kish_ess(lw), dims="scenario", coords=scen, name="ess"),
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
        PSIS-smoothed log weights, dims ``(scenario, draw)``, ``logsumexp`` over draws 0.
    pareto_k, ess : xarray.DataArray
        Per scenario: k̂ of the weights (``nan`` where nothing needed smoothing, e.g. a scenario
        no observation applies to) and Kish's effective sample size.
    ci : float
        Probability mass of the intervals.
    """

    run: xr.Dataset
    observations: dict[str, Observation]
    log_weight: xr.DataArray
    pareto_k: xr.DataArray
    ess: xr.DataArray
    ci: float = 0.9

    @property
    def weights(self) -> xr.DataArray:
        """Normalized weights (each scenario's sum to 1)."""
        # numpy's stubs type np.exp of a DataArray as an ndarray; __array_ufunc__ keeps it a DataArray
        return cast(xr.DataArray, np.exp(self.log_weight)).rename("weight")

    @property
    def scenarios(self) -> list[str]:
        return [str(s) for s in self.run["scenario"].values]

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
                lw, k = psis_log_weights(sum(_log_likelihoods(self.run, subset).values()))
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
        posterior_median = float(_sorted_quantiles(self.sorted_draws, ws, np.array([0.5]))[0])
        if self.spread == 0:
            return posterior_median, math.nan
        if self.discrete:
            moved = float(np.sum(ws * self.scaled) / np.sum(ws))
        else:
            moved = float(_sorted_quantiles(self.scaled, ws, np.array([0.5]))[0])
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
        "description": "Pareto-smoothed importance log weights of the draws given the observations "
        "(logsumexp over draws is 0 in each scenario)",
        "observations": json.dumps([o.to_dict() for o in conditioned.observations.values()]),
        "pareto_k": np.asarray(conditioned.pareto_k.values, dtype=float),
        "ess": np.asarray(conditioned.ess.values, dtype=float),
        "ci": float(conditioned.ci),
    }
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
    )


# ----------------------------------------------------------------------------- prior sensitivity
def prior_sensitivity(
    res: xr.Dataset | Conditioned,
    output: str | None = None,
    *,
    scenario: str | None = None,
    at: Mapping[str, Any] | None = None,
    study: Study | str | None = None,
    alphas: tuple[float, float] = (0.99, 1.01),
) -> pd.DataFrame:
    """Rank inputs by how much ``output`` moves when each input's prior is power-scaled.

    Power-scaling one input's prior ``p(θ)`` to ``p(θ)^α`` makes it more (``α > 1``) or less
    (``α < 1``) confident; importance weights ``p(θ)^(α-1)`` of the run's draws give the output's
    distribution under the scaled prior without simulating again. The index is the derivative
    of the cumulative Jensen-Shannon distance between the output's distributions at ``α`` and
    at 1, averaged over ``alphas`` (Kallioinen, Paananen, Bürkner & Vehtari, Detecting and
    diagnosing prior and likelihood sensitivity with power-scaling, Stat Comput 34, 57, 2024;
    :func:`arviz_stats.base.array_stats.power_scale_lw` and ``power_scale_sense``). Above about
    0.05 the output depends noticeably on how confident that prior is.

    Parameters
    ----------
    res : xarray.Dataset or Conditioned
        A run; a :class:`Conditioned` (or a run that carries weights) is analysed as its
        posterior, resampled deterministically (systematic resampling) to equal-weight draws.
    output : str, optional
        Output variable (default: the study's headline output).
    scenario : str, optional
        Default ``"base"`` (or the run's first scenario).
    at : mapping, optional
        For an output with a year dim, ``{"year": Y}`` (default: the last year).
    study : Study or str, optional
        Default: rebuilt from the run's ``study_toml``; its distributions give each input's prior
        density at its draws.
    alphas : (float, float)
        The lower (< 1) and upper (> 1) powers.

    Returns
    -------
    pandas.DataFrame
        Columns ``input``, ``index``, ``dist``; largest ``index`` first. ``attrs``: ``output``,
        ``method = "prior"``, ``scenario``, ``unit``, ``conditioned``, and ``skipped`` (input:
        reason) for inputs without a density to scale: point values, catalogue choices among
        chips and empirical samples. A structural choice is scaled through its probabilities.
        A flat prior (uniform) is unchanged by power-scaling and gets index 0. Correlated inputs
        are scaled through their marginal densities only.
    """
    from arviz_stats.base import array_stats

    from ..study.loader import BASE, load_study, parse_study

    conditioned: Conditioned | None
    if isinstance(res, Conditioned):
        conditioned, run = res, res.run
    else:
        conditioned = read_weights(res) if WEIGHT in res else None
        run = conditioned.run if conditioned is not None else res
    if study is not None:
        study = load_study(study)
    elif run.attrs.get("study_toml"):
        study = parse_study(str(run.attrs["study_toml"]), str(run.attrs.get("study_path") or "<saved run>"))
    else:
        raise StudyError("the run carries no study text; pass study=", key="study")
    output = study.headline if output is None else output
    if output not in study.outputs or output not in run:
        raise StudyError(f"no output {output!r}" + did_you_mean(str(output), study.outputs), key="output")
    names = [str(s) for s in run["scenario"].values]
    scenario = (BASE if BASE in names else names[0]) if scenario is None else scenario
    if scenario not in names:
        raise StudyError(
            f"the run has no scenario {scenario!r}" + did_you_mean(scenario, names), key="scenario"
        )
    lower, upper = alphas
    if not (0 < lower < 1 < upper):
        raise StudyError(f"expected 0 < lower < 1 < upper, got {alphas!r}", key="alphas")

    y = _at(run[output].sel(scenario=scenario), at)
    take: slice | NDArray = slice(None)
    if conditioned is not None:
        take = _systematic_resample(np.exp(conditioned.log_weight.sel(scenario=scenario).values))
        y = y[take]
    rows, skipped = [], {}
    for name in study.inputs:
        dist = study.spec(scenario, name).dist
        if dist.is_point:
            skipped[name] = "a point value"
            continue
        log_prior = _log_prior(dist, np.asarray(run[name].sel(scenario=scenario).values, dtype=float))
        if log_prior is None:
            skipped[name] = f"no density to scale ({dist.describe()})"
            continue
        log_prior = log_prior[take]
        finite = log_prior[np.isfinite(log_prior)]
        log_prior = np.nan_to_num(log_prior, neginf=finite.min() if finite.size else 0.0)
        if np.ptp(log_prior) == 0:  # a flat prior: p^α is the same distribution
            index = 0.0
        else:
            w_lower, w_upper = (_power_scale_weights(log_prior, alpha) for alpha in (lower, upper))
            index = float(array_stats.power_scale_sense(y[None], w_lower[None], w_upper[None], lower, upper))
        rows.append({"input": name, "index": index, "dist": dist.describe()})
    table = pd.DataFrame(rows, columns=["input", "index", "dist"])
    table = table.sort_values("index", ascending=False, kind="stable").reset_index(drop=True)
    table.attrs.update(
        output=output,
        method="prior",
        scenario=scenario,
        unit=study.outputs[output].unit,
        conditioned=conditioned is not None,
        skipped=skipped,
        alphas=list(alphas),
    )
    return table


def _at(da: xr.DataArray, at: Mapping[str, Any] | None) -> NDArray:
    """The draws of one element of a variable: extra dims at ``at`` or their last coordinate."""
    at = dict(at or {})
    extra = [str(d) for d in da.dims if d != "draw"]
    unknown = [d for d in at if d not in extra]
    if unknown:
        raise StudyError(f"{da.name} has no dimension {unknown[0]!r} (it has {extra or 'none'})", key="at")
    for d in extra:
        values = [v.item() for v in da[d].values]
        if d in at and at[d] not in values:
            raise StudyError(f"{at[d]!r} is not among {values}", key=f"at.{d}")
        da = da.sel({d: at.get(d, values[-1])})
    return np.asarray(da.values, dtype=float)


def _power_scale_weights(log_prior: NDArray, alpha: float) -> NDArray:
    """Normalized weights ``p^(alpha - 1)`` of draws from ``p``, Pareto-smoothed by arviz-stats.

    A discrete prior's weights take a few values and their largest are all equal: there is no
    tail to smooth, and they are used as they are.
    """
    from arviz_stats.base import array_stats

    try:
        log_w = array_stats.power_scale_lw(log_prior, alpha=alpha)
    except ValueError:  # "All tail values are the same"
        log_w = (alpha - 1) * log_prior
        log_w = log_w - special.logsumexp(log_w)
    return np.exp(log_w)


def _systematic_resample(w: NDArray) -> NDArray:
    """Indices of ``len(w)`` equal-weight draws standing for weights ``w`` (systematic
    resampling at the midpoints ``(i + 0.5) / n``: no randomness)."""
    n = w.size
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, (np.arange(n) + 0.5) / n), n - 1)


def _log_prior(dist: Distribution, x: NDArray) -> NDArray | None:
    """Log prior density (or probability, for a choice) of the draws ``x``; None if it has none."""
    from ..distributions import Choice, Scaled

    if isinstance(dist, Scaled):  # a unit conversion: the density of x / factor, up to a constant
        return _log_prior(dist.base, x / dist.factor)
    if dist.continuous:
        try:
            with np.errstate(divide="ignore"):
                return np.log(dist.pdf(x))
        except NotImplementedError:
            return None
    if isinstance(dist, Choice):
        order = np.argsort(dist.values)
        values, probs = dist.values[order], dist.probs[order]
        pos = np.clip(np.searchsorted(values, x), 0, values.size - 1)
        if not np.all(values[pos] == x):
            return None
        with np.errstate(divide="ignore"):
            return np.log(probs[pos])
    return None
