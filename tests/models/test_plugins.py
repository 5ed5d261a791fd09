"""Models from other packages: the registry refuses a taken name, and the entry-point group
``chipdemand.models`` is read the first time a study asks for a name not registered. A fake
installed distribution (a module and its .dist-info on sys.path) stands for ``pip install``."""

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import chipdemand as cd
from chipdemand import models
from chipdemand.models import MODELS, Model, get_model, register

SRC = Path(cd.__file__).resolve().parents[1]

MY_MODELS = '''
"""A third-party package offering a model to chipdemand."""
from chipdemand.models import Input, Model, Output

fleet = Model(
    name="my_fleet",
    description="GPUs busy around the clock for a service's users",
    inputs=(
        Input("users", "user", "daily users", domain="positive"),
        Input("gpu_seconds", "s/user", "GPU time per user a day", domain="positive"),
    ),
    outputs=(Output("gpus", "GPU", "GPUs busy all day"),),
    function=lambda users, gpu_seconds: {"gpus": users * gpu_seconds / 86400.0},
)
misnamed = Model(
    name="something_else",
    description="x",
    inputs=(),
    outputs=(),
    function=lambda: {},
)
not_a_model = "a string"
'''

STUDY = """
[study]
name = "plugin_study"
title = "A study on a plugin's model"
model = "{model}"
source = "tests"

[inputs.users]
unit = "user"
dist = "lognormal"
ci = [1e6, 1e7]
source = "test"

[inputs.gpu_seconds]
unit = "s/user"
dist = "uniform"
low = 10
high = 30
source = "test"
"""


def _distribution(root: Path, name: str, version: str, entry_points: str, module: str, code: str) -> None:
    (root / f"{module}.py").write_text(textwrap.dedent(code), encoding="utf-8")
    info = root / f"{module}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(f"[chipdemand.models]\n{entry_points}", encoding="utf-8")


@pytest.fixture
def site(tmp_path):
    """A folder on sys.path holding two installed packages, one of them broken."""
    root = tmp_path / "site"
    root.mkdir()
    _distribution(
        root,
        "my-models",
        "0.1",
        "my_fleet = my_models:fleet\nsomething = my_models:misnamed\nnot_a_model = my_models:not_a_model\n",
        "my_models",
        MY_MODELS,
    )
    _distribution(
        root,
        "broken-models",
        "0.3",
        "broken_fleet = broken_models:fleet\n",
        "broken_models",
        'raise ImportError("this package needs numpy 3")\n',
    )
    return root


@pytest.fixture
def installed(site, monkeypatch):
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    models.reset_plugins()
    yield site
    models.reset_plugins()
    for module in ("my_models", "broken_models"):
        sys.modules.pop(module, None)


# ----------------------------------------------------------------------------- the registry
def test_register_refuses_a_taken_name_unless_asked_to_replace():
    original = MODELS["llm_inference"]
    clone = Model("llm_inference", "a clone", original.inputs, original.outputs, original.function)
    with pytest.raises(cd.StudyError, match="a model called 'llm_inference' is already registered"):
        register(clone)
    try:
        assert register(clone, replace=True) is clone and get_model("llm_inference") is clone
    finally:
        register(original, replace=True)
    assert register(original) is original  # registering the same object again is harmless
    with pytest.raises(cd.StudyError, match="expected a chipdemand.models.Model, got str"):
        register("llm_inference")


# ----------------------------------------------------------------------------- entry points
def test_a_model_from_an_installed_package_runs_a_study(installed, tmp_path):
    assert "my_fleet" not in MODELS
    study = cd.load_study(_study(tmp_path, "my_fleet"))
    assert study.model is get_model("my_fleet") and study.model.description.startswith("GPUs busy")
    res = cd.simulate(study, draws=2_000, seed=1)
    np.testing.assert_allclose(res.gpus.values, res.users.values * res.gpu_seconds.values / 86_400)
    assert "my_fleet" in models.model_names()


def test_a_broken_plugin_is_an_error_naming_its_package_and_stops_nothing_else(installed):
    with pytest.raises(cd.StudyError) as err:
        get_model("broken_fleet")
    assert str(err.value) == (
        "study.model: the model 'broken_fleet' of package 'broken-models' (entry point broken_fleet = "
        "'broken_models:fleet') cannot be loaded: ImportError: this package needs numpy 3"
    )
    assert get_model("llm_inference").name == "llm_inference"
    assert get_model("my_fleet").name == "my_fleet"
    with pytest.raises(
        cd.StudyError, match="'not_a_model' of package 'my-models' .* is a str, not a chipdemand"
    ):
        get_model("not_a_model")
    with pytest.raises(cd.StudyError, match="names a model called 'something_else'"):
        get_model("something")
    with pytest.raises(cd.StudyError, match=r"unknown model 'my_flet' \(did you mean 'my_fleet'\?\)"):
        get_model("my_flet")


def _study(folder: Path, model: str) -> Path:
    path = folder / f"{model}.toml"
    path.write_text(STUDY.format(model=model), encoding="utf-8")
    return path


def _chipdemand(site: Path, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(SRC)])}
    return subprocess.run(
        [sys.executable, "-m", "chipdemand.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_the_cli_runs_a_plugins_model_and_reports_a_broken_one_in_one_line(site, tmp_path):
    run = _chipdemand(site, "run", _study(tmp_path, "my_fleet"), "--draws", "2000", "--json")
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)["results"]
    assert [r["variable"] for r in rows if r["scenario"] == "base"] == ["gpus"]

    broken = _chipdemand(site, "run", _study(tmp_path, "broken_fleet"), "--draws", "2000")
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
    lines = broken.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "package 'broken-models'" in lines[0]

    listed = _chipdemand(site, "list", "--json")  # the built-in studies never need the plugins
    assert listed.returncode == 0 and len(json.loads(listed.stdout)["studies"]) >= 8


# ----------------------------------------------------------------------------- what a model returns
BAD_MODELS = '''
"""A third-party package whose models return what they should not."""
import numpy as np
from chipdemand.models import Input, Model, Output

def _model(name, function):
    return Model(
        name=name,
        description="returns something wrong",
        inputs=(
            Input("users", "user", "daily users", domain="positive"),
            Input("gpu_seconds", "s/user", "GPU time per user a day", domain="positive"),
        ),
        outputs=(Output("gpus", "GPU", "GPUs busy all day"),),
        function=function,
    )

short = _model("short", lambda users, gpu_seconds: {"gpus": users[:10]})
missing = _model("missing", lambda users, gpu_seconds: {})
extra = _model("extra", lambda users, gpu_seconds: {"gpus": users, "tpus": users})
text = _model("text", lambda users, gpu_seconds: {"gpus": np.full(users.shape, "many")})
not_finite = _model("not_finite", lambda users, gpu_seconds: {"gpus": users * np.inf})
a_list = _model("a_list", lambda users, gpu_seconds: [users])
llm_inference = _model("llm_inference", lambda users, gpu_seconds: {"gpus": users})
'''

RETURNED = {
    "short": "outputs.gpus: model 'short' returned gpus with shape (10,) for 20 draws (expected (20,))",
    "missing": "outputs.gpus: model 'missing' returned no gpus, which it declares",
    "extra": "outputs.tpus: model 'extra' returned 'tpus', which it does not declare (its outputs: gpus)",
    "text": "outputs.gpus: model 'text' returned gpus of type <U4, expected numbers (floats)",
    "a_list": "model 'a_list' returned a list, expected a mapping of output names to arrays",
}


@pytest.fixture
def bad_site(tmp_path):
    root = tmp_path / "bad_site"
    root.mkdir()
    names = [*RETURNED, "not_finite", "llm_inference"]
    entry_points = "".join(f"{n} = bad_models:{n}\n" for n in names)
    _distribution(root, "bad-models", "0.1", entry_points, "bad_models", BAD_MODELS)
    return root


@pytest.fixture
def bad_installed(bad_site, monkeypatch):
    monkeypatch.syspath_prepend(str(bad_site))
    importlib.invalidate_caches()
    models.reset_plugins()
    yield bad_site
    models.reset_plugins()
    sys.modules.pop("bad_models", None)


@pytest.mark.parametrize("name", RETURNED)
def test_what_a_model_returns_is_checked_naming_the_model_and_the_output(bad_installed, name):
    model = get_model(name)
    values = {"users": np.full(20, 1e6), "gpu_seconds": np.full(20, 20.0)}
    with pytest.raises(cd.StudyError) as err:
        model.evaluate(values)
    assert str(err.value) == RETURNED[name]


def test_a_model_returning_infinity_names_the_output_and_the_draw(bad_installed):
    values = {"users": np.full(20, 1e6), "gpu_seconds": np.full(20, 20.0)}
    with pytest.raises(cd.StudyError, match=r"^outputs.gpus: inf in draw 0, expected a finite number"):
        get_model("not_finite").evaluate(values)


@pytest.mark.parametrize("name", ["short", "missing", "extra", "text", "not_finite"])
def test_the_cli_reports_what_a_model_returned_in_one_line(cli, bad_installed, tmp_path, name):
    path = _study(tmp_path, name)
    r = cli("run", path, "--draws", "2000")
    lines = r.err.strip().splitlines()
    assert r.code == 2 and len(lines) == 1 and "Traceback" not in r.err, r.err
    assert lines[0].startswith(f"error: {path}: outputs.")
    if name != "not_finite":
        assert f"model {name!r} returned" in lines[0]


def test_a_package_reusing_a_built_in_models_name_is_refused_naming_both(bad_installed):
    with pytest.raises(cd.StudyError) as err:
        get_model("llm_inference")
    message = str(err.value)
    assert message.startswith(
        "study.model: the model 'llm_inference' of package 'bad-models' (entry point llm_inference = "
        "'bad_models:llm_inference') reuses the name of chipdemand's model 'llm_inference' ("
    )
    assert message.endswith("rename the package's model or uninstall the package")
    assert MODELS["llm_inference"].description != "returns something wrong"  # the built-in kept


def test_the_cli_refuses_a_study_on_a_name_two_packages_claim(cli, bad_installed):
    r = cli("run", "chatgpt_inference", "--draws", "500")
    lines = r.err.strip().splitlines()
    assert r.code == 2 and len(lines) == 1 and "reuses the name of chipdemand's model" in lines[0]
