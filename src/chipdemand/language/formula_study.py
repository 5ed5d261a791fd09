"""Formula studies: a study's ``[constants]``, ``[derived]`` and formula ``[outputs]`` compiled into a
:class:`~chipdemand.models.Model`.

A study without ``model`` defines its own inputs and computes its outputs by formulas; a study
with ``model = "X"`` may add inputs, derived values and formula outputs that read the model's
outputs (a hybrid: the Python model runs first, then the formulas). Either way the result is an
ordinary ``Model`` (inputs, outputs, a function of arrays, coords), so the engine, sampling,
common random numbers, threads, streaming and dask see nothing new. See
:mod:`chipdemand.language.parse` for the language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pint

from ..errors import Problems, StudyError
from ..models import Input, Model, Output
from .compiler import Compiled, Compiler, Guard, Symbol
from .formula_units import parse_unit
from .parse import CycleError, Formula, evaluation_order

__all__ = ["FormulaSpec", "ConstantSpec", "build_model", "FIRST_YEAR_NOTE"]

FIRST_YEAR_NOTE = "first_year gives {never} when the condition never holds by {last}"


@dataclass
class FormulaSpec:
    """A ``[derived.NAME]`` or formula ``[outputs.NAME]`` entry of a study file."""

    name: str
    table: str  # "derived" or "outputs"
    formula: Formula | None  # None when its text did not parse
    unit: str
    description: str = ""
    domain: str = "nonnegative"
    compiled: Compiled | None = None

    @property
    def key(self) -> str:
        return f"{self.table}.{self.name}"


@dataclass
class ConstantSpec:
    """A ``[constants.NAME]`` entry: a number with a unit and a source (or a catalogue field)."""

    name: str
    value: float
    unit: str
    source: str
    description: str = ""
    spec: dict = field(default_factory=dict)


def _usage(
    graph: Mapping[str, Sequence[str]], guards: Mapping[str, Mapping[str, Guard]], outputs: Sequence[str]
) -> dict[str, Guard]:
    """When each name is read: None (always) or a set of (choice, label) of which any suffices.

    A name read inside ``where(method == "x", ...)`` is read only when method is "x"; a name read
    by a derived value is read when that value is. Nested conditions are approximated from above.
    """
    usage: dict[str, Guard] = {}

    def merge(name: str, guard: Guard) -> None:
        if name in usage and usage[name] is None:
            return
        if guard is None:
            usage[name] = None
        else:
            usage[name] = {*(usage.get(name) or ()), *guard}

    order = evaluation_order(graph)
    for name in outputs:
        merge(name, None)
    for node in reversed(order):  # readers before what they read
        if node not in usage:
            continue  # a derived value no output reads
        outer = usage[node]
        for read, guard in guards.get(node, {}).items():
            merge(read, guard if outer is None else outer)
    return usage


def build_model(
    *,
    name: str,
    description: str,
    inputs: Sequence[Input],
    base: Model | None,
    constants: Mapping[str, ConstantSpec],
    formulas: Sequence[FormulaSpec],
    years: Sequence[int] | None,
    zero_check: Callable[[str], str | None],
    broken: set[str],
    problems: Problems,
) -> tuple[Model | None, dict[str, tuple | None] | None]:
    """Compile the formulas into a :class:`Model` (None when any formula failed).

    ``inputs`` are every input formulas may read (a hybrid's model inputs included). Returns the
    model and, for each input, the ``used_when`` conditions inferred from the formulas (``()``
    for an input always read, None for one no output reads), or None when a formula failed.
    Every error is recorded in ``problems``.
    """
    symbols, declared_units, year_values = _symbols(
        inputs, base, constants, formulas, years, broken, problems
    )
    by_name = {f.name: f for f in formulas}
    graph = {
        f.name: sorted(n for n in (f.formula.names if f.formula else ()) if n in by_name) for f in formulas
    }
    compiler = Compiler(symbols, years=year_values, zero_check=zero_check)
    order, compiled, failed = _compile_all(
        compiler, symbols, declared_units, by_name, graph, broken, problems
    )
    if failed:
        return None, None
    formula_outputs = [f.name for f in formulas if f.table == "outputs"]
    usage = _usage(graph, {f.name: compiled[f.name].guards for f in formulas}, formula_outputs)
    used_when = _used_when(inputs, usage, symbols)
    model = _assemble(name, description, inputs, base, constants, formulas, year_values, order, compiled)
    return model, used_when


def _symbols(
    inputs: Sequence[Input],
    base: Model | None,
    constants: Mapping[str, ConstantSpec],
    formulas: Sequence[FormulaSpec],
    years: Sequence[int] | None,
    broken: set[str],
    problems: Problems,
) -> tuple[dict[str, Symbol], dict[str, pint.Unit], list[float] | None]:
    """Every name formulas may read (each defined once), each formula's declared unit, and the
    years the formulas run over."""
    symbols: dict[str, Symbol] = {}
    defined_at: dict[str, str] = {}

    def define(symbol: Symbol, key: str) -> None:
        if symbol.name in defined_at:
            problems.add(StudyError(f"the name {symbol.name!r} is also {defined_at[symbol.name]}", key=key))
            return
        defined_at[symbol.name] = key
        symbols[symbol.name] = symbol

    coords_years = None
    if base is not None and "year" in base.coords:
        coords_years = [float(y) for y in base.coords["year"]]
        if years is not None and [float(y) for y in years] != coords_years:
            problems.add(
                StudyError(
                    f"the model {base.name!r} has its own years {list(base.coords['year'])}",
                    key="study.years",
                )
            )
    year_values = (
        coords_years if coords_years is not None else (None if years is None else [*map(float, years)])
    )
    if year_values is not None:
        define(Symbol("year", parse_unit("dimensionless"), kind="year", yearly=True), "the calendar year")
    for i in inputs:
        unit = None
        if i.choices is None:
            try:
                unit = parse_unit(i.unit)
            except StudyError:
                continue  # reported where the input is parsed
        define(Symbol(i.name, unit, kind="input", labels=i.choices), f"inputs.{i.name}")
    if base is not None:
        for o in base.outputs:
            define(
                Symbol(o.name, parse_unit(o.unit), kind="model output", yearly="year" in o.dims),
                f"an output of the model {base.name!r}",
            )
    for c in constants.values():
        define(Symbol(c.name, parse_unit(c.unit), kind="constant"), f"constants.{c.name}")
    declared_units: dict[str, pint.Unit] = {}
    for f in formulas:
        if not f.unit:  # missing or not text: reported where the study was read
            broken.add(f.name)
            define(Symbol(f.name, None, kind=f.table), f.key)
            continue
        try:
            declared_units[f.name] = parse_unit(f.unit)
        except StudyError as err:
            problems.add(err, f"{f.key}.unit")
            broken.add(f.name)
        define(Symbol(f.name, declared_units.get(f.name), kind=f.table), f.key)
    return symbols, declared_units, year_values


def _compile_all(
    compiler: Compiler,
    symbols: dict[str, Symbol],
    declared_units: Mapping[str, pint.Unit],
    by_name: Mapping[str, FormulaSpec],
    graph: Mapping[str, Sequence[str]],
    broken: set[str],
    problems: Problems,
) -> tuple[list[str], dict[str, Compiled], set[str]]:
    """Each formula compiled in evaluation order: the order, the compiled formulas and the names
    that failed (a formula reading a failed one fails quietly: its cause is reported)."""
    failed = set(broken) | {f.name for f in by_name.values() if f.formula is None}
    try:
        order = evaluation_order(graph)
    except CycleError as err:
        cycle = err.cycle
        problems.add(StudyError(err.message, key=f"{by_name[cycle[0]].key}.formula"))
        failed |= set(cycle)
        order = [n for n in graph if n not in cycle]
    compiled: dict[str, Compiled] = {}  # every formula's, when none failed
    for fname in order:
        f = by_name[fname]
        if f.name in failed or f.formula is None:
            failed.add(f.name)
            continue
        if f.formula.names & failed:
            failed.add(f.name)  # the cause is reported where it is
            continue
        try:
            f.compiled = compiled[f.name] = compiler.compile(
                f.formula, declared_units[f.name], allow_calendar=f.table == "outputs"
            )
        except StudyError as err:
            problems.add(err, f"{f.key}.formula")
            failed.add(f.name)
            continue
        symbols[f.name].yearly = compiled[f.name].yearly
    return order, compiled, failed


def _used_when(
    inputs: Sequence[Input], usage: Mapping[str, Guard], symbols: Mapping[str, Symbol]
) -> dict[str, tuple | None]:
    """For each input: ``()`` when always read, None when no output reads it, else the
    (choice, labels) pairs under which it is read."""
    used_when: dict[str, tuple | None] = {}
    for i in inputs:
        if i.name not in usage:
            used_when[i.name] = None  # no output reads it
        elif (guard := usage[i.name]) is None:
            used_when[i.name] = ()
        else:
            by_choice: dict[str, list[str]] = {}
            for choice, label in sorted(guard, key=lambda pair: (pair[0], pair[1] or "")):
                by_choice.setdefault(choice, [])
                if label is not None:
                    by_choice[choice].append(label)
            every = any(set(labels) >= set(symbols[c].labels or ()) for c, labels in by_choice.items())
            used_when[i.name] = () if every else tuple((c, tuple(ls)) for c, ls in by_choice.items())
    return used_when


def _assemble(
    name: str,
    description: str,
    inputs: Sequence[Input],
    base: Model | None,
    constants: Mapping[str, ConstantSpec],
    formulas: Sequence[FormulaSpec],
    year_values: list[float] | None,
    order: list[str],
    compiled: Mapping[str, Compiled],
) -> Model:
    """The :class:`Model`: its inputs, outputs, coords and the function running the formulas."""
    by_name = {f.name: f for f in formulas}
    outputs = []
    for f in formulas:
        if f.table != "outputs":
            continue
        text = f.description
        if compiled[f.name].uses_first_year and year_values is not None:
            note = FIRST_YEAR_NOTE.format(never=int(year_values[-1]) + 1, last=int(year_values[-1]))
            text = f"{text} ({note})" if text else note
        outputs.append(
            Output(f.name, f.unit, text, dims=("year",) if compiled[f.name].yearly else (), domain=f.domain)
        )
    steps = [(fname, compiled[fname].fn) for fname in order]
    # a derived value is dropped after the last formula that reads it (less memory held per block)
    last_read: dict[str, int] = {}
    for index, (step, _) in enumerate(steps):
        for read in compiled[step].reads:
            if read in by_name and by_name[read].table == "derived":
                last_read[read] = index
    frees = [tuple(n for n, last in last_read.items() if last == index) for index in range(len(steps))]
    constant_values = {c.name: c.value for c in constants.values()}
    returned = [o.name for o in outputs]
    years_array = None if year_values is None else np.asarray(year_values, dtype=float)
    all_inputs = list(inputs)
    if base is not None:
        base_names = {i.name for i in base.inputs}
        all_inputs = [*base.inputs, *(i for i in inputs if i.name not in base_names)]
        returned = [*(o.name for o in base.outputs), *returned]
        outputs = [*base.outputs, *outputs]
    function = _function(base, constant_values, years_array, steps, frees, returned)
    coords = dict(base.coords) if base is not None else {}
    if year_values is not None and "year" not in coords:
        coords["year"] = [int(y) for y in year_values]
    return Model(
        name=name,
        description=description,
        inputs=tuple(all_inputs),
        outputs=tuple(outputs),
        function=function,
        coords=coords,
    )


def _function(base, constants, years, steps, frees, returned):
    base_inputs = tuple(i.name for i in base.inputs) if base is not None else ()
    program = tuple(zip(steps, frees, strict=True))

    def function(**values):
        env = dict(constants)
        env.update(values)
        if years is not None:
            env["year"] = years
        if base is not None:
            env.update(base.function(**{n: values[n] for n in base_inputs}))
        for (name, fn), done in program:
            env[name] = fn(env)
            for used in done:
                del env[used]
        return {name: env[name] for name in returned}

    return function
