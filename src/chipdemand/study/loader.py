"""Study files: find, read and validate them, once, into a :class:`Study`.

A study file (TOML, data only) either names a Python model (``model = "llm_inference"``) and
gives each of its inputs a distribution with a unit and a source, or states its own formulas
(``[inputs]``, ``[constants]``, ``[derived]`` and ``[outputs]`` with ``formula``; see
:mod:`chipdemand.language.formula_study`), or both. It may extend another study (``extends``; see
:mod:`chipdemand.study.extends`), declare years, give the outputs' reported values, scenarios that
override inputs, and rank correlations. Units are converted here; each input's distribution is
checked against its domain; every mistake in a file is reported at once, as one
:class:`StudyError` naming the file and the keys.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..domains import DOMAINS, check_domain_name
from ..errors import Problems, StudyError, StudyErrors, did_you_mean, located_warnings
from ..models import Input, Model, get_model, registry_generation
from ..units import conversion_factor
from .fields import (
    DERIVED_KEYS,
    FORMULA_OUTPUT_KEYS,
    OUTPUT_KEYS,
    STUDY_KEYS,
    TOP_KEYS,
    identifier,
    known_keys,
    optional_number,
    possible_labels,
    reaches_zero,
    read_correlations,
    read_years,
    table_of,
    text_of,
    with_used_when,
)
from .inputs import InputReader
from .schema import BASE, TODO
from .shipped import list_studies, priors_dir, resolve
from .spec import InputSpec, OutputSpec, Study
from .text import read_toml

if TYPE_CHECKING:  # formula studies import it when they are loaded
    pass

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
    "TODO",
]


# ----------------------------------------------------------------------------- loading
def load_study(study: str | os.PathLike[str] | Study, *, drafts: bool = False) -> Study:
    """Read and validate a study: a name from the shipped priors/ or a path to a TOML file.

    Parameters
    ----------
    study : str, Path or Study
        A shipped study's name, a path, or an already loaded study (returned as is).
    drafts : bool, optional
        Accept inputs whose ``source`` is still ``"TODO"`` (for showing or describing a study
        being written; a study that runs must say where every number comes from).

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
        stamp = _stamp(str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyError(f"cannot read ({exc})", file=str(path)) from None
    return _parsed(text, str(path), stamp, drafts)


#: studies parsed in this process: (path as given and absolute, mtime, size, text hash, drafts,
#: registry generation) → the Study, the stamps of the files it extends, and the warnings its
#: parsing gave (issued again on each load)
_PARSED: dict[tuple[Any, ...], tuple[Study, tuple[tuple[int, int], ...], list[Any]]] = {}


def _stamp(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


def _parsed(text: str, path: str, stamp: tuple[int, int], drafts: bool) -> Study:
    """:func:`parse_study` once per file version for the life of the process (a Study is not
    changed by anything that uses it)."""
    import warnings

    key = (
        path,  # as given: the Study keeps it (errors and provenance name the file as the user wrote it)
        os.path.abspath(path),
        *stamp,
        hashlib.sha256(text.encode()).hexdigest(),
        drafts,
        registry_generation(),  # a model registered or a plugin installed since: parse again
    )
    hit = _PARSED.get(key)
    try:
        fresh = hit is not None and tuple(_stamp(p) for p in hit[0].parents) == hit[1]
    except OSError:
        fresh = False
    if hit is None or not fresh:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            study = parse_study(text, path, drafts=drafts)
        hit = (study, tuple(_stamp(p) for p in study.parents), list(caught))
        _PARSED[key] = hit
    for w in hit[2]:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    return hit[0]


def study_of_run(attrs: Mapping[str, Any]) -> Study | None:
    """The :class:`Study` a saved run was made from, rebuilt from the study text in its attributes
    (``None`` when it carries none)."""
    text = attrs.get("study_toml")
    if not text:
        return None
    try:  # a saved run is read alone: its text was saved resolved, and never opens another file
        head = read_toml(str(text), "<saved run>").get("study", {})
        extends = head.get("extends") if isinstance(head, dict) else None
    except StudyError:
        extends = None  # parse_study says what is wrong with it
    if extends is not None:
        raise StudyError(
            "the study text saved with the run extends another file; a saved run is read alone "
            "(its study is saved resolved), so it is refused",
            key="study.extends",
        )
    return parse_study(str(text), str(attrs.get("study_path") or attrs.get("study") or "<saved run>"))


def parse_study(text: str, path: str = "<string>", *, drafts: bool = False) -> Study:
    """Validate the text of a study file; errors name ``path`` and the keys, all at once."""
    origins: dict[str, str] = {}  # keys that came from a parent study → its file
    try:
        return _parse_study(text, path, drafts, origins)
    except StudyError as err:
        raise _at_their_files(err, path, origins) from None


def _at_their_files(err: StudyError, path: str, origins: dict[str, str]) -> StudyError:
    """``err`` located at ``path``, except for each problem at a key that came from a parent
    study, which names the parent's file (all of them there: the error names that file)."""
    from .extends import origin_of

    if not isinstance(err, StudyErrors):
        return err.located(file=origin_of(err.key, origins) or path)
    problems = [p.located(file=origin_of(p.key, origins) or err.file or path) for p in err.problems]
    files = {p.file for p in problems}
    return StudyErrors(problems, file=files.pop() if len(files) == 1 else (err.file or path))


def _resolved_text(doc: dict, parents: list[str]) -> str:
    from .extends import dump_document

    chain = ", which extends ".join(Path(p).name for p in parents)
    header = f"# {doc['study'].get('name', '')} resolved: it extends {chain}\n\n"
    return header + dump_document(doc)


def _parse_study(text: str, path: str, drafts: bool, origins: dict[str, str]) -> Study:
    from .extends import resolve_extends

    doc = read_toml(text, path)
    doc, parents = resolve_extends(doc, path, origins=origins)
    if parents:
        text = _resolved_text(doc, parents)
    return _Loader(doc, path, text, drafts, tuple(parents)).study()


class _Loader(InputReader):
    """Builds one :class:`Study` from a resolved document, collecting every problem."""

    def __init__(self, doc: dict, path: str, text: str, drafts: bool, parents: tuple[str, ...]):
        self.doc, self.path, self.text, self.drafts, self.parents = doc, path, text, drafts, parents
        self.problems = Problems()
        self.broken: set[str] = set()  # inputs that failed (their dependents stay quiet)
        self.sources: list[tuple[str, str, str]] = []  # (input, key, "missing" | "todo")
        self.own_inputs: set[str] = set()  # inputs the file defines itself (formula inputs)

    # ------------------------------------------------------------------------- the whole study
    def study(self) -> Study:
        """The study, stage by stage: header, formulas, inputs, scenarios, constants and the model,
        outputs, streams, correlations, sources, observations, headline; every problem at once."""
        doc = self.doc
        with self.problems.at():
            known_keys(doc, TOP_KEYS, "")
        head, base_model, years = self._header()
        raw_inputs = self._table("inputs", required=True)
        raw_outputs = self._table("outputs")
        raw_constants = self._table("constants")
        formulas = self._formulas(self._table("derived"), raw_outputs, base_model)
        declared = self._declared(base_model, raw_inputs, bool(formulas))
        inputs = self._inputs(declared, raw_inputs)
        scenarios, notes = self._scenarios(declared, inputs)
        self._check_shared_chips(inputs, scenarios)
        constants = self._constants(raw_constants)
        model, used_when = self._model(
            head, declared, base_model, constants, formulas, years, inputs, scenarios
        )
        outputs = {}
        if model is not None:
            outputs = self._outputs(raw_outputs, model, {f.name: f for f in formulas}, [BASE, *scenarios])
        self._check_streams(declared, inputs, scenarios)
        failed = self.broken | (set(declared) - set(inputs))  # reported already: dependents stay quiet
        correlations = {}
        with self.problems.at():
            with located_warnings(self.path, None):  # a target that ties make unreachable
                correlations = read_correlations(table_of(doc, "correlations"), inputs, scenarios, failed)
        self._check_sources(declared, inputs, scenarios, used_when, model)
        broken_outputs = failed | (set(raw_outputs) - set(outputs))
        observations = self._observations(declared, inputs, outputs, scenarios, broken_outputs)
        headline = self._headline(head, model)
        self.problems.raise_if_any()
        if model is None:  # every way to no model records a problem, raised above
            raise RuntimeError(f"{self.path}: no model and no problem recorded")
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
            path=self.path,
            text=self.text,
            years=None if years is None else tuple(years),
            constants=constants,
            derived={f.name: f for f in formulas if f.table == "derived"},
            document=self.doc,
            parents=self.parents,
            observations=observations,
        )

    # ------------------------------------------------------------------------- header
    def _header(self) -> tuple[dict, Model | None, list[int] | None]:
        """``[study]``: its keys, name, title and source, the model it names and its years."""
        problems = self.problems
        head = self._table("study", required=True)
        with problems.at():
            known_keys(head, STUDY_KEYS, "study")
        for key in ("name", "title", "source"):
            if key in head and not isinstance(head[key], str):
                problems.add(StudyError(f"expected a text, got {head[key]!r}", key=f"study.{key}"))
            elif not isinstance(head.get(key), str) or not head[key].strip():
                problems.add(StudyError("missing (a text value)", key=f"study.{key}"))
        base_model = None
        if "model" in head:
            if not isinstance(head["model"], str) or not head["model"].strip():
                problems.add(
                    StudyError(f"expected a model's name (text), got {head['model']!r}", key="study.model")
                )
            else:
                try:
                    base_model = get_model(head["model"])
                except StudyError as err:
                    problems.add(err)
                    problems.raise_if_any()
        with problems.at():
            text_of(head, "description", "study")
        drop = head.get("drop", [])  # still here: no extends took it
        if not isinstance(drop, list) or not all(isinstance(d, str) for d in drop):
            problems.add(StudyError(f"expected a list of names, got {drop!r}", key="study.drop"))
        years = None
        with problems.at("study.years"):
            years = read_years(head.get("years"))
        return head, base_model, years

    # ------------------------------------------------------------------------- formulas
    def _formulas(self, raw_derived: Mapping, raw_outputs: Mapping, base_model: Model | None) -> list:
        """``[derived]`` and formula ``[outputs]`` parsed (formulas first: which inputs they read
        decides what an extra input is)."""
        from ..language.formula_study import FormulaSpec
        from ..language.parse import parse_formula

        problems = self.problems
        formulas: list[FormulaSpec] = []
        for table, raw, keys in (
            ("derived", raw_derived, DERIVED_KEYS),
            ("outputs", raw_outputs, FORMULA_OUTPUT_KEYS),
        ):
            for name, entry in raw.items():
                where = f"{table}.{name}"
                if not isinstance(entry, dict):
                    problems.add(StudyError(f"expected a table, got {entry!r}", key=where))
                    continue
                if table == "outputs" and "formula" not in entry:
                    continue  # a model's output
                with problems.at(where):
                    known_keys(entry, keys, "")
                with problems.at(where):
                    identifier(name)
                formula = None
                with problems.at(f"{where}.formula"):
                    formula = parse_formula(entry.get("formula"))
                unit = entry.get("unit")
                if "unit" in entry and not isinstance(unit, str):
                    problems.add(
                        StudyError(f"expected a unit's name (text), got {unit!r}", key=f"{where}.unit")
                    )
                    unit = ""  # reported: its formula stays quiet
                elif not isinstance(unit, str) or not unit.strip():
                    problems.add(StudyError("missing 'unit' (the unit of the result)", key=f"{where}.unit"))
                    unit = ""
                domain = entry.get("domain", "nonnegative")
                with problems.at(f"{where}.domain"):
                    check_domain_name(domain)
                description = ""
                with problems.at(where):
                    description = text_of(entry, "description")
                    text_of(entry, "note")
                formulas.append(
                    FormulaSpec(
                        name=name,
                        table=table,
                        formula=formula,
                        unit=unit,
                        description=description,
                        domain=domain if isinstance(domain, str) and domain in DOMAINS else "nonnegative",
                    )
                )
        if base_model is None and not any(f.table == "outputs" for f in formulas):
            problems.add(
                StudyError(
                    'no model and no formula outputs: name a model (model = "...") or give '
                    '[outputs.NAME] with formula = "..." and unit = "..."',
                    key="study.model",
                )
            )
        return formulas

    # ------------------------------------------------------------------------- observations, headline
    def _observations(
        self,
        declared: Mapping[str, Input],
        inputs: Mapping[str, InputSpec],
        outputs: Mapping[str, OutputSpec],
        scenarios: Mapping[str, Mapping],
        broken: set[str],
    ) -> dict[str, Any]:
        if "observations" not in self.doc:
            return {}
        from .observations import parse_observations

        observations: dict[str, Any] = {}
        with self.problems.at():
            observations = parse_observations(
                table_of(self.doc, "observations"),
                {**{n: spec.unit for n, spec in inputs.items()}, **{n: o.unit for n, o in outputs.items()}},
                scenarios=[BASE, *scenarios],
                broken=broken,
                labels={n: spec.labels for n, spec in inputs.items() if spec.labels is not None},
                domains={
                    **{n: declared[n].effective_domain for n in inputs},
                    **{n: o.domain for n, o in outputs.items()},
                },
            )
        return observations

    def _headline(self, head: Mapping, model: Model | None) -> str:
        """The output the study is about (``[study] headline``, else its first scalar output)."""
        if model is None or not model.outputs:
            return ""
        names = [o.name for o in model.outputs]  # an output whose table failed still counts
        scalars = [o.name for o in model.outputs if not o.dims]
        headline = head.get("headline", scalars[0] if scalars else names[0])
        if headline not in names:
            self.problems.add(
                StudyError(
                    f"expected one of the outputs, got {headline!r}" + did_you_mean(str(headline), names),
                    key="study.headline",
                )
            )
        return headline

    # ------------------------------------------------------------------------- formulas
    def _model(self, head, declared, base_model, constants, formulas, years, inputs, scenarios):
        """The model that runs: the named model, or the formulas compiled (over it, a hybrid)."""
        if not formulas:
            if constants or self._table("constants"):
                self.problems.add(
                    StudyError("constants without formulas: no formula reads them", key="constants")
                )
            if base_model is not None and years is not None:
                self.problems.add(
                    StudyError("years are for formulas; the model has its own", key="study.years")
                )
            return base_model, {}
        return self._compile(head, declared, base_model, constants, formulas, years, inputs, scenarios)

    def _compile(self, head, declared, base_model, constants, formulas, years, inputs, scenarios):
        from ..language.formula_study import build_model

        name = head.get("name") if isinstance(head.get("name"), str) else "study"
        if base_model is not None:
            model_name = f"{base_model.name}+formulas"
            description = f"{base_model.description}; then the formulas of study {name}"
        else:
            model_name = name
            description = str(head.get("title", f"the formulas of study {name}"))
        for f in formulas:
            if (
                f.table == "outputs"
                and base_model is not None
                and f.name in {o.name for o in base_model.outputs}
            ):
                self.problems.add(
                    StudyError(
                        f"the model {base_model.name!r} computes {f.name} already; leave 'formula' out or "
                        "pick another name",
                        key=f"outputs.{f.name}.formula",
                    )
                )
                return None, {}
        model, used_when = build_model(
            name=model_name,
            description=description,
            inputs=list(declared.values()),
            base=base_model,
            constants=constants,
            formulas=formulas,
            years=years,
            zero_check=lambda n: reaches_zero(n, inputs, scenarios),
            broken=set(self.broken) - set(declared),
            problems=self.problems,
        )
        if used_when is not None:
            model_inputs = {i.name for i in base_model.inputs} if base_model is not None else set()
            for n, when in used_when.items():
                if when is not None or n not in inputs or n in model_inputs:
                    continue
                if base_model is None:
                    message = "no output's formula reads this input"
                else:
                    message = (
                        f"model {base_model.name!r} has no input {n!r}"
                        + did_you_mean(n, model_inputs)
                        + " and no formula reads it"
                    )
                self.problems.add(StudyError(message, key=f"inputs.{n}"))
        if model is not None and base_model is None:
            # the compiled model's inputs carry what the formulas showed about them
            model = with_used_when(model, used_when or {})
        return model, used_when or {}

    def _outputs(
        self, raw: Mapping, model: Model, formulas: Mapping, scenarios: Sequence[str]
    ) -> dict[str, OutputSpec]:
        from .references import parse_references

        declared = {o.name: o for o in model.outputs}
        for name in raw:
            if name not in declared and name not in formulas:
                self.problems.add(
                    StudyError(
                        f"model {model.name!r} has no output {name!r}" + did_you_mean(name, declared),
                        key=f"outputs.{name}",
                    )
                )
        out = {}
        for name, o in declared.items():
            table = raw.get(name, {})
            where = f"outputs.{name}"
            if not isinstance(table, dict):
                continue  # reported with the formulas
            try:
                formula = formulas.get(name)
                if formula is None:
                    known_keys(table, OUTPUT_KEYS, where)
                reported = optional_number(table, "reported", where)
                source, note = text_of(table, "source", where), text_of(table, "note", where)
                if formula is None and "unit" in table:
                    text_of(table, "unit", where, "a unit's name (text)")
                if reported is not None and "unit" in table and formula is None:
                    reported *= conversion_factor(str(table["unit"]), o.unit, key=f"{where}.unit")
                references: tuple = ()
                if "references" in table:
                    references = parse_references(
                        table["references"],
                        output=name,
                        unit=o.unit,
                        scenarios=scenarios,
                        coords={d: model.coords[d] for d in o.dims},
                    )
            except StudyError as err:
                self.problems.add(err)
                continue
            out[name] = OutputSpec(
                name=name,
                unit=o.unit,
                description=o.description,
                reported=reported,
                source=source,
                note=note,
                dims=o.dims,
                formula=formula.formula.text if formula is not None and formula.formula else None,
                domain=o.domain,
                references=references,
            )
        return out

    # ------------------------------------------------------------------------- sources
    def _check_sources(
        self,
        declared: Mapping[str, Input],
        inputs: Mapping[str, InputSpec],
        scenarios: Mapping[str, Mapping[str, InputSpec]],
        used_when: Mapping[str, tuple | None],
        model: Model | None,
    ) -> None:
        """Missing or ``TODO`` sources: an error unless no scenario uses the input.

        Every input still saying ``TODO`` is listed in one problem (keyed ``inputs``).
        """
        todo = []
        for name, key, kind in self.sources:
            if name not in declared:
                continue
            when = declared[name].used_when or (used_when.get(name) or ())
            if when and not any(
                label in possible_labels(choice, inputs, scenarios)
                for choice, labels in when
                for label in labels
            ):
                continue  # the structural branch that reads it is never taken
            if kind == "missing":
                self.problems.add(StudyError("missing 'source' (where this number comes from)", key=key))
            elif not self.drafts:
                todo.append(key.removesuffix(".source").removeprefix("inputs."))
        if todo:
            self.problems.add(
                StudyError(
                    f'source still "TODO" for {len(todo)} input{"s" if len(todo) > 1 else ""}: '
                    f"{', '.join(todo)} (say where each number comes from before the study runs)",
                    key="inputs",
                )
            )
