"""The command line: JSON shapes of DESIGN.md, readable tables, and exit 2 on every user error."""

import json

import pytest

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


def test_list_json(cli):
    r = cli("list", "--json")
    assert r.code == 0
    studies = {s["name"]: s for s in json.loads(r.out)["studies"]}
    assert {"name", "title", "path"} <= set(studies["chatgpt_inference"])
    assert studies["chatgpt_inference"]["path"].endswith("chatgpt_inference.toml")


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


def test_compare_json_shape(cli):
    r = cli(
        "compare",
        "chatgpt_inference",
        "--scenario",
        "base",
        "--scenario",
        "heavy_use",
        "--draws",
        "5000",
        "--json",
    )
    assert r.code == 0, r.err
    rows = json.loads(r.out)["results"]
    assert {"variable", "a", "b", "ratio_median", "ratio_low", "ratio_high", "p_b_greater"} <= set(rows[0])
    chips = next(r for r in rows if r["variable"] == "chips")
    assert chips["ratio_median"] > 1 and 0.5 < chips["p_b_greater"] <= 1


def test_hdi_interval(cli):
    r = cli("run", "chatgpt_inference", "--draws", "5000", "--interval", "hdi", "--json")
    assert r.code == 0, r.err
    eti = json.loads(cli("run", "chatgpt_inference", "--draws", "5000", "--json").out)["results"]
    hdi = json.loads(r.out)["results"]
    # a right-skewed output: the HDI sits lower than the equal-tailed interval
    pick = lambda rows: next(x for x in rows if x["variable"] == "chips" and x["scenario"] == "base")  # noqa: E731
    assert pick(hdi)["low"] < pick(eti)["low"] and pick(hdi)["high"] < pick(eti)["high"]


def mutate(doc, change):
    change(doc)
    return doc


def _first_lognormal(doc):
    return next(k for k, v in doc["inputs"].items() if v.get("dist") == "lognormal" and "ci" in v)


BAD_STUDIES = {
    "reversed ci": (
        lambda d: d["inputs"]["daily_active_users"].update(ci=[4.5e7, 1e7]),
        "inputs.daily_active_users.ci: lower bound",
    ),
    "text for a number": (
        lambda d: d["inputs"]["daily_active_users"].update(ci=["many", "more"]),
        "inputs.daily_active_users.ci: expected two numbers",
    ),
    "unknown distribution": (
        lambda d: d["inputs"]["daily_active_users"].update(dist="lognormall"),
        "did you mean 'lognormal'",
    ),
    "negative lognormal bound": (
        lambda d: d["inputs"]["daily_active_users"].update(ci=[-5.0, 10.0]),
        "outside the support",
    ),
    "missing input": (
        lambda d: d["inputs"].pop("daily_active_users"),
        "inputs.daily_active_users: the model 'llm_inference' needs this input",
    ),
    "unknown input": (
        lambda d: d["inputs"].update(daily_users={"dist": "point", "value": 1}),
        "has no input 'daily_users' (did you mean 'daily_active_users'?)",
    ),
    "wrong unit": (
        lambda d: d["inputs"]["daily_active_users"].update(unit="kilogram"),
        "inputs.daily_active_users.unit: unit 'kilogram'",
    ),
    "unknown unit": (
        lambda d: d["inputs"]["seconds_per_char"].update(unit="zorkmid"),
        "inputs.seconds_per_char.unit: unknown unit",
    ),
    "misspelt key": (lambda d: d["inputs"]["daily_active_users"].update(pont=2e7), "unknown key 'pont'"),
    "unknown model": (lambda d: d["study"].update(model="llm_inferense"), "did you mean 'llm_inference'"),
    "impossible correlation": (
        lambda d: d.update(correlations={"daily_active_users": {"questions_per_user": 1.5}}),
        "correlations.daily_active_users.questions_per_user",
    ),
    "scenario of an unknown input": (
        lambda d: d["scenarios"]["heavy_use"].update(questions=3),
        "scenarios.heavy_use.questions",
    ),
    "unknown alternative as point": (
        lambda d: d["inputs"]["method"].update(point="latncy"),
        "inputs.method.point: expected one of the alternatives",
    ),
    "missing source": (
        lambda d: d["inputs"]["utilization"].pop("source"),
        "inputs.utilization.source: missing",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_STUDIES))
def test_bad_study_exits_2_with_one_error_line(cli, study_doc, write_study, case):
    change, text = BAD_STUDIES[case]
    path = write_study(mutate(study_doc, change))
    r = cli("run", path, "--draws", "1000", "--json")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: "), r.err
    assert text in lines[0]
    assert r.out == ""


def test_malformed_toml(cli, study_doc, write_study, tmp_path):
    text = (tmp_path / "x").write_text("") or ""
    import tomli_w

    full = tomli_w.dumps(study_doc)
    path = write_study(full[: len(full) // 2] + "\n[inputs.\n")
    r = cli("run", path)
    assert r.code == 2 and r.err.startswith(f"error: {path}: not valid TOML") and text == ""


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["run", "chatgpt_inference", "--draws", "-5"], "positive whole number"),
        (["run", "chatgpt_inference", "--draws", "0"], "positive whole number"),
        (["run", "chatgpt_inference", "--draws", "1.5"], "positive whole number"),
        (["run", "chatgpt_inference", "--draws", "lots"], "whole number or 'auto'"),
        (["run", "chatgpt_inference", "--seed", "-1"], "non-negative"),
        (["run", "chatgpt_inference", "--ci", "1.2"], "between 0 and 1"),
        (
            ["run", "chatgpt_inferense"],
            "unknown study 'chatgpt_inferense' (did you mean 'chatgpt_inference'?)",
        ),
        (["run", "chatgpt_inference", "--scenario", "heavy"], "unknown scenario 'heavy'"),
        (["run", "no/such/file.toml"], "no such study file"),
        (["compare", "chatgpt_inference", "--scenario", "base"], "exactly two --scenario"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2(cli, args, text):
    r = cli(*args)
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and text in lines[0], r.err


def test_errors_never_show_a_traceback(cli_subprocess, study_doc, write_study):
    study_doc["inputs"]["daily_active_users"]["ci"] = [4.5e7, 1e7]
    r = cli_subprocess("run", write_study(study_doc), "--json")
    assert r.code == 2 and "Traceback" not in r.err and r.err.startswith("error:")


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


def test_progress_only_for_long_runs_and_on_stderr(capsys):
    from chipdemand.cli import _Progress

    quick = _Progress(enabled=True)  # a bar appears only once a stage has lasted two seconds
    quick(1_000, 40_000, "drawing")
    quick.close()
    assert capsys.readouterr().err == ""
    slow = _Progress(delay=0, enabled=True)
    slow(1_000_000, 40_000_000, "drawing")
    slow.close()
    captured = capsys.readouterr()
    assert captured.out == "" and "drawing" in captured.err and "40.0M" in captured.err
    piped = _Progress(delay=0)  # stderr is not a terminal here: never a bar in a pipe or a log
    piped(1_000_000, 40_000_000, "drawing")
    piped.close()
    assert capsys.readouterr().err == ""


def test_json_runs_print_nothing_on_stderr(cli):
    r = cli("run", "chatgpt_inference", "--draws", "3000", "--json")
    assert r.code == 0 and r.err == ""
