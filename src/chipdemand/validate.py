"""Argument checks, each written once and called by every entry point (API and command line).

Each check takes the value as given (a number, or the text of a command-line flag), returns it
normalized, or raises :class:`~chipdemand.errors.StudyError` naming ``key`` (``draws`` in the
API, ``--draws`` on the command line). Nothing here imports numpy.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Literal, overload

from .errors import StudyError, did_you_mean

__all__ = [
    "METHODS",
    "INTERVALS",
    "MAX_DRAWS",
    "MAX_SEED",
    "DEFAULT_DRAWS",
    "FIT_TOLERANCE",
    "SAVED_RUN_SUFFIXES",
    "study_source",
    "draws",
    "seed",
    "method",
    "interval",
    "ci",
    "probability",
    "threads",
    "positive_int",
    "port",
    "choice",
    "scenarios",
    "scenario",
    "output",
]

METHODS = ("mc", "lhs", "sobol")
INTERVALS = ("eti", "hdi")
#: The largest run the engine honours in bounded memory: 2**40 draws (about 1.1e12) per scenario.
#: Streamed summaries keep a fixed amount per series whatever the size, but the time grows with
#: it: 1e12 draws of a study like chatgpt_inference take days on one machine.
MAX_DRAWS = 1 << 40
#: Seeds are stored in results files as 64-bit integers.
MAX_SEED = (1 << 63) - 1
#: draws per scenario when none are given (the API's and the command line's default)
DEFAULT_DRAWS = 100_000
#: a fitted family whose quantiles are all within this (relative) of those given fits them
FIT_TOLERANCE = 0.05
#: the file suffixes of a saved run (netCDF4 / HDF5); see :func:`chipdemand.io.is_saved_run`
SAVED_RUN_SUFFIXES = (".nc", ".nc4", ".h5")


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _whole(value: Any, key: str, what: str) -> int:
    """An integer from an int, an integral float (1e5) or text ("100000", "1e5")."""
    x = value
    if isinstance(x, str):
        text = x.strip().replace("_", "")
        try:
            x = int(text)
        except ValueError:
            try:
                x = float(text)
            except ValueError:
                raise StudyError(f"expected {what}, got {value!r}", key=key) from None
    if not _is_number(x) or not math.isfinite(float(x)) or float(x) != int(x):
        raise StudyError(f"expected {what}, got {value!r}", key=key)
    return int(x)


@overload
def draws(value: Any, *, auto: Literal[False] = False, key: str = "draws") -> int: ...
@overload
def draws(value: Any, *, auto: bool, key: str = "draws") -> int | Literal["auto"]: ...
def draws(value: Any, *, auto: bool = False, key: str = "draws") -> int | Literal["auto"]:
    """Draws per scenario: a whole number in [1, 2**40] (``1e5`` accepted), or ``"auto"``."""
    if auto and value == "auto":
        return "auto"
    what = "a positive whole number" + (" or 'auto'" if auto else "")
    n = _whole(value, key, what)
    if n < 1:
        raise StudyError(f"expected {what}, got {value!r}", key=key)
    if n > MAX_DRAWS:
        raise StudyError(
            f"{n:.3g} draws is more than the engine runs ({MAX_DRAWS:.3g} = 2**40 per scenario)", key=key
        )
    return n


def seed(value: Any, *, key: str = "seed") -> int:
    """A seed: a whole number in [0, 2**63 - 1] (it is stored with the results)."""
    s = _whole(value, key, "a non-negative whole number")
    if s < 0:
        raise StudyError(f"expected a non-negative whole number, got {value!r}", key=key)
    if s > MAX_SEED:
        raise StudyError(f"must be below 2**63 (it is stored with the results), got {value!r}", key=key)
    return s


def choice(value: Any, allowed: Iterable[str], *, key: str, what: str = "") -> str:
    """``value`` if it is one of ``allowed``; the nearest one suggested otherwise."""
    allowed = list(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise StudyError(
            f"unknown {what or key.lstrip('-')} {value!r}" + did_you_mean(str(value), allowed), key=key
        )
    return value


def method(value: Any, *, key: str = "method") -> str:
    """A sampling method: ``mc``, ``lhs`` or ``sobol``."""
    return choice(value, METHODS, key=key, what="method")


def interval(value: Any, *, key: str = "interval") -> str:
    """An interval kind: ``eti`` (equal-tailed) or ``hdi`` (highest density)."""
    return choice(value, INTERVALS, key=key, what="interval")


def probability(value: Any, *, key: str) -> float:
    """A number strictly between 0 and 1 (text accepted)."""
    x = value
    if isinstance(x, str):
        try:
            x = float(x)
        except ValueError:
            raise StudyError(f"expected a number between 0 and 1, got {value!r}", key=key) from None
    if not _is_number(x) or not 0 < float(x) < 1:
        raise StudyError(f"expected a number between 0 and 1, got {value!r}", key=key)
    return float(x)


def ci(value: Any, *, key: str = "ci") -> float:
    """The mass of a credible interval, in (0, 1): 0.9 is the 5th to the 95th percentile."""
    return probability(value, key=key)


def positive_int(value: Any, *, key: str) -> int:
    """A whole number of at least 1 (text accepted)."""
    n = _whole(value, key, "a whole number of at least 1")
    if n < 1:
        raise StudyError(f"expected a whole number of at least 1, got {value!r}", key=key)
    return n


def port(value: Any, *, key: str = "port") -> int:
    """A TCP port: a whole number in [0, 65535] (0: the system picks a free one)."""
    n = _whole(value, key, "a port 0-65535")
    if not 0 <= n <= 65535:
        raise StudyError(f"expected a port 0-65535, got {value!r}", key=key)
    return n


def threads(value: Any, *, key: str = "threads") -> int | None:
    """Worker threads: ``None`` (every core) or a whole number of at least 1."""
    return None if value is None else positive_int(value, key=key)


def scenarios(
    known: Sequence[str], names: Any, *, key: str = "scenario", file: str | None = None
) -> list[str]:
    """Scenario names checked against ``known`` (all of them when ``names`` is None), no repeats."""
    if names is None:
        return list(known)
    if isinstance(names, str):
        names = [names]
    names = list(names)
    if not names:
        raise StudyError("expected at least one scenario", key=key, file=file)
    for name in names:
        if not isinstance(name, str) or name not in known:
            raise StudyError(
                f"unknown scenario {name!r}" + did_you_mean(str(name), known), key=key, file=file
            )
    return list(dict.fromkeys(names))


def scenario(known: Sequence[str], name: Any, *, key: str = "scenario", file: str | None = None) -> str:
    """One scenario name checked against ``known``."""
    return scenarios(known, [name], key=key, file=file)[0]


def output(
    known: Iterable[Hashable],
    name: Any,
    *,
    key: str = "output",
    file: str | None = None,
    what: str = "output",
) -> str:
    """An output (or, with ``what="variable"``, any variable) name checked against ``known``."""
    names = [str(k) for k in known]
    if not isinstance(name, str) or name not in names:
        raise StudyError(f"no {what} {name!r}" + did_you_mean(str(name), names), key=key, file=file)
    return name


def study_source(value: Any, *, study_type: type | None = None, key: str = "study") -> Any:
    """A study as given: an instance of ``study_type`` (a loaded Study), or a name or a path
    (text or ``os.PathLike``). Refused: anything else (a number, None, bytes), an empty name, and
    a saved run (``.nc``, ``.nc4``, ``.h5``), which is re-run or reported, not run."""
    if study_type is not None and isinstance(value, study_type):
        return value
    if not isinstance(value, str | os.PathLike):
        raise StudyError(
            f"expected a study name, a path to a study file or a Study, got {type(value).__name__}", key=key
        )
    text = os.fspath(value)
    if not isinstance(text, str):  # a PathLike of bytes
        raise StudyError(f"expected a study name or a path as text, got {type(text).__name__}", key=key)
    if not text.strip():
        raise StudyError(
            "the study name is empty: give a name (see `chipdemand list`) or a path to a TOML file", key=key
        )
    if os.path.splitext(text)[1].lower() in SAVED_RUN_SUFFIXES:
        raise StudyError(
            "is a saved run, not a study: `chipdemand rerun FILE` re-runs it, "
            "`chipdemand report FILE --out DIR` reports it",
            file=text,
        )
    return value
