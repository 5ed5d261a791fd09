"""Names a study file gives a meaning to, shared by the modules that read and write studies.

Nothing here imports anything heavy, so the quick paths of the command line (``list``,
``describe``) can use them.
"""

from __future__ import annotations

__all__ = ["BASE", "TODO"]

#: the name of the scenario with no overrides
BASE = "base"
#: the source of an input still to be filled in (``chipdemand new`` writes it; a run refuses it)
TODO = "TODO"
