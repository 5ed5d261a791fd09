"""Writing studies: see what a study runs (:func:`show`), what a model or study needs
(:func:`describe`), and start a new one (:func:`new_study`).

These are the functions behind ``chipdemand show``, ``describe`` and ``new``. A study written by
:func:`new_study` has every input present with ``source = "TODO"``; it loads for
:func:`show` and :func:`describe` but is refused by a run until every input it uses says
where its number comes from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..catalog import FIELD_UNITS, catalogue_source, chip_constant
from ..errors import StudyError, did_you_mean
from ..models import Input, Model, get_model, model_names
from .extends import dump_document, resolve_extends, toml_value
from .schema import TODO, labels_of
from .shipped import resolve, study_paths
from .text import read_toml

if TYPE_CHECKING:  # pragma: no cover
    from .spec import Study

#: keys of an input table that are not its distribution's
_NOT_DIST = frozenset(
    {"unit", "source", "point", "corrected", "audit", "note", "stream", "domain", "description"}
)

__all__ = ["show", "describe", "new_study"]


def show(study: str | Path | Study) -> str:
    """The study as it runs, as TOML.

    A study that extends another is shown resolved (its parents merged in, no ``extends``
    left), which is also the text a saved result keeps; any other study is its own file.

    Examples
    --------
    >>> text = show("chatgpt_inference")
    >>> "[inputs.daily_active_users]" in text
    True
    """
    from .loader import load_study

    return load_study(study, drafts=True).text


def _used_when(i: Input) -> list[dict[str, Any]]:
    return [{"choice": choice, "labels": list(labels)} for choice, labels in i.used_when]


def _used_when_text(i: Input) -> str:
    if not i.used_when:
        return ""
    parts = [f"{choice} = {' or '.join(labels)}" for choice, labels in i.used_when]
    return "used only when " + ", or ".join(parts)


def _model_inputs(model: Model) -> list[dict[str, Any]]:
    return [
        {
            "name": i.name,
            "unit": i.unit,
            "description": i.description,
            "domain": i.effective_domain,
            "choices": list(i.choices) if i.choices is not None else None,
            "used_when": _used_when(i),
        }
        for i in model.inputs
    ]


def _model_outputs(model: Model) -> list[dict[str, Any]]:
    return [
        {
            "name": o.name,
            "unit": o.unit,
            "description": o.description,
            "dims": list(o.dims),
            "domain": o.domain,
        }
        for o in model.outputs
    ]


def describe(name: str | Path | Study, *, kind: str | None = None) -> dict[str, Any]:
    """What a model or a study needs and computes, as a dict (for ``chipdemand describe``).

    Parameters
    ----------
    name : str, Path or Study
        A shipped study's name, a study file, or a model's name (registered, or offered by an
        installed package).
    kind : {"study", "model"}, optional
        Which one a name that is both means (default: the study).

    Returns
    -------
    dict
        ``kind``, ``name``, ``description``, ``model``, ``inputs`` (each with ``unit``,
        ``description``, ``domain``, ``choices`` and ``used_when``: the structural choices and
        labels under which it matters, empty when always), ``outputs`` (with ``formula`` for a
        study's own), and for a study also ``derived``, ``constants``, ``years``, ``scenarios``,
        ``extends`` and each input's ``dist``, ``written_unit`` and ``source``.
    """
    if kind not in (None, "study", "model"):
        raise StudyError(f"expected 'study' or 'model', got {kind!r}", key="kind")
    if not isinstance(name, str | Path):  # a loaded Study
        return _describe_study(name)
    text = str(name)
    is_study_name = text in study_paths() or text.endswith(".toml") or Path(text).is_file()
    if kind == "study" or (kind is None and is_study_name):
        quick = _describe_file(resolve(name))
        if quick is not None:
            return quick
        from .loader import load_study

        return _describe_study(load_study(name, drafts=True))
    if kind == "model" or text in model_names():
        model = get_model(text)
        return {
            "kind": "model",
            "name": model.name,
            "description": model.description,
            "model": model.name,
            "inputs": _model_inputs(model),
            "outputs": _model_outputs(model),
            "years": list(model.coords.get("year", [])) or None,
        }
    raise StudyError(
        f"no study or model called {text!r}" + did_you_mean(text, [*study_paths(), *model_names()])
    )


def _dist_text(raw: Any) -> str:
    """An input's distribution as written, e.g. ``lognormal(ci=[1e+07, 4.5e+07])``."""
    if not isinstance(raw, dict):
        return f"point({toml_value(raw)})"
    skip = _NOT_DIST | {"dist", "family"}
    args = ", ".join(f"{k}={toml_value(v)}" for k, v in raw.items() if k not in skip)
    return f"{raw.get('dist', '?')}({args})"


def _catalogue_unit(table: Mapping[str, Any]) -> str | None:
    """The unit of an input read from the catalogue (None for any other input)."""
    return FIELD_UNITS.get(str(table.get("field"))) if table.get("dist") == "catalog" else None


def _catalogue_source(table: Mapping[str, Any]) -> str:
    chips = table.get("chips", {table.get("chip"): 1})
    try:
        return catalogue_source(str(table.get("field")), [str(c) for c in chips])
    except (KeyError, StudyError):
        return ""  # the full loader says what is wrong


def _describe_file(path: Path) -> dict[str, Any] | None:
    """:func:`describe` of a study read from its file without building a distribution or
    compiling a formula, so ``chipdemand describe`` answers at once; ``None`` when the answer
    needs the formulas compiled or a distribution built: a study without a model whose formulas
    decide when an input is read (``where``), a model over years (which formulas are yearly), a
    catalogue constant, an input given by quantiles (the family fitted to them).
    Nothing here is validated: ``chipdemand run`` and ``show`` do that. tests/test_authoring.py
    holds this equal to the compiled answer for every study it answers."""
    try:
        doc = read_toml(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, StudyError):
        return None  # the full loader says what is wrong
    doc, parents = resolve_extends(doc, str(path))
    head = doc.get("study", {})
    outputs_raw = doc.get("outputs", {})
    derived_raw = doc.get("derived", {})
    constants_raw = doc.get("constants", {})
    raw_inputs = doc.get("inputs", {})
    tables = (head, outputs_raw, derived_raw, constants_raw, raw_inputs, doc.get("scenarios", {}))
    if not all(isinstance(t, dict) for t in tables) or not isinstance(head.get("model", ""), str):
        return None
    formula_outputs = {n: o for n, o in outputs_raw.items() if isinstance(o, dict) and "formula" in o}
    formulas = [*derived_raw.values(), *formula_outputs.values()]
    if not all(isinstance(f, dict) and isinstance(f.get("formula"), str) for f in formulas):
        return None
    if formulas and "years" in head:
        return None  # which formulas are yearly is known once they are compiled
    if any(isinstance(raw, dict) and "quantiles" in raw for raw in raw_inputs.values()):
        return None  # the family fitted to the quantiles is known once it is fitted
    found = _quick_model(head, formulas, formula_outputs)
    if found is None:
        return None
    model, inputs = found
    inputs = _quick_inputs(inputs, raw_inputs, bool(formulas))
    outputs = _quick_outputs(model, outputs_raw, formula_outputs)
    if outputs is None:
        return None
    constants = _quick_constants(constants_raw)
    if constants is None:
        return None
    name = str(head.get("name", path.stem))
    return {
        "kind": "study",
        "name": name,
        "title": str(head.get("title", "")),
        "description": str(head.get("description", "")),
        "source": str(head.get("source", "")),
        "path": str(path),
        "model": name if model is None else f"{model.name}+formulas" if formulas else model.name,
        "extends": parents,
        "inputs": inputs,
        "outputs": outputs,
        "derived": [
            {
                "name": dname,
                "formula": d["formula"].strip(),
                "unit": str(d.get("unit", "")),
                "description": str(d.get("description", "")),
            }
            for dname, d in derived_raw.items()
        ],
        "constants": constants,
        "years": (list(model.coords.get("year", [])) or None) if model is not None else None,
        "scenarios": [
            {
                "name": s,
                "description": str(t.get("description", t.get("note", ""))),
                "overrides": sorted(k for k in t if k not in ("description", "note")),
            }
            for s, t in doc.get("scenarios", {}).items()
            if isinstance(t, dict)
        ],
    }


def _quick_model(
    head: Mapping[str, Any], formulas: list, formula_outputs: Mapping[str, Any]
) -> tuple[Model | None, list[dict[str, Any]]] | None:
    """The model a study names and the rows of its inputs (``(None, [])`` for formulas alone), or
    ``None`` when the answer needs the full loader."""
    if "model" in head:
        try:
            found = get_model(head["model"])
        except StudyError:
            return None  # the full loader says what is wrong
        if formulas and "year" in found.coords:
            return None
        return found, _model_inputs(found)
    if not formula_outputs or any("where" in f["formula"] for f in formulas):
        return None  # when each input is read is known once the formulas are compiled
    return None, []


def _quick_inputs(
    inputs: list[dict[str, Any]], raw_inputs: Mapping[str, Any], has_formulas: bool
) -> list[dict[str, Any]]:
    """The rows of the inputs: the model's, then the formulas' own (always read: none is
    guarded), each with its distribution, unit and source as written."""
    known = {row["name"] for row in inputs}
    for iname, raw in raw_inputs.items():
        if iname not in known and has_formulas:
            table = raw if isinstance(raw, dict) else {"dist": "point", "value": raw}
            if "unit" not in table and table.get("dist") == "catalog":
                table = {**table, "unit": _catalogue_unit(table)}
            labels = table.get("choices") or labels_of(table)
            inputs.append(
                {
                    "name": iname,
                    "unit": "1" if labels else str(table.get("unit", "")),
                    "description": str(table.get("description", "")),
                    "domain": table.get("domain", "any" if labels else "positive"),
                    "choices": list(labels) if labels else None,
                    "used_when": [],
                }
            )
    for row in inputs:
        raw = raw_inputs.get(row["name"])
        if raw is not None:
            table = raw if isinstance(raw, dict) else {}
            source = table.get("source")
            if source is None and table.get("dist") == "catalog":
                source = _catalogue_source(table)
            row.update(
                dist=_dist_text(raw),
                written_unit=str(table.get("unit", _catalogue_unit(table) or row["unit"])),
                source=str(source or ""),
            )
    return inputs


def _quick_outputs(
    model: Model | None, outputs_raw: Mapping[str, Any], formula_outputs: Mapping[str, Any]
) -> list[dict[str, Any]] | None:
    """The rows of the outputs (the model's, then the formulas'), or ``None`` when a reported
    value needs converting."""
    outputs = _model_outputs(model) if model is not None else []
    for row in outputs:
        raw = outputs_raw.get(row["name"], {})
        raw = raw if isinstance(raw, dict) else {}
        if raw.get("reported") is not None and raw.get("unit", row["unit"]) != row["unit"]:
            return None  # the reported value is converted to the model's unit
        row["formula"] = None
        row["reported"] = raw.get("reported")
    return outputs + [
        {
            "name": oname,
            "unit": str(o.get("unit", "")),
            "description": str(o.get("description", "")),
            "dims": [],
            "domain": o.get("domain", "nonnegative"),
            "formula": o["formula"].strip(),
            "reported": o.get("reported"),
        }
        for oname, o in formula_outputs.items()
    ]


def _quick_constants(constants_raw: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The rows of the constants (a catalogue constant looked up), or ``None`` when one is not
    as expected (the full loader says what is wrong)."""
    constants = []
    for cname, c in constants_raw.items():
        if not isinstance(c, dict):
            return None
        if "chip" in c or "field" in c:
            try:
                value, unit, source = chip_constant(c.get("chip"), c.get("field"))
            except StudyError:
                return None  # the full loader says what is wrong
        else:
            if not isinstance(c.get("value"), int | float):
                return None
            value = float(c["value"])
            unit, source = str(c.get("unit", "")), str(c.get("source", "")).strip()
        constants.append({"name": cname, "value": value, "unit": unit, "source": source})
    return constants


def _describe_study(study: Study) -> dict[str, Any]:
    model = study.model
    inputs = _model_inputs(model)
    for row in inputs:
        spec = study.inputs.get(row["name"])
        if spec is not None:
            row.update(dist=spec.dist.describe(), written_unit=spec.written_unit, source=spec.source)
    outputs = _model_outputs(model) if model is not None else []
    for row in outputs:
        output_spec = study.outputs.get(row["name"])
        row["formula"] = output_spec.formula if output_spec is not None else None
        row["reported"] = output_spec.reported if output_spec is not None else None
    return {
        "kind": "study",
        "name": study.name,
        "title": study.title,
        "description": study.description,
        "source": study.source,
        "path": study.path,
        "model": model.name,
        "extends": list(study.parents),
        "inputs": inputs,
        "outputs": outputs,
        "derived": [
            {
                "name": d.name,
                "formula": d.formula.text if d.formula else None,
                "unit": d.unit,
                "description": d.description,
            }
            for d in study.derived.values()
        ],
        "constants": [
            {"name": c.name, "value": c.value, "unit": c.unit, "source": c.source}
            for c in study.constants.values()
        ],
        "years": list(study.years) if study.years else (list(model.coords.get("year", [])) or None),
        "scenarios": [
            {
                "name": s,
                "description": study.scenario_notes.get(s, ""),
                "overrides": sorted(study.scenarios[s]),
            }
            for s in study.scenarios
        ],
    }


# ----------------------------------------------------------------------------- new studies
def _comment(text: str, width: int = 98) -> str:
    words, lines, line = text.split(), [], "#"
    for word in words:
        if len(line) + 1 + len(word) > width and line != "#":
            lines.append(line)
            line = "#"
        line += " " + word
    lines.append(line)
    return "\n".join(lines) + "\n"


def new_study(name: str, model: str | None = None, from_study: str | Path | None = None) -> str:
    """The text of a starting study file, every input present with ``source = "TODO"``.

    Parameters
    ----------
    name : str
        The new study's name.
    model : str, optional
        Start from a model's inputs: each gets its unit and a placeholder point value (1, or
        the choice among its labels), with its description, domain and the structural choice
        that uses it in a comment.
    from_study : str or Path, optional
        Start from a copy of a study (resolved, if it extends another): every input keeps its
        distribution, and its source becomes ``"TODO"`` (the old one kept in a comment).

    With neither, the file is a small formula study to fill in.

    Examples
    --------
    >>> text = new_study("my_fleet", model="inference_latency")
    >>> 'source = "TODO"' in text
    True
    """
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", name):
        raise StudyError(f"expected a study name of letters, digits, _ and -, got {name!r}", key="name")
    if model is not None and from_study is not None:
        raise StudyError("give a model or a study to start from, not both", key="from")
    if from_study is not None:
        from .loader import load_study

        return _from_study(name, load_study(from_study, drafts=True))
    if model is not None:
        return _from_model(name, get_model(model))
    return _formula_skeleton(name)


def _from_model(name: str, model: Model) -> str:
    out = [
        f"# A new study on the model {model.name}: {model.description}.",
        "# Give every input a distribution and say where its numbers come from: a study whose",
        '# inputs still say source = "TODO" does not run (inputs of a structural branch the study',
        "# never takes may leave `source` out).",
        "",
        "[study]",
        f"name = {toml_value(name)}",
        'title = "TODO"',
        f"model = {toml_value(model.name)}",
        'source = "TODO"',
        "",
    ]
    for i in model.inputs:
        notes = [i.description or i.name, f"domain {i.effective_domain}"]
        if i.used_when:
            notes.append(_used_when_text(i))
        out.append(_comment("; ".join(notes)).rstrip("\n"))
        out.append(f"[inputs.{i.name}]")
        if i.choices is not None:
            out.append('dist = "choice"')
            out.append(f"values = {toml_value(list(i.choices))}  # equally likely unless `probs` says")
        else:
            out.append(f"unit = {toml_value(i.unit)}")
            out.append('dist = "point"')
            out.append("value = 1  # TODO")
        out.append(f'source = "{TODO}"')
        out.append("")
    out.append("# outputs: " + ", ".join(f"{o.name} ({o.unit})" for o in model.outputs))
    out.append("# [outputs.NAME] may give `reported` (a published value, for `chipdemand replay`)")
    return "\n".join(out) + "\n"


def _from_study(name: str, study: Study) -> str:
    doc = study.document
    head = {k: v for k, v in doc.get("study", {}).items() if k not in ("extends", "drop")}
    old = head.get("name")
    head["name"] = name
    head["title"] = f"TODO (started from {old})"
    out = [
        f"# A new study started from {old} ({study.path}). Every input keeps its distribution and",
        '# its source is "TODO" (the old one in a comment above it): say where each number comes',
        "# from before the study runs.",
        "",
        dump_document({"study": head}).rstrip("\n"),
        "",
    ]
    for entry, raw in doc.get("inputs", {}).items():
        raw = dict(raw) if isinstance(raw, Mapping) else {"dist": "point", "value": raw}
        if raw.get("source"):
            out.append(_comment(f"was: {raw['source']}").rstrip("\n"))
        if raw.get("source") or raw.get("dist") != "catalog":  # the catalogue gives its own
            raw["source"] = TODO
        out.append(dump_document({"inputs": {entry: raw}}).rstrip("\n"))
        out.append("")
    rest = {k: v for k, v in doc.items() if k not in ("study", "inputs")}
    for overrides in rest.get("scenarios", {}).values():
        for key, raw in list(overrides.items()):
            if isinstance(raw, dict) and "source" in raw:
                overrides[key] = {**raw, "source": TODO}
    if rest:
        out.append(dump_document(rest).rstrip("\n"))
    return "\n".join(out) + "\n"


def _formula_skeleton(name: str) -> str:
    return f'''# A new formula study: inputs with distributions, units and sources; outputs computed by
# formulas (see `chipdemand describe chatgpt_inference` for a worked chain, and README).
# A study whose inputs still say source = "TODO" does not run.

[study]
name = {toml_value(name)}
title = "TODO"
source = "TODO"

[inputs.daily_users]
unit = "user"
dist = "lognormal"
ci = [1e6, 1e7]
source = "{TODO}"

[inputs.queries_per_user]
unit = "query/user/day"
dist = "lognormal"
ci = [2, 20]
source = "{TODO}"

[inputs.gpu_seconds_per_query]
unit = "s/query"
dist = "lognormal"
ci = [0.5, 5]
source = "{TODO}"

[outputs.gpus]
formula = "daily_users * queries_per_user * gpu_seconds_per_query"
unit = "GPU"
description = "GPUs busy around the clock (GPU-seconds per day / 86,400 s)"
'''
