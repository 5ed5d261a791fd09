"""Formulas compiled to NumPy: each checked tree becomes closures over NumPy functions evaluated on
whole arrays of draws, its units checked and converted as it is compiled.

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
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pint

from ..errors import StudyError, did_you_mean
from ..formulas._units import BOOL, PLACEHOLDER, signature_of
from .folding import folded_value, product_factors, source_between
from .formula_units import conversion, dimensionless, mismatch_hint, parse_unit, unit_text, unit_with
from .parse import (
    UNARY,
    Formula,
    at,
    called_name,
    chain,
    choice_and_label,
    dependencies,
    is_label_comparison,
    library_functions,
    number_of,
)

__all__ = ["Symbol", "Node", "Guard", "Compiled", "Compiler"]

#: the steps of a chain (``a + b - c``, ``a * b / c``), as Python's operators apply them
_STEPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}

_COMPARE = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}


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
    constant: bool = False  # reads no name: folded to its value when compiled

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


def _folded(fns: list[Callable], binary: Any) -> Callable:
    """``binary`` folded over the parts' values, left to right (``min``/``max`` of several
    values, ``and``/``or`` of several conditions)."""

    def fold(env: Mapping[str, Any]) -> Any:
        out = fns[0](env)
        for f in fns[1:]:
            out = binary(out, f(env))
        return out

    return fold


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
        self._reads = 0  # names read so far: a part that reads none is a constant
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
        return at(self._text, node, message)

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
        self,
        nodes: Sequence[Node],
        ast_nodes: Sequence[ast.AST],
        what: str | Sequence[str],
        anchor: pint.Unit | None = None,
    ) -> tuple[pint.Unit, list]:
        """A common unit for ``nodes`` (``anchor``, else the first non-zero-literal's) and each
        one's function in it; ``what`` is done to them (one verb, or one for each node)."""
        if anchor is None:
            anchor = next((_unit_of(n) for n in nodes if n.literal != 0.0), _unit_of(nodes[0]))
        verbs = [what] * len(nodes) if isinstance(what, str) else list(what)
        fns = []
        for n, a, verb in zip(nodes, ast_nodes, verbs, strict=True):
            if n.literal == 0.0:
                fns.append(n.fn)
                continue
            unit = _unit_of(n)
            factor = conversion(unit, anchor)
            if factor is None:
                raise self._error(
                    a,
                    f"cannot {verb} {unit_text(anchor)} and {unit_text(unit)} "
                    f"({anchor.dimensionality} vs {unit.dimensionality})",
                )
            fns.append(_scaled(n.fn, factor))
        return anchor, fns

    def _to_plain(self, node: Node, ast_node: ast.AST, what: str) -> Callable:
        factor = conversion(_unit_of(node), dimensionless())
        if factor is None:
            raise self._error(ast_node, f"{what} needs a plain number, got {unit_text(_unit_of(node))}")
        return _scaled(node.fn, factor)

    def _lifted(self, nodes: Sequence[Node], fns: Sequence[Callable] | None = None) -> tuple[bool, list]:
        yearly = any(n.yearly for n in nodes)
        fns = fns if fns is not None else [n.fn for n in nodes]
        return yearly, [_lift(f, n.yearly, yearly) for f, n in zip(fns, nodes, strict=True)]

    # ------------------------------------------------------------------------- nodes
    def _node(self, node: ast.AST, guard: Guard) -> Node:
        reads = self._reads
        out = self._build(node, guard)
        if self._reads == reads and not out.constant and out.unit is not None:
            return self._fold(out, node)  # a number that reads no name: computed once, here
        return out

    def _fold(self, out: Node, node: ast.AST) -> Node:
        """A constant part of the formula computed now: refused when it is not a finite number
        (an overflow, a division by zero, a huge power), so no run can fail on it."""
        value = self._finite(lambda: out.fn({}), node, node)
        return Node(lambda env: value, out.unit, out.yearly, literal=out.literal, constant=True)

    def _finite(self, compute: Callable[[], Any], start: ast.AST, end: ast.AST) -> Any:
        """``compute()``, the value of the constant part from ``start`` to ``end``, or a
        :class:`StudyError` at its column when it is not a finite number."""
        value, problem = folded_value(compute)
        if problem:
            part = self._source(start, end)
            shown = part if len(part) <= 40 else part[:37] + "..."
            raise self._error(start, f"the constant {shown} is not a finite number ({problem})")
        return value

    def _source(self, start: ast.AST, end: ast.AST) -> str:
        """The formula's text from ``start`` to the end of ``end``."""
        return source_between(self._text, start, end)

    def _build(self, node: ast.AST, guard: Guard) -> Node:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                flag = bool(node.value)
                return Node(lambda env: flag, None)
            literal = number_of(node)
            if literal is None:
                raise TypeError("a constant that is neither a number nor a boolean")
            number = float(literal)
            return Node(lambda env: number, dimensionless(), literal=number)
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
            return Node(_folded(fns, combine), None, yearly)
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
        self._reads += 1
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
        links = chain(node)
        if links is not None:
            return self._chain(*links, guard)
        left = self._number(node.left, guard)
        right = self._number(node.right, guard)
        # power
        if right.literal is not None:
            p = right.literal
            if p < 0:
                self._check_divisor(node.left, left)
            yearly, (a,) = self._lifted([left])
            unit = cast(pint.Unit, _unit_of(left) ** p)  # pint annotates Unit ** number as PlainUnit
            return Node(lambda env: a(env) ** p, unit, yearly)
        base = self._to_plain(left, node.left, "a power with a non-constant exponent")
        exponent = self._to_plain(right, node.right, "an exponent")
        yearly, (a, b) = self._lifted([left, right], [base, exponent])
        return Node(lambda env: a(env) ** b(env), dimensionless(), yearly)

    def _chain(self, operands: list[ast.expr], operators: list[ast.operator], guard: Guard) -> Node:
        """``a + b - c + ...`` or ``a * b / c * ...``, of any length: one node evaluated left to
        right in a loop (the arithmetic of the nested tree, without its recursion)."""
        parts = [self._number(x, guard) for x in operands]
        if isinstance(operators[0], ast.Add | ast.Sub):
            verbs = ["add" if isinstance(op, ast.Add) else "subtract" for op in operators]
            # the unit of the first two (a sum is no literal, so the rest meets that unit)
            anchor, _ = self._same_unit(parts[:2], operands[:2], verbs[0])
            unit, fns = self._same_unit(parts, operands, [verbs[0], *verbs], anchor=anchor)
        else:
            unit = _unit_of(parts[0])
            for op, x, part in zip(operators, operands[1:], parts[1:], strict=True):
                if isinstance(op, ast.Div):
                    self._check_divisor(x, part)
                    unit = unit / _unit_of(part)
                else:
                    unit = unit * _unit_of(part)
            fns = [p.fn for p in parts]
        steps = [_STEPS[type(op)] for op in operators]
        yearly, fns = self._lifted(parts, fns)
        # the constant start of a chain (1e308 * 10 * x) is a constant part: each partial result finite
        value: Any = None
        for index in range(1, len(parts)):
            if not (parts[0].constant and parts[index].constant):
                break
            value = fns[0]({}) if index == 1 else value
            step, fn, previous = steps[index - 1], fns[index], value
            value = self._finite(lambda: step(previous, fn({})), operands[0], operands[index])  # noqa: B023
        first, rest = fns[0], list(zip(steps, fns[1:], strict=True))

        def evaluate(env: Mapping[str, Any], first: Callable = first, rest: list = rest) -> Any:
            out = first(env)
            for step, fn in rest:
                out = step(out, fn(env))
            return out

        return Node(evaluate, unit, yearly)

    def _check_divisor(self, node: ast.AST, divisor: Node | None = None) -> None:
        """Refuse a division by a constant zero, or by an input (or a product of inputs) that may
        be zero."""
        if divisor is not None and divisor.constant and np.all(divisor.fn({}) == 0):
            raise self._error(node, f"divides by zero (the constant {self._source(node, node)})")
        for leaf in product_factors(node):
            if isinstance(leaf, ast.Name):
                symbol = self.symbols.get(leaf.id)
                if symbol is not None and symbol.kind == "input":
                    problem = self.zero_check(leaf.id)
                    if problem:
                        raise self._error(leaf, f"divides by {leaf.id}, {problem}")

    def _compare(self, node: ast.Compare, guard: Guard) -> Node:
        if is_label_comparison(node):
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
        name_node, label, label_node = choice_and_label(node)
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
        self._reads += 1
        return Node(lambda env: ufunc(env[name], code), None, symbol.yearly)

    # ------------------------------------------------------------------------- calls
    def _call(self, node: ast.Call, guard: Guard) -> Node:
        name = called_name(node)
        args = node.args
        if name == "where":
            return self._where(node, guard)
        if name in UNARY:
            self._arity(node, 1)
            x = self._number(args[0], guard)
            ufunc = UNARY[name]
            if name in ("log", "log10", "exp"):
                fn = self._to_plain(x, args[0], f"{name}()")
                return Node(lambda env: ufunc(fn(env)), dimensionless(), x.yearly)
            if name in ("ceil", "floor", "round") and _unit_of(x).dimensionless:
                fn = self._to_plain(x, args[0], f"{name}()")
                return Node(lambda env: ufunc(fn(env)), dimensionless(), x.yearly)
            unit = cast(pint.Unit, _unit_of(x) ** 0.5) if name == "sqrt" else _unit_of(x)  # as in _binop
            value = x.fn
            return Node(lambda env: ufunc(value(env)), unit, x.yearly)
        if name in ("min", "max"):
            if len(args) < 2:
                raise self._error(node, f"{name}() needs two or more values (it is elementwise)")
            parts = [self._number(a, guard) for a in args]
            unit, fns = self._same_unit(parts, args, f"take the {name} of")
            yearly, fns = self._lifted(parts, fns)
            return Node(_folded(fns, np.minimum if name == "min" else np.maximum), unit, yearly)
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

            return Node(first, dimensionless(), False)
        return self._library_call(node, guard)

    def _arity(self, node: ast.Call, n: int) -> None:
        if len(node.args) != n:
            plural = "value" if n == 1 else "values"
            raise self._error(node, f"{called_name(node)}() takes {n} {plural}, got {len(node.args)}")

    def _need_years(self, node: ast.Call) -> np.ndarray:
        """The study's years, for a call that needs them."""
        if self.years is None:
            raise self._error(node, f"{called_name(node)}() needs [study] years = [2024, 2025, ...]")
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
        name = called_name(node)
        function = library_functions()[name]
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
                rest = unit_with(spec, {**bound, **{p: dimensionless() for p in unbound}})
                bound[unbound[0]] = _unit_of(arg) / rest if arg.literal is None else dimensionless()
                for other in unbound[1:]:
                    bound[other] = dimensionless()
            target = unit_with(spec, bound)
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

        return Node(call, unit_with(sig.returns, bound), yearly)


def _branch_guard(cond: ast.AST, symbols: Mapping[str, Symbol]) -> tuple[str, tuple[str, ...]] | None:
    """For ``where(choice == "x", ...)``: the choice and the labels that take the first branch."""
    if not (isinstance(cond, ast.Compare) and is_label_comparison(cond)):
        return None
    name_node, label, _ = choice_and_label(cond)
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
