"""``fit``: distribution families fitted to an expert's quantiles, the API's function.

A module of its own, below :mod:`chipdemand.api`, so that fitting imports only what it needs
(the fit of :mod:`chipdemand.distributions.fit` and its result), not the simulation stack with
xarray and pandas: ``chipdemand fit`` answers at once. ``chipdemand.api.fit`` is this function.
"""

from __future__ import annotations

from typing import Any

from . import validate
from .distributions.fit import fit_quantiles
from .errors import StudyError
from .results import Fits
from .validate import FIT_TOLERANCE

__all__ = ["fit"]


def fit(
    *quantiles: Any,
    family: str = "auto",
    tolerance: float = FIT_TOLERANCE,
) -> Fits:
    """Fit distribution families to an expert's quantiles.

    ``fit(p5, p50, p95)`` takes the 5th, 50th and 95th percentiles; ``fit([[0.1, a], [0.5, b],
    [0.9, c], ...])`` any list of ``[probability, value]`` pairs (probabilities and values
    increasing). Every family whose support holds the values is tried (or only ``family``); the
    result lists them best first (see :func:`chipdemand.distributions.fit.fit_quantiles`).
    ``best`` is the first when its quantiles are within ``tolerance`` (relative) of those given,
    else None: no family fits, and the closest is only shown. The same fit runs when a study
    file writes an input as ``quantiles = [[p, v], ...]``.

    Examples
    --------
    >>> cd.fit(1e7, 2e7, 4.5e7).best.family  # doctest: +SKIP
    'lognormal'
    """
    tolerance = validate.probability(tolerance, key="tolerance")
    if len(quantiles) == 3 and all(not isinstance(q, list | tuple) for q in quantiles):
        pairs = [[0.05, quantiles[0]], [0.5, quantiles[1]], [0.95, quantiles[2]]]
        fits = fit_quantiles(*quantiles, family=family, tolerance=tolerance)
    elif len(quantiles) == 1:
        pairs = [list(pair) for pair in quantiles[0]]
        fits = fit_quantiles(pairs, family=family, tolerance=tolerance)
    else:
        raise StudyError("give p5, p50, p95, or a list of [probability, value] pairs", key="quantiles")
    probs = tuple(float(p) for p, _ in pairs)
    values = tuple(float(v) for _, v in pairs)
    return Fits(probs=probs, values=values, candidates=fits, tolerance=tolerance)
