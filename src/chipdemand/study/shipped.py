"""The study files that ship with chipdemand: where they are, and which name is which file.

Listing reads only each file's ``[study]`` table (no distribution is built and nothing heavy is
imported), so ``chipdemand list`` answers at once; :func:`chipdemand.load_study` validates a
study when it is used.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import StudyError, did_you_mean
from .text import read_toml

__all__ = ["priors_dir", "study_paths", "list_studies", "resolve"]


def priors_dir() -> Path:
    """The folder of shipped study files (inside the package; the repo's priors/ when editable)."""
    shipped = resources.files("chipdemand") / "priors"
    if shipped.is_dir():
        return Path(str(shipped))
    return Path(__file__).resolve().parents[3] / "priors"


#: the ``[study]`` tables read in this process, by (path, mtime, size): resolving a study's name
#: reads every shipped file's head, and parsing them all took ~80 ms a call
_HEADS: dict[tuple[str, int, int], dict[str, Any] | None] = {}


def _head(path: Path) -> dict[str, Any] | None:
    try:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size)
        if key not in _HEADS:
            head = read_toml(path.read_text(encoding="utf-8"), str(path)).get("study")
            _HEADS[key] = head if isinstance(head, dict) else None
    except (OSError, StudyError, UnicodeDecodeError):
        return None
    head = _HEADS[key]
    return None if head is None else dict(head)


def study_paths() -> dict[str, Path]:
    """Shipped study name → file (files without a ``[study]`` table, such as the hardware
    catalogue, are not studies)."""
    paths = {}
    for path in sorted(priors_dir().glob("*.toml")):
        head = _head(path)
        if head is not None:
            paths[str(head.get("name", path.stem))] = path
    return paths


def list_studies() -> list[dict[str, str]]:
    """Name, title, path and model of every shipped study (``"formulas"`` for a study that
    states its own formulas), from the files' ``[study]`` tables.

    Examples
    --------
    >>> "chatgpt_inference" in [s["name"] for s in list_studies()]
    True
    """
    paths = study_paths()
    out = []
    for name, path in paths.items():
        head = _head(path) or {}
        seen = {name}
        parent = head
        while ("title" not in head or "model" not in head) and isinstance(parent.get("extends"), str):
            target = str(parent["extends"])
            if target in seen:
                break
            seen.add(target)
            file = paths.get(target) or (path.parent / target)
            parent = _head(file) or {}
            head = {**parent, **head}
        out.append(
            {
                "name": name,
                "title": str(head.get("title", "")),
                "path": str(path),
                "model": str(head.get("model", "formulas")),
            }
        )
    return out


def resolve(study: str | os.PathLike[str], *, relative_to: Path | None = None) -> Path:
    """The file of a study: a path (``.toml``, or anything with a folder in it), or the name of a
    shipped study. ``relative_to`` is the folder a relative path is read from."""
    path = Path(study)
    if relative_to is not None and not path.is_absolute() and (path.suffix == ".toml" or len(path.parts) > 1):
        path = relative_to / path
    if path.suffix == ".toml" or path.exists() or len(path.parts) > 1:
        if path.is_dir():
            raise StudyError("is a folder, not a study file", file=str(path))
        if not path.is_file():
            raise StudyError("no such study file", file=str(path))
        return path
    known = study_paths()
    if str(study) not in known:
        raise StudyError(f"unknown study {str(study)!r}" + did_you_mean(str(study), known))
    return known[str(study)]
