"""Prior sensitivity by power-scaling: how much an output moves when one input's prior is made
more or less confident, from importance weights of the run's own draws (Kallioinen et al. 2024);
a conditioned run is analysed as its posterior."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray
from scipy import special

from ..errors import StudyError, did_you_mean
from .conditioning import WEIGHT, Conditioned, read_weights

if TYPE_CHECKING:  # for annotations only
    from ..distributions import Distribution
    from ..study.loader import Study

__all__ = ["prior_sensitivity"]


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
