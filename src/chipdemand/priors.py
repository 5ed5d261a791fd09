"""Study files: find, read and validate them, once, into a :class:`Study`.

A study file (TOML, data only) names a model, gives each of the model's inputs a distribution
with a unit and a source, the outputs' reported values, scenarios that override inputs, and
rank correlations. Units are converted here to the model's units; every mistake is reported as
a :class:`StudyError` naming the file and the key.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import validate
from .distributions import FIELD_UNITS, Catalogued, Distribution, Point, Scaled, parse_distribution
from .errors import StudyError, did_you_mean
from .models import Model, get_model
from .shipped import list_studies, priors_dir, resolve
from .units import conversion_factor

__all__ = [
    "InputSpec",
    "OutputSpec",
    "Study",
    "load_study",
    "parse_study",
    "study_of_run",
    "list_studies",
    "priors_dir",
    "BASE",
]

BASE = "base"  # the name of the scenario with no overrides

INPUT_KEYS = frozenset({"unit", "source", "point", "corrected", "audit", "note", "stream"})
OUTPUT_KEYS = frozenset({"reported", "unit", "source", "note"})
STUDY_KEYS = frozenset({"name", "title", "model", "source", "description", "headline"})
TOP_KEYS = frozenset({"study", "inputs", "outputs", "scenarios", "correlations"})


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


@dataclass
class Study:
    """A validated study: model, inputs, outputs, scenarios and correlations."""

    name: str
    title: str
    source: str
    model: Model
    inputs: dict[str, InputSpec]
    outputs: dict[str, OutputSpec]
    scenarios: dict[str, dict[str, InputSpec]] = field(default_factory=dict)
    scenario_notes: dict[str, str] = field(default_factory=dict)
    correlations: dict[tuple[str, str], float] = field(default_factory=dict)
    path: str = ""
    text: str = ""
    description: str = ""
    headline: str = ""  # the output the study is about: audits and sensitivity default to it

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


# ----------------------------------------------------------------------------- loading
def load_study(study: str | Path) -> Study:
    """Read and validate a study: a name from the shipped priors/ or a path to a TOML file.

    Examples
    --------
    >>> study = load_study("chatgpt_inference")
    >>> study.model.name
    'llm_inference'
    """
    if isinstance(study, Study):
        return study
    path = resolve(study)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyError(f"cannot read ({exc})", file=str(path)) from None
    return parse_study(text, str(path))


def study_of_run(attrs: Mapping[str, Any]) -> Study | None:
    """The :class:`Study` a saved run was made from, rebuilt from the study text in its attributes
    (``None`` when it carries none)."""
    text = attrs.get("study_toml")
    if not text:
        return None
    return parse_study(str(text), str(attrs.get("study_path") or attrs.get("study") or "<saved run>"))


def parse_study(text: str, path: str = "<string>") -> Study:
    """Validate the text of a study file; errors name ``path`` and the key."""
    try:
        return _parse_study(text, path)
    except StudyError as err:
        raise err.located(file=path) from None


def _parse_study(text: str, path: str) -> Study:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"not valid TOML: {exc}", file=path) from None
    _known_keys(doc, TOP_KEYS, "")
    head = _table(doc, "study", required=True)
    _known_keys(head, STUDY_KEYS, "study")
    for key in ("name", "title", "model", "source"):
        if not isinstance(head.get(key), str) or not head[key].strip():
            raise StudyError("missing (a text value)", key=f"study.{key}")
    model = get_model(head["model"])

    raw_inputs = _table(doc, "inputs", required=True)
    declared = {i.name: i for i in model.inputs}
    for name in raw_inputs:
        if name not in declared:
            raise StudyError(
                f"model {model.name!r} has no input {name!r}" + did_you_mean(name, declared),
                key=f"inputs.{name}",
            )
    for name in declared:
        if name not in raw_inputs:
            raise StudyError(
                f"the model {model.name!r} needs this input ({declared[name].description}; "
                f"unit {declared[name].unit!r})",
                key=f"inputs.{name}",
            )
    inputs = {name: _input(name, raw_inputs[name], model, None) for name in declared}

    outputs = _outputs(_table(doc, "outputs"), model)

    scenarios, notes = {}, {}
    for scen, table in _table(doc, "scenarios").items():
        if not isinstance(table, dict):
            raise StudyError("expected a table of input overrides", key=f"scenarios.{scen}")
        if scen == "base":
            raise StudyError("'base' is the study without overrides; pick another name", key="scenarios.base")
        overrides = {}
        for name, raw in table.items():
            if name in ("description", "note"):
                notes[scen] = str(raw)
                continue
            if name not in declared:
                raise StudyError(
                    f"no input {name!r}" + did_you_mean(name, declared), key=f"scenarios.{scen}.{name}"
                )
            overrides[name] = _input(name, raw, model, inputs[name], prefix=f"scenarios.{scen}")
        scenarios[scen] = overrides

    correlations = _correlations(_table(doc, "correlations"), inputs, scenarios)
    scalars = [name for name, o in outputs.items() if not o.dims]
    headline = head.get("headline", scalars[0] if scalars else next(iter(outputs)))
    if headline not in outputs:
        raise StudyError(
            f"expected one of the model's outputs, got {headline!r}" + did_you_mean(str(headline), outputs),
            key="study.headline",
        )
    return Study(
        name=head["name"],
        title=head["title"],
        source=head["source"],
        description=str(head.get("description", "")),
        headline=headline,
        model=model,
        inputs=inputs,
        outputs=outputs,
        scenarios=scenarios,
        scenario_notes=notes,
        correlations=correlations,
        path=path,
        text=text,
    )


def _table(doc: Mapping, key: str, required: bool = False) -> dict:
    value = doc.get(key)
    if value is None:
        if required:
            raise StudyError("missing table", key=key)
        return {}
    if not isinstance(value, dict):
        raise StudyError(f"expected a table, got {value!r}", key=key)
    return value


def _known_keys(table: Mapping, allowed: frozenset[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise StudyError(
                f"unknown key '{key}'" + did_you_mean(key, allowed),
                key=f"{where}.{key}" if where else key,
            )


def _optional_number(raw: Mapping, key: str, where: str) -> float | None:
    if key not in raw:
        return None
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StudyError(f"expected a number, got {value!r}", key=f"{where}.{key}")
    return float(value)


def _value(raw: Mapping, key: str, where: str, declared, factor: float) -> float | None:
    """A report's value (``point``, ``corrected``): a number in the written unit, converted, or,
    for a structural choice, a label given as its code."""
    if key not in raw:
        return None
    value = raw[key]
    if declared.choices is not None:
        if isinstance(value, str) and value in declared.choices:
            return float(declared.choices.index(value))
        raise StudyError(
            f"expected one of the alternatives {list(declared.choices)}, got {value!r}", key=f"{where}.{key}"
        )
    number = _optional_number(raw, key, where)
    return number * factor


def _input(name: str, raw: Any, model: Model, base: InputSpec | None, prefix: str = "inputs") -> InputSpec:
    """Parse one input (or a scenario override, which inherits unit and source from ``base``)."""
    where = f"{prefix}.{name}"
    declared = model.input(name)
    if isinstance(raw, bool):
        raise StudyError(f"expected a number, a label or a table, got {raw!r}", key=where)
    if isinstance(raw, int | float | str):  # a bare value is a point value
        raw = {"dist": "point", "value": raw}
    if not isinstance(raw, dict):
        raise StudyError(f"expected a table, got {raw!r}", key=where)
    raw = dict(raw)
    if base is not None:
        raw.setdefault("unit", base.written_unit)
        raw.setdefault("source", base.source)
    if raw.get("dist") == "point" and "value" not in raw and "point" in raw:
        raw["value"] = raw["point"]
    try:
        dist = parse_distribution(raw, extra_keys=INPUT_KEYS)
    except StudyError as err:
        raise err.located(key_prefix=where) from None
    if isinstance(dist, Catalogued):  # the catalogue knows its units and sources
        unit = raw.setdefault("unit", FIELD_UNITS[dist.field])
        if unit != FIELD_UNITS[dist.field]:
            raise StudyError(
                f"the catalogue's {dist.field} is in {FIELD_UNITS[dist.field]!r}; leave 'unit' out",
                key=f"{where}.unit",
            )
        raw.setdefault("source", dist.source)

    labels = dist.labels
    if declared.choices is not None:
        if labels is None:
            raise StudyError(
                f"a structural choice: give labels among {list(declared.choices)}", key=f"{where}.values"
            )
        try:
            dist = dist.with_label_order(declared.choices)
        except StudyError as err:
            raise err.located(key_prefix=where) from None
        written_unit = str(raw.get("unit", "1"))
        factor = 1.0
    else:
        if labels is not None:
            raise StudyError(
                f"labels {list(labels)} given, but the model takes a number (unit {declared.unit!r})",
                key=f"{where}.values",
            )
        if "unit" not in raw:
            raise StudyError(f"missing 'unit' (the model uses {declared.unit!r})", key=f"{where}.unit")
        written_unit = raw["unit"]
        if not isinstance(written_unit, str):
            raise StudyError(f"expected a unit as text, got {written_unit!r}", key=f"{where}.unit")
        factor = conversion_factor(written_unit, declared.unit, key=f"{where}.unit")
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        raise StudyError("missing 'source' (where this number comes from)", key=f"{where}.source")

    if factor != 1.0:
        dist = Point(dist.value * factor) if isinstance(dist, Point) else Scaled(dist, factor)
    point = _value(raw, "point", where, declared, factor)
    corrected = _value(raw, "corrected", where, declared, factor)
    if point is None and dist.is_point:
        point = float(dist.ppf(0.5))
    stream = raw.get("stream", name)
    if not isinstance(stream, str):
        raise StudyError(f"expected an input's name, got {stream!r}", key=f"{where}.stream")
    return InputSpec(
        name=name,
        dist=dist,
        unit=declared.unit,
        written_unit=written_unit,
        source=source.strip(),
        point=point,
        corrected=corrected,
        audit=str(raw["audit"]) if "audit" in raw else None,
        note=str(raw.get("note", "")),
        stream=stream,
        labels=declared.choices,
    )


def _outputs(raw: Mapping, model: Model) -> dict[str, OutputSpec]:
    declared = {o.name: o for o in model.outputs}
    for name in raw:
        if name not in declared:
            raise StudyError(
                f"model {model.name!r} has no output {name!r}" + did_you_mean(name, declared),
                key=f"outputs.{name}",
            )
    out = {}
    for name, o in declared.items():
        table = raw.get(name, {})
        where = f"outputs.{name}"
        if not isinstance(table, dict):
            raise StudyError(f"expected a table, got {table!r}", key=where)
        _known_keys(table, OUTPUT_KEYS, where)
        reported = _optional_number(table, "reported", where)
        if reported is not None and "unit" in table:
            reported *= conversion_factor(str(table["unit"]), o.unit, key=f"{where}.unit")
        out[name] = OutputSpec(
            name=name,
            unit=o.unit,
            description=o.description,
            reported=reported,
            source=str(table.get("source", "")),
            note=str(table.get("note", "")),
            dims=o.dims,
        )
    return out


def _correlations(raw: Mapping, inputs: Mapping[str, InputSpec], scenarios) -> dict[tuple[str, str], float]:
    from .sampling import check_correlations

    pairs: dict[tuple[str, str], float] = {}
    for a, row in raw.items():
        if a not in inputs:
            raise StudyError(f"no input {a!r}" + did_you_mean(a, inputs), key=f"correlations.{a}")
        if not isinstance(row, dict):
            raise StudyError("expected `a.b = rho` entries", key=f"correlations.{a}")
        for b, rho in row.items():
            key = f"correlations.{a}.{b}"
            if b not in inputs:
                raise StudyError(f"no input {b!r}" + did_you_mean(b, inputs), key=key)
            if a == b:
                raise StudyError("an input's correlation with itself is 1", key=key)
            if isinstance(rho, bool) or not isinstance(rho, int | float) or not -1 <= rho <= 1:
                raise StudyError(f"expected a rank correlation in [-1, 1], got {rho!r}", key=key)
            for name in (a, b):
                specs = [inputs[name], *(s[name] for s in scenarios.values() if name in s)]
                if all(s.dist.is_point for s in specs):
                    raise StudyError(f"{name} is a point value and cannot be correlated", key=key)
            pair = tuple(sorted((a, b)))
            if pair in pairs and pairs[pair] != float(rho):
                raise StudyError(f"given twice with different values ({pairs[pair]} and {rho})", key=key)
            pairs[pair] = float(rho)
    check_correlations(pairs)
    return pairs
