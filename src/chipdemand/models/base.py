"""The model registry's parts: Input, Output, Model, and finding models by name (built in,
registered, or offered by an installed package through the ``chipdemand.models`` entry points).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np

from .._typing import Values
from ..domains import DOMAINS, check_domain_name, outside_values
from ..errors import StudyError, did_you_mean

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
]

#: the entry-point group third-party packages use to offer models
ENTRY_POINT_GROUP = "chipdemand.models"


def _conditions(used_when: tuple) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``used_when`` normalized: a tuple of ``(choice input, labels)``, any of which uses it."""
    if not used_when:
        return ()
    if isinstance(used_when[0], str):  # one condition: ("method", "latency")
        used_when = (used_when,)
    out = []
    for choice, labels in used_when:
        labels = (labels,) if isinstance(labels, str) else tuple(labels)
        out.append((str(choice), labels))
    return tuple(out)


@dataclass(frozen=True)
class Input:
    """An input a model needs: its name, the unit the formulas take, and what it means.

    Parameters
    ----------
    name, unit, description
        The input's name in study files, the unit the model's function takes (values written in
        another unit are converted when the study is loaded), and what it is.
    choices : tuple of str, optional
        Labels of a structural alternative, in code order (the function receives 0, 1, ...).
    domain : str, optional
        What values make sense (:data:`chipdemand.domains.DOMAINS`: ``"positive"``,
        ``"nonnegative"``, ``"share"``, ``"at_least_one"``, ``"count"``, ``"any"``); a study
        whose distribution puts more than 1e-9 of its probability outside is refused at load
        time. ``None`` (undeclared) checks nothing.
    used_when : tuple, optional
        ``("method", "latency")``, ``("method", ("a", "b"))`` or a tuple of such pairs: the
        input matters only when that structural choice takes one of those labels (any pair).
        A study in which no scenario can choose them may leave the input's ``source`` out.
    """

    name: str
    unit: str
    description: str = ""
    choices: tuple[str, ...] | None = None  # labels of a structural alternative, in code order
    domain: str | None = None
    used_when: tuple = ()

    def __post_init__(self) -> None:
        if self.domain is not None:
            check_domain_name(self.domain, where=f"input {self.name!r}")
        object.__setattr__(self, "used_when", _conditions(self.used_when))

    @property
    def effective_domain(self) -> str:
        """The domain checked (``"any"`` when undeclared or for a structural choice)."""
        return "any" if self.domain is None or self.choices is not None else self.domain


@dataclass(frozen=True)
class Output:
    """An output a model computes, in ``unit``, with extra ``dims`` beyond the draws.

    ``domain`` (default ``"nonnegative"``) is checked on every evaluation: a draw outside it,
    NaN or infinite is a :class:`StudyError` naming the output and that draw's inputs.
    """

    name: str
    unit: str
    description: str = ""
    dims: tuple[str, ...] = ()
    domain: str = "nonnegative"

    def __post_init__(self):
        check_domain_name(self.domain, where=f"output {self.name!r}")


@dataclass(frozen=True)
class Model:
    """A named model: ``function(**inputs) -> {output: array}`` over arrays of draws."""

    name: str
    description: str
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    function: Callable[..., Mapping[str, np.ndarray]]
    coords: Mapping[str, Sequence] = field(default_factory=dict)

    def input(self, name: str) -> Input:
        return next(i for i in self.inputs if i.name == name)

    def output(self, name: str) -> Output:
        return next(o for o in self.outputs if o.name == name)

    def evaluate(self, values: Mapping[str, np.ndarray], *, check: bool = True) -> dict[str, np.ndarray]:
        """Outputs for arrays of input draws (all of one shape ``(n,)``).

        NumPy's floating-point warnings are silenced inside the model (a branch of ``where``
        that is not taken may divide by zero); instead, with ``check`` (the default), every
        output is checked by :meth:`check_outputs`.
        """
        n = np.shape(next(iter(values.values())))[0] if values else 1
        with np.errstate(all="ignore"):
            raw = self.function(**{i.name: values[i.name] for i in self.inputs})
        out = self._returned(raw, n)
        if check:
            self.check_outputs(out, values)
        return out

    def _returned(self, raw: Any, n: int) -> dict[str, np.ndarray]:
        """What the function returned, as float arrays of the outputs' shapes; a
        :class:`StudyError` naming the model and the output for anything else."""
        what = f"model {self.name!r} returned"
        if not isinstance(raw, Mapping):
            raise StudyError(f"{what} a {type(raw).__name__}, expected a mapping of output names to arrays")
        names = [o.name for o in self.outputs]
        extra = [str(k) for k in raw if k not in names]
        if extra:
            raise StudyError(
                f"{what} {extra[0]!r}, which it does not declare (its outputs: {', '.join(names)})",
                key=f"outputs.{extra[0]}",
            )
        out = {}
        for o in self.outputs:
            key = f"outputs.{o.name}"
            if o.name not in raw:
                raise StudyError(f"{what} no {o.name}, which it declares", key=key)
            array = np.asarray(raw[o.name])
            if array.dtype.kind not in "biuf":
                raise StudyError(f"{what} {o.name} of type {array.dtype}, expected numbers (floats)", key=key)
            shape = (n, *(len(self.coords[d]) for d in o.dims))
            try:
                out[o.name] = np.broadcast_to(array.astype(float, copy=False), shape)
            except ValueError:
                raise StudyError(
                    f"{what} {o.name} with shape {array.shape} for {n} draws (expected {shape})", key=key
                ) from None
        return out

    def check_outputs(
        self,
        outputs: Mapping[str, np.ndarray],
        values: Mapping[str, np.ndarray],
        *,
        first_draw: int = 0,
        where: str = "",
    ) -> None:
        """Refuse an output that leaves its domain, is NaN or is infinite in any draw.

        The :class:`StudyError` names the output, the draw (numbered from ``first_draw``, in
        ``where``, e.g. " of scenario 'base'") and that draw's inputs.
        """
        for o in self.outputs:
            array = outputs[o.name]
            bad = outside_values(array, o.domain)
            if bad is None:
                continue
            draw = bad[0]
            value = np.asarray(array)[bad]
            inputs = ", ".join(f"{i.name}={_shown(values[i.name], draw, i)}" for i in self.inputs)
            what = "NaN" if np.isnan(value) else f"{value:.4g}"
            expected = DOMAINS[o.domain].text if np.isfinite(value) else "a finite number"
            raise StudyError(
                f"{what} in draw {first_draw + draw:,}{where}, expected {expected} ({o.unit}); "
                f"that draw's inputs: {inputs}. Check the inputs' ranges (a division by zero, "
                "a share above 1, a negative value?)",
                key=f"outputs.{o.name}",
            )


def _shown(array: Values, draw: int, spec: Input) -> str:
    value = float(np.asarray(array).reshape(-1)[draw] if np.ndim(array) else array)
    if spec.choices is not None and value == int(value) and 0 <= value < len(spec.choices):
        return repr(spec.choices[int(value)])
    return f"{value:.4g}"


MODELS: dict[str, Model] = {}
_PLUGINS_LOADED = False
_PLUGIN_ERRORS: dict[str, StudyError] = {}
_FROM_PLUGINS: set[str] = set()
_PLUGIN_NAMES: dict[str, metadata.EntryPoint] | None = None  # read once, by get_model
_GENERATION = 0  # grows whenever the registry changes (see registry_generation)


def registry_generation() -> int:
    """A number that changes whenever a model is registered or the plugins are forgotten or
    loaded: what was built from the registry (a parsed study, cached) is stale once it moves."""
    return _GENERATION


def _changed() -> None:
    global _GENERATION
    _GENERATION += 1


def register(model: Model, *, replace: bool = False) -> Model:
    """Add ``model`` to the registry under its name.

    Raises :class:`StudyError` when the name is taken by another model, unless ``replace``.
    """
    if not isinstance(model, Model):
        raise StudyError(f"expected a chipdemand.models.Model, got {type(model).__name__}")
    taken = MODELS.get(model.name)
    if taken is not None and taken is not model and not replace:
        raise StudyError(
            f"a model called {model.name!r} is already registered (register(..., replace=True) replaces it)"
        )
    MODELS[model.name] = model
    _changed()
    return model


def model_names() -> list[str]:
    """The names of the registered models and of the models other packages offer."""
    return sorted(set(MODELS) | {ep.name for ep in _entry_points()})


def get_model(name: str) -> Model:
    """The registered model called ``name``, loading other packages' models on first need.

    A name not registered is looked up in the entry-point group ``chipdemand.models``
    (``my_fleet = "my_models:fleet"`` names a :class:`Model` object). A plugin that fails to
    load is a :class:`StudyError` naming its package when (and only when) its model is asked
    for; the built-in models never depend on it.
    """
    if name not in MODELS:
        _load_plugins()
    elif name not in _FROM_PLUGINS:
        _refuse_a_plugin_of_the_same_name(name)
    if name in _PLUGIN_ERRORS and name not in MODELS:
        raise _PLUGIN_ERRORS[name]
    if name not in MODELS:
        raise StudyError(f"unknown model {name!r}" + did_you_mean(name, model_names()), key="study.model")
    return MODELS[name]


def _entry_points() -> list[metadata.EntryPoint]:
    try:
        return list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    except Exception:  # noqa: BLE001 - a broken installed distribution must not stop chipdemand
        return []


def _load_plugins() -> None:
    """Load every model offered through the entry-point group (once per process)."""
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    for ep in _entry_points():
        if ep.name in MODELS:
            continue  # a built-in or an already registered model keeps its name (see get_model)
        where = _plugin_text(ep)
        try:
            model = ep.load()
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - any failure of a plugin is reported
            _PLUGIN_ERRORS[ep.name] = StudyError(
                f"{where} cannot be loaded: {type(exc).__name__}: {exc}", key="study.model"
            )
            continue
        if not isinstance(model, Model):
            _PLUGIN_ERRORS[ep.name] = StudyError(
                f"{where} is a {type(model).__name__}, not a chipdemand.models.Model", key="study.model"
            )
            continue
        if model.name != ep.name:
            _PLUGIN_ERRORS[ep.name] = StudyError(
                f"{where} names a model called {model.name!r}; the entry point's name must be the "
                "model's name",
                key="study.model",
            )
            continue
        MODELS[model.name] = model
        _FROM_PLUGINS.add(model.name)
        _changed()


def _plugin_text(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    package = dist.name if dist is not None else ep.module
    return f"the model {ep.name!r} of package {package!r} (entry point {ep.name} = {ep.value!r})"


def _refuse_a_plugin_of_the_same_name(name: str) -> None:
    """A registered model (a built-in) that an installed package also offers: refused, naming
    both, rather than one of them chosen silently. The entry points are read once a process."""
    global _PLUGIN_NAMES
    if _PLUGIN_NAMES is None:
        _PLUGIN_NAMES = {ep.name: ep for ep in _entry_points()}
    ep = _PLUGIN_NAMES.get(name)
    if ep is not None:
        taken = MODELS[name]
        raise StudyError(
            f"{_plugin_text(ep)} reuses the name of chipdemand's model {taken.name!r} ({taken.description}); "
            "a package cannot replace it: rename the package's model or uninstall the package",
            key="study.model",
        )


def reset_plugins() -> None:
    """Forget the models learnt from entry points (tests put fake packages on sys.path)."""
    global _PLUGINS_LOADED, _PLUGIN_NAMES
    _PLUGIN_NAMES = None
    for name in _FROM_PLUGINS:
        MODELS.pop(name, None)
    _FROM_PLUGINS.clear()
    _PLUGINS_LOADED = False
    _PLUGIN_ERRORS.clear()
    _changed()
