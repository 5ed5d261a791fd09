"""From compute to hardware: chips, servers and capital expenditure.

Chips for a FLOP budget or for GPU-time, provisioning for peak load and utilization, servers
rounded up as the reports do, and conversions between chip generations. Power, energy,
emissions and electricity are in :mod:`chipdemand.formulas.energy`.
"""

from __future__ import annotations

import numpy as np

from .._typing import Values
from ._units import units

__all__ = [
    "SECONDS_PER_DAY",
    "SECONDS_PER_HOUR",
    "chips_needed",
    "chips_busy",
    "provisioned_chips",
    "servers_needed",
    "capex",
    "gpu_hours",
    "compute_seconds",
    "model_flops_utilization",
    "convert_chips_by_peak",
]

SECONDS_PER_DAY = 86_400.0
SECONDS_PER_HOUR = 3_600.0

# A ratio this close to an integer (relative) counts as that integer when rounding up, so that
# floating-point noise (3.0000000000000004) does not buy a whole server.
_INTEGER_RTOL = 1e-9


@units("chip", flops_per_period="FLOP", peak_flops="FLOPS", utilization="1", seconds_per_period="s")
def chips_needed(
    flops_per_period: Values,
    peak_flops: Values,
    utilization: Values = 1.0,
    seconds_per_period: Values = SECONDS_PER_DAY,
) -> Values:
    """Chips to deliver a compute budget within a period: FLOPs ÷ (peak × utilization × seconds).

    Parameters
    ----------
    flops_per_period : float or ndarray
        Compute to deliver in one period, FLOP.
    peak_flops : float or ndarray
        Peak throughput of one chip at the precision used, FLOP/s.
    utilization : float or ndarray, optional
        Share of the peak sustained, dimensionless in (0, 1].
    seconds_per_period : float or ndarray, optional
        Length of the period, s (86,400 for a day).

    Returns
    -------
    float or ndarray
        Chips (count, not rounded).

    Examples
    --------
    Minsheng 2024-02-25: 4.977e26 FLOP a day on A100s at 312 TFLOPS and full use:

    >>> f"{chips_needed(4.97664e26, 312e12):.4g}"
    '1.846e+07'
    """
    return 1.0 * flops_per_period / (peak_flops * utilization * seconds_per_period)


@units("chip", gpu_seconds_per_day="s/day", seconds_per_day="s/day")
def chips_busy(gpu_seconds_per_day: Values, seconds_per_day: Values = SECONDS_PER_DAY) -> Values:
    """Chips busy around the clock: GPU-seconds per day ÷ 86,400 s.

    Parameters
    ----------
    gpu_seconds_per_day : float or ndarray
        GPU time needed per day, s/day.
    seconds_per_day : float or ndarray, optional
        Seconds in a day, s/day.

    Returns
    -------
    float or ndarray
        Chips (count, not rounded).
    """
    return 1.0 * gpu_seconds_per_day / seconds_per_day


@units("chip", average_chips="chip", peak_to_average="1", utilization="1")
def provisioned_chips(
    average_chips: Values, peak_to_average: Values = 1.0, utilization: Values = 1.0
) -> Values:
    """Chips to install for a load: average chips × peak-to-average ÷ utilization.

    Parameters
    ----------
    average_chips : float or ndarray
        Chips the average load keeps busy (count).
    peak_to_average : float or ndarray, optional
        Peak load ÷ average load, dimensionless ≥ 1.
    utilization : float or ndarray, optional
        Share of installed chip time spent on the load, dimensionless in (0, 1].

    Returns
    -------
    float or ndarray
        Chips (count, not rounded).
    """
    return 1.0 * average_chips * peak_to_average / utilization


@units("server", chips="chip", chips_per_server="chip/server", round_up="bool")
def servers_needed(chips: Values, chips_per_server: Values, round_up: bool = True) -> Values:
    """Servers to hold the chips: ⌈chips ÷ chips per server⌉ (as the reports do: ⌈16,204/8⌉ = 2,026).

    A ratio within 1e-9 (relative) of an integer counts as that integer, so floating-point noise
    does not add a server. ``round_up=False`` returns the fractional count.

    Parameters
    ----------
    chips : float or ndarray
        Chips (count).
    chips_per_server : float or ndarray
        Chips per server (count; 8 for a DGX or HGX).
    round_up : bool, optional
        Round up to whole servers.

    Returns
    -------
    float or ndarray
        Servers (count).
    """
    servers = 1.0 * chips / chips_per_server
    if round_up:
        return np.ceil(np.asarray(servers, dtype=float) * (1.0 - _INTEGER_RTOL))
    return servers


@units("USD", units="1", unit_price="USD")
def capex(units: Values, unit_price: Values) -> Values:
    """Capital expenditure: units × price per unit.

    Parameters
    ----------
    units : float or ndarray
        Units bought (chips or servers; count).
    unit_price : float or ndarray
        Price of one unit, USD.

    Returns
    -------
    float or ndarray
        Spend, USD.
    """
    return 1.0 * units * unit_price


@units("hour", flops="FLOP", peak_flops="FLOPS", utilization="1")
def gpu_hours(flops: Values, peak_flops: Values, utilization: Values = 1.0) -> Values:
    """Chip-hours to perform a compute budget: FLOPs ÷ (peak × utilization) ÷ 3,600 s/h.

    Parameters
    ----------
    flops : float or ndarray
        Compute, FLOP.
    peak_flops : float or ndarray
        Peak throughput of one chip, FLOP/s.
    utilization : float or ndarray, optional
        Share of the peak sustained, dimensionless in (0, 1].

    Returns
    -------
    float or ndarray
        Chip time, hours (multiply by a price per chip-hour for a cloud bill).
    """
    return 1.0 * flops / (peak_flops * utilization) / SECONDS_PER_HOUR


@units("s", flops="FLOP", chips="chip", peak_flops="FLOPS", utilization="1")
def compute_seconds(flops: Values, chips: Values, peak_flops: Values, utilization: Values = 1.0) -> Values:
    """Wall-clock time for ``chips`` chips to perform a compute budget.

    Parameters
    ----------
    flops : float or ndarray
        Compute, FLOP.
    chips : float or ndarray
        Chips working together (count).
    peak_flops : float or ndarray
        Peak throughput of one chip, FLOP/s.
    utilization : float or ndarray, optional
        Share of the peak sustained, dimensionless in (0, 1].

    Returns
    -------
    float or ndarray
        Wall-clock time, s.
    """
    return 1.0 * flops / (chips * peak_flops * utilization)


@units("1", tokens_per_second="token/s", flops_per_token="FLOP/token", chips="chip", peak_flops="FLOPS")
def model_flops_utilization(
    tokens_per_second: Values, flops_per_token: Values, chips: Values, peak_flops: Values
) -> Values:
    """Model FLOPs utilization: achieved model FLOP/s ÷ peak FLOP/s of the fleet.

    Parameters
    ----------
    tokens_per_second : float or ndarray
        Throughput of the whole job, token/s.
    flops_per_token : float or ndarray
        Model FLOPs per token (6N for training), FLOP/token.
    chips : float or ndarray
        Chips in the job (count).
    peak_flops : float or ndarray
        Peak throughput of one chip, FLOP/s.

    Returns
    -------
    float or ndarray
        Utilization, dimensionless in (0, 1].
    """
    return 1.0 * tokens_per_second * flops_per_token / (chips * peak_flops)


@units("chip", chips="chip", peak_from="FLOPS", peak_to="FLOPS")
def convert_chips_by_peak(chips: Values, peak_from: Values, peak_to: Values) -> Values:
    """Chips of another kind with the same peak throughput: chips × peak_from ÷ peak_to.

    Peak ratios are a rough guide to real speed-ups. Ping An (2023-02-28) converts Microsoft's
    10,000 V100 to "about 3,000 A100"; the dense FP16 tensor peaks (125 and 312 TFLOPS) give
    10,000 × 125 ÷ 312 = 4,006, so the report's conversion implies A100 ≈ 3.33 V100
    (a factor 0.30 rather than 0.40).

    Parameters
    ----------
    chips : float or ndarray
        Chips of the first kind (count).
    peak_from : float or ndarray
        Peak throughput of the first kind, FLOP/s.
    peak_to : float or ndarray
        Peak throughput of the second kind at the same precision, FLOP/s.

    Returns
    -------
    float or ndarray
        Chips of the second kind (count, not rounded).
    """
    return 1.0 * chips * peak_from / peak_to
