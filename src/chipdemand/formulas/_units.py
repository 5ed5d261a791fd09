"""Machine-readable units of the formula library, for study files that call it.

Each public function of :mod:`chipdemand.formulas` carries the unit of each parameter and of
its result, written beside it with :func:`units`::

    @units("chip", average_chips="chip", peak_to_average="1", utilization="1")
    def provisioned_chips(average_chips, peak_to_average=1.0, utilization=1.0): ...

The decorator returns the function unchanged (Python models call it as before); it only
records a :class:`UnitSignature` in ``function.__units__``. A study formula calling
``provisioned_chips(average_chips=..., ...)`` converts every argument to these units, calls the
function on plain floats and reads its result in the return unit. Unit strings are pint units
of :mod:`chipdemand.units` (counts such as ``GPU`` or ``token`` are dimensionless), and:

- ``"bool"`` marks a flag or a condition (``round_up=False``, ``by_memory=memory_check ==
  "by_memory"``);
- ``"{X}"`` (a name in braces, alone or times a unit: ``"J * {P}"``) stands for what the first
  argument given for a parameter marked with it has beyond that unit (for ``"J * {P}"`` and an
  energy per day, ``{P}`` is ``1/day``); other parameters and the result use the same ``{X}``.
  Use it for a parameter without a default in a function that scales linearly with it
  (``latency_gpu_seconds(queries=...)`` of queries per day gives seconds per day;
  ``energy_per_query(energy=..., queries=...)`` of a day's energy and a day's queries);
- ``elementwise=False`` marks a function that adds or removes an axis (``project``); study
  files cannot call it.

Every parameter of the function must be named (the decorator raises ``TypeError`` at import
otherwise), so a new function cannot be half-declared.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = ["UnitSignature", "units", "signature_of"]

#: a formula: the decorator hands it back unchanged, its signature kept for type checkers
Formula = TypeVar("Formula", bound=Callable[..., Any])

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
BOOL = "bool"


@dataclass(frozen=True)
class UnitSignature:
    """Units of a library function: ``params`` (name → unit), ``returns``, ``elementwise``."""

    returns: str
    params: Mapping[str, str] = field(default_factory=dict)
    elementwise: bool = True
    required: tuple[str, ...] = ()  # parameters without a default

    def placeholders(self, unit: str) -> list[str]:
        return PLACEHOLDER.findall(unit)


def units(returns: str, *, elementwise: bool = True, **params: str) -> Callable[[Formula], Formula]:
    """Record the units of a formula's parameters and result (see the module's docstring).

    Parameters
    ----------
    returns : str
        Unit of the result (``"{X}"`` placeholders allowed).
    elementwise : bool, optional
        False for a function that adds or removes an axis: study files cannot call it.
    **params : str
        The unit of every parameter of the function, ``"bool"`` for a flag.

    Examples
    --------
    >>> @units("W", chips="chip", tdp_watts="W", pue="1")
    ... def power_watts(chips, tdp_watts, pue=1.0):
    ...     return chips * tdp_watts * pue
    >>> power_watts.__units__.params["tdp_watts"]
    'W'
    """

    def mark(function: Formula) -> Formula:
        parameters = inspect.signature(function).parameters
        named = {
            name
            for name, p in parameters.items()
            if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        }
        missing, unknown = sorted(named - set(params)), sorted(set(params) - named)
        if missing or unknown:
            raise TypeError(
                f"@units of {function.__name__}: "
                + "; ".join(
                    part
                    for part in (
                        f"no unit for {', '.join(missing)}" if missing else "",
                        f"no parameter {', '.join(unknown)}" if unknown else "",
                    )
                    if part
                )
            )
        required = tuple(n for n in named if parameters[n].default is inspect.Parameter.empty)
        for name, unit in params.items():
            if PLACEHOLDER.search(unit) and name not in required:
                raise TypeError(f"@units of {function.__name__}: {name} has a default, so no {{placeholder}}")
        function.__units__ = UnitSignature(returns, dict(params), elementwise, required)  # type: ignore[attr-defined]
        return function

    return mark


def signature_of(function: Callable) -> UnitSignature | None:
    """The :class:`UnitSignature` recorded on ``function``, if any."""
    return getattr(function, "__units__", None)
