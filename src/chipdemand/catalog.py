"""The accelerator catalogue: peak FLOP/s, memory, bandwidth, power and price of each chip.

Reads the ``hardware.toml`` shipped with the package (the repo's ``priors/`` when run from a
checkout), checks every entry once, and looks chips and servers up by name. Every figure names
its source and date (a ``[references.KEY]`` entry); a figure with no public value is absent, and
:func:`field_value` refuses it with a :class:`StudyError` naming the chip and the field.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import StudyError, did_you_mean

__all__ = [
    "CHIP_FIELDS",
    "FIELD_UNITS",
    "SERVER_FIELDS",
    "ORIGINS",
    "catalog_path",
    "load_catalog",
    "read_catalog",
    "chip",
    "server",
    "field_value",
    "field_source",
    "catalogue_source",
    "chip_constant",
    "missing_reason",
]

#: the unit of each chip field an input or a constant may read (``dist = "catalog"``)
FIELD_UNITS = {
    "peak_fp16_flops": "FLOPS/GPU",
    "peak_fp8_flops": "FLOPS/GPU",
    "memory_bytes": "byte/GPU",
    "memory_bandwidth": "byte/s/GPU",
    "tdp_watts": "W/GPU",
    "price_usd": "USD/GPU",
}

#: A chip's figures (FLOP/s, FLOP/s, bytes, bytes/s, W, [low, high] USD), every one optional.
CHIP_FIELDS = (
    "peak_fp16_flops",
    "peak_fp8_flops",
    "memory_bytes",
    "memory_bandwidth",
    "tdp_watts",
    "price_usd",
)
#: A server's figures (count, W, USD, [low, high] USD); ``chips_per_server`` is required.
SERVER_FIELDS = ("chips_per_server", "power_watts", "launch_price_usd", "price_usd")
#: Where a reference comes from: the maker itself, or second-hand.
ORIGINS = ("vendor", "analyst", "press")

_RANGES = ("price_usd",)  # fields written as [low, high]
_CHIP_KEYS = {"name", "vendor", "year", "source", "sources", "missing", *CHIP_FIELDS}
_SERVER_KEYS = {"name", "chip", "source", "sources", "missing", *SERVER_FIELDS}
_REFERENCE_KEYS = {"title", "publisher", "date", "origin", "confirmed_by", "from_memory", "url", "note"}
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")

FILE_NAME = "hardware.toml"


def catalog_path() -> Path:
    """The shipped catalogue: inside the installed package, else the repo's ``priors/``."""
    shipped = resources.files("chipdemand") / "priors" / FILE_NAME
    if shipped.is_file():
        return Path(str(shipped))
    return Path(__file__).resolve().parents[2] / "priors" / FILE_NAME


def load_catalog(path: str | Path | None = None) -> dict[str, Any]:
    """The catalogue as a dict with ``references``, ``chips`` and ``servers`` tables, each checked.

    Parameters
    ----------
    path : str or Path, optional
        A catalogue file; the shipped one (:func:`catalog_path`) if omitted.

    Returns
    -------
    dict
        The parsed TOML document (a fresh copy the caller may change).

    Raises
    ------
    StudyError
        (a ``ValueError``) naming the file, the entry and the key, when the file cannot be
        read, or an entry has a figure of the wrong type, a figure without a source, a source
        that names no reference, or a reference without a date or an origin.
    """
    return copy.deepcopy(read_catalog(path))


def read_catalog(path: str | Path | None = None) -> dict[str, Any]:
    """The catalogue as :func:`load_catalog` reads it, without the copy: read once per process
    and shared, for callers that only read it (every catalogue input of every study load)."""
    return _read(str(Path(path) if path is not None else catalog_path()))


def chip(name: str, catalog: dict[str, Any] | None = None) -> dict[str, Any]:
    """One chip's entry, e.g. ``chip("A100")["peak_fp16_flops"]`` → 3.12e14 FLOP/s.

    Names match exactly, or ignoring case and punctuation (``"ascend 910b"``). An unknown
    name raises :class:`KeyError` with the nearest known name. A figure with no public value
    is absent from the entry: read figures with :func:`field_value` to be refused clearly.
    """
    return _entry(catalog if catalog is not None else load_catalog(), "chips", name)[1]


def server(name: str, catalog: dict[str, Any] | None = None) -> dict[str, Any]:
    """One server's entry, e.g. ``server("DGX_A100")["chips_per_server"]`` → 8."""
    return _entry(catalog if catalog is not None else load_catalog(), "servers", name)[1]


def field_value(name: str, field: str, catalog: dict[str, Any] | None = None) -> float | list[float]:
    """A chip's figure, or a :class:`StudyError` naming the chip and the field if it has none.

    Parameters
    ----------
    name : str
        The chip's name in the catalogue (matched as in :func:`chip`).
    field : str
        One of :data:`CHIP_FIELDS`.
    catalog : dict, optional
        A loaded catalogue; the shipped one if omitted.

    Returns
    -------
    float or list of float
        The figure in the catalogue's unit; ``[low, high]`` for a range (``price_usd``).

    Raises
    ------
    StudyError
        (key ``field``) when the field is unknown or the chip has no public value for it; the
        message gives the catalogue's reason where it records one.
    KeyError
        When the chip is unknown.
    """
    if not isinstance(field, str):
        raise StudyError(f"expected a field's name (text), got {field!r}", key="field")
    if field not in CHIP_FIELDS:
        raise StudyError(f"unknown field {field!r}" + did_you_mean(field, CHIP_FIELDS), key="field")
    key, entry = _entry(catalog if catalog is not None else load_catalog(), "chips", name)
    if field not in entry:
        reason = entry.get("missing", {}).get(field)
        why = f": {reason}" if reason else ""
        raise StudyError(
            f"the catalogue gives no {field!r} for {key} (no public figure{why}); "
            "choose another chip, or give the value as a distribution with its own source",
            key="field",
        )
    return entry[field]


def field_source(name: str, field: str, catalog: dict[str, Any] | None = None) -> str:
    """The citation of one figure: reference title, publisher, date, and how it was checked.

    E.g. ``field_source("H200", "memory_bytes")`` → ``"NVIDIA H200 Tensor Core GPU datasheet
    (NVIDIA, 2024-11)"``; a second-hand figure says ``[second-hand: press]`` and a recalled
    one ``[from memory: no stored page confirmed it]``.
    """
    cat = catalog if catalog is not None else load_catalog()
    key, entry = _entry(cat, "chips", name)
    if field not in entry:
        raise StudyError(f"the catalogue has no {field} for {key}", key="field")
    return "; ".join(_citation(cat["references"][ref], note) for ref, note in _refs(entry["sources"][field]))


def catalogue_source(field: str, chips: Sequence[str], catalog: dict[str, Any] | None = None) -> str:
    """The source of an input read from the catalogue: each chip's citation of the field."""
    cat = catalog if catalog is not None else load_catalog()
    return "hardware catalogue (priors/hardware.toml): " + "; ".join(
        f"{name} {field}: {field_source(name, field, cat)}" for name in chips
    )


def chip_constant(name: Any, field: Any, catalog: dict[str, Any] | None = None) -> tuple[float, str, str]:
    """One chip's figure as a study constant (``{ chip = "H100", field = "tdp_watts" }``): its
    value, unit and source. A :class:`StudyError` keyed ``chip`` or ``field`` when the catalogue
    has no such chip, or no single public value of the field for it."""
    if not isinstance(field, str):
        raise StudyError(f"expected a field's name (text), got {field!r}", key="field")
    if field not in FIELD_UNITS:
        raise StudyError(f"unknown field {field!r}" + did_you_mean(field, FIELD_UNITS), key="field")
    if not isinstance(name, str):
        raise StudyError(f"expected a chip's name, got {name!r}", key="chip")
    try:
        row = chip(name, catalog if catalog is not None else load_catalog())
    except KeyError as err:
        raise StudyError(str(err.args[0]), key="chip") from None
    value = row.get(field)
    if value is None:
        raise StudyError(f"the catalogue gives no {field!r} for {name}", key="field")
    if isinstance(value, list):
        raise StudyError(
            f"the catalogue gives {field} of {name} as a range {value}; use an input "
            '(dist = "catalog") for an uncertain value',
            key="field",
        )
    return (
        float(value),
        FIELD_UNITS[field],
        f"hardware catalogue (priors/hardware.toml): {name}: {row.get('source', '')}",
    )


def missing_reason(name: str, field: str, catalog: dict[str, Any] | None = None) -> str | None:
    """Why a chip has no value for a field (the entry's ``missing`` table), or None."""
    return (
        _entry(catalog if catalog is not None else load_catalog(), "chips", name)[1]
        .get("missing", {})
        .get(field)
    )


def _citation(ref: dict[str, Any], note: str | None) -> str:
    text = f"{ref['title']} ({ref['publisher']}, {ref['date']})"
    if ref["origin"] != "vendor":
        text += f" [second-hand: {ref['origin']}]"
    if ref.get("from_memory"):
        text += " [from memory: no stored page confirmed it]"
    return text + (f": {note}" if note else "")


def _refs(spec: Any) -> list[tuple[str, str | None]]:
    """A field's sources as (reference key, note) pairs (already validated)."""
    items = spec if isinstance(spec, list) else [spec]
    return [(item, None) if isinstance(item, str) else (item["ref"], item.get("note")) for item in items]


def _normal(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _entry(catalog: dict[str, Any], table: str, name: str) -> tuple[str, dict[str, Any]]:
    entries = catalog.get(table, {})
    if name in entries:
        return name, entries[name]
    loose = [key for key in entries if _normal(key) == _normal(name)]
    if len(loose) == 1:
        return loose[0], entries[loose[0]]
    kind = table.rstrip("s")
    raise KeyError(f"unknown {kind} {name!r} in the catalogue" + did_you_mean(name, entries))


@cache
def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except OSError as exc:
        raise StudyError(f"cannot read the catalogue ({exc.strerror})", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"not valid TOML ({exc})", file=path) from None
    references = _table(doc, "references", path)
    for key, ref in references.items():
        _check_reference(ref, f"references.{key}", path)
    chips = _table(doc, "chips", path)
    if not chips:
        raise StudyError("no [chips.NAME] entries", file=path, key="chips")
    for name, entry in chips.items():
        _check_entry(entry, f"chips.{name}", CHIP_FIELDS, _CHIP_KEYS, references, path)
    for name, entry in _table(doc, "servers", path).items():
        key = f"servers.{name}"
        if "chips_per_server" not in entry:
            raise StudyError("missing (expected a positive number)", file=path, key=f"{key}.chips_per_server")
        _check_entry(entry, key, SERVER_FIELDS, _SERVER_KEYS, references, path)
        if entry.get("chip") not in chips:
            raise StudyError(
                f"chip {entry.get('chip')!r} is not in [chips]" + did_you_mean(str(entry.get("chip")), chips),
                file=path,
                key=f"{key}.chip",
            )
    doc.setdefault("references", {})
    doc.setdefault("servers", {})
    return doc


def _table(doc: dict[str, Any], name: str, path: str) -> dict[str, Any]:
    table = doc.get(name, {})
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise StudyError(f"expected tables [{name}.NAME]", file=path, key=name)
    return table


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _positive_number(value: Any) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    )


def _check_reference(ref: dict[str, Any], key: str, path: str) -> None:
    for field in ("title", "publisher"):
        if not _text(ref.get(field)):
            raise StudyError("missing or empty (expected a string)", file=path, key=f"{key}.{field}")
    date = ref.get("date")
    if not isinstance(date, str) or not _DATE.match(date):
        raise StudyError(
            f"expected a date as text, 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD', got {date!r}",
            file=path,
            key=f"{key}.date",
        )
    if ref.get("origin") not in ORIGINS:
        raise StudyError(
            f"expected one of {', '.join(map(repr, ORIGINS))}, got {ref.get('origin')!r}",
            file=path,
            key=f"{key}.origin",
        )
    confirmed, memory = ref.get("confirmed_by"), ref.get("from_memory")
    if memory is not None and memory is not True:
        raise StudyError(f"expected true, got {memory!r}", file=path, key=f"{key}.from_memory")
    if confirmed is not None and not _text(confirmed):
        raise StudyError(
            "expected the stored page that confirms it, as text", file=path, key=f"{key}.confirmed_by"
        )
    if (confirmed is None) == (memory is None):
        raise StudyError(
            "give either confirmed_by (the stored page read) or from_memory = true",
            file=path,
            key=f"{key}.confirmed_by",
        )
    unknown = set(ref) - _REFERENCE_KEYS
    if unknown:
        raise StudyError(
            f"unknown key {sorted(unknown)[0]!r}" + did_you_mean(sorted(unknown)[0], _REFERENCE_KEYS),
            file=path,
            key=key,
        )


def _check_entry(
    entry: dict[str, Any],
    key: str,
    fields: tuple[str, ...],
    allowed: set[str],
    references: dict[str, Any],
    path: str,
) -> None:
    for field in ("name", "source"):
        if not _text(entry.get(field)):
            raise StudyError("missing or empty (expected a string)", file=path, key=f"{key}.{field}")
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise StudyError(
            f"unknown key {unknown[0]!r}" + did_you_mean(unknown[0], allowed),
            file=path,
            key=f"{key}.{unknown[0]}",
        )
    if "year" in entry and not _positive_number(entry["year"]):
        raise StudyError(f"expected a year, got {entry['year']!r}", file=path, key=f"{key}.year")
    present = [f for f in fields if f in entry]
    for field in present:
        value = entry[field]
        if field in _RANGES:
            if not (isinstance(value, list) and len(value) == 2 and all(map(_positive_number, value))):
                raise StudyError(
                    f"expected [low, high] in USD, got {value!r}", file=path, key=f"{key}.{field}"
                )
            if value[0] > value[1]:
                raise StudyError(
                    f"low {value[0]:g} is above high {value[1]:g}", file=path, key=f"{key}.{field}"
                )
        elif not _positive_number(value):
            raise StudyError(f"expected a positive number, got {value!r}", file=path, key=f"{key}.{field}")
    sources = entry.get("sources", {})
    if not isinstance(sources, dict):
        raise StudyError("expected a table of field = reference", file=path, key=f"{key}.sources")
    for field in present:
        if field not in sources:
            raise StudyError(
                "has no source: add it to the entry's sources table with a reference key",
                file=path,
                key=f"{key}.{field}",
            )
    for field, spec in sources.items():
        where = f"{key}.sources.{field}"
        if field not in present:
            raise StudyError(f"a source for {field!r}, which the entry does not give", file=path, key=where)
        items = spec if isinstance(spec, list) else [spec]
        if not items:
            raise StudyError("expected a reference key", file=path, key=where)
        for item in items:
            ref = item if isinstance(item, str) else item.get("ref") if isinstance(item, dict) else None
            if not isinstance(ref, str) or (isinstance(item, dict) and set(item) - {"ref", "note"}):
                raise StudyError(
                    f"expected a reference key or {{ ref = KEY, note = TEXT }}, got {item!r}",
                    file=path,
                    key=where,
                )
            if ref not in references:
                raise StudyError(
                    f"no reference {ref!r}" + did_you_mean(ref, references), file=path, key=where
                )
            if isinstance(item, dict) and "note" in item and not _text(item["note"]):
                raise StudyError("expected the note as text", file=path, key=where)
    missing = entry.get("missing", {})
    if not isinstance(missing, dict):
        raise StudyError("expected a table of field = reason", file=path, key=f"{key}.missing")
    for field, reason in missing.items():
        where = f"{key}.missing.{field}"
        if field not in fields:
            raise StudyError(f"unknown field {field!r}" + did_you_mean(field, fields), file=path, key=where)
        if field in entry:
            raise StudyError(f"{field!r} is given, so it cannot be missing", file=path, key=where)
        if not _text(reason):
            raise StudyError("expected the reason as text", file=path, key=where)
