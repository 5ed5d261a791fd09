"""The compute formulas: pure functions of NumPy arrays, in documented units.

Every function takes floats or arrays (plain floats in the units its docstring names: FLOP,
FLOP/s, s, bytes, USD, W, J), broadcasts over any leading shape and never reads files or draws
random numbers. Functions that are plain arithmetic also accept pint Quantities, which the tests
use to check dimensions. Models compose these; the catalogue of chips lives in
:mod:`chipdemand.catalog`.

- :mod:`~chipdemand.formulas.llm`: language-model training and inference FLOPs, memory, latency.
- :mod:`~chipdemand.formulas.diffusion`: patches, diffusion-transformer FLOPs, sampling steps.
- :mod:`~chipdemand.formulas.hardware`: chips, servers, capex.
- :mod:`~chipdemand.formulas.energy`: IT and facility power, energy over a period, per query,
  per token and per training run, emissions and electricity cost (W, s, J).
- :mod:`~chipdemand.formulas.market`: market sizing, growth rates, projections, crossings.
"""

from collections.abc import Callable
from types import ModuleType

from . import diffusion, energy, hardware, llm, market

__all__ = ["llm", "diffusion", "hardware", "energy", "market", "library"]


def library() -> dict[str, Callable]:
    """Every public function of the formula library's modules, by name (study files call them).

    Functions without a :class:`UnitSignature` are included, so that a call to one is refused
    with a clear message rather than as an unknown name.
    """
    out: dict[str, Callable] = {}
    for module_name in __all__:
        module = globals().get(module_name)
        if not isinstance(module, ModuleType):
            continue
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if callable(obj) and not isinstance(obj, type):
                if name in out and out[name] is not obj:
                    raise TypeError(
                        f"two formula modules define {name}; study files could not tell them apart"
                    )
                out[name] = obj
    return out
