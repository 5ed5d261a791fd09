"""Names a study file gives a meaning to, shared by the modules that read and write studies.

Nothing here imports anything heavy, so the quick paths of the command line (``list``,
``describe``) can use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["BASE", "TODO", "labels_of"]

#: the name of the scenario with no overrides
BASE = "base"
#: the source of an input still to be filled in (``chipdemand new`` writes it; a run refuses it)
TODO = "TODO"


def labels_of(raw: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The labels of a structural choice as an input table writes them, in order (None for a
    number): a ``choice`` among text values, or a ``point`` at a text value."""
    if raw.get("dist") == "choice" and isinstance(raw.get("values"), list) and raw["values"]:
        if all(isinstance(v, str) for v in raw["values"]):
            return tuple(raw["values"])
    if raw.get("dist") == "point" and isinstance(raw.get("value"), str):
        return (raw["value"],)
    return None
