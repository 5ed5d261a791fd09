"""The one exception type for mistakes a user can fix (a bad study file, a bad argument).

The CLI turns a :class:`StudyError` into exit status 2 and one ``error:`` line on stderr;
anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import difflib
import warnings
from collections.abc import Iterable, Iterator
from types import TracebackType

__all__ = [
    "StudyError",
    "StudyErrors",
    "StudyWarning",
    "WorkerLost",
    "Problems",
    "did_you_mean",
    "located_warnings",
]


class StudyError(ValueError):
    """A user error, located by file and key.

    ``str(err)`` reads ``FILE: KEY: what is wrong`` (parts that are unknown are left out).
    """

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.message = message
        self.file = file
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        return ": ".join(str(part) for part in (self.file, self.key, self.message) if part)

    def located(self, file: str | None = None, key_prefix: str | None = None) -> StudyError:
        """A copy with the file filled in and ``key_prefix`` put before the key."""
        key = self.key
        if key_prefix:
            key = f"{key_prefix}.{key}" if key else key_prefix
        return StudyError(self.message, file=self.file or file, key=key)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the nearest choice, or a list of the choices."""
    choices = sorted(choices)
    same = [c for c in choices if c.lower() == word.lower()]  # 'PUE' for 'pue'
    near = same or difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if near:
        return f" (did you mean '{near[0]}'?)"
    if len(choices) <= 12:
        return f" (expected one of: {', '.join(choices)})"
    return ""


class StudyErrors(StudyError):
    """Several user errors in one study file, reported at once on one line.

    ``str(err)`` reads ``FILE: 3 problems: inputs.a.unit: ...; outputs.b.formula: ...``;
    ``err.problems`` holds each :class:`StudyError`. A problem in another file than ``FILE``
    (a parent study's) is written with its own: ``...; PARENT: inputs.c.unit: ...``.
    """

    def __init__(self, problems: list[StudyError], *, file: str | None = None) -> None:
        self.problems = list(problems)
        super().__init__(self._summary(file), file=file)

    def _summary(self, file: str | None) -> str:
        parts = "; ".join(
            ": ".join(str(x) for x in (p.file if p.file != file else None, p.key, p.message) if x)
            for p in self.problems
        )
        return f"{len(self.problems)} problems: {parts}"

    def located(self, file: str | None = None, key_prefix: str | None = None) -> StudyError:
        problems = [p.located(key_prefix=key_prefix) for p in self.problems]
        return StudyErrors(problems, file=self.file or file)


class Problems:
    """Collects the user errors of one file so that all are reported together.

    >>> problems = Problems()
    >>> with problems.at("inputs.a"):
    ...     raise StudyError("missing 'unit'", key="unit")
    >>> problems.keys()
    ['inputs.a.unit']
    """

    def __init__(self) -> None:
        self.errors: list[StudyError] = []

    def add(self, error: StudyError, key_prefix: str | None = None) -> None:
        if isinstance(error, StudyErrors):
            for p in error.problems:
                self.add(p, key_prefix)
            return
        self.errors.append(error.located(key_prefix=key_prefix))

    def at(self, key_prefix: str | None = None) -> _Catch:
        """A context that records a :class:`StudyError` raised inside it (under ``key_prefix``)."""
        return _Catch(self, key_prefix)

    def keys(self) -> list[str]:
        return [e.key or "" for e in self.errors]

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self, file: str | None = None) -> None:
        """Raise the one error, or a :class:`StudyErrors` of all of them (first seen first)."""
        unique: list[StudyError] = []
        seen: set[tuple[str | None, str]] = set()
        for e in self.errors:
            if (e.key, e.message) not in seen:
                seen.add((e.key, e.message))
                unique.append(e)
        if len(unique) == 1:
            raise unique[0].located(file=file)
        if unique:
            raise StudyErrors(unique, file=file)


class _Catch:
    def __init__(self, problems: Problems, key_prefix: str | None) -> None:
        self.problems, self.key_prefix, self.failed = problems, key_prefix, False

    def __enter__(self) -> _Catch:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if isinstance(error, StudyError):
            self.problems.add(error, self.key_prefix)
            self.failed = True
            return True
        return False


class WorkerLost(RuntimeError):
    """A worker process of a run ended abruptly (killed, or out of memory)."""


class StudyWarning(UserWarning):
    """Something a user should know about a study that still loads (a prior fitted to quantiles
    it does not quite reproduce), located like a :class:`StudyError`: ``FILE: KEY: message``."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.message, self.file, self.key = message, file, key
        super().__init__(str(self))

    def __str__(self) -> str:
        return ": ".join(str(part) for part in (self.file, self.key, self.message) if part)

    def located(self, file: str | None = None, key_prefix: str | None = None) -> StudyWarning:
        """A copy with the file filled in and ``key_prefix`` put before the key."""
        key = self.key
        if key_prefix:
            key = f"{key_prefix}.{key}" if key else key_prefix
        return StudyWarning(self.message, file=self.file or file, key=key)


@contextlib.contextmanager
def located_warnings(file: str | None = None, key_prefix: str | None = None) -> Iterator[None]:
    """Re-issue the :class:`StudyWarning` raised inside with ``file`` and ``key_prefix`` filled in
    (as :meth:`StudyError.located` does for errors); other warnings pass unchanged.

    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     with located_warnings("a.toml", "inputs.x"):
    ...         warnings.warn(StudyWarning("fitted 7% off", key="quantiles"))
    >>> str(seen[0].message)
    'a.toml: inputs.x.quantiles: fitted 7% off'
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        if isinstance(w.message, StudyWarning):
            warnings.warn(w.message.located(file=file, key_prefix=key_prefix), stacklevel=3)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
