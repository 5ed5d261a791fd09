"""The package's structure (issue 9): no module imports a private name of another, no import
cycle (at module level or inside functions), and the command line starts without the heavy
libraries."""

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "chipdemand"


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports() -> tuple[dict[str, set[str]], list[tuple[str, str]]]:
    """Edges between the package's modules (imports under TYPE_CHECKING left out: they never
    run), and every private name imported from another module."""
    modules = _modules()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    private = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = {
            id(node)
            for branch in ast.walk(tree)
            if isinstance(branch, ast.If) and "TYPE_CHECKING" in ast.unparse(branch.test)
            for node in ast.walk(branch)
        }
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        for node in ast.walk(tree):
            if id(node) in skipped or not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            base = package[: len(package) - (node.level - 1)] + ([node.module] if node.module else [])
            target = ".".join(base)
            for alias in node.names:
                full = f"{target}.{alias.name}"
                dest = full if full in modules else target
                if dest in modules and dest != module:
                    edges[module].add(dest)
                if alias.name.startswith("_"):
                    private.append((module, full))
    return edges, private


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_a_private_name_of_another():
    _, private = _imports()
    assert private == []


def test_no_import_cycle():
    edges, _ = _imports()
    assert sum(len(e) for e in edges.values()) > 50  # the graph was read
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_command_line_starts_without_the_heavy_libraries():
    code = (
        "import sys; from chipdemand.cli import main; "
        # a Python model with formulas (a hybrid) and a study of formulas alone
        "main(['list']); main(['describe', 'chatgpt_inference']); main(['describe', 'ai_server_market']); "
        "heavy = ('scipy.stats', 'xarray', 'pandas', 'pint', 'matplotlib'); "
        "heavy = sorted(m for m in heavy if m in sys.modules); "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    bare = (
        "import sys, chipdemand; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'scipy')))"
    )
    out = subprocess.run([sys.executable, "-c", bare], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
