"""chipdemand: Monte Carlo uncertainty studies of AI compute demand.

Every assumption of a compute-demand estimate is a distribution with a written source; a run
propagates them all through the compute formulas and answers with credible intervals.

>>> import chipdemand as cd
>>> run = cd.run("chatgpt_inference", draws=100_000, seed=0)   # doctest: +SKIP
>>> run.table                                                  # doctest: +SKIP

The namespace holds the API and nothing else. Names are imported when first used (module
``__getattr__``), so ``import chipdemand`` and the command line start at once.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import version
from .errors import StudyError, StudyErrors

#: modules whose functions return a run's Dataset (``res.chipdemand`` must then work)
_DATASETS = frozenset({"engine", "io", "analysis.summaries"})

#: public name → the module that defines it: the one list ``__all__`` and the lazy imports are
#: built from
_WHERE = {
    # runs and their results
    "run": "api",
    "compare": "api",
    "sensitivity": "api",
    "replay": "api",
    "report": "api",
    "rerun": "api",
    "fit": "fitting",
    "check": "api",
    "condition": "api",
    "show": "study.authoring",
    "describe": "study.authoring",
    "new_study": "study.authoring",
    "Run": "results",
    "Comparison": "results",
    "Sensitivity": "results",
    "Replay": "results",
    "Rerun": "results",
    "Fits": "results",
    "Check": "results",
    # the lower level
    "simulate": "engine",
    "summary": "analysis.summaries",
    "summarize": "analysis.summaries",
    "exceedance": "analysis.summaries",
    "save_results": "io",
    "load_results": "io",
    # studies and models
    "Study": "study.spec",
    "load_study": "study.loader",
    "parse_study": "study.loader",
    "list_studies": "study.shipped",
    "Model": "models",
    "Input": "models",
    "Output": "models",
    "register": "models",
}

__all__ = ["StudyError", "StudyErrors", "version", "__version__", *_WHERE]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = version()
    elif name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        if _WHERE[name] in _DATASETS:  # what returns a run's Dataset brings its accessor
            importlib.import_module(".accessors", __name__)
    else:
        raise AttributeError(f"module 'chipdemand' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
