"""A non-editable install in a fresh virtual environment runs from any folder (priors ship inside)."""

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_runs_from_another_folder(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, ROOT],
        check=True,
        capture_output=True,
        timeout=600,
    )
    wheel = next(wheels.glob("chipdemand-*.whl"))

    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # chipdemand itself is only the wheel, installed without --editable into the fresh
    # environment, before the dependencies become visible (pip would otherwise find the
    # chipdemand of this environment already installed); the dependencies come from this
    # environment through a .pth file (no network in tests), after the fresh site-packages
    subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert Path(site, "chipdemand", "priors", "chatgpt_inference.toml").is_file()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the fresh venv's own import path
    where = subprocess.run(
        [python, "-c", "import chipdemand; print(chipdemand.__file__)"],
        cwd=elsewhere,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert where.startswith(site)

    script = venv / "bin" / "chipdemand"
    listed = subprocess.run(
        [script, "list", "--json"], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    paths = [s["path"] for s in json.loads(listed.stdout)["studies"]]
    assert paths and all(p.startswith(site) for p in paths)

    run = subprocess.run(
        [script, "run", "chatgpt_inference", "--draws", "2000", "--json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["results"]
