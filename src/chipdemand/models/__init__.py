"""The registry of models: named compositions of formulas that studies refer to by name.

A model declares its inputs (name, unit, domain, the labels of a structural choice, and which
alternative of a choice uses them) and its outputs (name, unit, domain, extra dims such as
``year``), and a pure function from input arrays to output arrays. A new model is one
:func:`register` call in its own module; models of other packages are found through the
entry-point group ``chipdemand.models`` the first time a study asks for a name not registered.
"""

from __future__ import annotations

from .base import (
    ENTRY_POINT_GROUP,
    MODELS,
    Input,
    Model,
    Output,
    get_model,
    model_names,
    register,
    registry_generation,
    reset_plugins,
)

__all__ = [
    "Input",
    "Output",
    "Model",
    "MODELS",
    "ENTRY_POINT_GROUP",
    "register",
    "get_model",
    "model_names",
    "reset_plugins",
    "registry_generation",
]

# the built-in models register themselves on import
from . import (  # noqa: E402,F401
    inference,
    llm_inference,
    llm_training,
    long_context,
    market_supply,
    video_diffusion,
)
