"""The formula language of study files: parsed with :mod:`ast`, checked, unit-checked, compiled.

A formula is one expression (``formula = "tokens_per_day * flops_per_token / peak_flops"``). The
text is parsed with ``ast.parse(text, mode="eval")`` and only these nodes are accepted:

- numbers (``1e9``, ``1_000``), ``True``/``False``, names, parentheses;
- ``+ - * / **``, unary ``-``/``+``, comparisons (``< <= > >= == !=``, chained), ``and``, ``or``,
  ``not``;
- a structural choice compared with one of its labels: ``method == "roofline"`` (also ``!=``);
  strings are allowed nowhere else;
- calls of ``where(cond, a, b)``, ``ceil floor round log log10 exp sqrt abs``, ``min(a, b, ...)``
  and ``max(...)`` (elementwise, two or more), ``clip(x, low, high)``, the year reductions
  ``sum_over_years(x)`` and ``first_year(cond)``, and the public functions of
  :mod:`chipdemand.formulas` by keyword (``provisioned_chips(average_chips=..., ...)``).

Everything else (attributes, subscripts, lambdas, comprehensions, f-strings, ``//``, ``%``,
``x if c else y``, starred arguments, ``:=``, names starting with ``__``...) is refused with a
:class:`~chipdemand.errors.StudyError` that points at the column. The text is never given to
``eval``, ``exec`` or ``compile``: the checked tree is turned into closures over NumPy
functions, evaluated on whole arrays of draws.

Units. Every node gets a pint unit when the formula is compiled (pint's arithmetic on units:
the formula evaluated once on unit-carrying values). Adding, comparing or choosing between
values of different dimensions is an error; values of the same dimension in different units
are converted where they meet (``a_ms + b_s``), and a result is converted to the unit the study
declares for it. Values are kept in the units they were written in, so a formula that restates
a Python model in that model's units does exactly the same arithmetic, draw for draw. Number
literals are dimensionless, with two conveniences: ``0`` takes the unit of whatever it is added
to, compared with or chosen against, and a literal given to a library function's keyword takes
that parameter's unit (``patches_per_video(..., duration_s=60)``). ``ceil``, ``floor`` and
``round`` act on a dimensionless value as a plain number and on any other in its own unit.

Years. With ``[study] years = [...]``, ``year`` is the calendar year (a plain number), and
every value that depends on it carries a trailing year axis; ``sum_over_years(x)`` sums it
away, ``first_year(cond)`` gives the first year ``cond`` holds, or the year after the last when
it never does (NaN-free).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

import numpy as np
import pint

from ..errors import StudyError, did_you_mean
from ..formulas import library
from ..formulas._units import BOOL, PLACEHOLDER, signature_of
from ..units import registry, unit_problem

__all__ = [
    "Formula",
    "Symbol",
    "Compiled",
    "Compiler",
    "BUILTINS",
    "REDUCTIONS",
    "parse_formula",
    "dependencies",
    "CycleError",
    "evaluation_order",
    "unit_text",
]

MAX_LENGTH = 10_000

#: plain functions of one argument, elementwise
UNARY: dict[str, Callable[..., Any]] = {
    "ceil": np.ceil,
    "floor": np.floor,
    "round": np.round,
    "log": np.log,
    "log10": np.log10,
    "exp": np.exp,
    "sqrt": np.sqrt,
    "abs": np.abs,
}
#: functions of the year axis
REDUCTIONS = ("sum_over_years", "first_year")
#: every function a formula may call besides the formula library
BUILTINS = (*UNARY, "where", "min", "max", "clip", *REDUCTIONS)

_COMPARE = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}
_REFUSED = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts ([...]) are not allowed",
    ast.Slice: "subscripts ([...]) are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.Starred: "starred arguments (*x) are not allowed",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.IfExp: "conditional expressions are not allowed; use where(cond, a, b)",
    ast.List: "lists are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}
_OPERATORS = {
    ast.FloorDiv: "// is not allowed; use floor(a / b)",
    ast.Mod: "% is not allowed",
    ast.MatMult: "@ is not allowed",
    ast.BitAnd: "& is not allowed; use 'and'",
    ast.BitOr: "| is not allowed; use 'or'",
    ast.BitXor: "^ is not allowed; use ** for a power",
    ast.LShift: "<< is not allowed",
    ast.RShift: ">> is not allowed",
    ast.Invert: "~ is not allowed; use 'not'",
    ast.Is: "'is' is not allowed; use ==",
    ast.IsNot: "'is not' is not allowed; use !=",
    ast.In: "'in' is not allowed",
    ast.NotIn: "'not in' is not allowed",
}


# ----------------------------------------------------------------------------- parsing
@dataclass(frozen=True)
class Formula:
    """A formula whose syntax passed the whitelist: its text, tree and the names it reads."""

    text: str
    tree: ast.Expression
    names: frozenset[str]
    calls: frozenset[str]


def _column(text: str, lineno: int | None, col_offset: int | None) -> str:
    """``column N`` (1-based, in characters) of an ast position; ``line L, column N`` if needed."""
    if lineno is None or col_offset is None:
        return f"column {len(text) + 1}"
    lines = text.split("\n")
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    col = len(line.encode("utf-8")[:col_offset].decode("utf-8", errors="ignore")) + 1
    return f"column {col}" if len(lines) == 1 else f"line {lineno}, column {col}"


def _at(text: str, node: ast.AST, message: str) -> StudyError:
    return StudyError(
        f"{_column(text, getattr(node, 'lineno', None), getattr(node, 'col_offset', None))}: {message}"
    )


def _number_of(node: ast.AST) -> int | float | None:
    """The value of a number literal (not a boolean); None for any other node."""
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return node.value
    return None


def _is_number(node: ast.AST) -> bool:
    return _number_of(node) is not None


def _is_label_comparison(node: ast.Compare) -> bool:
    """``name == "label"`` / ``"label" != name``: a choice compared with a label."""
    if len(node.ops) != 1 or not isinstance(node.ops[0], ast.Eq | ast.NotEq):
        return False
    left, right = node.left, node.comparators[0]
    strings = [isinstance(x, ast.Constant) and isinstance(x.value, str) for x in (left, right)]
    names = [isinstance(x, ast.Name) for x in (left, right)]
    return (strings[0] and names[1]) or (strings[1] and names[0])


def _choice_and_label(node: ast.Compare) -> tuple[ast.Name, str, ast.Constant]:
    """The choice's name, the label and the label's node of a comparison for which
    :func:`_is_label_comparison` holds."""
    left, right = node.left, node.comparators[0]
    name_node, label_node = (left, right) if isinstance(left, ast.Name) else (right, left)
    if not (
        isinstance(name_node, ast.Name)
        and isinstance(label_node, ast.Constant)
        and isinstance(label_node.value, str)
    ):
        raise TypeError("not a choice compared with a label")
    return name_node, label_node.value, label_node


def _called_name(node: ast.Call) -> str:
    """The name a checked call calls (the grammar admits calls of plain names only)."""
    if not isinstance(node.func, ast.Name):
        raise TypeError("a call of something other than a name")
    return node.func.id


def parse_formula(text: Any) -> Formula:
    """Parse ``text`` and check it against the grammar (names and units are checked later).

    Raises
    ------
    StudyError
        ``column N: what is not allowed`` for the first construct outside the grammar.

    Examples
    --------
    >>> sorted(parse_formula("users * queries / (peak * where(busy, 1, 2))").names)
    ['busy', 'peak', 'queries', 'users']
    >>> parse_formula("users.count")
    Traceback (most recent call last):
    ...
    chipdemand.errors.StudyError: column 1: attribute access is not allowed
    """
    if not isinstance(text, str):
        raise StudyError(f"expected a formula as text, got {text!r}")
    if not text.strip():
        raise StudyError("empty formula")
    if len(text) > MAX_LENGTH:
        raise StudyError(f"formula of {len(text)} characters; at most {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip("\n"), mode="eval")
    except SyntaxError as exc:
        where = f"column {exc.offset}" if exc.offset else f"column {len(text) + 1}"
        if exc.lineno and exc.lineno > 1 and exc.offset:
            where = f"line {exc.lineno}, column {exc.offset}"
        raise StudyError(f"{where}: bad syntax ({exc.msg})") from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise StudyError(f"formula cannot be parsed ({type(exc).__name__}: nested too deeply?)") from None
    text = text.strip("\n")
    names: set[str] = set()
    calls: set[str] = set()
    label_strings: set[int] = set()
    try:
        nodes = list(ast.walk(tree.body))
    except RecursionError:
        raise StudyError("formula nested too deeply") from None
    for node in nodes:
        if isinstance(node, ast.Compare) and _is_label_comparison(node):
            label_strings.update(id(x) for x in (node.left, *node.comparators) if isinstance(x, ast.Constant))
    for node in nodes:
        _check_node(text, node, label_strings, names, calls)
    formula = Formula(text=text, tree=tree, names=frozenset(), calls=frozenset(calls))
    return Formula(text=text, tree=tree, names=dependencies(formula), calls=frozenset(calls))


def _check_node(text: str, node: ast.AST, label_strings: set[int], names: set[str], calls: set[str]) -> None:
    for kind, message in _REFUSED.items():
        if isinstance(node, kind):
            raise _at(text, node, message)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            return
        if isinstance(value, str):
            if id(node) not in label_strings:
                raise _at(
                    text,
                    node,
                    'a string is only allowed compared with a structural choice (method == "roofline")',
                )
            return
        if isinstance(value, int):
            try:
                float(value)
            except OverflowError:
                raise _at(text, node, "number too large") from None
            return
        if isinstance(value, float):
            return
        raise _at(text, node, f"{type(value).__name__} constants are not allowed")
    if isinstance(node, ast.Name):
        if node.id.startswith("__"):
            raise _at(text, node, f"names starting with '__' are not allowed ({node.id})")
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) in _OPERATORS:
            raise _at(text, node, _OPERATORS[type(node.op)])
        if not isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.Pow):
            raise _at(text, node, f"operator {type(node.op).__name__} is not allowed")
        return
    if isinstance(node, ast.UnaryOp):
        if type(node.op) in _OPERATORS:
            raise _at(text, node, _OPERATORS[type(node.op)])
        return
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) in _OPERATORS:
                raise _at(text, node, _OPERATORS[type(op)])
        return
    if isinstance(node, ast.BoolOp):
        return
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            raise _at(
                text, node, f"attribute access is not allowed; call functions by name ({node.func.attr}(...))"
            )
        if not isinstance(node.func, ast.Name):
            raise _at(text, node, "only functions called by name are allowed (where(...), ceil(...), ...)")
        name = node.func.id
        if name.startswith("__"):
            raise _at(text, node, f"names starting with '__' are not allowed ({name})")
        for kw in node.keywords:
            if kw.arg is None:
                raise _at(text, kw.value, "** arguments are not allowed")
        known = set(BUILTINS) | set(_library())
        if name not in known:
            raise _at(text, node, f"unknown function '{name}'" + did_you_mean(name, known))
        if name in BUILTINS and node.keywords:
            raise _at(
                text, node.keywords[0].value, f"{name}() takes its arguments by position, not by keyword"
            )
        if name not in BUILTINS and node.args:
            raise _at(
                text,
                node.args[0],
                f"library functions take keyword arguments only: {name}({_first_param(name)}=...)",
            )
        calls.add(name)
        # the function's own name is not a name the formula reads
        return
    if isinstance(node, ast.keyword | ast.Load | ast.expr_context | ast.operator | ast.unaryop | ast.cmpop):
        return
    if isinstance(node, ast.boolop):
        return
    raise _at(text, node, f"{type(node).__name__} is not allowed")


@cache
def _library() -> dict[str, Callable]:
    return library()


def _first_param(name: str) -> str:
    sig = signature_of(_library()[name])
    return next(iter(sig.params)) if sig and sig.params else "..."


def dependencies(formula: Formula) -> frozenset[str]:
    """The names a formula reads (not the functions it calls)."""
    called = {
        id(n.func)
        for n in ast.walk(formula.tree.body)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    return frozenset(
        n.id for n in ast.walk(formula.tree.body) if isinstance(n, ast.Name) and id(n) not in called
    )


class CycleError(StudyError):
    """A :class:`StudyError` naming a cycle of formulas; ``cycle`` lists it (``[a, b, a]``)."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__("a cycle: " + " -> ".join(cycle))
        self.cycle = cycle


def evaluation_order(graph: Mapping[str, Sequence[str]]) -> list[str]:
    """The nodes of ``graph`` (node → the nodes it reads) so that each comes after what it reads.

    Raises :class:`CycleError` (a :class:`StudyError`) naming a cycle (``a -> b -> a``).
    """
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            raise CycleError(path[path.index(node) :] + [node])
        state[node] = 1
        for dep in graph.get(node, ()):
            if dep in graph:
                visit(dep, [*path, node])
        state[node] = 2
        order.append(node)

    for node in graph:
        visit(node, [])
    return order


# ----------------------------------------------------------------------------- units
def _ureg() -> pint.UnitRegistry:
    return registry()


@cache
def parse_unit(text: str) -> pint.Unit:
    """A unit string as a pint unit (a :class:`StudyError` for one pint cannot read)."""
    ureg = _ureg()
    try:
        quantity = ureg.Quantity(1.0, text)
    except Exception as exc:  # noqa: BLE001 - pint's parser raises many kinds for a bad string
        raise StudyError(f"unknown unit {text!r}: {unit_problem(exc)}") from None
    if quantity.magnitude != 1.0:
        raise StudyError(f"{text!r} is a number times a unit; write the number in the value")
    return cast(pint.Unit, quantity.units)  # pint annotates it PlainUnit; a registry's units are Unit


def _dimensionless() -> pint.Unit:
    return parse_unit("dimensionless")


def unit_text(unit: pint.Unit) -> str:
    """A unit as people read it: ``GPU·hour``, ``1`` for a plain number."""
    text = f"{unit:P}"
    return "1" if text in ("", "dimensionless") else text


@cache
def conversion(source: pint.Unit, target: pint.Unit) -> float | None:
    """The factor from ``source`` to ``target`` (exactly 1.0 when they agree), None if impossible."""
    if source == target:
        return 1.0
    try:
        factor = float(_ureg().Quantity(1.0, source).to(target).magnitude)
    except pint.errors.DimensionalityError:
        return None
    return 1.0 if abs(factor - 1.0) < 4e-16 else factor


_DIMENSION_HINTS = {
    "[time]": "a duration",
    "[currency]": "an amount of money",
    "[length]": "a length (pixels are lengths)",
    "[mass]": "a mass",
    "[temperature]": "a temperature",
    "[current]": "a current",
    "[substance]": "an amount of substance",
    "[luminosity]": "a luminosity",
}


def mismatch_hint(computed: pint.Unit, declared: pint.Unit) -> str:
    """What is missing or extra between two units of different dimensions."""
    ratio = computed.dimensionality / declared.dimensionality
    items = dict(ratio)
    if len(items) == 1:
        ((dim, power),) = items.items()
        noun = _DIMENSION_HINTS.get(dim, f"a quantity of {dim}")
        if power == 1:
            return f"the formula has an extra {dim}; divide by {noun}?"
        if power == -1:
            return f"the formula lacks a {dim}; multiply by {noun}?"
    return f"they differ by {ratio}"


# ----------------------------------------------------------------------------- compiling
@dataclass
class Symbol:
    """A name a formula may read: its unit (None for a structural choice), labels, year axis."""

    name: str
    unit: pint.Unit | None
    kind: str = "input"  # input, constant, derived, output, model output, year
    labels: tuple[str, ...] | None = None
    yearly: bool = False


@dataclass
class Node:
    """A compiled piece of a formula: ``fn(env)`` and what it is."""

    fn: Callable[[Mapping[str, Any]], Any]
    unit: pint.Unit | None  # None for a condition
    yearly: bool = False
    literal: float | None = None  # a number written in the formula (possibly negated)

    @property
    def is_condition(self) -> bool:
        return self.unit is None


#: when a name is read: None (always) or the (choice, label) pairs of which any suffices
#: (``(choice, None)`` for a branch no label of the choice takes)
Guard = set[tuple[str, str | None]] | None


def _unit_of(thing: Node | Symbol) -> pint.Unit:
    """The unit of a number (the compiler checks that a node is one before it asks)."""
    if thing.unit is None:
        raise TypeError("a condition or a structural choice has no unit")
    return thing.unit


@dataclass
class Compiled:
    """A compiled formula: ``fn(env)`` gives its value in ``unit`` (already converted).

    Nothing in it refers to pint (``unit`` is text), so a study pickles for dask workers.
    """

    fn: Callable[[Mapping[str, Any]], Any]
    unit: str
    yearly: bool
    uses_first_year: bool = False
    reads: frozenset[str] = frozenset()
    guards: dict[str, Guard] = field(default_factory=dict)


def _lift(fn: Callable, yearly: bool, to_yearly: bool) -> Callable:
    """``fn`` with a trailing axis added when a value without years meets one with years."""
    if yearly or not to_yearly:
        return fn

    def lifted(env):
        x = fn(env)
        return x[..., np.newaxis] if np.ndim(x) else x

    return lifted


def _scaled(fn: Callable, factor: float) -> Callable:
    """``fn`` converted by ``factor``: a division when the factor is 1/n for a whole n (÷ 3600 s/h
    rounds once, × (1/3600) twice), else a multiplication."""
    if factor == 1.0:
        return fn
    divisor = 1.0 / factor
    if _nearly_whole(divisor):
        divisor = float(round(divisor))
        return lambda env: fn(env) / divisor
    return lambda env: fn(env) * factor


def _nearly_whole(x: float) -> bool:
    return abs(x) >= 2.0 and abs(x - round(x)) <= 1e-12 * abs(x)


class Compiler:
    """Compiles checked formulas against a table of :class:`Symbol` s.

    Parameters
    ----------
    symbols : mapping of str to Symbol
        Every name formulas may read.
    years : sequence of int, optional
        The study's ``[study] years`` (``year`` and the year reductions need them).
    zero_check : callable, optional
        ``zero_check(name)`` returns a message when input ``name`` may be zero (dividing by it
        is then refused), or None.
    """

    def __init__(
        self,
        symbols: Mapping[str, Symbol],
        years: Sequence[float] | None = None,
        zero_check: Callable[[str], str | None] | None = None,
    ) -> None:
        self.symbols = dict(symbols)
        self.years = None if years is None else np.asarray(years, dtype=float)
        self.zero_check = zero_check or (lambda name: None)

    # ------------------------------------------------------------------------- entry point
    def compile(self, formula: Formula, declared: pint.Unit, *, allow_calendar: bool = False) -> Compiled:
        """``formula`` as a function of the environment, converted to ``declared``.

        ``allow_calendar`` lets a dimensionless result stand for the declared unit ``year``
        when the formula is a calendar year (reads ``year`` or calls ``first_year``).
        """
        self._text = formula.text
        self._uses_first_year = False
        self._guards: dict[str, Guard] = {}
        node = self._node(formula.tree.body, guard=None)
        if node.unit is None:
            raise StudyError("this formula is a condition (true/false); use where(cond, 1, 0) for a number")
        factor = conversion(node.unit, declared)
        if factor is None and allow_calendar and node.unit.dimensionless:
            calendar = self._uses_first_year or "year" in dependencies(formula)
            if calendar and declared == parse_unit("year"):
                factor = 1.0
        if factor is None:
            raise StudyError(
                f"{unit_text(node.unit)} is not {unit_text(declared)}: {mismatch_hint(node.unit, declared)}"
            )
        fn = _scaled(node.fn, factor)
        if node.literal is not None:
            value = node.literal * factor
            fn = lambda env, value=value: value  # noqa: E731
        return Compiled(
            fn=fn,
            unit=str(declared),
            yearly=node.yearly,
            uses_first_year=self._uses_first_year,
            reads=dependencies(formula),
            guards=self._guards,
        )

    # ------------------------------------------------------------------------- helpers
    def _error(self, node: ast.AST, message: str) -> StudyError:
        return _at(self._text, node, message)

    def _number(self, node: ast.AST, guard: Guard) -> Node:
        out = self._node(node, guard)
        if out.is_condition:
            raise self._error(node, "a condition (true/false) where a number is expected")
        return out

    def _condition(self, node: ast.AST, guard: Guard) -> Node:
        out = self._node(node, guard)
        if out.unit is not None:
            raise self._error(node, f"a number ({unit_text(out.unit)}) where a condition is expected")
        return out

    def _same_unit(
        self, nodes: Sequence[Node], ast_nodes: Sequence[ast.AST], what: str
    ) -> tuple[pint.Unit, list]:
        """A common unit for ``nodes`` (the first non-zero-literal's) and each one's function in it."""
        anchor = next((_unit_of(n) for n in nodes if n.literal != 0.0), _unit_of(nodes[0]))
        fns = []
        for n, a in zip(nodes, ast_nodes, strict=True):
            if n.literal == 0.0:
                fns.append(n.fn)
                continue
            unit = _unit_of(n)
            factor = conversion(unit, anchor)
            if factor is None:
                raise self._error(
                    a,
                    f"cannot {what} {unit_text(anchor)} and {unit_text(unit)} "
                    f"({anchor.dimensionality} vs {unit.dimensionality})",
                )
            fns.append(_scaled(n.fn, factor))
        return anchor, fns

    def _to_plain(self, node: Node, ast_node: ast.AST, what: str) -> Callable:
        factor = conversion(_unit_of(node), _dimensionless())
        if factor is None:
            raise self._error(ast_node, f"{what} needs a plain number, got {unit_text(_unit_of(node))}")
        return _scaled(node.fn, factor)

    def _lifted(self, nodes: Sequence[Node], fns: Sequence[Callable] | None = None) -> tuple[bool, list]:
        yearly = any(n.yearly for n in nodes)
        fns = fns if fns is not None else [n.fn for n in nodes]
        return yearly, [_lift(f, n.yearly, yearly) for f, n in zip(fns, nodes, strict=True)]

    # ------------------------------------------------------------------------- nodes
    def _node(self, node: ast.AST, guard: Guard) -> Node:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                flag = bool(node.value)
                return Node(lambda env: flag, None)
            literal = _number_of(node)
            if literal is None:
                raise TypeError("a constant that is neither a number nor a boolean")
            number = float(literal)
            return Node(lambda env: number, _dimensionless(), literal=number)
        if isinstance(node, ast.Name):
            return self._name(node, guard)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node, guard)
        if isinstance(node, ast.BinOp):
            return self._binop(node, guard)
        if isinstance(node, ast.Compare):
            return self._compare(node, guard)
        if isinstance(node, ast.BoolOp):
            parts = [self._condition(v, guard) for v in node.values]
            yearly, fns = self._lifted(parts)
            combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or

            def boolop(env: Mapping[str, Any], fns: list[Callable] = fns, combine: Any = combine) -> Any:
                out = fns[0](env)
                for f in fns[1:]:
                    out = combine(out, f(env))
                return out

            return Node(boolop, None, yearly)
        if isinstance(node, ast.Call):
            return self._call(node, guard)
        raise self._error(node, f"{type(node).__name__} is not allowed")

    def _name(self, node: ast.Name, guard: Guard) -> Node:
        name = node.id
        if name not in self.symbols:
            hint = did_you_mean(name, self.symbols) if self.symbols else ""
            if name == "year" and self.years is None:
                hint = " (declare the years in [study] years = [2024, 2025, ...])"
            raise self._error(node, f"unknown name '{name}'" + hint)
        symbol = self.symbols[name]
        if symbol.labels is not None:
            raise self._error(
                node,
                f"{name} is a structural choice; compare it with one of its labels "
                f"({name} == {symbol.labels[0]!r})",
            )
        self._note_use(name, guard)
        return Node(lambda env: env[name], symbol.unit, symbol.yearly)

    def _note_use(self, name: str, guard: Guard) -> None:
        if name not in self._guards or self._guards[name] is not None:
            if guard is None:
                self._guards[name] = None
            else:
                self._guards[name] = {*(self._guards.get(name) or ()), *guard}

    def _unary(self, node: ast.UnaryOp, guard: Guard) -> Node:
        if isinstance(node.op, ast.Not):
            condition = self._condition(node.operand, guard)
            holds = condition.fn
            return Node(lambda env: np.logical_not(holds(env)), None, condition.yearly)
        inner = self._number(node.operand, guard)
        if isinstance(node.op, ast.UAdd):
            return inner
        literal = -inner.literal if inner.literal is not None else None
        value = inner.fn
        return Node(lambda env: -value(env), inner.unit, inner.yearly, literal=literal)

    def _binop(self, node: ast.BinOp, guard: Guard) -> Node:
        left = self._number(node.left, guard)
        right = self._number(node.right, guard)
        op = node.op
        if isinstance(op, ast.Add | ast.Sub):
            unit, fns = self._same_unit(
                [left, right], [node.left, node.right], "add" if isinstance(op, ast.Add) else "subtract"
            )
            yearly, (a, b) = self._lifted([left, right], fns)
            if isinstance(op, ast.Add):
                return Node(lambda env: a(env) + b(env), unit, yearly)
            return Node(lambda env: a(env) - b(env), unit, yearly)
        if isinstance(op, ast.Mult | ast.Div):
            yearly, (a, b) = self._lifted([left, right])
            if isinstance(op, ast.Mult):
                return Node(lambda env: a(env) * b(env), _unit_of(left) * _unit_of(right), yearly)
            self._check_divisor(node.right)
            return Node(lambda env: a(env) / b(env), _unit_of(left) / _unit_of(right), yearly)
        # power
        if right.literal is not None:
            p = right.literal
            if p < 0:
                self._check_divisor(node.left)
            yearly, (a,) = self._lifted([left])
            unit = cast(pint.Unit, _unit_of(left) ** p)  # pint annotates Unit ** number as PlainUnit
            return Node(lambda env: a(env) ** p, unit, yearly)
        base = self._to_plain(left, node.left, "a power with a non-constant exponent")
        exponent = self._to_plain(right, node.right, "an exponent")
        yearly, (a, b) = self._lifted([left, right], [base, exponent])
        return Node(lambda env: a(env) ** b(env), _dimensionless(), yearly)

    def _check_divisor(self, node: ast.AST) -> None:
        """Refuse a division by an input (or a product of inputs) that may be zero."""
        for leaf in _factors(node):
            if isinstance(leaf, ast.Name):
                symbol = self.symbols.get(leaf.id)
                if symbol is not None and symbol.kind == "input":
                    problem = self.zero_check(leaf.id)
                    if problem:
                        raise self._error(leaf, f"divides by {leaf.id}, {problem}")

    def _compare(self, node: ast.Compare, guard: Guard) -> Node:
        if _is_label_comparison(node):
            return self._label(node, guard)
        operands = [node.left, *node.comparators]
        compiled = [self._number(x, guard) for x in operands]
        parts = []
        for i, op in enumerate(node.ops):
            pair = [compiled[i], compiled[i + 1]]
            _, fns = self._same_unit(pair, [operands[i], operands[i + 1]], "compare")
            yearly, (a, b) = self._lifted(pair, fns)
            ufunc = _COMPARE[type(op)]
            parts.append((lambda env, a=a, b=b, u=ufunc: u(a(env), b(env)), yearly))
        yearly = any(y for _, y in parts)
        fns = [_lift(f, y, yearly) for f, y in parts]
        if len(fns) == 1:
            return Node(fns[0], None, yearly)

        def chained(env: Mapping[str, Any], fns: list[Callable] = fns) -> Any:
            out = fns[0](env)
            for f in fns[1:]:
                out = np.logical_and(out, f(env))
            return out

        return Node(chained, None, yearly)

    def _label(self, node: ast.Compare, guard: Guard) -> Node:
        name_node, label, label_node = _choice_and_label(node)
        name = name_node.id
        symbol = self.symbols.get(name)
        if symbol is None:
            raise self._error(name_node, f"unknown name '{name}'" + did_you_mean(name, self.symbols))
        if symbol.labels is None:
            raise self._error(
                label_node,
                f"{name} is a number ({unit_text(_unit_of(symbol))}), not a structural choice with labels",
            )
        if label not in symbol.labels:
            raise self._error(
                label_node,
                f"{name} has no alternative {label!r}" + did_you_mean(label, symbol.labels),
            )
        code = float(symbol.labels.index(label))
        ufunc = np.equal if isinstance(node.ops[0], ast.Eq) else np.not_equal
        self._note_use(name, guard)
        return Node(lambda env: ufunc(env[name], code), None, symbol.yearly)

    # ------------------------------------------------------------------------- calls
    def _call(self, node: ast.Call, guard: Guard) -> Node:
        name = _called_name(node)
        args = node.args
        if name == "where":
            return self._where(node, guard)
        if name in UNARY:
            self._arity(node, 1)
            x = self._number(args[0], guard)
            ufunc = UNARY[name]
            if name in ("log", "log10", "exp"):
                fn = self._to_plain(x, args[0], f"{name}()")
                return Node(lambda env: ufunc(fn(env)), _dimensionless(), x.yearly)
            if name in ("ceil", "floor", "round") and _unit_of(x).dimensionless:
                fn = self._to_plain(x, args[0], f"{name}()")
                return Node(lambda env: ufunc(fn(env)), _dimensionless(), x.yearly)
            unit = cast(pint.Unit, _unit_of(x) ** 0.5) if name == "sqrt" else _unit_of(x)  # as in _binop
            value = x.fn
            return Node(lambda env: ufunc(value(env)), unit, x.yearly)
        if name in ("min", "max"):
            if len(args) < 2:
                raise self._error(node, f"{name}() needs two or more values (it is elementwise)")
            parts = [self._number(a, guard) for a in args]
            unit, fns = self._same_unit(parts, args, f"take the {name} of")
            yearly, fns = self._lifted(parts, fns)
            ufunc = np.minimum if name == "min" else np.maximum

            def extreme(env: Mapping[str, Any], fns: list[Callable] = fns, ufunc: Any = ufunc) -> Any:
                out = fns[0](env)
                for f in fns[1:]:
                    out = ufunc(out, f(env))
                return out

            return Node(extreme, unit, yearly)
        if name == "clip":
            self._arity(node, 3)
            parts = [self._number(a, guard) for a in args]
            unit, fns = self._same_unit(parts, args, "clip")
            yearly, (clipped, lo, hi) = self._lifted(parts, fns)
            return Node(lambda env: np.clip(clipped(env), lo(env), hi(env)), unit, yearly)
        if name == "sum_over_years":
            self._arity(node, 1)
            n_years = float(len(self._need_years(node)))
            x = self._number(args[0], guard)
            per_year = x.fn
            if x.yearly:
                return Node(lambda env: np.sum(per_year(env), axis=-1), x.unit, False)
            return Node(lambda env: per_year(env) * n_years, x.unit, False)
        if name == "first_year":
            self._arity(node, 1)
            years = self._need_years(node)
            cond = self._condition(args[0], guard)
            if not cond.yearly:
                raise self._error(args[0], "first_year() needs a condition that depends on year")
            never = float(years[-1] + 1)
            self._uses_first_year = True

            def first(env: Mapping[str, Any], f: Callable = cond.fn) -> Any:
                c = np.asarray(f(env))
                found = np.any(c, axis=-1)
                return np.where(found, years[np.argmax(c, axis=-1)], never)

            return Node(first, _dimensionless(), False)
        return self._library_call(node, guard)

    def _arity(self, node: ast.Call, n: int) -> None:
        if len(node.args) != n:
            plural = "value" if n == 1 else "values"
            raise self._error(node, f"{_called_name(node)}() takes {n} {plural}, got {len(node.args)}")

    def _need_years(self, node: ast.Call) -> np.ndarray:
        """The study's years, for a call that needs them."""
        if self.years is None:
            raise self._error(node, f"{_called_name(node)}() needs [study] years = [2024, 2025, ...]")
        return self.years

    def _where(self, node: ast.Call, guard: Guard) -> Node:
        self._arity(node, 3)
        cond = self._condition(node.args[0], guard)
        branch = _branch_guard(node.args[0], self.symbols)
        yes_guard, no_guard = guard, guard
        if branch is not None:
            choice, labels_true = branch
            labels_false = tuple(x for x in self.symbols[choice].labels or () if x not in labels_true)
            # (choice, None) marks a branch no label of the choice takes
            yes_guard = _combine(guard, {(choice, x) for x in labels_true} or {(choice, None)})
            no_guard = _combine(guard, {(choice, x) for x in labels_false} or {(choice, None)})
        a = self._number(node.args[1], yes_guard)
        b = self._number(node.args[2], no_guard)
        unit, fns = self._same_unit([a, b], node.args[1:], "choose between")
        yearly, (c, x, y) = self._lifted([cond, a, b], [cond.fn, *fns])
        return Node(lambda env: np.where(c(env), x(env), y(env)), unit, yearly)

    def _library_call(self, node: ast.Call, guard: Guard) -> Node:
        name = _called_name(node)
        function = _library()[name]
        sig = signature_of(function)
        if sig is None:
            raise self._error(
                node, f"{name} has no unit metadata (decorate it with chipdemand.formulas._units.units)"
            )
        if not sig.elementwise:
            raise self._error(
                node,
                f"{name} adds or removes an axis and cannot be called from a study; use year and "
                "sum_over_years/first_year",
            )
        given = {kw.arg: kw for kw in node.keywords}
        for kw in node.keywords:
            if kw.arg not in sig.params:
                raise self._error(
                    kw,
                    f"unknown keyword '{kw.arg}' for {name}"
                    + (did_you_mean(kw.arg or "", sig.params) or f" (expected: {', '.join(sig.params)})"),
                )
        missing = [p for p in sig.required if p not in given]
        if missing:
            raise self._error(node, f"{name}() needs {', '.join(missing)}")
        bound: dict[str, pint.Unit] = {}
        parts: list[tuple[str, bool, Callable]] = []  # (parameter, yearly, function)
        for param in sig.params:
            if param not in given:
                continue
            arg_node = given[param].value
            spec = sig.params[param]
            if spec == BOOL:
                if isinstance(arg_node, ast.Constant) and isinstance(arg_node.value, bool):
                    parts.append((param, False, lambda env, v=bool(arg_node.value): v))
                    continue
                arg = self._condition(arg_node, guard)
                parts.append((param, arg.yearly, arg.fn))
                continue
            arg = self._number(arg_node, guard)
            unbound = [p for p in PLACEHOLDER.findall(spec) if p not in bound]
            if unbound:  # spec = rest × {X}: X is what the argument has beyond the rest
                rest = _unit_with(spec, {**bound, **{p: _dimensionless() for p in unbound}})
                bound[unbound[0]] = _unit_of(arg) / rest if arg.literal is None else _dimensionless()
                for other in unbound[1:]:
                    bound[other] = _dimensionless()
            target = _unit_with(spec, bound)
            if arg.literal is not None:  # a number written here is in the parameter's unit
                parts.append((param, False, arg.fn))
                continue
            unit = _unit_of(arg)
            factor = conversion(unit, target)
            if factor is None:
                raise self._error(
                    arg_node,
                    f"{name}({param}=...) takes {unit_text(target)} ({target.dimensionality}), got "
                    f"{unit_text(unit)} ({unit.dimensionality})",
                )
            parts.append((param, arg.yearly, _scaled(arg.fn, factor)))
        yearly = any(y for _, y, _ in parts)
        names = [p for p, _, _ in parts]
        fns = [_lift(f, y, yearly) for _, y, f in parts]

        def call(
            env: Mapping[str, Any],
            names: list[str] = names,
            fns: list[Callable] = fns,
            function: Callable = function,
        ) -> Any:
            return function(**{k: f(env) for k, f in zip(names, fns, strict=True)})

        return Node(call, _unit_with(sig.returns, bound), yearly)


def _unit_with(spec: str, bound: Mapping[str, pint.Unit]) -> pint.Unit:
    """A unit string of a :func:`~chipdemand.formulas._units.units` signature, placeholders bound."""
    if not PLACEHOLDER.search(spec):
        return parse_unit(spec)
    ureg = _ureg()
    values: dict[str, Any] = {}
    for i, name in enumerate(PLACEHOLDER.findall(spec)):
        values[f"_placeholder_{i}"] = ureg.Quantity(1.0, bound.get(name, _dimensionless()))
    text = spec
    for i, name in enumerate(PLACEHOLDER.findall(spec)):
        text = text.replace("{" + name + "}", f"_placeholder_{i}", 1)
    quantity = ureg.parse_expression(text, **values)
    return cast(pint.Unit, quantity.units)  # pint annotates it PlainUnit; a registry's units are Unit


def _factors(node: ast.AST) -> list[ast.AST]:
    """The factors of a product (through parentheses, unary signs and positive powers)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return _factors(node.left) + _factors(node.right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return _factors(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exponent = _number_of(node.right)
        if exponent is not None:
            return _factors(node.left) if exponent > 0 else []
    return [node]


def _branch_guard(cond: ast.AST, symbols: Mapping[str, Symbol]) -> tuple[str, tuple[str, ...]] | None:
    """For ``where(choice == "x", ...)``: the choice and the labels that take the first branch."""
    if not (isinstance(cond, ast.Compare) and _is_label_comparison(cond)):
        return None
    name_node, label, _ = _choice_and_label(cond)
    symbol = symbols.get(name_node.id)
    if symbol is None or symbol.labels is None or label not in symbol.labels:
        return None
    if isinstance(cond.ops[0], ast.Eq):
        return name_node.id, (label,)
    return name_node.id, tuple(x for x in symbol.labels if x != label)


def _combine(outer: Guard, inner: Guard) -> Guard:
    """The guard of a branch inside a branch: both conditions hold, which is approximated from
    above by the outer one alone (a guard may say a name is read more often, never less)."""
    return inner if outer is None else outer


def is_finite_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
