"""Units of study files: a pint registry with the counting units of this field.

Counts (users, queries, characters, tokens, GPUs, servers, patches...) are dimensionless, so
``kilogram`` for daily users is refused while ``query/user`` and ``1`` convert freely; money is a
dimension of its own (USD only: an exchange rate is an uncertain input, not a unit).
"""

from __future__ import annotations

from functools import cache

import pint

from .errors import StudyError

__all__ = ["registry", "conversion_factor", "unit_problem"]

COUNTS = (
    "user",
    "query",
    "question",
    "answer",
    "request",
    "char",
    "token",
    "word",
    "GPU",
    "chip",
    "server",
    "node",
    "patch",
    "frame",
    "image",
    "video",
    "clip",
    "firm",
    "company",
    "parameter",
    "step",
    "pass",
    "model",
)


@cache
def registry() -> pint.UnitRegistry:
    """The shared unit registry (built once; pint takes ~0.5 s)."""
    ureg: pint.UnitRegistry = pint.UnitRegistry()
    for name in COUNTS:
        ureg.define(f"{name} = 1")
    ureg.define("USD = [currency] = usd = dollar_us")
    ureg.define("FLOP = 1 = flop")
    ureg.define("FLOPS = FLOP / second = flops")
    ureg.define("PF_day = 1e15 * FLOP / second * day = pf_day = PFday")
    return ureg


def conversion_factor(written: str, target: str, *, key: str = "unit") -> float:
    """The factor that turns a value in ``written`` units into ``target`` units.

    Raises :class:`StudyError` for an unknown unit or one of the wrong dimension.
    """
    ureg = registry()
    try:
        quantity = ureg.Quantity(1.0, written)
    except Exception as exc:  # noqa: BLE001 - pint's parser raises many kinds for a bad string
        raise StudyError(f"unknown unit {written!r}: {unit_problem(exc)}", key=key) from None
    try:
        return float(quantity.to(target).magnitude)
    except pint.errors.DimensionalityError:
        got = ureg.Quantity(1.0, written).dimensionality
        want = ureg.Quantity(1.0, target).dimensionality
        raise StudyError(
            f"unit {written!r} ({_dim(got)}) cannot be converted to the model's {target!r} ({_dim(want)})",
            key=key,
        ) from None


def unit_problem(exc: BaseException) -> str:
    """What is wrong with a unit string, from whatever pint raised reading it (its parser raises
    assertion, token and zero-division errors as well as its own, some with no message)."""
    if isinstance(exc, pint.errors.UndefinedUnitError):
        names = ", ".join(repr(u) for u in getattr(exc, "unit_names", ())) or str(exc)
        return f"{names} is not a unit pint knows (write e.g. 'ms', 'GB/s', 'query/user/day')"
    text = str(exc).strip()
    if isinstance(exc, pint.errors.DefinitionSyntaxError | ZeroDivisionError) and text:
        return f"not a unit expression ({text})"
    return "not a unit expression (units are names joined by *, / and ** powers, e.g. 'kW*h/day')"


def _dim(dimensionality: object) -> str:
    text = str(dimensionality)
    return "dimensionless" if text == "dimensionless" else text
