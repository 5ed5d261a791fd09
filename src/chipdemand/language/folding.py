"""Constant folding for the formula compiler: a constant part of a formula computed once, at
load, and refused there when it is not a finite number; the text of a part for the message; the
factors of a product, gathered without recursion (a product may have thousands)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

import numpy as np

from .parse import number_of

__all__ = ["folded_value", "source_between", "product_factors"]


def folded_value(compute: Callable[[], Any]) -> tuple[Any, str]:
    """``(compute(), "")``, or ``(None, what went wrong)`` when it raises an arithmetic error or
    gives a value that is not finite (an overflow, a division by zero, a huge power)."""
    try:
        with np.errstate(all="ignore"):
            value = compute()
    except ZeroDivisionError:
        return None, "a division by zero"
    except OverflowError:
        return None, "too large for a float"
    except (ArithmeticError, ValueError) as exc:
        return None, str(exc) or type(exc).__name__
    if not np.all(np.isfinite(value)):
        return value, f"it is {value}"
    return value, ""


def source_between(text: str, start: ast.AST, end: ast.AST) -> str:
    """The formula's text from ``start`` to the end of ``end`` (one line: a formula may wrap)."""
    lines = text.split("\n")
    first, last = getattr(start, "lineno", 1), getattr(end, "end_lineno", None) or 1
    if first == last and 0 < first <= len(lines):
        raw = lines[first - 1].encode("utf-8")
        return raw[getattr(start, "col_offset", 0) : getattr(end, "end_col_offset", None)].decode(
            "utf-8", errors="ignore"
        )
    return ast.get_source_segment(text, start) or ""


def product_factors(node: ast.AST) -> list[ast.AST]:
    """The factors of a product (through parentheses, unary signs and positive powers), gathered
    with a stack of their own (a product may have thousands of factors)."""
    factors: list[ast.AST] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.BinOp) and isinstance(current.op, ast.Mult):
            stack.extend((current.right, current.left))
        elif isinstance(current, ast.UnaryOp) and isinstance(current.op, ast.USub | ast.UAdd):
            stack.append(current.operand)
        elif isinstance(current, ast.BinOp) and isinstance(current.op, ast.Pow):
            exponent = number_of(current.right)
            if exponent is None:
                factors.append(current)
            elif exponent > 0:
                stack.append(current.left)
        else:
            factors.append(current)
    return factors
