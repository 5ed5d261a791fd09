"""The state behind one ``chipdemand serve`` page: the study being edited, its parse cache, the
generation counter that drops superseded runs, and every read or write of the served folder
(atomic saves that refuse a file changed on disk, "Save as" a new name beside it).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chipdemand as cd
from chipdemand.errors import StudyError, StudyErrors
from chipdemand.study.text import read_toml

__all__ = [
    "Session",
    "Conflict",
    "Refused",
    "sha256",
    "error_rows",
    "line_of_key",
    "DEFAULT_PREVIEW_DRAWS",
    "DEFAULT_MAX_DRAWS",
]

DEFAULT_PREVIEW_DRAWS = 20_000
DEFAULT_MAX_DRAWS = 1_000_000
_CACHE_SIZE = 8  # parsed studies kept, one per exact text
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,120}\.toml$")


def sha256(text: str) -> str:
    """Hex SHA-256 of ``text`` encoded as UTF-8 (what ``base_sha256`` compares)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Conflict(Exception):
    """A save refused because the file on disk is no longer the version the page loaded."""

    def __init__(self, message: str, disk: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.disk = disk


class Refused(Exception):
    """A request refused for what it asks: a path outside the served folder, a read-only study."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ----------------------------------------------------------------------------- errors at their line
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")
_TOML_LINE = re.compile(r"at line (\d+)")


def _dotted(key: str) -> str:
    parts = [p.strip().strip("\"'") for p in key.split(".")]
    return ".".join(p for p in parts if p)


def line_of_key(text: str, key: str | None) -> int | None:
    """The 1-based line of ``text`` where the dotted ``key`` (or its nearest parent) is written.

    >>> line_of_key('[inputs.a]\\nunit = "s"\\nci = [1, 2]\\n', "inputs.a.ci")
    3
    >>> line_of_key('[inputs.a]\\nunit = "s"\\n', "inputs.a.cii")
    1
    """
    if not key:
        return None
    where: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("#"):
            table = _dotted(header.group(1))
            where.setdefault(table, number)
            continue
        assign = _ASSIGN.match(line)
        if assign and not line.lstrip().startswith("#"):
            full = _dotted(f"{table}.{assign.group(1)}" if table else assign.group(1))
            where.setdefault(full, number)
    parts = [re.sub(r"\[\d+\]$", "", p) for p in key.split(".")]
    while parts:
        found = where.get(".".join(parts))
        if found is not None:
            return found
        parts.pop()
    return None


def error_rows(err: StudyError, text: str) -> list[dict[str, Any]]:
    """``[{"key", "line", "message", "cli"}]`` for each problem of ``err``: the loader's own message,
    the line of its key in ``text`` (or of a TOML syntax error), and the CLI's ``error:`` line."""
    problems = err.problems if isinstance(err, StudyErrors) else [err]
    rows = []
    for p in problems:
        line = line_of_key(text, p.key)
        if line is None:
            match = _TOML_LINE.search(p.message)
            line = int(match.group(1)) if match else None
        rows.append(
            {"key": p.key, "line": line, "message": p.message, "cli": f"error: {p.located(file=err.file)}"}
        )
    return rows


# ----------------------------------------------------------------------------- the session
@dataclass
class Session:
    """One served study and what may be read or written for it.

    Attributes
    ----------
    folder : Path
        The served folder: no request reads or writes a file outside it.
    path : Path or None
        The study file being edited; ``None`` for a shipped study opened read-only (saved only
        by "Save as" into ``folder``) or when no study is open yet.
    name : str
        The study's name (the file's stem, or the shipped name).
    text, sha256
        The text loaded from disk and its digest (what a save's ``base_sha256`` must match).
    read_only : bool
        Whether ``PUT /api/study`` is refused (a shipped study lives inside the package).
    token : str
        The session token every ``/api/`` request carries.
    """

    folder: Path
    path: Path | None = None
    name: str = ""
    text: str = ""
    sha256: str = ""
    read_only: bool = False
    shipped: bool = False
    shipped_path: str = ""
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    preview_draws: int = DEFAULT_PREVIEW_DRAWS
    full_draws: int = 100_000
    max_draws: int = DEFAULT_MAX_DRAWS
    generation: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # one run at a time
    _state: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _parsed: OrderedDict[str, Any] = field(default_factory=OrderedDict, repr=False)
    _runs: OrderedDict[tuple[Any, ...], Any] = field(default_factory=OrderedDict, repr=False)

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, target: str | None, *, cwd: str | os.PathLike[str] | None = None, **kw: Any) -> Session:
        """A session for a study file (edited in place), a shipped study's name (read-only,
        "Save as" into ``cwd``) or nothing (a list of the shipped studies, and "new study")."""
        here = Path(cwd or os.getcwd()).resolve()
        session = cls(folder=here, **kw)
        if target:
            session.switch(target)
        return session

    def switch(self, target: str) -> None:
        """Open ``target`` in this session: a file inside the folder or given at start, or a
        shipped study's name."""
        shipped = {s["name"]: s["path"] for s in cd.list_studies()}
        candidate = Path(target)
        if target.endswith(".toml") or candidate.is_file():
            path = candidate if candidate.is_absolute() else Path.cwd() / candidate
            if not path.is_file():
                raise StudyError(f"no such study file {str(path)!r}")
            path = path.resolve()
            self.folder, self.path, self.read_only, self.shipped = path.parent, path, False, False
            self.name = path.stem
            text = _read(path)
        elif target in shipped:
            self.path, self.read_only, self.shipped, self.name = None, True, True, target
            text = _read(Path(shipped[target]))
            self.shipped_path = str(shipped[target])
        else:
            raise StudyError(f"no study or file called {target!r}", key="study")
        self.text, self.sha256 = text, sha256(text)

    def new(self, name: str) -> None:
        """Start a new, unsaved study from ``cd.new_study``'s template (saved by "Save as")."""
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,60}", name or ""):
            raise StudyError("a study's name is lower case letters, digits and _", key="name")
        self.path, self.read_only, self.shipped, self.name = None, False, False, name
        self.text = cd.new_study(name)
        self.sha256 = ""

    def document(self) -> dict[str, Any]:
        """``GET /api/study``: name, path, toml, sha256, and what the page may do with it."""
        return {
            "name": self.name,
            "path": str(self.path) if self.path else None,
            "toml": self.text,
            "sha256": self.sha256,
            "read_only": self.read_only,
            "shipped": self.shipped,
            "folder": str(self.folder),
            "open": bool(self.text),
            "preview_draws": self.preview_draws,
            "full_draws": self.full_draws,
            "max_draws": self.max_draws,
        }

    # ------------------------------------------------------------------ parsing, cached
    @property
    def parse_path(self) -> str:
        """The path errors name and ``extends`` is resolved from."""
        if self.path is not None:
            return str(self.path)
        if self.shipped:
            return self.shipped_path
        return str(self.folder / f"{self.name or 'study'}.toml")

    def study(self, text: str) -> Any:
        """The :class:`chipdemand.Study` of ``text``, parsed once per exact text (a
        :class:`StudyError` is cached and raised again the same way)."""
        key = sha256(text)
        with self._state:
            hit = self._parsed.get(key)
            if hit is not None:
                self._parsed.move_to_end(key)
        if hit is None:
            try:
                self._check_extends(text)
                hit = cd.parse_study(text, self.parse_path)
            except StudyError as err:
                hit = err
            with self._state:
                self._parsed[key] = hit
                while len(self._parsed) > _CACHE_SIZE:
                    self._parsed.popitem(last=False)
        if isinstance(hit, StudyError):
            raise hit
        return hit

    def _check_extends(self, text: str) -> None:
        """Refuse an ``extends`` path that leaves the served folder (names of shipped studies
        are fine): the loader would read that file."""
        if "extends" not in text:
            return
        here, seen = text, 0
        base = Path(self.parse_path).parent
        while seen < 16:
            try:
                head = read_toml(here, self.parse_path).get("study", {})
            except StudyError:
                return  # the loader reports it
            ref = head.get("extends") if isinstance(head, dict) else None
            if not isinstance(ref, str) or not (ref.endswith(".toml") or "/" in ref or "\\" in ref):
                return
            target = (base / ref).resolve()
            if not _within(target, self.folder.resolve()) and not self.shipped:
                raise StudyError(f"{ref!r} is outside the served folder {self.folder}", key="study.extends")
            if not target.is_file():
                return
            here, base, seen = _read(target), target.parent, seen + 1

    def run(
        self, text: str, *, draws: int, seed: int, scenarios: Sequence[str] | None, observed: bool
    ) -> Any:
        """``cd.run`` of ``text`` (the last few runs are kept, keyed by everything they depend on)."""
        key = (sha256(text), draws, seed, tuple(scenarios) if scenarios else None, observed)
        with self._state:
            hit = self._runs.get(key)
        if hit is not None:
            return hit
        study = self.study(text)
        result = cd.run(study, draws=draws, seed=seed, scenarios=scenarios, observed=observed, keep=True)
        with self._state:
            self._runs[key] = result
            while len(self._runs) > 3:
                self._runs.popitem(last=False)
        return result

    # ------------------------------------------------------------------ superseded runs
    def begin(self) -> int:
        """A new request's generation: every older one still waiting is dropped."""
        with self._state:
            self.generation += 1
            return self.generation

    def superseded(self, generation: int) -> bool:
        """Whether a newer request came after ``generation``."""
        return generation != self.generation

    # ------------------------------------------------------------------ saving
    def save(self, text: str, base_sha256: str) -> dict[str, Any]:
        """Write ``text`` over the study file atomically, if the file is still ``base_sha256``.

        Raises
        ------
        Refused
            A read-only (shipped) or unsaved study: use "Save as".
        Conflict
            The file changed on disk since ``base_sha256``; ``disk`` holds its text and digest.
        """
        if self.read_only or self.path is None:
            raise Refused("this study is read-only here (shipped with the package): use Save as")
        with self._state:
            disk = _read(self.path)
            disk_sha = sha256(disk)
            if disk_sha != base_sha256:
                raise Conflict(
                    "the file changed on disk since it was loaded", {"toml": disk, "sha256": disk_sha}
                )
            _write_atomic(self.path, text)
            self.text, self.sha256 = text, sha256(text)
        return {"path": str(self.path), "sha256": self.sha256, "name": self.name}

    def save_as(self, text: str, name: str, *, overwrite: bool = False) -> dict[str, Any]:
        """Write ``text`` to a new file ``name`` in the served folder, and edit that file from now on."""
        target = self.inside(name)
        with self._state:
            if target.exists() or target.is_symlink():
                if target.is_symlink() or not target.is_file():
                    raise Refused(f"{name!r} exists and is not a regular file")
                if not overwrite:
                    raise Conflict(f"{name!r} already exists", {"toml": _read(target), "sha256": None})
            _write_atomic(target, text)
            self.path, self.read_only, self.shipped = target, False, False
            self.name, self.text, self.sha256 = target.stem, text, sha256(text)
        return {"path": str(target), "sha256": self.sha256, "name": self.name}

    def inside(self, name: str) -> Path:
        """The path of the file ``name`` in the served folder; :class:`Refused` for anything
        else (separators, ``..``, absolute paths, a symlink leading out, not ``*.toml``)."""
        if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
            raise Refused(f"{name!r} is not a file name in the served folder (NAME.toml, no folders)")
        folder = self.folder.resolve()
        target = folder / name
        if not _within(target.resolve(), folder):
            raise Refused(f"{name!r} leads outside the served folder")
        return target


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyError(f"cannot read ({exc})", file=str(path)) from None


def _write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder, then ``os.replace``: the file is
    either the old version or the new one, never half of each."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise Refused(f"{path.name!r} is not a regular file")
    mode = path.stat().st_mode & 0o777 if path.exists() else None
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
