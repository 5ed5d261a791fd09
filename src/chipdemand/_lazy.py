"""A module imported on the first use of one of its names, for the heavy SciPy parts.

``scipy.stats`` takes ~0.75 s to import and ``scipy.optimize`` ~0.3 s; most study loads need
neither (closed forms and ``scipy.special`` draw and invert the usual families), so a command
that simulates nothing should not pay for them. ``stats = lazy_module("scipy.stats")`` reads
like the import it replaces and imports on the first ``stats.beta``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["lazy_module"]


class LazyModule(ModuleType):
    """Stands for the module ``name`` and imports it when one of its attributes is read."""

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attr)


def lazy_module(name: str) -> ModuleType:
    """The module ``name``, imported on the first attribute read (``sys.modules`` afterwards)."""
    return LazyModule(name)
