"""Studies that extend another: ``[study] extends = "chatgpt_inference"`` (a name or a path).

The extending file inherits its parent's tables and overrides or adds entries: an input, an
output, a constant, a derived value, a scenario or an observation given in the new file
replaces the parent's whole table of that name; ``[correlations]`` are merged pair by pair;
``[study]`` keys are merged key by key (the new file must give its own ``name``).
``drop = ["heavy_use", ...]`` removes the parent's scenarios (a plain name; the references that
answer one go with it, and so do the observations made only of it), or any entry written
``"outputs.capex"``, ``"derived.x"``, ``"constants.x"``, ``"inputs.x"``, ``"scenarios.x"``,
``"observations.x"`` or ``"correlations.a.b"``. A parent may itself extend another; a cycle is
an error. The result is one study document with no ``extends`` left, which is what runs and
what a result stores.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from ..errors import StudyError, did_you_mean
from .text import read_toml

__all__ = [
    "ENTRY_TABLES",
    "resolve_extends",
    "merge_documents",
    "locate_parent",
    "origin_of",
    "dump_document",
    "toml_value",
    "toml_key",
]

#: tables whose entries an extending study replaces or adds whole
ENTRY_TABLES = ("inputs", "outputs", "constants", "derived", "scenarios", "observations")


def locate_parent(reference: Any, child_path: str) -> Path:
    """The file ``extends = reference`` names: a shipped study's name, or a path relative to the
    extending file (``"../base.toml"``)."""
    from .shipped import study_paths

    if not isinstance(reference, str) or not reference.strip():
        raise StudyError(f"expected a study's name or a path, got {reference!r}", key="study.extends")
    if reference.endswith(".toml") or "/" in reference or "\\" in reference:
        folder = Path(child_path).parent if child_path and not child_path.startswith("<") else Path(".")
        path = (folder / reference).resolve()
        if not path.is_file():
            raise StudyError(f"no such study file {str(path)!r}", key="study.extends")
        return path
    known = study_paths()
    if reference not in known:
        raise StudyError(f"unknown study {reference!r}" + did_you_mean(reference, known), key="study.extends")
    return known[reference]


def resolve_extends(
    doc: dict, path: str, chain: tuple[str, ...] = (), origins: dict[str, str] | None = None
) -> tuple[dict, list[str]]:
    """``doc`` with its parents merged in, and the parents' paths (nearest first).

    ``origins``, when given, is filled with the keys of the result that came from a parent
    (``"study.title"``, ``"inputs.dau"``, ``"correlations.a.b"``, a top-level key) and the file
    each came from, so that an error at one of them names that file (:func:`origin_of`).
    Raises :class:`StudyError` (keyed ``study.extends``) for an unknown parent or a cycle; an
    error inside a parent file names that file.
    """
    head = doc.get("study")
    if not isinstance(head, dict) or "extends" not in head:
        return doc, []
    parent_path = locate_parent(head["extends"], path)
    here = str(Path(path).resolve()) if path and not path.startswith("<") else path
    seen = (*chain, here)
    if str(parent_path) in seen:
        cycle = [*seen[seen.index(str(parent_path)) :], str(parent_path)]
        raise StudyError(
            "a cycle of extends: " + " -> ".join(Path(p).name for p in cycle), key="study.extends"
        )
    try:
        text = parent_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyError(f"cannot read {parent_path} ({exc})", key="study.extends") from None
    parent = read_toml(text, str(parent_path))
    above: dict[str, str] = {}
    try:
        parent, grandparents = resolve_extends(parent, str(parent_path), seen, above)
    except StudyError as err:  # the parent's own extends, drop or name
        raise err.located(file=str(parent_path)) from None
    merged = merge_documents(parent, doc)
    if origins is not None:
        origins.update(_origins(merged, doc, str(parent_path), above))
    return merged, [str(parent_path), *grandparents]


def _origins(merged: dict, child: dict, parent_path: str, above: dict[str, str]) -> dict[str, str]:
    """The keys of ``merged`` that ``child`` did not give, and the file each came from (the
    parent's, or further up as ``above`` says)."""
    out: dict[str, str] = {}

    def inherited(key: str) -> None:
        out[key] = origin_of(key, above) or parent_path

    for top, value in merged.items():
        mine = child.get(top)
        if top not in child:
            inherited(top)
        elif isinstance(value, dict) and isinstance(mine, dict) and top in (*ENTRY_TABLES, "study"):
            for name in value:
                if name not in mine:
                    inherited(f"{top}.{name}")
        elif top == "correlations" and isinstance(value, dict) and isinstance(mine, dict):
            for a, row in value.items():
                for b in row if isinstance(row, dict) else ():
                    given = isinstance(mine.get(a), dict) and b in mine[a]
                    given = given or (isinstance(mine.get(b), dict) and a in mine[b])
                    if not given:
                        inherited(f"correlations.{a}.{b}")
    return out


def origin_of(key: str | None, origins: dict[str, str]) -> str | None:
    """The file the entry at ``key`` came from (``inputs.dau.unit`` → that of ``inputs.dau``),
    or None when it is the extending file's own."""
    parts = key.split(".") if key else []
    while parts:
        found = origins.get(".".join(parts))
        if found is not None:
            return found
        parts.pop()
    return None


def merge_documents(parent: dict, child: dict) -> dict:
    """The child study document laid over its parent (see the module's docstring)."""
    head = dict(child.get("study", {}))
    if not isinstance(head.get("name"), str) or not head["name"].strip():
        raise StudyError("a study that extends another needs a name of its own", key="study.name")
    drop = head.pop("drop", [])
    head.pop("extends", None)
    if not isinstance(drop, list) or not all(isinstance(d, str) for d in drop):
        raise StudyError(f"expected a list of names, got {drop!r}", key="study.drop")

    out: dict[str, Any] = {}
    for key, value in parent.items():
        out[key] = {k: v for k, v in value.items()} if isinstance(value, dict) else value
    parent_head = {k: v for k, v in out.get("study", {}).items() if k not in ("extends", "drop")}
    out["study"] = {**parent_head, **head}

    for table in ENTRY_TABLES:
        mine = child.get(table)
        if mine is None:
            continue
        if not isinstance(mine, dict):
            out[table] = mine  # validation reports it
            continue
        merged = dict(out.get(table, {})) if isinstance(out.get(table), dict) else {}
        merged.update(mine)
        out[table] = merged

    if "correlations" in child:
        mine = child["correlations"]
        merged = {a: dict(row) for a, row in out.get("correlations", {}).items() if isinstance(row, dict)}
        if isinstance(mine, dict):
            for a, row in mine.items():
                if not isinstance(row, dict):
                    merged[a] = row
                    continue
                for b, rho in row.items():
                    if b in merged and isinstance(merged[b], dict):
                        merged[b].pop(a, None)  # the pair written the other way round
                    merged.setdefault(a, {})[b] = rho
            out["correlations"] = {a: row for a, row in merged.items() if row != {}}
        else:
            out["correlations"] = mine

    for key, value in child.items():
        if key not in out or (key not in ENTRY_TABLES and key not in ("study", "correlations")):
            out[key] = value

    for item in drop:
        _drop(out, item)
    return out


def _drop(doc: dict, item: str) -> None:
    parts = item.split(".")
    if len(parts) == 1:
        parts = ["scenarios", item]
    table = parts[0]
    if table == "correlations" and len(parts) == 3:
        a, b = parts[1], parts[2]
        rows = doc.get("correlations", {})
        for x, y in ((a, b), (b, a)):
            if isinstance(rows.get(x), dict) and y in rows[x]:
                del rows[x][y]
                if not rows[x]:
                    del rows[x]
                return
        raise StudyError(f"no correlation {a}.{b} to drop", key="study.drop")
    if table not in ENTRY_TABLES or len(parts) != 2:
        raise StudyError(
            f"cannot drop {item!r}: give a scenario's name, or TABLE.NAME with a table among "
            f"{', '.join(ENTRY_TABLES)} (or correlations.A.B)",
            key="study.drop",
        )
    entries = doc.get(table, {})
    if not isinstance(entries, dict) or parts[1] not in entries:
        raise StudyError(
            f"the parent study has no {table[:-1] if table != 'derived' else 'derived value'} "
            f"{parts[1]!r} to drop" + did_you_mean(parts[1], entries if isinstance(entries, dict) else {}),
            key="study.drop",
        )
    del entries[parts[1]]
    if table == "scenarios":
        _forget_scenario(doc, parts[1])


def _forget_scenario(doc: dict, scenario: str) -> None:
    """A dropped scenario's references go with it, and so does its place in the observations
    (an observation made of it alone goes whole). Entries are copied, not edited: the parent's
    tables are shared."""
    outputs = doc.get("outputs")
    if isinstance(outputs, dict):
        for name, spec in list(outputs.items()):
            refs = spec.get("references") if isinstance(spec, dict) else None
            if isinstance(refs, list):
                kept = [r for r in refs if not (isinstance(r, dict) and r.get("scenario") == scenario)]
                outputs[name] = {**spec, "references": kept}
    observations = doc.get("observations")
    if isinstance(observations, dict):
        for name, spec in list(observations.items()):
            made_in = spec.get("scenarios") if isinstance(spec, dict) else None
            if isinstance(made_in, list) and scenario in made_in:
                kept = [s for s in made_in if s != scenario]
                if kept:
                    observations[name] = {**spec, "scenarios": kept}
                else:
                    del observations[name]


# ----------------------------------------------------------------------------- writing
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_SECTIONS = ("inputs", "constants", "derived", "outputs", "scenarios", "observations")


def toml_key(key: str) -> str:
    """A TOML key, quoted when it is not bare."""
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def toml_value(value: Any) -> str:
    """One TOML value written inline (strings, numbers, booleans, arrays, inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return _shortest(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _shortest(x: float) -> str:
    """The shortest text that reads back to ``x`` as a TOML float (``1e+07``, ``0.3795``)."""
    for digits in range(1, 18):
        text = f"{x:.{digits}g}"
        if float(text) == x:
            break
    if not any(c in text for c in ".e"):
        text += ".0"
    return text


def _section(header: str, table: dict) -> list[str]:
    lines = [f"[{header}]"]
    lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()]
    return lines


def dump_document(doc: dict) -> str:
    """A study document as TOML text that reads back to the same document (one section per
    input, output, constant, derived value and scenario; values inline)."""
    lines: list[str] = []
    for key, value in doc.items():
        if not isinstance(value, dict):
            lines.append(f"{toml_key(key)} = {toml_value(value)}")
    for key, value in doc.items():
        if not isinstance(value, dict):
            continue
        if key in _SECTIONS and all(isinstance(v, dict) for v in value.values()):
            for name, entry in value.items():
                lines += ["", *_section(f"{toml_key(key)}.{toml_key(name)}", entry)]
        elif key == "correlations" and all(isinstance(v, dict) for v in value.values()):
            lines += ["", "[correlations]"]
            for a, row in value.items():
                lines += [f"{toml_key(a)}.{toml_key(b)} = {toml_value(rho)}" for b, rho in row.items()]
        else:
            lines += ["", *_section(toml_key(key), value)]
    return "\n".join(lines).lstrip("\n") + "\n"
