"""A study file's text read as TOML, with its depth bounded: tables and arrays nested more than
:data:`MAX_DEPTH` levels are refused before the TOML reader (which recurses) sees them, and a
reader that runs out of stack anyway gives a :class:`StudyError`, never a traceback."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from ..errors import StudyError

__all__ = ["MAX_DEPTH", "nesting_depth", "read_toml"]

#: deeper than any study needs (the shipped ones nest 4 levels), far below Python's stack
MAX_DEPTH = 64

#: what the depth scan steps over whole (strings, comments) and the brackets it counts
_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"{3,5}'  # a multi-line basic string (it may end in one or two quotes)
    r"|'''.*?'{3,5}"  # a multi-line literal string
    r'|"(?:[^"\\\n]|\\.)*"'  # a basic string
    r"|'[^'\n]*'"  # a literal string
    r"|#[^\n]*"  # a comment
    r"|[\[\]{}]",
    re.DOTALL,
)


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> tuple[int, int]:
    """The deepest nesting of brackets and braces outside strings and comments, and the offset
    where it first went beyond ``limit`` (-1 when it did not); one pass, no recursion.

    >>> nesting_depth("a = [[1], {b = [2]}]  # ]]]")
    (3, -1)
    """
    depth = deepest = 0
    beyond = -1
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if depth > limit and beyond < 0:
                    beyond = match.start()
        elif token in ("]", "}"):
            depth = max(depth - 1, 0)
    return deepest, beyond


def read_toml(text: str, path: str) -> dict[str, Any]:
    """The TOML document of a study file's text (a leading byte-order mark ignored).

    Raises :class:`StudyError` naming ``path`` when the text is not valid TOML or nests tables or
    arrays more than :data:`MAX_DEPTH` levels deep.
    """
    text = text.removeprefix("\ufeff")
    _, beyond = nesting_depth(text, MAX_DEPTH)
    if beyond >= 0:
        line = text.count("\n", 0, beyond) + 1
        column = beyond - (text.rfind("\n", 0, beyond) + 1) + 1
        raise StudyError(
            f"nested more than {MAX_DEPTH} levels deep (tables or arrays): at line {line}, column {column}",
            file=path,
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"not valid TOML: {exc}", file=path) from None
    except RecursionError:  # a last resort: the scan above should have refused it
        raise StudyError("nested too deeply for the TOML reader (tables or arrays)", file=path) from None
