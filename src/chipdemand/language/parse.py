"""The formula language of study files, its grammar: a formula parsed with :mod:`ast` and checked
against a whitelist of nodes, the names it reads, and the order formulas are evaluated in
(units: :mod:`.formula_units`; compiling to NumPy: :mod:`.compiler`).

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
"""

from __future__ import annotations

import ast
import math
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from ..errors import StudyError, did_you_mean
from ..formulas import library
from ..formulas._units import signature_of

__all__ = [
    "Formula",
    "BUILTINS",
    "REDUCTIONS",
    "UNARY",
    "MAX_LENGTH",
    "MAX_DEPTH",
    "chain",
    "nesting_depth",
    "parse_formula",
    "dependencies",
    "CycleError",
    "evaluation_order",
    "at",
    "number_of",
    "is_label_comparison",
    "choice_and_label",
    "called_name",
    "library_functions",
]

MAX_LENGTH = 10_000
#: levels of nesting a formula may have (a chain a + b + ... counts as one level)
MAX_DEPTH = 100

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


#: the families of left-associative operators a chain is made of
_FAMILIES: dict[type, str] = {ast.Add: "sum", ast.Sub: "sum", ast.Mult: "product", ast.Div: "product"}


@dataclass(frozen=True)
class Formula:
    """A formula whose syntax passed the whitelist: its text, tree and the names it reads."""

    text: str
    tree: ast.Expression
    names: frozenset[str]
    calls: frozenset[str]

    def __reduce__(self) -> tuple[Callable[[str], Formula], tuple[str]]:
        # pickled as its text and parsed again: a long chain's tree would take pickle's recursion
        return parse_formula, (self.text,)


def _column(text: str, lineno: int | None, col_offset: int | None) -> str:
    """``column N`` (1-based, in characters) of an ast position; ``line L, column N`` if needed."""
    if lineno is None or col_offset is None:
        return f"column {len(text) + 1}"
    lines = text.split("\n")
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    col = len(line.encode("utf-8")[:col_offset].decode("utf-8", errors="ignore")) + 1
    return f"column {col}" if len(lines) == 1 else f"line {lineno}, column {col}"


def at(text: str, node: ast.AST, message: str) -> StudyError:
    return StudyError(
        f"{_column(text, getattr(node, 'lineno', None), getattr(node, 'col_offset', None))}: {message}"
    )


def number_of(node: ast.AST) -> int | float | None:
    """The value of a number literal (not a boolean); None for any other node."""
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return node.value
    return None


def is_number(node: ast.AST) -> bool:
    return number_of(node) is not None


def is_label_comparison(node: ast.Compare) -> bool:
    """``name == "label"`` / ``"label" != name``: a choice compared with a label."""
    if len(node.ops) != 1 or not isinstance(node.ops[0], ast.Eq | ast.NotEq):
        return False
    left, right = node.left, node.comparators[0]
    strings = [isinstance(x, ast.Constant) and isinstance(x.value, str) for x in (left, right)]
    names = [isinstance(x, ast.Name) for x in (left, right)]
    return (strings[0] and names[1]) or (strings[1] and names[0])


def choice_and_label(node: ast.Compare) -> tuple[ast.Name, str, ast.Constant]:
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


def called_name(node: ast.Call) -> str:
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
        with _recursion_room(len(text)):
            tree = ast.parse(text.strip("\n"), mode="eval")
    except SyntaxError as exc:
        where = f"column {exc.offset}" if exc.offset else f"column {len(text) + 1}"
        if exc.lineno and exc.lineno > 1 and exc.offset:
            where = f"line {exc.lineno}, column {exc.offset}"
        raise StudyError(f"{where}: bad syntax ({exc.msg})") from None
    except (RecursionError, MemoryError):
        raise StudyError(f"formula nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise StudyError(f"formula cannot be parsed ({exc})") from None
    text = text.strip("\n")
    if nesting_depth(tree.body) > MAX_DEPTH:
        raise StudyError(
            f"formula nested more than {MAX_DEPTH} levels deep (parentheses, calls, signs or 'not'); "
            "split it into [derived] values"
        )
    names: set[str] = set()
    calls: set[str] = set()
    label_strings: set[int] = set()
    nodes = list(ast.walk(tree.body))  # breadth first, without recursion
    for node in nodes:
        if isinstance(node, ast.Compare) and is_label_comparison(node):
            label_strings.update(id(x) for x in (node.left, *node.comparators) if isinstance(x, ast.Constant))
    for node in nodes:
        _check_node(text, node, label_strings, names, calls)
    formula = Formula(text=text, tree=tree, names=frozenset(), calls=frozenset(calls))
    return Formula(text=text, tree=tree, names=dependencies(formula), calls=frozenset(calls))


@contextmanager
def _recursion_room(length: int) -> Iterator[None]:
    """Room for :func:`ast.parse` to build the tree of ``length`` characters: a flat chain
    ``a + a + ... + a`` is a left-deep tree, one level a term, and CPython builds it recursively
    (up to three levels a unit of the recursion limit). The limit is raised by a bound measured
    from the length, for the parse only."""
    old = sys.getrecursionlimit()
    needed = old + length // 2
    sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        if sys.getrecursionlimit() == needed:
            sys.setrecursionlimit(old)


def chain(node: ast.AST) -> tuple[list[ast.expr], list[ast.operator]] | None:
    """The operands and operators of a chain of one associative family (``a + b - c``: additions
    and subtractions; ``a * b / c``: products and quotients), left to right, gathered without
    recursion; None for any other node. ``a - (b - c)`` is two chains: parentheses nest."""
    family = _FAMILIES.get(type(getattr(node, "op", None)))
    if family is None or not isinstance(node, ast.BinOp):
        return None
    operands: list[ast.expr] = []
    operators: list[ast.operator] = []
    current: ast.expr = node
    while isinstance(current, ast.BinOp) and _FAMILIES.get(type(current.op)) == family:
        operands.append(current.right)
        operators.append(current.op)
        current = current.left
    operands.append(current)
    return operands[::-1], operators[::-1]


def nesting_depth(node: ast.AST) -> int:
    """How deeply ``node`` nests, a chain (:func:`chain`, ``and``/``or``, a chained comparison)
    counted as one level whatever its length; measured with a stack of its own (no recursion)."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        links = chain(current)
        children = links[0] if links is not None else ast.iter_child_nodes(current)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _check_node(text: str, node: ast.AST, label_strings: set[int], names: set[str], calls: set[str]) -> None:
    for kind, message in _REFUSED.items():
        if isinstance(node, kind):
            raise at(text, node, message)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            return
        if isinstance(value, str):
            if id(node) not in label_strings:
                raise at(
                    text,
                    node,
                    'a string is only allowed compared with a structural choice (method == "roofline")',
                )
            return
        if isinstance(value, int):
            try:
                float(value)
            except OverflowError:
                raise at(text, node, "number too large") from None
            return
        if isinstance(value, float):
            if not math.isfinite(value):
                raise at(text, node, "number too large (not a finite number)")
            return
        raise at(text, node, f"{type(value).__name__} constants are not allowed")
    if isinstance(node, ast.Name):
        if node.id.startswith("__"):
            raise at(text, node, f"names starting with '__' are not allowed ({node.id})")
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) in _OPERATORS:
            raise at(text, node, _OPERATORS[type(node.op)])
        if not isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.Pow):
            raise at(text, node, f"operator {type(node.op).__name__} is not allowed")
        return
    if isinstance(node, ast.UnaryOp):
        if type(node.op) in _OPERATORS:
            raise at(text, node, _OPERATORS[type(node.op)])
        return
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) in _OPERATORS:
                raise at(text, node, _OPERATORS[type(op)])
        return
    if isinstance(node, ast.BoolOp):
        return
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            raise at(
                text, node, f"attribute access is not allowed; call functions by name ({node.func.attr}(...))"
            )
        if not isinstance(node.func, ast.Name):
            raise at(text, node, "only functions called by name are allowed (where(...), ceil(...), ...)")
        name = node.func.id
        if name.startswith("__"):
            raise at(text, node, f"names starting with '__' are not allowed ({name})")
        for kw in node.keywords:
            if kw.arg is None:
                raise at(text, kw.value, "** arguments are not allowed")
        known = set(BUILTINS) | set(library_functions())
        if name not in known:
            raise at(text, node, f"unknown function '{name}'" + did_you_mean(name, known))
        if name in BUILTINS and node.keywords:
            raise at(
                text, node.keywords[0].value, f"{name}() takes its arguments by position, not by keyword"
            )
        if name not in BUILTINS and node.args:
            raise at(
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
    raise at(text, node, f"{type(node).__name__} is not allowed")


@cache
def library_functions() -> dict[str, Callable]:
    return library()


def _first_param(name: str) -> str:
    sig = signature_of(library_functions()[name])
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
