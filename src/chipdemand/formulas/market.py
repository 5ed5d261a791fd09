"""Market sizing and growth: firms × spend, regional shares, growth rates and projections.

The Ping An (2023-02-28) AI-server market chain, compound growth (CAGR, doubling times, "750×
every two years"), projections along a year axis and the first year demand meets supply.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._typing import FloatArray, Values
from ._units import units

__all__ = [
    "firms_building_own",
    "market_size",
    "global_from_share",
    "cagr",
    "project",
    "growth_per_period_to_rate",
    "annual_factor_from_growth",
    "annual_factor_from_doubling_months",
    "doubling_months_from_annual_factor",
    "first_crossing",
    "crossing_year",
]


@units("firm", firms_in_region="firm", region_share_of_total="1", share_building="1")
def firms_building_own(
    firms_in_region: Values, region_share_of_total: Values, share_building: Values
) -> Values:
    """Firms that build their own compute: regional firms ÷ region's share × share building.

    Parameters
    ----------
    firms_in_region : float or ndarray
        Firms counted in one region (count; Ping An: 1,048 core AI firms in Beijing).
    region_share_of_total : float or ndarray
        The region's share of all firms, dimensionless in (0, 1] (Ping An: 0.29).
    share_building : float or ndarray
        Share of all firms that build their own data centre, dimensionless (Ping An: 0.02).

    Returns
    -------
    float or ndarray
        Firms building their own (count, not rounded).

    Examples
    --------
    >>> round(firms_building_own(1048, 0.29, 0.02), 2)
    72.28
    """
    return 1.0 * firms_in_region / region_share_of_total * share_building


@units("USD", firms="firm", spend_per_firm="USD/firm")
def market_size(firms: Values, spend_per_firm: Values) -> Values:
    """Market size: firms × spend per firm.

    Parameters
    ----------
    firms : float or ndarray
        Buyers (count).
    spend_per_firm : float or ndarray
        Spend of one buyer, USD.

    Returns
    -------
    float or ndarray
        Market, USD.
    """
    return 1.0 * firms * spend_per_firm


@units("{X}", regional="{X}", share="1")
def global_from_share(regional: Values, share: Values) -> Values:
    """A global total from a regional one and the region's share: regional ÷ share.

    Parameters
    ----------
    regional : float or ndarray
        Regional amount (any unit; USD for a market).
    share : float or ndarray
        The region's share of the global total, dimensionless in (0, 1].

    Returns
    -------
    float or ndarray
        Global amount, in the unit of ``regional``.
    """
    return 1.0 * regional / share


@units("1", start="{X}", end="{X}", years="year")
def cagr(start: Values, end: Values, years: Values) -> Values:
    """Compound annual growth rate: (end ÷ start)^(1/years) − 1.

    Parameters
    ----------
    start, end : float or ndarray
        Values at the start and the end (same unit; only their ratio matters).
    years : float or ndarray
        Years between them.

    Returns
    -------
    float or ndarray
        Growth rate per year, dimensionless (0.476 = 47.6%).
    """
    return (end / start) ** (1.0 / years) - 1.0


@units("{X}", elementwise=False, start="{X}", rate="1", years="1", base_year="1")
def project(start: ArrayLike, rate: ArrayLike, years: ArrayLike, *, base_year: float = 0.0) -> FloatArray:
    """Values grown at a compound rate along a trailing year axis: start × (1 + rate)^(y − y₀).

    ``start`` and ``rate`` broadcast against each other (shape ``S``, e.g. ``(draws,)``);
    ``years`` (shape ``(n_years,)``) becomes a new last axis, so the result has shape
    ``S + (n_years,)``.

    Parameters
    ----------
    start : float or ndarray
        Value in ``base_year`` (any unit).
    rate : float or ndarray
        Growth rate per year, dimensionless (0.2 = 20%/yr).
    years : float or array_like, shape (n_years,)
        Years to evaluate (calendar years with ``base_year``, or years elapsed).
    base_year : float, optional
        The year of ``start``, year.

    Returns
    -------
    ndarray, shape ``S + (n_years,)``
        Projected values, in the unit of ``start``.
    """
    start, rate = np.broadcast_arrays(np.asarray(start, dtype=float), np.asarray(rate, dtype=float))
    elapsed = np.asarray(years, dtype=float) - base_year
    return start[..., np.newaxis] * (1.0 + rate[..., np.newaxis]) ** elapsed


@units("1", factor="1", period_years="year")
def growth_per_period_to_rate(factor: Values, period_years: Values) -> Values:
    """Annual growth rate from growth by ``factor`` every ``period_years``: factor^(1/period) − 1.

    Parameters
    ----------
    factor : float or ndarray
        Growth over one period, dimensionless (750 for "750× every two years").
    period_years : float or ndarray
        Length of the period, years.

    Returns
    -------
    float or ndarray
        Growth rate per year, dimensionless.
    """
    return annual_factor_from_growth(factor, period_years) - 1.0


@units("1", factor="1", period_years="year")
def annual_factor_from_growth(factor: Values, period_years: Values) -> Values:
    """Annual growth factor from growth by ``factor`` every ``period_years``: factor^(1/period).

    Parameters
    ----------
    factor : float or ndarray
        Growth over one period, dimensionless.
    period_years : float or ndarray
        Length of the period, years.

    Returns
    -------
    float or ndarray
        Growth per year, dimensionless factor (27.4 for 750× every two years).
    """
    return factor ** (1.0 / period_years)


@units("1", doubling_months="month")
def annual_factor_from_doubling_months(doubling_months: Values) -> Values:
    """Annual growth factor from a doubling time: 2^(12 / months).

    Parameters
    ----------
    doubling_months : float or ndarray
        Doubling time, months (OpenAI 2018: 3.43; Sevilla et al. 2022, large-scale era: 9.9).

    Returns
    -------
    float or ndarray
        Growth per year, dimensionless factor.
    """
    return 2.0 ** (12.0 / doubling_months)


@units("month", annual_factor="1")
def doubling_months_from_annual_factor(annual_factor: Values) -> Values:
    """Doubling time from an annual growth factor: 12 · ln 2 ÷ ln(factor).

    Parameters
    ----------
    annual_factor : float or ndarray
        Growth per year, dimensionless factor > 1.

    Returns
    -------
    float or ndarray
        Doubling time, months.
    """
    return 12.0 * np.log(2.0) / np.log(annual_factor)


@units("1", elementwise=False, demand="{X}", supply="{X}", years="1", never="1")
def first_crossing(
    demand: ArrayLike, supply: ArrayLike, years: ArrayLike, *, never: float = np.inf
) -> FloatArray:
    """The first year in which demand reaches supply (demand ≥ supply), per draw.

    Compares along the last axis, which must match ``years``. A draw whose demand stays below
    supply through the last year gets ``never`` (``+inf`` by default: "not within the
    horizon", which sorts after every year, so quantiles and exceedance counts stay right).
    NaN values never count as a crossing.

    Parameters
    ----------
    demand : ndarray, shape ``S + (n_years,)``
        Demand per year (any unit).
    supply : float or ndarray, broadcastable to ``demand``
        Supply per year, in the unit of ``demand``.
    years : array_like, shape (n_years,)
        The years of the last axis, year.
    never : float, optional
        Value for draws that never cross, year.

    Returns
    -------
    float or ndarray, shape ``S``
        First year with demand ≥ supply, year (or ``never``).
    """
    years = np.asarray(years, dtype=float)
    crossed = np.asarray(demand) >= np.asarray(supply)
    first = np.argmax(crossed, axis=-1)
    return np.where(np.any(crossed, axis=-1), years[first], never)


@units(
    "1",
    demand_start="{X}",
    demand_factor="1",
    supply_start="{X}",
    supply_factor="1",
    start_year="1",
    horizon="1",
)
def crossing_year(
    demand_start: Values,
    demand_factor: Values,
    supply_start: Values,
    supply_factor: Values,
    start_year: Values,
    *,
    horizon: float = 2100.0,
) -> Values:
    """First whole year (from ``start_year``) in which an exponential demand reaches supply.

    Demand and supply grow by constant factors a year, so the crossing has a closed form:
    k = ⌈ln(supply₀ ÷ demand₀) ÷ ln(g_demand ÷ g_supply)⌉ years after ``start_year`` (0 if demand
    already reaches supply). Where demand never catches up (g_demand ≤ g_supply and demand₀ <
    supply₀) or would only after ``horizon``, the result is ``horizon``.

    Parameters
    ----------
    demand_start, supply_start : ndarray
        Demand and supply in ``start_year`` (one unit for both).
    demand_factor, supply_factor : ndarray
        Growth per year, dimensionless factors.
    start_year : float
        The first year, year.
    horizon : float, optional
        Year returned for "not before this year".

    Returns
    -------
    ndarray
        The crossing year, year.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gap = np.log(supply_start / demand_start)
        closing = np.log(demand_factor / supply_factor)
        years = np.ceil(gap / closing * (1.0 - 1e-12))
    already = gap <= 0
    catches_up = (closing > 0) & ~already
    year = np.where(already, start_year, np.where(catches_up, start_year + years, horizon))
    return np.minimum(year, horizon)
