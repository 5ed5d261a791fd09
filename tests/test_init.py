"""The package's namespace: every exported name resolves lazily, and a Dataset from the lower
level carries the ``chipdemand`` accessor without the API being imported first."""

import subprocess
import sys

import chipdemand as cd


def test_every_exported_name_resolves():
    missing = [name for name in cd.__all__ if getattr(cd, name, None) is None]
    assert missing == []
    assert set(cd.__all__) <= set(dir(cd))


def test_an_unknown_name_is_an_attribute_error():
    try:
        cd.no_such_name  # noqa: B018
    except AttributeError as err:
        assert "no_such_name" in str(err)
    else:  # pragma: no cover - the test fails
        raise AssertionError("cd.no_such_name resolved")


def test_simulate_brings_the_accessor_without_the_api():
    code = (
        "import sys, chipdemand as cd; res = cd.simulate('ai_server_market', draws=2000); "
        "print('chipdemand.api' in sys.modules, sorted(res.chipdemand.outputs)[:1])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "['china_ai_firms']"]
