"""Replay a report at its own numbers, and audit its arithmetic one slip at a time.

:func:`replay_study` evaluates a study's model once, with every input at its ``point`` (the value
the report printed or implied), and compares each output that carries a ``reported`` value with
it. Scenarios play no part: a study may keep an ``as_printed`` scenario for ``run`` and
``compare``, but the replay reads the inputs' ``point`` values, so it needs no scenario and
cannot drift from them.

The audit takes every input that carries ``corrected`` (what the report's own text implies, or
the modelling fact it left out) and recomputes the study's headline output with that one input
corrected and all others as printed; the factor is that output ÷ the output as printed, so it is
computed, never typed in. When a study has two or more corrections, a last row applies them all
together. The headline output is ``[study] headline`` where given, else the first scalar output.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import StudyError
from ..study.loader import InputSpec, Study, load_study
from ..units import conversion_factor

__all__ = [
    "differing_draws",
    "replay_study",
    "point_values",
    "evaluate_point",
    "headline_output",
    "ROW_COLUMNS",
    "AUDIT_COLUMNS",
]

ROW_COLUMNS = ["study", "variable", "unit", "computed", "reported", "rel_error"]
AUDIT_COLUMNS = [
    "study",
    "issue",
    "factor",
    "note",
    "input",
    "output",
    "output_as_printed",
    "output_corrected",
]


def point_values(study: Study) -> dict[str, float]:
    """Every input of ``study`` at its ``point`` (in the model's units; codes for choices).

    Raises :class:`StudyError` naming the input when one has no point value.
    """
    values = {}
    for name, spec in study.inputs.items():
        if spec.point is None:
            raise StudyError(
                "missing 'point' (the report's value, which `chipdemand replay` evaluates)",
                file=study.path or study.name,
                key=f"inputs.{name}.point",
            )
        values[name] = float(spec.point)
    return values


def evaluate_point(study: Study, values: Mapping[str, float]) -> dict[str, np.ndarray]:
    """The model at one draw: ``{output: array}`` with the draw axis dropped."""
    arrays = {name: np.array([float(v)]) for name, v in values.items()}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = study.model.evaluate(arrays)
    return {name: np.asarray(v)[0] for name, v in out.items()}


def headline_output(study: Study) -> str:
    """The output the audit's factors are computed on (``[study] headline`` or the first scalar)."""
    if study.outputs[study.headline].dims:
        raise StudyError(
            f"the audit needs a headline output without extra dims, not {study.headline!r}",
            file=study.path or study.name,
            key="study.headline",
        )
    return study.headline


def _shown(spec: InputSpec, value: float) -> str:
    """An input value as the study file writes it (a label, or a number in its written unit)."""
    if spec.labels:
        index = int(round(value))
        return spec.labels[index] if 0 <= index < len(spec.labels) else f"{value:g}"
    factor = conversion_factor(spec.written_unit, spec.unit) if spec.written_unit else 1.0
    unit = "" if spec.written_unit in ("", "1") else f" {spec.written_unit}"
    return f"{value / factor:g}{unit}"


def _ratio(a: float, b: float) -> float:
    if b == 0 or not (math.isfinite(a) and math.isfinite(b)):
        return math.nan
    return a / b


def replay_study(study: Study | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replay one study.

    Returns
    -------
    rows : pandas.DataFrame
        ``study, variable, unit, computed, reported, rel_error``: every output with a
        ``reported`` value, computed with every input at its ``point``; ``rel_error`` is
        computed ÷ reported − 1.
    audit : pandas.DataFrame
        ``study, issue, factor, note`` (and ``input, output, output_as_printed,
        output_corrected``): for each input with a ``corrected`` value, the headline output with
        that input corrected ÷ the output as printed; then, where there are several, all
        corrections together.

    Examples
    --------
    >>> rows, audit = replay_study("chatgpt_inference")
    >>> int(rows.set_index("variable").loc["servers", "computed"])
    2026
    """
    study = load_study(study)
    printed = point_values(study)
    outputs = evaluate_point(study, printed)

    rows = []
    for name, spec in study.outputs.items():
        if spec.reported is None or spec.dims:
            continue  # a reported value is a scalar; outputs along years are not compared
        computed = float(outputs[name])
        rows.append(
            {
                "study": study.name,
                "variable": name,
                "unit": spec.unit,
                "computed": computed,
                "reported": spec.reported,
                "rel_error": _ratio(computed, spec.reported) - 1.0,
            }
        )

    audit = []
    corrections = {n: s.corrected for n, s in study.inputs.items() if s.corrected is not None}
    if corrections:
        headline = headline_output(study)
        as_printed = float(outputs[headline])
        for name, corrected in corrections.items():
            input_spec = study.inputs[name]
            fixed = float(evaluate_point(study, {**printed, name: corrected})[headline])
            factor = _ratio(fixed, as_printed)
            audit.append(
                {
                    "study": study.name,
                    "issue": input_spec.audit or f"{name} as printed",
                    "factor": factor,
                    "note": f"{name} {_shown(input_spec, printed[name])} → {_shown(input_spec, corrected)}: "
                    f"{headline} {as_printed:.4g} → {fixed:.4g}",
                    "input": name,
                    "output": headline,
                    "output_as_printed": as_printed,
                    "output_corrected": fixed,
                }
            )
        if len(corrections) > 1:
            every = {**printed, **corrections}
            fixed = float(evaluate_point(study, every)[headline])
            audit.append(
                {
                    "study": study.name,
                    "issue": "all of the above together",
                    "factor": _ratio(fixed, as_printed),
                    "note": f"{len(corrections)} inputs corrected: {headline} {as_printed:.4g} → {fixed:.4g}",
                    "input": ", ".join(corrections),
                    "output": headline,
                    "output_as_printed": as_printed,
                    "output_corrected": fixed,
                }
            )
    return (pd.DataFrame(rows, columns=ROW_COLUMNS), pd.DataFrame(audit, columns=AUDIT_COLUMNS))


def differing_draws(saved: xr.Dataset, again: xr.Dataset) -> list[str]:
    """The variables (and coordinates) of a saved run that a re-run of it does not reproduce bit
    for bit, missing or new ones included; the weights of observations are not draws (conditioning
    redoes them) and are left out."""
    drawn = ("input", "output")
    saved = saved[[v for v in saved.data_vars if saved[v].attrs.get("role") in drawn]]
    names = set(saved.data_vars) | set(again.data_vars)
    differs = sorted(
        str(v)
        for v in names
        if v not in saved
        or v not in again
        or saved[v].dims != again[v].dims
        or not np.array_equal(np.asarray(saved[v].values), np.asarray(again[v].values))
    )
    for dim in ("scenario", "draw", "year"):
        if (
            dim in saved.coords
            and dim in again.coords
            and not np.array_equal(
                np.asarray(saved[dim].values).astype(str), np.asarray(again[dim].values).astype(str)
            )
        ):
            differs.append(dim)
    return differs
