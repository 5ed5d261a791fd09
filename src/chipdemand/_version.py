"""The installed version: a module of its own so that the modules that record it (a run's
provenance, ``--version``) need not import the package's ``__init__``."""

from __future__ import annotations

from functools import cache

__all__ = ["version"]


@cache
def version() -> str:
    """The installed chipdemand version (read once: the package metadata takes ~2 ms)."""
    from importlib import metadata

    try:
        return metadata.version("chipdemand")
    except metadata.PackageNotFoundError:
        return "0+unknown"
