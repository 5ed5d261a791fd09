"""The command registry: one module per command, in the order ``chipdemand --help`` lists them.

Each module holds the command's ``HELP`` (one line in ``chipdemand --help``), ``DESCRIPTION``
(its own ``--help``), ``add_arguments(parser)`` with its flags, and ``handle(args)``, which
checks every argument and every file it will write before any work, then calls the API. A new
command is one new module here and its name in :data:`COMMANDS`. Modules import only the
standard library and :mod:`chipdemand.validate` at the top, so ``--help`` answers at once.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["COMMANDS", "command"]

COMMANDS = (
    "list",
    "run",
    "compare",
    "replay",
    "sensitivity",
    "report",
    "show",
    "describe",
    "new",
    "check",
    "fit",
    "rerun",
    "serve",
)


def command(name: str) -> ModuleType:
    """The module of the command ``name``."""
    return importlib.import_module(f"{__name__}.{name}")
