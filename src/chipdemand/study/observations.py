"""Observations: a measured value of one of a study's variables, with its 90% range and source.

An observation says that a variable (an output such as ``queries_per_day``, or an input such as
``daily_active_users``) was measured at ``value``, with a measurement error whose 90% range is
``ci``: log-normal around the value (the default: a factor either way) or normal. Its likelihood
of each draw is what :mod:`chipdemand.analysis.conditioning` weights a run's prior draws by.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from ..errors import StudyError, did_you_mean
from ..units import conversion_factor

__all__ = [
    "Observation",
    "ERRORS",
    "OBSERVATION_KEYS",
    "parse_observations",
    "measurement_log_likelihood",
]

#: keys of an ``[observations.NAME]`` table
OBSERVATION_KEYS = frozenset(
    {"target", "value", "ci", "level", "error", "unit", "year", "source", "date", "note", "scenarios"}
)


# ----------------------------------------------------------------------------- error models
def _lognormal_scale(low: float, high: float, z: float) -> float:
    return math.log(high / low) / (2 * z)


def _lognormal_log_likelihood(x: NDArray, value: float, scale: float) -> NDArray:
    # log density of measuring `value` when the truth is x: log(value) ~ Normal(log x, scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (math.log(value) - np.log(x)) / scale
    density = -0.5 * z * z - math.log(scale * value) - 0.5 * math.log(2 * math.pi)
    return np.where(x > 0, density, -np.inf)


def _normal_scale(low: float, high: float, z: float) -> float:
    return (high - low) / (2 * z)


def _normal_log_likelihood(x: NDArray, value: float, scale: float) -> NDArray:
    z = (value - x) / scale
    return -0.5 * z * z - math.log(scale) - 0.5 * math.log(2 * math.pi)


#: measurement error models: (scale from the interval, log-likelihood of the truth x)
ERRORS: dict[str, tuple[Callable[[float, float, float], float], Callable[..., NDArray]]] = {
    "lognormal": (_lognormal_scale, _lognormal_log_likelihood),
    "normal": (_normal_scale, _normal_log_likelihood),
}


def measurement_log_likelihood(x: ArrayLike, value: float, scale: float, error: str = "lognormal") -> NDArray:
    """Log density of measuring ``value`` when the true value is ``x`` (elementwise).

    Parameters
    ----------
    x : array_like
        True values (draws of the observed variable), in the variable's unit.
    value : float
        The measured value, same unit.
    scale : float
        The error's standard deviation: of ``log(value)`` for ``"lognormal"`` (dimensionless), of
        ``value`` for ``"normal"`` (the variable's unit).
    error : {"lognormal", "normal"}
        ``log(value) ~ Normal(log(x), scale)`` (``-inf`` where ``x <= 0``), or
        ``value ~ Normal(x, scale)``.

    Returns
    -------
    ndarray
        ``log p(value | x)``, the shape of ``x``.
    """
    return ERRORS[error][1](np.asarray(x, dtype=float), float(value), float(scale))


# ----------------------------------------------------------------------------- the observation
@dataclass(frozen=True)
class Observation:
    """A measured value of a study's variable with its measurement error and source.

    Parameters
    ----------
    name : str
        The observation's own name (the ``NAME`` of ``[observations.NAME]``).
    target : str
        The variable observed: an output or an input of the study.
    value : float
        The measured value, in the variable's (model's) unit.
    ci : (float, float)
        The ``level`` range of the measurement (default the 90% range), around ``value``:
        ``low < value < high``.
    level : float
        Probability of ``ci`` under the measurement error.
    error : {"lognormal", "normal"}
        Log-normal error (``log value`` normal, its sd ``log(high / low) / (2 z)`` with ``z`` the
        normal quantile of ``(1 + level) / 2``), or normal (sd ``(high - low) / (2 z)``).
    source, date, note : str
        Where the value comes from (required), when it was measured or published, and remarks.
    year : int, optional
        For a variable with a ``year`` dimension, the year observed.
    scenarios : tuple of str, optional
        The scenarios the observation applies to (default: every scenario of a run). A value
        measured in February 2023 says nothing of a scenario set a year later.
    unit : str
        The unit of ``value`` and ``ci`` (the variable's unit; for display).
    written_unit : str
        The unit the study file gave (converted from), for display.
    """

    name: str
    target: str
    value: float
    ci: tuple[float, float]
    level: float = 0.9
    error: str = "lognormal"
    source: str = ""
    date: str = ""
    note: str = ""
    year: int | None = None
    scenarios: tuple[str, ...] | None = None
    unit: str = ""
    written_unit: str = ""

    def __post_init__(self) -> None:
        where = f"observations.{self.name}"
        if not isinstance(self.name, str) or not self.name:
            raise StudyError(f"an observation needs a name, got {self.name!r}", key="observations")
        if not isinstance(self.target, str) or not self.target:
            raise StudyError(f"expected a variable's name, got {self.target!r}", key=f"{where}.target")
        if self.error not in ERRORS:
            raise StudyError(
                f"unknown error {self.error!r}" + did_you_mean(str(self.error), ERRORS), key=f"{where}.error"
            )
        level = _finite(self.level, f"{where}.level")
        if not 0 < level < 1:
            raise StudyError(f"must be between 0 and 1, got {level:g}", key=f"{where}.level")
        value = _finite(self.value, f"{where}.value")
        ci = self.ci
        if not isinstance(ci, list | tuple) or len(ci) != 2:
            raise StudyError(f"expected two numbers [low, high], got {ci!r}", key=f"{where}.ci")
        low, high = (_finite(b, f"{where}.ci") for b in ci)
        if not low < value < high:
            raise StudyError(
                f"expected low < value < high, got [{low:g}, {high:g}] around {value:g}", key=f"{where}.ci"
            )
        if self.error == "lognormal" and low <= 0:
            raise StudyError(
                f"a log-normal error needs a positive range, got [{low:g}, {high:g}] "
                '(use error = "normal" for a value that can be zero or negative)',
                key=f"{where}.ci",
            )
        if self.year is not None and (isinstance(self.year, bool) or not isinstance(self.year, int)):
            raise StudyError(f"expected a whole year, got {self.year!r}", key=f"{where}.year")
        if self.scenarios is not None:
            if isinstance(self.scenarios, str) or not all(isinstance(s, str) for s in self.scenarios):
                raise StudyError(
                    f"expected a list of scenario names, got {self.scenarios!r}", key=f"{where}.scenarios"
                )
            if not self.scenarios:
                raise StudyError(
                    "expected at least one scenario (leave the key out for all)", key=f"{where}.scenarios"
                )
            object.__setattr__(self, "scenarios", tuple(self.scenarios))
        if not isinstance(self.source, str):
            raise StudyError(f"expected text, got {self.source!r}", key=f"{where}.source")
        if not self.source.strip():
            raise StudyError(
                "missing 'source' (who measured this, where it was published)", key=f"{where}.source"
            )
        for key in ("date", "note", "unit", "written_unit"):
            if not isinstance(getattr(self, key), str):
                raise StudyError(f"expected text, got {getattr(self, key)!r}", key=f"{where}.{key}")
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "ci", (low, high))
        object.__setattr__(self, "level", level)

    @property
    def scale(self) -> float:
        """Standard deviation of the measurement error (of ``log value`` for a log-normal one)."""
        z = float(special.ndtri((1 + self.level) / 2))
        return ERRORS[self.error][0](self.ci[0], self.ci[1], z)

    def log_likelihood(self, x: ArrayLike) -> NDArray:
        """``log p(value | x)`` for true values ``x`` of the target (see
        :func:`measurement_log_likelihood`)."""
        return measurement_log_likelihood(x, self.value, self.scale, self.error)

    def applies_to(self, scenario: str) -> bool:
        """Whether the observation bears on ``scenario``."""
        return self.scenarios is None or scenario in self.scenarios

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (lists for tuples), the inverse of ``Observation(**d)``."""
        out = asdict(self)
        out["ci"] = list(self.ci)
        if self.scenarios is not None:
            out["scenarios"] = list(self.scenarios)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Observation:
        """The observation :meth:`to_dict` wrote."""
        d = dict(d)
        d["ci"] = tuple(d["ci"])
        if d.get("scenarios") is not None:
            d["scenarios"] = tuple(d["scenarios"])
        return cls(**d)


def _finite(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise StudyError(f"expected a number, got {value!r}", key=key)
    value = float(value)
    if not math.isfinite(value):
        raise StudyError(f"expected a finite number, got {value!r}", key=key)
    return value


# ----------------------------------------------------------------------------- study files
def parse_observations(
    table: Mapping[str, Any],
    variables: Mapping[str, str],
    *,
    scenarios: Sequence[str] | None = None,
    broken: Collection[str] = (),
    labels: Mapping[str, Sequence[str]] | None = None,
    domains: Mapping[str, str] | None = None,
) -> dict[str, Observation]:
    """Validate a study file's ``[observations.NAME]`` tables.

    Parameters
    ----------
    table : mapping
        The ``observations`` table of a study file: ``NAME -> {key: value}``. Keys: ``target``
        (default ``NAME`` when ``NAME`` is a variable), ``value``, ``ci``, ``level`` (0.9),
        ``error`` (``"lognormal"`` or ``"normal"``), ``unit`` (default the variable's unit),
        ``year``, ``scenarios``, ``source`` (required), ``date``, ``note``.
    variables : mapping of str to str
        The study's variables (inputs and outputs) and their units (the model's); values are
        converted to these units.
    scenarios : sequence of str, optional
        The study's scenarios, to check an observation's ``scenarios`` against.
    broken : collection of str, optional
        Variables whose own entries failed validation (and were reported there): an
        observation of one is skipped rather than reported a second time.
    labels : mapping of str to sequence of str, optional
        The structural choices among the variables and their labels: a choice has no value to
        observe, and an observation of one is refused.
    domains : mapping of str to str, optional
        Each variable's domain (``positive``, ``share``...): an observed value or interval
        outside it is refused.

    Returns
    -------
    dict of str to Observation
        In the order of the file.

    Raises
    ------
    StudyError
        With the key, e.g. ``observations.daily_users.ci``.

    Examples
    --------
    >>> obs = parse_observations(
    ...     {"daily_active_users": {"value": 2.3e7, "ci": [1.6e7, 3.4e7], "source": "Similarweb"}},
    ...     {"daily_active_users": "user"},
    ... )
    >>> round(obs["daily_active_users"].scale, 3)
    0.229
    """
    if not isinstance(table, Mapping):
        raise StudyError(f"expected a table of observations, got {table!r}", key="observations")
    labels, domains = labels or {}, domains or {}
    out = {}
    for name, raw in table.items():
        where = f"observations.{name}"
        if not isinstance(raw, Mapping):
            raise StudyError("expected a table (target, value, ci, source...)", key=where)
        for key in raw:
            if key not in OBSERVATION_KEYS:
                raise StudyError(
                    f"unknown key '{key}'" + did_you_mean(key, OBSERVATION_KEYS), key=f"{where}.{key}"
                )
        target = _target(name, raw, variables, broken, where)
        if target is None:
            continue
        if target in labels:
            raise StudyError(
                f"{target} is a structural choice ({', '.join(labels[target])}): it has no value to "
                "observe; observe an output it changes",
                key=f"{where}.target",
            )
        for key in ("value", "ci", "source"):
            if key not in raw:
                raise StudyError(f"missing '{key}'", key=f"{where}.{key}")
        unit = variables[target]
        written = raw.get("unit", unit)
        if not isinstance(written, str):
            raise StudyError(f"expected a unit's name (text), got {written!r}", key=f"{where}.unit")
        factor = conversion_factor(written, unit, key=f"{where}.unit") if written != unit else 1.0
        value = _finite(raw["value"], f"{where}.value") * factor
        ci = raw["ci"]
        if not isinstance(ci, list | tuple) or len(ci) != 2:
            raise StudyError(f"expected two numbers [low, high], got {ci!r}", key=f"{where}.ci")
        ci = tuple(_finite(b, f"{where}.ci") * factor for b in ci)
        if target in domains:
            _check_in_domain(target, value, ci, domains[target], unit, where)
        date, observed_in, note = _details(raw, scenarios, where)
        out[name] = Observation(
            name=name,
            target=target,
            value=value,
            ci=ci,
            level=raw.get("level", 0.9),
            error=raw.get("error", "lognormal"),
            source=raw["source"],
            date=date,
            note=note,
            year=raw.get("year"),
            scenarios=observed_in,
            unit=unit,
            written_unit=written,
        )
    return out


def _target(
    name: str, raw: Mapping[str, Any], variables: Mapping[str, str], broken: Collection[str], where: str
) -> str | None:
    """The variable an observation observes (None for a broken one, reported where it failed)."""
    target = raw.get("target", name)
    if isinstance(target, str) and target in broken and target not in variables:
        return None
    if "target" in raw:
        if not isinstance(target, str):
            raise StudyError(f"expected a variable's name (text), got {target!r}", key=f"{where}.target")
        if target not in variables:
            raise StudyError(
                f"no variable {target!r} in the study" + did_you_mean(str(target), variables),
                key=f"{where}.target",
            )
        return target
    if name in variables:
        return name
    raise StudyError(
        f"missing 'target': {name!r} is not a variable of the study" + did_you_mean(name, variables),
        key=f"{where}.target",
    )


def _check_in_domain(
    target: str, value: float, ci: tuple[float, ...], domain: str, unit: str, where: str
) -> None:
    """An observed value and interval inside the values the variable can take."""
    from ..domains import check_value

    scale = 1.0
    if domain in ("share", "at_least_one", "count"):  # domains of a plain number
        try:
            scale = conversion_factor(unit, "dimensionless")
        except StudyError:
            return  # the input's own domain check reports it
    for key, number in (("value", value), ("ci", ci[0]), ("ci", ci[1])):
        if domain == "count" and key == "ci":
            continue  # an interval around a count need not be whole
        try:
            check_value(number * scale, domain, what=f"{target!r}")
        except StudyError as err:
            raise StudyError(f"outside what {target} can be: {err.message}", key=f"{where}.{key}") from None


def _details(
    raw: Mapping[str, Any], scenarios: Sequence[str] | None, where: str
) -> tuple[str, tuple[str, ...] | None, str]:
    """An observation's date (text), the scenarios it was observed in, and its note."""
    date = raw.get("date", "")
    if isinstance(date, dt.date | dt.datetime):  # TOML dates arrive as datetime.date
        date = date.isoformat()
    if not isinstance(date, str):
        raise StudyError(f"expected a date (2023-02-28) or text, got {date!r}", key=f"{where}.date")
    observed_in = raw.get("scenarios")
    if observed_in is not None:
        if not isinstance(observed_in, list) or not all(isinstance(s, str) for s in observed_in):
            raise StudyError(
                f"expected a list of scenario names, got {observed_in!r}", key=f"{where}.scenarios"
            )
        for s in observed_in:
            if scenarios is not None and s not in scenarios:
                raise StudyError(
                    f"unknown scenario {s!r}" + did_you_mean(s, scenarios), key=f"{where}.scenarios"
                )
        observed_in = tuple(observed_in)
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise StudyError(f"expected text, got {note!r}", key=f"{where}.note")
    return date, observed_in, note
