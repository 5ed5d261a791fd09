"""A user error is one `error:` line and exit 2, never a traceback: bad study files, bad
arguments, flags that do not apply."""

import json

import pytest


def one_error_line(r):
    lines = r.err.strip().splitlines()
    return r.code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.err


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
        # --year is named as the flag the user gave (the API's key is ``at``)
        (
            ["sensitivity", "china_supply_demand", "--year", "2027"],
            "--year: first_shortfall_year is one number per draw, not an output over years",
        ),
        (
            ["sensitivity", "china_supply_demand", "--output", "supply", "--year", "2099"],
            "--year: 2099 is not among [2024, 2025",
        ),
        (
            ["sensitivity", "china_supply_demand", "--year", "next"],
            "argument --year: expected a non-negative",
        ),
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


@pytest.mark.parametrize("unit", ["(", "s/", "**", "1/0", "meter^^2", "zorkmid"])
def test_a_unit_pint_cannot_read_is_one_clear_line(cli, study_doc, write_study, unit):
    study_doc["inputs"]["seconds_per_char"]["unit"] = unit
    r = cli("run", write_study(study_doc), "--draws", "100")
    assert one_error_line(r), r.err
    assert "inputs.seconds_per_char.unit: unknown unit" in r.err
    assert "Error" not in r.err  # no exception names (AssertionError, TokenError...) in the message


def test_a_byte_order_mark_is_accepted(cli, tmp_path):
    from chipdemand.study.shipped import priors_dir

    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (priors_dir() / "chatgpt_inference.toml").read_bytes())
    r = cli("run", path, "--draws", "500", "--scenario", "base", "--json")
    assert r.code == 0, r.err
    plain = cli("run", "chatgpt_inference", "--draws", "500", "--scenario", "base", "--json")
    assert json.loads(r.out)["results"] == json.loads(plain.out)["results"]  # the same study


def test_a_study_path_that_is_a_folder(cli, tmp_path):
    folder = tmp_path / "study.toml"
    folder.mkdir()
    r = cli("run", folder)
    assert one_error_line(r) and "is a folder, not a study file" in r.err


def test_a_stream_naming_no_input(cli, study_doc, write_study):
    study_doc["inputs"]["memory_bandwidth"]["stream"] = "gpu_memry"
    r = cli("run", write_study(study_doc), "--draws", "100")
    assert one_error_line(r)
    assert "inputs.memory_bandwidth.stream: 'gpu_memry' is not an input" in r.err and "gpu_memory" in r.err


def test_numpy_warnings_never_precede_the_error_line(cli_subprocess, study_doc, write_study):
    study_doc["inputs"]["utilization"] = {"dist": "point", "value": 0.0, "unit": "1", "source": "a zero"}
    r = cli_subprocess("run", write_study(study_doc), "--draws", "200")
    assert r.code == 2 and r.err.startswith("error: ") and "RuntimeWarning" not in r.err, r.err


def test_a_seed_too_large_to_store_is_refused(cli):
    r = cli("run", "chatgpt_inference", "--seed", str(2**64))
    assert one_error_line(r) and "below 2**63" in r.err


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["report", "RUN", "--out", "DIR", "--draws", "1000"], "--draws: does not apply to a saved run"),
        (["report", "RUN", "--out", "DIR", "--seed", "3"], "--seed: does not apply to a saved run"),
        (["sensitivity", "chatgpt_inference", "--method", "tornado", "--draws", "100"], "does not apply"),
        (["sensitivity", "chatgpt_inference", "--method", "rank", "--ci", "0.8"], "does not apply"),
        (["sensitivity", "chatgpt_inference", "--scale", "log"], "does not apply to --method rank"),
        (["run", "chatgpt_inference", "--rel-tol", "0.01"], "applies to --draws auto only"),
        (["run", "chatgpt_inference", "--output", "chips"], "give --save-draws FILE"),
        (["run", "chatgpt_inference", "--threads", "0"], "at least 1"),
        (["run", "chatgpt_inference", "--threads", "-2"], "at least 1"),
    ],
)
def test_flags_that_do_not_apply_are_refused(cli, saved, tmp_path, args, text):
    args = [str(saved) if a == "RUN" else str(tmp_path / "d") if a == "DIR" else a for a in args]
    r = cli(*args)
    assert one_error_line(r) and text in r.err, r.err


def test_a_lost_worker_process_is_one_error_line_and_exit_1(cli, monkeypatch):
    """A forked worker killed mid-run (the OOM killer) ends the command with one ``error:`` line."""
    import chipdemand.api as api
    from chipdemand.errors import WorkerLost

    said = "a worker process ended abruptly (killed, or out of memory): run again with --threads 1"

    def lost(*args, **kwargs):
        raise WorkerLost(said)

    monkeypatch.setattr(api, "run", lost)
    r = cli("run", "chatgpt_inference", "--draws", "1000")
    assert r.code == 1 and r.out == ""
    assert r.err.strip().splitlines() == [f"error: {said}"]
