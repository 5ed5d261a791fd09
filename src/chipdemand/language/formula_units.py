"""Units of formulas: unit strings read with pint, conversion factors between units, units as
people read them, and what is missing between two units of different dimensions."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, cast

import pint

from ..errors import StudyError
from ..formulas._units import PLACEHOLDER
from ..units import registry, unit_problem

__all__ = ["parse_unit", "dimensionless", "unit_text", "conversion", "mismatch_hint", "unit_with"]


@cache
def parse_unit(text: str) -> pint.Unit:
    """A unit string as a pint unit (a :class:`StudyError` for one pint cannot read)."""
    ureg = registry()
    try:
        quantity = ureg.Quantity(1.0, text)
    except Exception as exc:  # noqa: BLE001 - pint's parser raises many kinds for a bad string
        raise StudyError(f"unknown unit {text!r}: {unit_problem(exc)}") from None
    if quantity.magnitude != 1.0:
        raise StudyError(f"{text!r} is a number times a unit; write the number in the value")
    return cast(pint.Unit, quantity.units)  # pint annotates it PlainUnit; a registry's units are Unit


def dimensionless() -> pint.Unit:
    return parse_unit("dimensionless")


def unit_text(unit: pint.Unit) -> str:
    """A unit as people read it: ``GPU·hour``, ``1`` for a plain number."""
    text = f"{unit:P}"
    return "1" if text in ("", "dimensionless") else text


@cache
def conversion(source: pint.Unit, target: pint.Unit) -> float | None:
    """The factor from ``source`` to ``target`` (exactly 1.0 when they agree), None if impossible."""
    if source == target:
        return 1.0
    try:
        factor = float(registry().Quantity(1.0, source).to(target).magnitude)
    except pint.errors.DimensionalityError:
        return None
    return 1.0 if abs(factor - 1.0) < 4e-16 else factor


_DIMENSION_HINTS = {
    "[time]": "a duration",
    "[currency]": "an amount of money",
    "[length]": "a length (pixels are lengths)",
    "[mass]": "a mass",
    "[temperature]": "a temperature",
    "[current]": "a current",
    "[substance]": "an amount of substance",
    "[luminosity]": "a luminosity",
}


def mismatch_hint(computed: pint.Unit, declared: pint.Unit) -> str:
    """What is missing or extra between two units of different dimensions."""
    ratio = computed.dimensionality / declared.dimensionality
    items = dict(ratio)
    if len(items) == 1:
        ((dim, power),) = items.items()
        noun = _DIMENSION_HINTS.get(dim, f"a quantity of {dim}")
        if power == 1:
            return f"the formula has an extra {dim}; divide by {noun}?"
        if power == -1:
            return f"the formula lacks a {dim}; multiply by {noun}?"
    return f"they differ by {ratio}"


def unit_with(spec: str, bound: Mapping[str, pint.Unit]) -> pint.Unit:
    """A unit string of a :func:`~chipdemand.formulas._units.units` signature, placeholders bound."""
    if not PLACEHOLDER.search(spec):
        return parse_unit(spec)
    ureg = registry()
    values: dict[str, Any] = {}
    for i, name in enumerate(PLACEHOLDER.findall(spec)):
        values[f"_placeholder_{i}"] = ureg.Quantity(1.0, bound.get(name, dimensionless()))
    text = spec
    for i, name in enumerate(PLACEHOLDER.findall(spec)):
        text = text.replace("{" + name + "}", f"_placeholder_{i}", 1)
    quantity = ureg.parse_expression(text, **values)
    return cast(pint.Unit, quantity.units)  # pint annotates it PlainUnit; a registry's units are Unit
