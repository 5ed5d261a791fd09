"""Power and energy: from chips to IT and facility power, energy over a period or a training run,
per query and per token, emissions and the electricity bill.

One set of units throughout: power in W, durations in s, energy in J (W·s). Grid carbon intensity
is taken in gCO2e/kWh and electricity prices in USD/kWh, the units they are published in; the two
functions that take them convert with :data:`JOULES_PER_KWH`. Divide by :data:`JOULES_PER_KWH`
(or by 3.6e9 for MWh, 3.6e12 for GWh) to report energy as the sources do.

The chain a fleet follows::

    it = it_power(chips, tdp_watts, average_draw_share, overhead_share)   # W at the servers
    facility = facility_power(it, pue)                                    # W from the grid
    energy = energy_over_period(facility, SECONDS_PER_YEAR)               # J in a year
    emissions(energy, carbon_intensity), electricity_cost(energy, price_per_kwh)
"""

from __future__ import annotations

from .._typing import Values
from ._units import units

__all__ = [
    "JOULES_PER_KWH",
    "SECONDS_PER_HOUR",
    "SECONDS_PER_YEAR",
    "it_power",
    "facility_power",
    "energy_over_period",
    "energy_per_query",
    "energy_per_token",
    "training_energy",
    "emissions",
    "electricity_cost",
    "power_watts",
    "energy_kwh",
    "energy_cost",
]

#: Joules in a kilowatt-hour (3.6e6 J/kWh).
JOULES_PER_KWH = 3.6e6
#: Seconds in an hour.
SECONDS_PER_HOUR = 3_600.0
#: Seconds in a year of 8,760 hours (365 days), the year of annual energy figures (IEA, LBNL, EIA).
SECONDS_PER_YEAR = 8_760 * SECONDS_PER_HOUR

_GRAMS_PER_KG = 1_000.0


@units("W", chips="chip", tdp_watts="W", average_draw_share="1", overhead_share="1")
def it_power(
    chips: Values,
    tdp_watts: Values,
    average_draw_share: Values = 1.0,
    overhead_share: Values = 0.0,
) -> Values:
    """IT power of a fleet: chips × TDP × average draw share × (1 + overhead share).

    The accelerators draw a share of their rated power on average; the rest of the server and
    the hall's IT (CPUs, memory, NICs, fans, switches, storage) adds ``overhead_share`` of the
    accelerators' draw. Cooling and power conversion are not IT: see :func:`facility_power`.

    Parameters
    ----------
    chips : float or ndarray
        Accelerators installed (count).
    tdp_watts : float or ndarray
        Rated power of one accelerator (TDP, maximum board power), W.
    average_draw_share : float or ndarray, optional
        Average draw as a share of TDP over the period, dimensionless in (0, 1] (idle time
        included). 1 gives the rated maximum.
    overhead_share : float or ndarray, optional
        Non-accelerator IT power as a share of the accelerators' power, dimensionless ≥ 0
        (a DGX H100 rated 10.2 kW for 8 × 700 W of GPUs: 10,200 / 5,600 − 1 = 0.82).

    Returns
    -------
    float or ndarray
        IT power, W.

    Examples
    --------
    A DGX H100 at its rated maximum (NVIDIA datasheet: 10.2 kW):

    >>> float(it_power(8, 700, 1.0, 10_200 / 5_600 - 1))
    10200.0
    """
    return 1.0 * chips * tdp_watts * average_draw_share * (1 + overhead_share)


@units("W", it_power="W", pue="1")
def facility_power(it_power: Values, pue: Values) -> Values:
    """Facility power drawn from the grid: IT power × power usage effectiveness.

    Parameters
    ----------
    it_power : float or ndarray
        IT power, W (see :func:`it_power`).
    pue : float or ndarray
        Power usage effectiveness (facility energy ÷ IT energy), dimensionless ≥ 1.

    Returns
    -------
    float or ndarray
        Facility power, W.
    """
    return 1.0 * it_power * pue


@units("J", power="W", period="s")
def energy_over_period(power: Values, period: Values) -> Values:
    """Energy drawn at an average power over a period: power × duration.

    Parameters
    ----------
    power : float or ndarray
        Average power, W.
    period : float or ndarray
        Duration, s (:data:`SECONDS_PER_YEAR` for annual energy).

    Returns
    -------
    float or ndarray
        Energy, J (÷ :data:`JOULES_PER_KWH` for kWh).
    """
    return 1.0 * power * period


@units("J/query", energy="J * {P}", queries="query * {P}")
def energy_per_query(energy: Values, queries: Values) -> Values:
    """Energy per query: energy over a period ÷ queries served in it.

    Parameters
    ----------
    energy : float or ndarray
        Energy, J.
    queries : float or ndarray
        Queries served with that energy (count).

    Returns
    -------
    float or ndarray
        Energy per query, J/query (÷ 3,600 for Wh).
    """
    return 1.0 * energy / queries


@units("J/token", energy="J * {P}", tokens="token * {P}")
def energy_per_token(energy: Values, tokens: Values) -> Values:
    """Energy per token: energy ÷ tokens processed (or generated) with it.

    Parameters
    ----------
    energy : float or ndarray
        Energy, J.
    tokens : float or ndarray
        Tokens (count).

    Returns
    -------
    float or ndarray
        Energy per token, J/token.
    """
    return 1.0 * energy / tokens


@units("J", chip_hours="hour", power_per_chip="W")
def training_energy(chip_hours: Values, power_per_chip: Values) -> Values:
    """Energy of a training run from its chip-hours, as model cards report them.

    Parameters
    ----------
    chip_hours : float or ndarray
        Accelerator time of the run (GPU-hours), h.
    power_per_chip : float or ndarray
        Average power per accelerator, W: the TDP alone (as Meta's and BigScience's model
        cards count), or the accelerator's share of IT or facility power
        (``facility_power(it_power(1, tdp, draw, overhead), pue)``).

    Returns
    -------
    float or ndarray
        Energy, J.

    Notes
    -----
    A run known by its duration and cluster power is :func:`energy_over_period`.
    """
    return 1.0 * chip_hours * SECONDS_PER_HOUR * power_per_chip


@units("kg", energy="J", carbon_intensity="g/kWh")
def emissions(energy: Values, carbon_intensity: Values) -> Values:
    """Greenhouse-gas emissions of the electricity used: energy × grid carbon intensity.

    Parameters
    ----------
    energy : float or ndarray
        Energy drawn from the grid, J.
    carbon_intensity : float or ndarray
        Emissions of the electricity, gCO2e/kWh (location-based: the grid's average).

    Returns
    -------
    float or ndarray
        Emissions, kg CO2e (÷ 1,000 for tonnes).
    """
    return 1.0 * energy / JOULES_PER_KWH * carbon_intensity / _GRAMS_PER_KG


@units("USD", energy="J", price_per_kwh="USD/kWh")
def electricity_cost(energy: Values, price_per_kwh: Values) -> Values:
    """Electricity bill: energy × price.

    Parameters
    ----------
    energy : float or ndarray
        Energy bought, J.
    price_per_kwh : float or ndarray
        Electricity price, USD/kWh.

    Returns
    -------
    float or ndarray
        Cost, USD.
    """
    return 1.0 * energy / JOULES_PER_KWH * price_per_kwh


# The report-chain helpers in kWh and hours (moved here from formulas.hardware): the names say
# their units. New code composes the kernels above.


@units("W", chips="chip", tdp_watts="W", pue="1")
def power_watts(chips: Values, tdp_watts: Values, pue: Values = 1.0) -> Values:
    """Facility power at a given power per chip: chips × watts per chip × PUE.

    ``facility_power(it_power(chips, tdp_watts), pue)``.

    Parameters
    ----------
    chips : float or ndarray
        Chips (count; or servers with watts per server).
    tdp_watts : float or ndarray
        Power per chip, W: the rated TDP for a ceiling, or a measured average draw.
    pue : float or ndarray, optional
        Power usage effectiveness (facility ÷ IT power), dimensionless ≥ 1.

    Returns
    -------
    float or ndarray
        Power drawn from the grid, W.
    """
    return facility_power(it_power(chips, tdp_watts), pue)


@units("kWh", power_watts="W", hours="hour")
def energy_kwh(power_watts: Values, hours: Values) -> Values:
    """Energy in kWh: watts × hours ÷ 1,000.

    Parameters
    ----------
    power_watts : float or ndarray
        Power, W.
    hours : float or ndarray
        Duration, h.

    Returns
    -------
    float or ndarray
        Energy, kWh.
    """
    return 1.0 * power_watts * hours / 1_000.0


@units("USD", energy_kwh="kWh", price_per_kwh="USD/kWh")
def energy_cost(energy_kwh: Values, price_per_kwh: Values) -> Values:
    """Electricity bill from kWh: kWh × price per kWh (:func:`electricity_cost` takes J).

    Parameters
    ----------
    energy_kwh : float or ndarray
        Energy, kWh.
    price_per_kwh : float or ndarray
        Electricity price, USD/kWh.

    Returns
    -------
    float or ndarray
        Cost, USD.
    """
    return 1.0 * energy_kwh * price_per_kwh
