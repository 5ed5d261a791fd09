"""A study's inputs, scenarios and constants read from their tables: the stages of the loader
that turn ``[inputs.*]``, ``[scenarios.*]`` and ``[constants.*]`` into specs, with units converted
and each distribution checked against its domain (see :mod:`chipdemand.study.loader`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..distributions import FIELD_UNITS, Catalogued, Choice, Distribution, Point, Scaled, parse_distribution
from ..domains import DOMAINS, check_distribution, check_domain_name, check_value
from ..errors import Problems, StudyError, did_you_mean, located_warnings
from ..models import Input, Model
from ..units import conversion_factor
from .fields import (
    CONSTANT_KEYS,
    FORMULA_INPUT_KEYS,
    INPUT_KEYS,
    catalogue_constant,
    identifier,
    keyed,
    known_keys,
    optional_number,
    report_value,
    table_of,
    text_of,
)
from .schema import BASE, TODO, labels_of
from .spec import InputSpec

__all__ = ["InputReader"]

_PLAIN_DOMAINS = ("share", "at_least_one", "count")


class InputReader:
    """The loader's stages for inputs, scenarios and constants (a base of the loader, which
    holds the state they share: the document, the problems found, the inputs that failed)."""

    doc: dict
    path: str
    drafts: bool
    problems: Problems
    broken: set[str]  # inputs that failed (their dependents stay quiet)
    sources: list[tuple[str, str, str]]  # (input, key, "missing" | "todo")
    own_inputs: set[str]  # inputs the file defines itself (formula inputs)

    def _table(self, key: str, required: bool = False) -> dict:
        """The top-level table ``key`` (``{}`` when absent or not a table, the problem recorded);
        a required table missing raises every problem found so far, itself last."""
        try:
            return table_of(self.doc, key, required=required)
        except StudyError as err:
            self.problems.add(err)
            if required:
                self.problems.raise_if_any()
            return {}

    def _declared(
        self, base_model: Model | None, raw_inputs: Mapping, has_formulas: bool
    ) -> dict[str, Input]:
        """The inputs each part declares: the model's, and those the formulas add."""
        problems = self.problems
        declared: dict[str, Input] = {}
        if base_model is None:
            for name in raw_inputs:
                self._declare(declared, name, raw_inputs[name])
            return declared
        declared = {i.name: i for i in base_model.inputs}
        for name in raw_inputs:
            if name in declared:
                continue
            if not has_formulas:
                problems.add(
                    StudyError(
                        f"model {base_model.name!r} has no input {name!r}" + did_you_mean(name, declared),
                        key=f"inputs.{name}",
                    )
                )
                self.broken.add(name)
                continue
            # an input the model lacks and the formulas would add: without a unit, a typo is likelier
            typo = f"model {base_model.name!r} has no input {name!r}" + did_you_mean(name, declared)
            self._declare(declared, name, raw_inputs[name], unknown=typo)
        model_inputs = {i.name for i in base_model.inputs}
        for name, d in declared.items():
            if name not in raw_inputs and name in model_inputs:
                problems.add(
                    StudyError(
                        f"the model {base_model.name!r} needs this input ({d.description}; unit {d.unit!r})",
                        key=f"inputs.{name}",
                    )
                )
                self.broken.add(name)
        return declared

    def _inputs(self, declared: Mapping[str, Input], raw_inputs: Mapping) -> dict[str, InputSpec]:
        inputs: dict[str, InputSpec] = {}
        for name, d in declared.items():
            if name not in raw_inputs or name in self.broken:
                continue
            with self.problems.at() as catch:
                inputs[name] = self._input(name, raw_inputs[name], d, None)
            if catch.failed:
                self.broken.add(name)
        return inputs

    def _check_streams(
        self, declared: Mapping[str, Input], inputs: Mapping[str, InputSpec], scenarios: Mapping[str, Mapping]
    ) -> None:
        """Each ``stream`` names an input of the study."""
        for scen, specs in [("", inputs), *((f"scenarios.{k}.", v) for k, v in scenarios.items())]:
            for name, spec in specs.items():
                if spec.stream != name and spec.stream not in declared:
                    self.problems.add(
                        StudyError(
                            f"{spec.stream!r} is not an input of the study; `stream` names the input "
                            "whose random draws this one shares" + did_you_mean(spec.stream, declared),
                            key=f"{scen or 'inputs.'}{name}.stream",
                        )
                    )

    def _declare(self, declared: dict[str, Input], name: str, raw: Any, unknown: str = "") -> None:
        """An input a formula study defines itself: its unit, labels, domain and description.

        ``unknown`` (a hybrid's input its model lacks) opens the message of a missing unit.
        """
        where = f"inputs.{name}"
        try:
            identifier(name)
            if isinstance(raw, str):
                raw = {"dist": "point", "value": raw}
            if not isinstance(raw, dict):
                raise StudyError(f"expected a table, got {raw!r}")
            labels = labels_of(raw)
            if "choices" in raw:  # every alternative, when the distribution names only some
                choices = raw["choices"]
                if (
                    not isinstance(choices, list)
                    or not choices
                    or not all(isinstance(c, str) for c in choices)
                ):
                    raise StudyError(f"expected a list of labels, got {choices!r}", key="choices")
                if len(set(choices)) != len(choices):
                    raise StudyError(f"a label is given twice in {choices}", key="choices")
                labels = tuple(choices)
            unit = raw.get("unit")
            if raw.get("dist") == "catalog" and unit is None:
                field_name = raw.get("field")
                if not (isinstance(field_name, str) and field_name in FIELD_UNITS):
                    parse_distribution({k: raw[k] for k in ("dist", "field", "chip", "chips") if k in raw})
                unit = FIELD_UNITS[str(field_name)]  # the catalogue's (parse_distribution refused others)
            if labels is not None:
                unit = "1"
            elif "unit" in raw and not isinstance(unit, str):
                raise StudyError(f"expected a unit's name (text), got {unit!r}", key="unit")
            elif not isinstance(unit, str) or not unit.strip():
                raise StudyError(
                    (f"{unknown}; " if unknown else "")
                    + "missing 'unit' (an input of a formula study says its own unit)",
                    key="unit",
                )
            else:
                from ..language.formula_units import parse_unit

                parse_unit(unit)
            domain = raw.get("domain", "any" if labels is not None else "positive")
            with keyed("domain"):
                check_domain_name(domain)
            description = text_of(raw, "description")
            self.own_inputs.add(name)
            declared[name] = Input(
                name,
                unit,
                description,
                choices=labels,
                domain=domain,
            )
        except StudyError as err:
            self.problems.add(err, where)
            self.broken.add(name)

    def _input(
        self, name: str, raw: Any, declared: Input, base: InputSpec | None, prefix: str = "inputs"
    ) -> InputSpec:
        """Parse one input (or a scenario override, which inherits unit and source from ``base``)."""
        where = f"{prefix}.{name}"
        if isinstance(raw, bool):
            raise StudyError(f"expected a number, a label or a table, got {raw!r}", key=where)
        if isinstance(raw, int | float | str):  # a bare value is a point value
            raw = {"dist": "point", "value": raw}
        if not isinstance(raw, dict):
            raise StudyError(f"expected a table, got {raw!r}", key=where)
        raw = dict(raw)
        catalogued = raw.get("dist") == "catalog"
        own_source = "source" in raw or base is None
        if catalogued and base is not None and isinstance(base.dist, Catalogued):
            # another chip for the same field, drawn with the inputs that describe the same chip
            raw.setdefault("field", base.dist.field)
            raw.setdefault("stream", base.stream)
        if base is not None and not catalogued:
            raw.setdefault("unit", base.written_unit)
            raw.setdefault("source", base.source)
        if raw.get("dist") == "point" and "value" not in raw and "point" in raw:
            raw["value"] = raw["point"]
        extra = FORMULA_INPUT_KEYS if base is None and name in self.own_inputs else INPUT_KEYS
        try:
            # a quantity never negative is fitted to quantiles by a family that stays positive
            positive = DOMAINS[declared.effective_domain].low >= 0
            with located_warnings(self.path, where):  # a fit to quantiles that misses them
                dist = parse_distribution(raw, extra_keys=extra, positive=positive)
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
            if labels is None or not isinstance(dist, Choice):  # only a choice has labels
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
                raise StudyError(f"expected a unit's name (text), got {written_unit!r}", key=f"{where}.unit")
            factor = conversion_factor(written_unit, declared.unit, key=f"{where}.unit")
        source = raw.get("source")
        if source is None or (isinstance(source, str) and not source.strip()):
            if own_source:
                self.sources.append((name, f"{where}.source", "missing"))
            source = ""
        elif not isinstance(source, str):
            raise StudyError(f"expected a text, got {source!r}", key=f"{where}.source")
        elif source.strip().upper() == TODO and own_source:
            self.sources.append((name, f"{where}.source", "todo"))

        if factor != 1.0:
            dist = Point(dist.value * factor) if isinstance(dist, Point) else Scaled(dist, factor)
        point = report_value(raw, "point", where, declared, factor)
        corrected = report_value(raw, "corrected", where, declared, factor)
        if point is None and dist.is_point:
            point = dist.median()
        self._check_domain(declared, dist, point, corrected, where)
        note, audit = text_of(raw, "note", where), text_of(raw, "audit", where)
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
            audit=audit if "audit" in raw else None,
            note=note,
            stream=stream,
            labels=declared.choices,
        )

    def _check_domain(
        self, declared: Input, dist: Distribution, point: float | None, corrected: float | None, where: str
    ) -> None:
        domain = declared.effective_domain
        if domain == "any":
            return
        scale = 1.0
        if domain in _PLAIN_DOMAINS:
            try:
                scale = conversion_factor(declared.unit, "dimensionless")
            except StudyError:
                raise StudyError(
                    f"the domain {domain!r} needs a plain number, not {declared.unit!r}", key=where
                ) from None
        what = f"input {declared.name!r}"
        try:
            check_distribution(dist if scale == 1.0 else Scaled(dist, scale), domain, what=what)
        except StudyError as err:
            raise err.located(key_prefix=where) from None
        for key, value in (("point", point), ("corrected", corrected)):
            if value is not None:
                try:
                    check_value(value * scale, domain, what=what)
                except StudyError as err:
                    raise err.located(key_prefix=f"{where}.{key}") from None

    def _scenarios(
        self, declared: Mapping[str, Input], inputs: Mapping[str, InputSpec]
    ) -> tuple[dict[str, dict[str, InputSpec]], dict[str, str]]:
        scenarios: dict[str, dict[str, InputSpec]] = {}
        notes: dict[str, str] = {}
        for scen, table in self._table("scenarios").items():
            if not isinstance(table, dict):
                self.problems.add(StudyError("expected a table of input overrides", key=f"scenarios.{scen}"))
                continue
            if scen == BASE:
                self.problems.add(
                    StudyError(
                        "'base' is the study without overrides; pick another name", key="scenarios.base"
                    )
                )
                continue
            overrides: dict[str, InputSpec] = {}
            for name, raw in table.items():
                if name in ("description", "note"):
                    notes[scen] = str(raw)
                    continue
                if name not in declared:
                    if name not in self.broken:
                        self.problems.add(
                            StudyError(
                                f"no input {name!r}" + did_you_mean(name, declared),
                                key=f"scenarios.{scen}.{name}",
                            )
                        )
                    continue
                if name not in inputs:
                    continue  # the input itself failed: reported there
                with self.problems.at():
                    overrides[name] = self._input(
                        name, raw, declared[name], inputs[name], prefix=f"scenarios.{scen}"
                    )
            scenarios[scen] = overrides
        return scenarios, notes

    def _check_shared_chips(self, inputs: Mapping[str, InputSpec], scenarios: Mapping[str, Mapping]) -> None:
        """Catalogue inputs that share a random stream describe one chip: when they choose among
        chips, they must list the same chips with the same probabilities, in the base and in every
        scenario (else a draw would pair one chip's peak with another's power). One pinned to a
        single chip is the study's explicit choice and is left alone."""
        for scen, overrides in [(BASE, {}), *scenarios.items()]:
            groups: dict[str, list[tuple[str, Catalogued]]] = {}  # by stream
            for name in inputs:
                spec = overrides.get(name) or inputs[name]
                if isinstance(spec.dist, Catalogued) and len(spec.dist.chips) > 1:
                    groups.setdefault(spec.stream, []).append((name, spec.dist))
            for stream, members in groups.items():
                first_name, first = members[0]
                leader = dict(members).get(stream, first)  # the stream's own input orders the chips
                for _, dist in members:
                    if dist.chips == leader.chips:
                        dist.follow(leader)
                for name, dist in members[1:]:
                    if dist.chips != first.chips:
                        key = f"inputs.{name}.chips" if scen == BASE else f"scenarios.{scen}.{name}"
                        self.problems.add(
                            StudyError(
                                f"shares the random stream {stream!r} with {first_name!r} but lists "
                                f"other chips ({dist.chips} against {first.chips}); inputs drawn "
                                "together describe one chip, so a scenario that changes one must change all",
                                key=key,
                            )
                        )

    def _constants(self, raw: Mapping) -> dict:
        from ..language.formula_study import ConstantSpec

        out = {}
        for name, entry in raw.items():
            where = f"constants.{name}"
            try:
                identifier(name)
                if not isinstance(entry, dict):
                    raise StudyError(
                        f"expected a table {{ value = ..., unit = ..., source = ... }}, got {entry!r}"
                    )
                known_keys(entry, CONSTANT_KEYS, "")
                if "chip" in entry or "field" in entry:
                    out[name] = catalogue_constant(name, entry)
                else:
                    for key in ("value", "unit", "source"):
                        if key not in entry:
                            raise StudyError(f"missing '{key}'", key=key)
                    value = optional_number(entry, "value", "")
                    if value is None:  # cannot be: "value" is given
                        raise StudyError("missing 'value'", key="value")
                    unit = entry["unit"]
                    if not isinstance(unit, str):
                        raise StudyError(f"expected a unit's name (text), got {unit!r}", key="unit")
                    from ..language.formula_units import parse_unit

                    with keyed("unit"):
                        parse_unit(unit)
                    source = text_of(entry, "source", what="text (where this number comes from)")
                    if not source.strip():
                        raise StudyError("missing 'source' (where this number comes from)", key="source")
                    description = text_of(entry, "description")
                    text_of(entry, "note")
                    out[name] = ConstantSpec(name, value, unit, source.strip(), description, dict(entry))
                if out[name].source.upper() == TODO and not self.drafts:
                    raise StudyError('still "TODO": say where this number comes from', key="source")
            except StudyError as err:
                self.problems.add(err, where)
                self.broken.add(name)
        return out
