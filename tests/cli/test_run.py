"""`chipdemand run`: the JSON document of DESIGN.md, a readable table, and every flag and target
checked before the first draw."""

import json
import os
import subprocess
import sys

import pytest


def one_error_line(r):
    lines = r.err.strip().splitlines()
    return r.code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.err


RUN_KEYS = {
    "mcse_ties",
    "scenario",
    "variable",
    "unit",
    "mean",
    "median",
    "low",
    "high",
    "reported",
    "mcse_low",
    "mcse_median",
    "mcse_high",
}


def test_run_json_shape(cli):
    r = cli("run", "chatgpt_inference", "--draws", "1e4", "--seed", "3", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert {k: doc[k] for k in ("study", "draws", "seed", "method", "ci")} == {
        "study": "chatgpt_inference",
        "draws": 10_000,
        "seed": 3,
        "method": "mc",
        "ci": 0.9,
    }
    rows = doc["results"]
    assert all(set(row) == RUN_KEYS for row in rows)
    chips = next(r for r in rows if r["scenario"] == "base" and r["variable"] == "chips")
    assert chips["reported"] == 16204 and chips["low"] < chips["median"] < chips["high"]
    assert chips["unit"] == "GPU"


def test_run_table_is_readable(cli):
    r = cli("run", "chatgpt_inference", "--draws", "2000", "--scenario", "base")
    assert r.code == 0
    assert "16,204" in r.out and "chips" in r.out and "90% interval" in r.out


def test_hdi_interval(cli):
    r = cli("run", "chatgpt_inference", "--draws", "5000", "--interval", "hdi", "--json")
    assert r.code == 0, r.err
    eti = json.loads(cli("run", "chatgpt_inference", "--draws", "5000", "--json").out)["results"]
    hdi = json.loads(r.out)["results"]
    # a right-skewed output: the HDI sits lower than the equal-tailed interval
    pick = lambda rows: next(x for x in rows if x["variable"] == "chips" and x["scenario"] == "base")  # noqa: E731
    assert pick(hdi)["low"] < pick(eti)["low"] and pick(hdi)["high"] < pick(eti)["high"]


def test_draws_accepts_scientific_notation(cli):
    doc = json.loads(cli("run", "chatgpt_inference", "--draws", "2e3", "--json").out)
    assert doc["draws"] == 2000


def test_save_refuses_to_overwrite_without_force(cli, tmp_path):
    f = tmp_path / "run.nc"
    assert cli("run", "chatgpt_inference", "--draws", "1000", "--save", f).code == 0
    before = f.read_bytes()
    r = cli("run", "chatgpt_inference", "--draws", "1000", "--seed", "9", "--save", f)
    assert r.code == 2 and "already exists" in r.err and f.read_bytes() == before
    assert cli("run", "chatgpt_inference", "--draws", "1000", "--seed", "9", "--save", f, "--force").code == 0
    assert f.read_bytes() != before


def test_json_runs_print_nothing_on_stderr(cli):
    r = cli("run", "chatgpt_inference", "--draws", "3000", "--json")
    assert r.code == 0 and r.err == ""


def test_nothing_but_the_answer_in_a_pipe(cli):
    r = cli("run", "chatgpt_inference", "--draws", "2000", "--scenario", "base")
    assert r.code == 0 and r.err == ""


def test_save_targets_are_checked_before_any_simulation(cli, tmp_path, monkeypatch):
    import chipdemand.engine

    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated before the target was checked")

    monkeypatch.setattr(chipdemand.engine.Plan, "_evaluate_block", no_simulation)
    (tmp_path / "exists.nc").write_bytes(b"mine")
    (tmp_path / "folder.nc").mkdir()
    for target, text in [
        (tmp_path / "no" / "such" / "run.nc", "no such folder"),
        (tmp_path / "folder.nc", "is a folder; give a file name"),
        (tmp_path / "exists.nc", "already exists (use --force to overwrite)"),
    ]:
        r = cli("run", "chatgpt_inference", "--draws", "1000", "--save", target)
        assert one_error_line(r) and text in r.err, r.err
    assert (tmp_path / "exists.nc").read_bytes() == b"mine"


@pytest.fixture
def no_simulation(monkeypatch):
    import chipdemand.engine

    def refuse(*args, **kwargs):
        raise AssertionError("simulated before every argument was checked")

    monkeypatch.setattr(chipdemand.engine.Plan, "_evaluate_block", refuse)


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--save-draws", "{d}/x.xlsx"], "expected a .csv or .parquet file name, got 'x.xlsx'"),
        (["--save-draws", "{d}/x.csv", "--output", "chipz"], "--output: no output 'chipz'"),
        (["--save", "{d}/run.nc", "--save-draws", "{d}/x.parquet"], "Parquet needs pyarrow"),
        (["--save", "{d}/x.csv"], "give a name ending in .nc, .nc4 or .h5, got 'x.csv'"),
        (["--csv", "{d}/exists.csv"], "exists.csv: already exists"),
        (["--save-draws", "{d}/t.csv", "--csv", "{d}/t.csv"], "--csv: names the same file as --save-draws"),
        (["--save", "{d}/fifo.nc", "--force"], "fifo.nc: is a FIFO (named pipe), not a regular file"),
        (["--save-draws", "{d}/fifo.csv", "--force"], "fifo.csv: is a FIFO (named pipe), not a regular file"),
        (["--csv", "{d}/dev.csv", "--force"], "dev.csv: is a symbolic link to /dev/null, a character device"),
    ],
)
def test_every_target_of_run_is_checked_before_the_first_draw(
    cli, tmp_path, monkeypatch, no_simulation, args, text
):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as without the parquet extra
    (tmp_path / "exists.csv").write_text("mine")
    os.mkfifo(tmp_path / "fifo.nc")
    os.mkfifo(tmp_path / "fifo.csv")
    (tmp_path / "dev.csv").symlink_to("/dev/null")
    before = sorted(p.name for p in tmp_path.iterdir())
    r = cli("run", "chatgpt_inference", "--draws", "1000", *[a.format(d=tmp_path) for a in args])
    assert one_error_line(r) and text in r.err, r.err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # run.nc not written either


def test_a_link_to_stdout_is_refused(tmp_path):
    """`--save-draws` onto a link to /proc/self/fd/1 (a pipe here) is refused, never replaced."""
    link = tmp_path / "out.csv"
    link.symlink_to("/proc/self/fd/1")
    p = subprocess.run(
        [sys.executable, "-m", "chipdemand.cli", "run", "chatgpt_inference", "--draws", "500"]
        + ["--save-draws", str(link), "--force"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 2 and p.stderr.startswith(f"error: {link}: is a symbolic link to /proc/self/fd/1")
    assert link.is_symlink()


@pytest.mark.parametrize(
    ("study", "text"),
    [
        ("", "error: study: the study name is empty: give a name (see `chipdemand list`) or a path"),
        ("   ", "the study name is empty"),
        ("run.nc", "error: run.nc: is a saved run, not a study: `chipdemand rerun FILE` re-runs it, "),
        ("old/RUN.H5", "`chipdemand report FILE --out DIR` reports it"),
    ],
)
def test_a_study_argument_that_is_no_study(cli, study, text):
    r = cli("run", study)
    assert one_error_line(r) and text in r.err, r.err
