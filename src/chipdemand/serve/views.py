"""What the page draws, computed from a run's draws on the server and sent as compact arrays:
histograms (on a log axis when an output spans more than two decades), exceedance curves, the
inputs' prior densities and their distributions in words.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["view_of_run", "histogram", "exceedance", "input_rows", "words"]

_BINS = 48
_INPUT_BINS = 24
_EXCEEDANCE = np.concatenate([[0.002, 0.005], np.linspace(0.01, 0.99, 50), [0.995, 0.998]])


def _round(values: Any, digits: int = 5) -> list[float | None]:
    """Numbers to ``digits`` significant digits (NaN and inf as None), for a compact JSON array."""
    out: list[float | None] = []
    for v in np.asarray(values, dtype=float).ravel():
        out.append(float(f"{v:.{digits}g}") if math.isfinite(v) else None)
    return out


def histogram(
    values: np.ndarray, weights: np.ndarray | None = None, bins: int = _BINS, *, log: bool | None = None
) -> dict[str, Any] | None:
    """A density of ``values``: ``{"edges", "density", "log"}``, or None for a constant.

    The range is the 0.1% to 99.9% quantiles; ``log`` (decided from the data when None: positive
    values whose 1% and 99% quantiles are more than a factor 100 apart) bins on ``log10``, and
    the density is then per decade.
    """
    x = np.asarray(values, dtype=float)
    keep = np.isfinite(x)
    x = x[keep]
    w = None if weights is None else np.asarray(weights, dtype=float)[keep]
    if x.size < 2:
        return None
    lo, p01, p99, hi = np.quantile(x, [0.001, 0.01, 0.99, 0.999])
    if not hi > lo:
        return None
    if log is None:
        log = bool(p01 > 0 and p99 / p01 > 100)
    if log and lo <= 0:
        log = False
    edges = np.geomspace(lo, hi, bins + 1) if log else np.linspace(lo, hi, bins + 1)
    counts, _ = np.histogram(x, bins=edges, weights=w)
    widths = np.diff(np.log10(edges)) if log else np.diff(edges)
    total = float(np.sum(w)) if w is not None else float(x.size)
    density = counts / (total * widths)
    return {"edges": _round(edges), "density": _round(density, 4), "log": log}


def exceedance(values: np.ndarray, weights: np.ndarray | None = None) -> dict[str, Any] | None:
    """``P(X > x)``: ``{"x", "p"}`` at 54 probabilities from 0.998 down to 0.002."""
    x = np.asarray(values, dtype=float)
    keep = np.isfinite(x)
    x = x[keep]
    if x.size < 2:
        return None
    probs = 1 - _EXCEEDANCE
    if weights is None:
        at = np.quantile(x, probs)
    else:
        w = np.asarray(weights, dtype=float)[keep]
        order = np.argsort(x)
        cum = np.cumsum(w[order])
        cum /= cum[-1]
        at = x[order][np.minimum(np.searchsorted(cum, probs), x.size - 1)]
    return {"x": _round(at), "p": _round(_EXCEEDANCE, 4)}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def words(spec: Any, draws: np.ndarray | None = None) -> str:
    """An input's distribution in words: ``"lognormal, 90% in [6e+08, 8e+08]"``.

    ``spec`` is the :class:`~chipdemand.distributions.base.Distribution`'s ``spec`` dict (as
    written); other parameters are listed as written, and when ``draws`` are given and the family
    is not stated by an interval, the central 90% of the draws is added.
    """
    if not isinstance(spec, dict):
        return f"fixed at {_fmt(spec)}"
    family = str(spec.get("dist", "?"))
    if family == "point" or "value" in spec and len(spec) <= 2:
        return f"fixed at {_fmt(spec.get('value'))}"
    if "ci" in spec:
        level = float(spec.get("level", 0.9))
        return f"{family}, {level:.0%} in {_fmt(list(spec['ci']))}"
    args = ", ".join(f"{k}={_fmt(v)}" for k, v in spec.items() if k not in ("dist", "domain", "point"))
    text = f"{family}({args})" if args else family
    if draws is not None and family not in ("choice", "catalog"):
        x = np.asarray(draws, dtype=float)
        x = x[np.isfinite(x)]
        if x.size and np.ptp(x) > 0:
            lo, hi = np.quantile(x, [0.05, 0.95])
            text += f", 90% in [{lo:.3g}, {hi:.3g}]"
    return text


def input_rows(study: Any, dataset: Any, scenario: str) -> list[dict[str, Any]]:
    """Each input of ``study``: name, unit, words, source, editable fields and a small density
    of its draws in ``scenario``."""
    rows = []
    for name, spec in study.inputs.items():
        dist = spec.dist
        raw = dict(getattr(dist, "spec", {}) or {})
        family = str(raw.get("dist") or getattr(dist, "name", "") or "?")
        raw["dist"] = family
        values = None
        if dataset is not None and name in dataset and scenario in dataset["scenario"].values:
            arr = dataset[name].sel(scenario=scenario).values
            if np.issubdtype(np.asarray(arr).dtype, np.number):
                values = np.asarray(arr, dtype=float)
        ci = raw.get("ci")
        rows.append(
            {
                "name": name,
                "unit": spec.written_unit or spec.unit or "",
                "words": words(raw, values) if raw else dist.describe(),
                "family": family,
                "ci": [float(c) for c in ci] if isinstance(ci, list | tuple) and len(ci) == 2 else None,
                "point": spec.point if isinstance(spec.point, int | float) else None,
                "source": spec.source,
                "density": None if values is None else histogram(values, bins=_INPUT_BINS),
            }
        )
    return rows


def _output_view(values: np.ndarray, weights: np.ndarray | None) -> dict[str, Any]:
    hist = histogram(values)
    view: dict[str, Any] = {"hist": hist, "exceedance": exceedance(values)}
    if weights is not None:
        log = None if hist is None else hist["log"]
        view["posterior"] = histogram(values, weights, log=log)
        view["posterior_exceedance"] = exceedance(values, weights)
    return view


def view_of_run(run: Any, scenario: str) -> dict[str, Any]:
    """The page's data for ``scenario`` of ``run``: per output its histogram and exceedance curve
    (of the last year, for an output over years), the inputs' rows, and what the study offers."""
    study, ds = run.study, run.dataset
    weights = None
    if run.conditioned is not None and scenario in run.conditioned.scenarios:
        weights = np.asarray(run.conditioned.weights.sel(scenario=scenario).values, dtype=float)
    outputs: dict[str, Any] = {}
    for name, spec in study.outputs.items():
        if ds is None or name not in ds:
            continue
        arr = ds[name].sel(scenario=scenario)
        year = None
        if "year" in arr.dims:
            year = int(arr["year"].values[-1])
            arr = arr.isel(year=-1)
        values = np.asarray(arr.values, dtype=float)
        view = _output_view(values, weights)
        view.update(unit=spec.unit, description=spec.description, year=year, event=spec.domain == "indicator")
        outputs[name] = view
    return {
        "scenario": scenario,
        "scenarios": study.scenario_names,
        "notes": dict(study.scenario_notes),
        "headline": study.headline or next(iter(study.outputs), ""),
        "title": study.title,
        "years": [int(y) for y in ds["year"].values] if ds is not None and "year" in ds.coords else None,
        "observations": sorted(study.observations),
        "outputs": outputs,
        "inputs": input_rows(study, ds, scenario),
    }
