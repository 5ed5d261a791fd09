"""The package's structure: rooms that import only downward, no module importing a private name
of another, no import cycle (at module level or inside functions), and a command line that starts
without the heavy libraries."""

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


#: the package's rooms, lowest first: a module imports only from its own room or from a lower one
#: (top-level modules are rooms of their own; a folder is one room)
ROOMS = [
    ("errors", "_typing", "_version", "_lazy", "validate"),
    ("kernels",),
    ("units",),
    ("catalog",),
    ("distributions",),
    ("domains",),
    ("formulas",),
    ("models",),
    ("language",),
    ("study",),
    ("execution",),
    ("engine",),
    ("io",),
    ("analysis",),
    ("accessors",),
    ("display",),
    ("results",),
    ("fitting",),
    ("api",),
    ("cli", "serve"),
    ("__init__", "__main__"),
]


def _room(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def _upward(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    rank = {room: i for i, rooms in enumerate(ROOMS) for room in rooms}
    return sorted((a, b) for a, targets in edges.items() for b in targets if rank[_room(b)] > rank[_room(a)])


def test_every_module_is_in_a_room():
    rooms = {room for rooms in ROOMS for room in rooms}
    assert sorted({_room(m) for m in _modules()} - rooms) == []


def test_rooms_import_only_downward():
    edges, _ = _imports()
    assert _upward(edges) == []


def test_the_room_rule_finds_an_upward_import():
    edges = {"chipdemand.kernels.stats": {"chipdemand.study.loader"}, "chipdemand.api": {"chipdemand.engine"}}
    assert _upward(edges) == [("chipdemand.kernels.stats", "chipdemand.study.loader")]


def test_kernels_need_numpy_and_scipy_only():
    allowed = {"numpy", "scipy", "__future__", "typing", "collections", "dataclasses", "functools", "math"}
    allowed |= {"hashlib", "itertools", "warnings", "threading", "zlib", "struct", "bisect", "heapq", "abc"}
    allowed |= {"arviz_stats"}  # its array layer (arviz_stats.base) is NumPy and SciPy only
    for module, path in _modules().items():
        if _room(module) != "kernels":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{module} imports {name}"


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


def test_show_new_fit_and_a_study_error_start_without_scipy_stats_xarray_pandas_matplotlib(tmp_path):
    """``show``, ``new``, ``fit`` and the error of a study that fails to load simulate nothing
    (issue 16): none imports the labelled-data and plotting libraries, and loading a study (pint
    checks its units) needs no scipy.stats either."""
    bad = tmp_path / "no_source.toml"
    bad.write_text(
        '[study]\nname = "no_source"\ntitle = "t"\nsource = "a test"\n\n'
        '[inputs.x]\nunit = "1"\ndist = "lognormal"\nci = [1, 10]\nupper = 20\n\n'
        '[outputs.y]\nunit = "1"\nformula = "2 * x"\n',
        encoding="utf-8",
    )
    code = (
        "import sys, contextlib, io; from chipdemand.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['show', 'chatgpt_inference']); main(['show', 'ai_server_market'])\n"
        f"    main(['new', 'fresh', '--out', {str(tmp_path / 'fresh.toml')!r}])\n"
        f"print('exit', main(['run', {str(bad)!r}]))\n"
        "heavy = ('scipy.stats', 'xarray', 'pandas', 'matplotlib'); "
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        # the fit needs scipy.stats (gamma and beta are inverted by UNU.RAN), not the rest
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['fit', '--p5', '1e7', '--p50', '2e7', '--p95', '4.5e7'])\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "missing 'source'" in done.stderr
    assert done.stdout.strip().splitlines()[-3:] == ["exit 2", "[]", "['scipy.stats']"]


#: issue 16's limits: a module longer, or a function longer, is usually two
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 120


def _long_modules(sources: dict[str, str], limit: int = MAX_MODULE_LINES) -> list[tuple[str, int]]:
    """Modules over ``limit`` physical lines, with their length."""
    lengths = {name: len(text.splitlines()) for name, text in sources.items()}
    return sorted((name, n) for name, n in lengths.items() if n > limit)


def _long_functions(sources: dict[str, str], limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int]]:
    """Functions and methods over ``limit`` lines from their ``def`` to their last line."""
    found = []
    for name, text in sources.items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    found.append((f"{name}:{node.name}", length))
    return sorted(found)


def _sources() -> dict[str, str]:
    return {module: path.read_text(encoding="utf-8") for module, path in _modules().items()}


def test_no_module_is_over_700_lines():
    assert _long_modules(_sources()) == []


def test_the_module_rule_finds_a_long_module():
    sources = {"long": "x = 1\n" * (MAX_MODULE_LINES + 1), "short": "x = 1\n" * MAX_MODULE_LINES}
    assert _long_modules(sources) == [("long", MAX_MODULE_LINES + 1)]


def test_no_function_is_over_120_lines():
    assert _long_functions(_sources()) == []


def test_the_function_rule_finds_a_long_function_or_method():
    body = "    x = 1\n"
    long_def = "def long():\n" + body * MAX_FUNCTION_LINES  # def line + 120: 121 lines
    method = "class A:\n    def ok(self):\n" + "    " + body * (MAX_FUNCTION_LINES - 1)
    method += "\n    def too_long(self):\n" + ("    " + body) * MAX_FUNCTION_LINES
    sources = {"a": long_def, "b": method, "c": "def fine():\n" + body * (MAX_FUNCTION_LINES - 1)}
    assert _long_functions(sources) == [("a:long", 121), ("b:too_long", 121)]
