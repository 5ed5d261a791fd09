"""Reading the values of a study file, one key at a time: the keys each table allows, names,
years, numbers, a report's values, correlations and catalogue constants, each checked with a
message that names the key. :mod:`chipdemand.study.loader` reads whole files with them."""

from __future__ import annotations

import keyword
import math
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from ..domains import TOLERANCE
from ..errors import Problems, StudyError, StudyWarning, did_you_mean
from ..models import Input, Model
from .schema import BASE
from .spec import InputSpec

if TYPE_CHECKING:  # formula studies import it when they are loaded
    from ..language.formula_study import ConstantSpec

__all__ = [
    "INPUT_KEYS",
    "FORMULA_INPUT_KEYS",
    "OUTPUT_KEYS",
    "FORMULA_OUTPUT_KEYS",
    "DERIVED_KEYS",
    "CONSTANT_KEYS",
    "STUDY_KEYS",
    "TOP_KEYS",
    "keyed",
    "text_of",
    "identifier",
    "read_years",
    "table_of",
    "known_keys",
    "optional_number",
    "report_value",
    "read_correlations",
    "warn_if_unreachable",
    "catalogue_constant",
    "with_used_when",
    "reaches_zero",
    "possible_labels",
]

INPUT_KEYS = frozenset({"unit", "source", "point", "corrected", "audit", "note", "stream"})
FORMULA_INPUT_KEYS = INPUT_KEYS | {"description", "domain", "choices"}
OUTPUT_KEYS = frozenset({"reported", "unit", "source", "note", "references"})
FORMULA_OUTPUT_KEYS = OUTPUT_KEYS | {"formula", "description", "domain"}
DERIVED_KEYS = frozenset({"formula", "unit", "description", "note"})
CONSTANT_KEYS = frozenset({"value", "unit", "source", "chip", "field", "description", "note"})
STUDY_KEYS = frozenset(
    {"name", "title", "model", "source", "description", "headline", "years", "extends", "drop"}
)
TOP_KEYS = frozenset(
    {"study", "inputs", "outputs", "scenarios", "correlations", "constants", "derived", "observations"}
)


#: domains that compare a plain number (a share of 1, at least 1, a whole number)
def with_used_when(model: Model, used_when: Mapping[str, tuple | None]) -> Model:
    inputs = tuple(
        replace(i, used_when=used_when.get(i.name) or ()) if used_when.get(i.name) else i
        for i in model.inputs
    )
    return replace(model, inputs=inputs)


def text_of(table: Mapping[str, Any], key: str, where: str = "", what: str = "text") -> str:
    """``table[key]`` when it is text, ``""`` when the key is absent; a value of another type is a
    :class:`StudyError` at ``where.key`` saying what was expected and what was given (a key that
    is there is never called missing)."""
    if key not in table:
        return ""
    value = table[key]
    if not isinstance(value, str):
        raise StudyError(f"expected {what}, got {value!r}", key=f"{where}.{key}" if where else key)
    return value


def catalogue_constant(name: str, entry: Mapping) -> ConstantSpec:
    """``{ chip = "H100", field = "tdp_watts" }``: one chip's catalogue value as a constant."""
    from ..catalog import chip_constant
    from ..language.formula_study import ConstantSpec

    for key in ("value", "unit", "source"):
        if key in entry:
            raise StudyError(f"the catalogue gives the {key}; leave '{key}' out", key=key)
    description = text_of(entry, "description")
    text_of(entry, "note")
    value, unit, source = chip_constant(entry.get("chip"), entry.get("field"))
    return ConstantSpec(name, value, unit, source, description, dict(entry))


class keyed:
    """Put ``key`` on a :class:`StudyError` raised inside."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __enter__(self) -> keyed:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, tb: Any) -> Literal[False]:
        if isinstance(error, StudyError) and not error.key:
            raise StudyError(error.message, key=self.key) from None
        return False


def identifier(name: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("__"):
        raise StudyError(f"{name!r} cannot be used in formulas: use letters, digits and _ (not a leading __)")
    if keyword.iskeyword(name):
        raise StudyError(f"{name!r} is a Python keyword and cannot be a name in formulas")


def read_years(raw: Any) -> list[int] | None:
    if raw is None:
        return None
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(y, int) and not isinstance(y, bool) for y in raw)
    ):
        raise StudyError(f"expected a list of whole years, e.g. [2024, 2025, 2026], got {raw!r}")
    if any(b <= a for a, b in zip(raw, raw[1:], strict=False)):
        raise StudyError(f"years must increase, got {raw}")
    return list(raw)


def table_of(doc: Mapping, key: str, required: bool = False) -> dict:
    value = doc.get(key)
    if value is None:
        if required:
            raise StudyError("missing table", key=key)
        return {}
    if not isinstance(value, dict):
        raise StudyError(f"expected a table, got {value!r}", key=key)
    return value


def known_keys(table: Mapping, allowed: frozenset[str], where: str) -> None:
    unknown = [key for key in table if key not in allowed]
    if not unknown:
        return
    problems = Problems()
    for key in unknown:
        problems.add(
            StudyError(
                f"unknown key '{key}'" + did_you_mean(key, allowed), key=f"{where}.{key}" if where else key
            )
        )
    problems.raise_if_any()


def optional_number(raw: Mapping, key: str, where: str) -> float | None:
    if key not in raw:
        return None
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StudyError(f"expected a number, got {value!r}", key=f"{where}.{key}" if where else key)
    return float(value)


def report_value(raw: Mapping, key: str, where: str, declared: Input, factor: float) -> float | None:
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
    number = optional_number(raw, key, where)
    return None if number is None else number * factor


def warn_if_unreachable(
    a: str,
    b: str,
    rho: float,
    inputs: Mapping[str, InputSpec],
    scenarios: Mapping[str, Mapping[str, InputSpec]],
    key: str,
) -> None:
    """A StudyWarning where the ties of a discrete input cap the rank correlation below ``|rho|``."""
    import warnings

    from ..distributions.discrete import tie_factor

    cases = [
        (inputs[a], inputs[b]),
        *((s.get(a, inputs[a]), s.get(b, inputs[b])) for s in scenarios.values()),
    ]
    reach = [
        tie_factor(x.dist) * tie_factor(y.dist) for x, y in cases if not (x.dist.is_point or y.dist.is_point)
    ]
    if reach and abs(rho) > min(reach) + 1e-12:
        warnings.warn(
            StudyWarning(
                f"a rank correlation of {rho:g} cannot be reached: the ties of a discrete input cap it "
                f"at ±{min(reach):.2f} (the draws will show less)",
                key=key,
            ),
            stacklevel=2,
        )


def read_correlations(
    raw: Mapping,
    inputs: Mapping[str, InputSpec],
    scenarios: Mapping[str, Mapping[str, InputSpec]],
    broken: set[str],
) -> dict[tuple[str, str], float]:

    problems = Problems()
    pairs: dict[tuple[str, str], float] = {}
    for a, row in raw.items():
        if a in broken:
            continue
        if a not in inputs:
            problems.add(StudyError(f"no input {a!r}" + did_you_mean(a, inputs), key=f"correlations.{a}"))
            continue
        if not isinstance(row, dict):
            problems.add(StudyError("expected `a.b = rho` entries", key=f"correlations.{a}"))
            continue
        for b, rho in row.items():
            key = f"correlations.{a}.{b}"
            with problems.at():
                if b in broken:
                    continue
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
                warn_if_unreachable(a, b, float(rho), inputs, scenarios, key)
    problems.raise_if_any()
    from ..kernels.sampling import check_correlations

    check_correlations(pairs)
    return pairs


def reaches_zero(
    name: str, inputs: Mapping[str, InputSpec], scenarios: Mapping[str, Mapping[str, InputSpec]]
) -> str | None:
    """Why dividing by input ``name`` is refused: its distribution reaches zero (None when not)."""
    from ..domains import probability_below

    if name not in inputs:
        return None
    specs = [(BASE, inputs[name])] + [(s, o[name]) for s, o in scenarios.items() if name in o]
    for scen, spec in specs:
        if spec.labels is not None:
            continue
        low = probability_below(spec.dist, 0.0, inclusive=True)
        high = 1.0 - probability_below(spec.dist, 0.0, inclusive=False)
        if low > TOLERANCE and high > TOLERANCE:
            shown = f"{low:.2g}" if low >= 1e-3 else f"{low:.1e}"
            where = "" if scen == BASE else f" in scenario {scen!r}"
            return (
                f"whose distribution reaches zero{where} (P({name} <= 0) = {shown}); give it a "
                "distribution above zero (e.g. a lognormal, or lower = ... above 0)"
            )
    return None


def possible_labels(
    choice: str, inputs: Mapping[str, InputSpec], scenarios: Mapping[str, Mapping[str, InputSpec]]
) -> set[str]:
    """The labels a structural choice can take in some scenario (or in the replay)."""
    if choice not in inputs:
        return set()
    specs = [inputs[choice], *(o[choice] for o in scenarios.values() if choice in o)]
    out = set()
    for spec in specs:
        labels = spec.labels or ()
        dist = spec.dist
        values = getattr(dist, "values", None)
        probs = getattr(dist, "probs", None)
        if values is not None and probs is not None:
            out |= {labels[int(v)] for v, p in zip(values, probs, strict=True) if p > 0}
        for v in (spec.point, spec.corrected):
            if v is not None and 0 <= int(v) < len(labels):
                out.add(labels[int(v)])
    return out
