"""The code stays lint-clean (ruff), formatted (ruff format) and type-checked (mypy), and every
public function and method of the package says the types of its parameters and its result.

The tools come with the ``test`` extra (CI installs it); where one is missing the test says so
and is skipped.
"""

import importlib
import importlib.util
import inspect
import pkgutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import chipdemand

ROOT = Path(__file__).resolve().parents[1]


def _run(tool: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    if importlib.util.find_spec(tool) is None:
        pytest.skip(f"{tool} is not installed (pip install -e '.[test]' brings it)")
    return subprocess.run(
        [sys.executable, "-m", tool, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_ruff_finds_nothing():
    done = _run("ruff", "check", "src", "tests")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_changes_nothing():
    done = _run("ruff", "format", "--check", "src", "tests")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow  # ~12 s without mypy's cache (as in CI), under 1 s with it
def test_mypy_finds_nothing():
    done = _run("mypy", "src")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


# ----------------------------------------------------------------------------- annotations
def _modules() -> Iterator[ModuleType]:
    yield chipdemand
    for info in pkgutil.walk_packages(chipdemand.__path__, "chipdemand."):
        yield importlib.import_module(info.name)


def _unannotated(function: Callable[..., Any], *, bound: bool) -> list[str]:
    """The parameters (``return`` for the result) of ``function`` without an annotation; the
    first parameter of a method (``self``, ``cls``) needs none."""
    signature = inspect.signature(function)
    parameters = list(signature.parameters.values())[1 if bound else 0 :]
    missing = [p.name for p in parameters if p.annotation is inspect.Parameter.empty]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def _methods(cls: type) -> Iterator[tuple[str, Callable[..., Any], bool]]:
    """``(name, function, bound)`` of the public methods (``__init__`` and ``__call__`` too) and
    properties written in ``cls`` itself (not inherited, not added by ``typing.Protocol``)."""
    for name, raw in vars(cls).items():
        if name.startswith("_") and name not in ("__init__", "__call__"):
            continue
        if isinstance(raw, staticmethod):
            function, bound = raw.__func__, False
        elif isinstance(raw, classmethod):
            function, bound = raw.__func__, True
        elif isinstance(raw, property):
            function, bound = raw.fget, True
        elif hasattr(raw, "func") and hasattr(raw, "attrname"):  # functools.cached_property
            function, bound = raw.func, True
        else:
            function, bound = raw, True
        if inspect.isfunction(function) and function.__qualname__.startswith(f"{cls.__qualname__}."):
            yield name, function, bound


def _public_api() -> Iterator[tuple[str, Callable[..., Any], bool]]:
    """Every public function and method of the package: the names in each module's ``__all__``
    defined there, the package's lazy namespace (``chipdemand.__all__``) and its own functions."""
    seen: set[int] = set()
    for module in _modules():
        names = list(getattr(module, "__all__", ()))
        if module is chipdemand:
            names += ["__getattr__", "__dir__"]
        for name in names:
            obj = getattr(module, name)
            defined_here = getattr(obj, "__module__", None) == module.__name__ or module is chipdemand
            if not defined_here or id(obj) in seen:
                continue
            seen.add(id(obj))
            where = f"{obj.__module__}.{obj.__qualname__}" if hasattr(obj, "__qualname__") else name
            if inspect.isfunction(obj):
                yield where, obj, False
            elif inspect.isclass(obj):
                for method, function, bound in _methods(obj):
                    yield f"{where}.{method}", function, bound


def test_the_check_sees_a_missing_annotation():
    def half(x: float, y) -> float:
        return x / y

    class Kernel:
        def __init__(self, scale: float):
            self.scale = scale

        def apply(self, x: float) -> float:
            return self.scale * x

    assert _unannotated(half, bound=False) == ["y"]
    assert dict((name, _unannotated(f, bound=b)) for name, f, b in _methods(Kernel)) == {
        "__init__": ["return"],
        "apply": [],
    }


def test_every_public_function_is_annotated():
    api = list(_public_api())
    assert len(api) > 300  # the formulas, the distributions, the API and its results
    missing = {where: m for where, function, bound in api if (m := _unannotated(function, bound=bound))}
    assert not missing, "\n".join(f"{where}: {', '.join(m)}" for where, m in missing.items())


def test_the_package_says_it_is_typed():
    # PEP 561: type checkers read the package's own annotations only when it ships py.typed
    assert (Path(chipdemand.__file__).parent / "py.typed").is_file()
