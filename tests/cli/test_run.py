"""`chipdemand run`: the JSON document of DESIGN.md, a readable table, and every flag and target
checked before the first draw."""

import json


def one_error_line(r):
    lines = r.err.strip().splitlines()
    return r.code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.err


RUN_KEYS = {
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
