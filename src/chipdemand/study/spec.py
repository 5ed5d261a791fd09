"""The Study and its parts (InputSpec, OutputSpec): what a study file says once it is validated,
in the model's units, immutable. :mod:`chipdemand.study.loader` builds them from a file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .. import validate
from ..distributions import Distribution
from ..models import Model
from .schema import BASE

__all__ = ["InputSpec", "OutputSpec", "Study", "FrozenDict"]

K = TypeVar("K")
V = TypeVar("V")


class FrozenDict(Mapping[K, V], Generic[K, V]):
    """A read-only mapping that pickles (a :class:`types.MappingProxyType` does not, and dask
    workers receive a study by pickle). Item assignment raises :class:`TypeError`."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | None = None) -> None:
        self._data: dict[K, V] = dict(data or {})

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenDict({self._data!r})"

    def __reduce__(self) -> tuple[type, tuple[dict[K, V]]]:
        return FrozenDict, (self._data,)


#: the tables of a Study held as read-only mappings (``scenarios`` too, two levels deep)
_TABLES = (
    "inputs",
    "outputs",
    "scenario_notes",
    "correlations",
    "constants",
    "derived",
    "document",
    "observations",
)


@dataclass(frozen=True)
class InputSpec:
    """One input of a study (or a scenario's override of it), in the model's unit."""

    name: str
    dist: Distribution
    unit: str  # the model's unit; values are converted to it
    written_unit: str
    source: str
    point: float | None = None  # the report's value
    corrected: float | None = None  # what the report's own text implies, where it slipped
    audit: str | None = None  # what the slip is
    note: str = ""
    stream: str = ""  # name of the random stream (default: the input's own name)
    labels: tuple[str, ...] | None = None


@dataclass(frozen=True)
class OutputSpec:
    """An output of a study with the value the report printed, in the model's unit."""

    name: str
    unit: str
    description: str = ""
    reported: float | None = None
    source: str = ""
    note: str = ""
    dims: tuple[str, ...] = ()
    formula: str | None = None  # the study's formula (None for a model's output)
    domain: str = "nonnegative"
    references: tuple = ()  # independent estimates and bounds (chipdemand.study.references.Reference)


@dataclass(frozen=True)
class Study:
    """A validated study: model, inputs, outputs, scenarios and correlations.

    For a formula study ``model`` is compiled from the file's formulas; ``constants``,
    ``derived`` and ``years`` keep what the file declared, ``document`` the resolved TOML
    document (its parents merged in, see :func:`chipdemand.study.authoring.show`) and ``parents``
    the files it extends.

    A Study is immutable: its fields cannot be set and its tables are read-only mappings
    (:class:`FrozenDict`), so what was validated is what runs, and a run's record stays as it was
    made. A changed study is a new one (:func:`dataclasses.replace`, validated again by loading).
    """

    name: str
    title: str
    source: str
    model: Model
    inputs: Mapping[str, InputSpec]
    outputs: Mapping[str, OutputSpec]
    scenarios: Mapping[str, Mapping[str, InputSpec]] = field(default_factory=dict)
    scenario_notes: Mapping[str, str] = field(default_factory=dict)
    correlations: Mapping[tuple[str, str], float] = field(default_factory=dict)
    path: str = ""
    text: str = ""
    description: str = ""
    headline: str = ""  # the output the study is about: audits and sensitivity default to it
    years: tuple[int, ...] | None = None
    constants: Mapping[str, Any] = field(default_factory=dict)
    derived: Mapping[str, Any] = field(default_factory=dict)
    document: Mapping[str, Any] = field(default_factory=dict)
    parents: tuple[str, ...] = ()
    observations: Mapping[str, Any] = field(default_factory=dict)  # name -> conditioning.Observation

    def __post_init__(self) -> None:
        for name in _TABLES:
            object.__setattr__(self, name, FrozenDict(getattr(self, name)))
        scenarios = {scen: FrozenDict(overrides) for scen, overrides in self.scenarios.items()}
        object.__setattr__(self, "scenarios", FrozenDict(scenarios))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def scenario_names(self) -> list[str]:
        return [BASE, *self.scenarios]

    def spec(self, scenario: str, name: str) -> InputSpec:
        """The spec of input ``name`` in ``scenario`` (its override, or the base input)."""
        return self.scenarios.get(scenario, {}).get(name) or self.inputs[name]

    def check_scenarios(self, names: Sequence[str] | str | None) -> list[str]:
        """``names`` validated (all scenarios when None)."""
        return validate.scenarios(self.scenario_names, names, key="scenarios", file=self.path or self.name)
