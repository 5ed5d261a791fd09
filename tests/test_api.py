"""One API: every command's --json is its API function's result, and --csv writes the same rows."""

import csv
import json
import math
import re

import numpy as np
import pandas as pd
import pytest

import chipdemand as cd
from chipdemand.errors import StudyError


def _json(cli, *args):
    r = cli(*args, "--json")
    assert r.code == 0, r.err
    return json.loads(r.out)


def _same(a, b):
    """JSON documents equal, floats compared exactly (they come from the same computation)."""
    assert json.loads(json.dumps(a)) == json.loads(json.dumps(b))


def test_list(cli):
    _same(_json(cli, "list"), {"studies": cd.list_studies()})


def test_run(cli):
    doc = _json(cli, "run", "chatgpt_inference", "--draws", "4000", "--seed", "3", "--method", "lhs")
    _same(doc, cd.run("chatgpt_inference", 4000, seed=3, method="lhs").to_dict())


def test_run_streamed_equals_run_in_memory(cli, monkeypatch):
    in_memory = cd.run("chatgpt_inference", 70_000, seed=2)
    monkeypatch.setenv("CHIPDEMAND_MEMORY_MB", "1")
    streamed = cd.run("chatgpt_inference", 70_000, seed=2)
    assert in_memory.dataset is not None and streamed.dataset is None
    _same(streamed.to_dict(), in_memory.to_dict())
    _same(_json(cli, "run", "chatgpt_inference", "--draws", "70000", "--seed", "2"), in_memory.to_dict())


def test_run_auto(cli):
    args = ("run", "chatgpt_inference", "--draws", "auto", "--rel-tol", "0.02", "--scenario", "base")
    doc = _json(cli, *args)
    _same(doc, cd.run("chatgpt_inference", "auto", rel_tol=0.02, scenarios=["base"]).to_dict())
    assert doc["draws"] > 1 << 14


def test_compare_scenarios(cli):
    args = (
        "compare",
        "chatgpt_inference",
        "--scenario",
        "base",
        "--scenario",
        "heavy_use",
        "--draws",
        "3000",
    )
    _same(_json(cli, *args), cd.compare("chatgpt_inference", "base", "heavy_use", draws=3000).to_dict())


def test_compare_studies(cli, study_doc, write_study):
    study_doc["study"]["name"] = "more_users"
    study_doc["inputs"]["daily_active_users"]["ci"] = [2e7, 9e7]
    other = write_study(study_doc)
    doc = _json(cli, "compare", "chatgpt_inference", other, "--draws", "3000")
    _same(doc, cd.compare("chatgpt_inference", other, draws=3000).to_dict())
    assert doc["kind"] == "studies" and doc["paired"] is True
    users = next(r for r in doc["results"] if r["variable"] == "queries_per_day")
    assert users["ratio_low"] == pytest.approx(2, rel=1e-9) and users["ratio_high"] == pytest.approx(
        2, rel=1e-9
    )


def test_compare_a_saved_run_with_a_study_of_another_seed_is_unpaired(tmp_path):
    saved = cd.run("chatgpt_inference", 3000, seed=1, scenarios=["base"], save=tmp_path / "a.nc").saved
    result = cd.compare(saved, "chatgpt_inference", draws=3000, seed=2)
    assert result.paired is False and result.kind == "studies"
    chips = result.table.set_index("variable").loc["chips"]
    assert 0.2 < chips["p_b_greater"] < 0.8  # two runs of the same question: a coin toss


@pytest.mark.parametrize(("method", "draws"), [("rank", 2048), ("tornado", None), ("sobol", 2048)])
def test_sensitivity(cli, method, draws):
    args = ("sensitivity", "chatgpt_inference", "--method", method, "--output", "chips")
    args += ("--draws", str(draws)) if draws else ()
    _same(_json(cli, *args), cd.sensitivity("chatgpt_inference", "chips", method, draws=draws).to_dict())


def test_replay(cli):
    _same(_json(cli, "replay", "sora_training"), cd.replay("sora_training").to_dict())
    _same(_json(cli, "replay"), cd.replay().to_dict())


def test_rerun(cli, tmp_path):
    saved = cd.run("chatgpt_inference", 2000, seed=4, save=tmp_path / "r.nc").saved
    _same(_json(cli, "rerun", saved), cd.rerun(saved).to_dict())


def test_fit(cli):
    doc = _json(cli, "fit", "--p5", "1e7", "--p50", "2e7", "--p95", "4.5e7")
    _same(doc, cd.fit(1e7, 2e7, 4.5e7).to_dict())
    assert doc["best"] == doc["candidates"][0] and doc["best"]["max_rel_error"] <= doc["tolerance"]


# ----------------------------------------------------------------------------- CSV
def _csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _cell(x):
    if x is None:
        return ""
    if isinstance(x, list):  # mcse_ties: the quantiles on a tie, joined by spaces in CSV
        return " ".join(x)
    return x


@pytest.mark.parametrize(
    ("args", "rows"),
    [
        (("run", "chatgpt_inference", "--draws", "2000", "--scenario", "base"), "results"),
        (
            (
                "compare",
                "chatgpt_inference",
                "--scenario",
                "base",
                "--scenario",
                "heavy_use",
                "--draws",
                "2000",
            ),
            "results",
        ),
        (("sensitivity", "chatgpt_inference", "--method", "tornado"), "ranking"),
    ],
)
def test_csv_holds_the_rows_of_json(cli, tmp_path, args, rows):
    path = tmp_path / "out.csv"
    r = cli(*args, "--csv", path)
    assert r.code == 0, r.err
    doc = _json(cli, *args)
    table = _csv(path)
    assert len(table) == len(doc[rows])
    for got, want in zip(table, doc[rows], strict=True):
        for key, value in want.items():
            if isinstance(value, float):
                assert float(got[key]) == pytest.approx(value, rel=1e-12, abs=1e-300), key
            else:
                assert got[key] == str(_cell(value)), key


def test_replay_csv_holds_rows_and_audit(cli, tmp_path):
    path = tmp_path / "replay.csv"
    assert cli("replay", "sora_training", "--csv", path).code == 0
    table = pd.read_csv(path)
    doc = cd.replay("sora_training")
    assert list(table["section"]) == ["rows"] * len(doc.rows) + ["audit"] * len(doc.audit)
    assert np.allclose(table.loc[table["section"] == "audit", "factor"], doc.audit["factor"], rtol=1e-12)


def test_csv_is_not_overwritten_without_force(cli, tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("my spreadsheet", encoding="utf-8")
    r = cli("run", "chatgpt_inference", "--draws", "1000", "--csv", path)
    assert r.code == 2 and "already exists" in r.err and path.read_text(encoding="utf-8") == "my spreadsheet"
    assert r.out == ""  # refused before anything ran
    assert cli("run", "chatgpt_inference", "--draws", "1000", "--csv", path, "--force").code == 0
    assert _csv(path)[0]["scenario"] == "base"


def test_save_draws_exports_the_draws_of_named_outputs(cli, tmp_path):
    path = tmp_path / "draws.csv"
    args = (
        "run",
        "chatgpt_inference",
        "--draws",
        "1500",
        "--seed",
        "7",
        "--scenario",
        "base",
        "--scenario",
        "heavy_use",
    )
    assert cli(*args, "--save-draws", path, "--output", "chips", "--output", "capex").code == 0
    table = pd.read_csv(path)
    assert list(table.columns) == ["scenario", "draw", "chips", "capex"]
    res = cd.simulate("chatgpt_inference", 1500, seed=7, scenarios=["base", "heavy_use"])
    heavy = table[table["scenario"] == "heavy_use"]
    assert np.array_equal(heavy["draw"], np.arange(1500))
    np.testing.assert_allclose(heavy["chips"], res["chips"].sel(scenario="heavy_use"), rtol=1e-15)


def test_save_draws_of_outputs_over_years(tmp_path, growth_study):
    run = cd.run(growth_study, 500, seed=1, keep=True)
    from chipdemand.io import save_draws

    path = save_draws(run.dataset, tmp_path / "market.csv", ["market"])
    table = pd.read_csv(path)
    assert list(table.columns) == ["scenario", "draw", "year", "market"]
    assert len(table) == 2 * 500 * 7


def test_save_draws_refuses_unknown_outputs_and_formats(cli, tmp_path):
    r = cli(
        "run", "chatgpt_inference", "--draws", "500", "--save-draws", tmp_path / "d.csv", "--output", "chipz"
    )
    assert r.code == 2 and "no output 'chipz'" in r.err
    r = cli("run", "chatgpt_inference", "--draws", "500", "--save-draws", tmp_path / "d.xlsx")
    assert r.code == 2 and "expected a .csv or .parquet file" in r.err
    r = cli("run", "chatgpt_inference", "--draws", "500", "--output", "chips")
    assert r.code == 2 and "give --save-draws FILE" in r.err


# ----------------------------------------------------------------------------- the run object
def test_a_run_carries_its_study_summary_and_draws():
    run = cd.run("chatgpt_inference", 3000, seed=1, scenarios=["base"])
    assert isinstance(run.study, cd.Study) and run.study.name == "chatgpt_inference"
    assert run.dataset is not None and run.dataset.sizes["draw"] == 3000
    median = float(run.summary["chips"].sel(scenario="base", stat="median"))
    assert median == pytest.approx(float(np.median(run.dataset["chips"].sel(scenario="base"))), rel=1e-12)
    assert run.table.equals(cd.summarize(run.dataset))


def test_a_run_can_be_analysed_without_reparsing_its_study(monkeypatch):
    run = cd.run("chatgpt_inference", 3000, seed=1, scenarios=["base"])
    import chipdemand.study.loader

    monkeypatch.setattr(
        chipdemand.study.loader, "_parse_study", lambda *a: (_ for _ in ()).throw(AssertionError)
    )
    assert cd.sensitivity(run, "chips").table.iloc[0]["index"] > 0


def test_the_accessor_gives_the_same_calls(chatgpt):
    res = cd.simulate(chatgpt, 3000, seed=2)
    assert res.chipdemand.summarize().equals(cd.summarize(res))
    assert res.chipdemand.summary().identical(cd.summary(res))
    assert res.chipdemand.compare("base", "heavy_use").equals(cd.compare(res, "base", "heavy_use").table)
    assert res.chipdemand.exceedance("chips", [1e4]).identical(cd.exceedance(res, "chips", [1e4]))
    assert res.chipdemand.outputs == list(chatgpt.outputs)


def test_summary_is_a_dataset_with_a_stat_dimension(chatgpt):
    res = cd.simulate(chatgpt, 3000, seed=2)
    summary = cd.summary(res, ci=0.8)
    assert set(summary.data_vars) == set(chatgpt.outputs)
    chips = summary["chips"]
    assert chips.dims == ("scenario", "stat") and chips.attrs["unit"] == "GPU"
    x = res["chips"].sel(scenario="heavy_use").values
    assert float(chips.sel(scenario="heavy_use", stat="low")) == pytest.approx(np.quantile(x, 0.1), rel=1e-12)
    assert summary.attrs["ci"] == 0.8 and summary.attrs["draws"] == 3000
    assert math.isclose(
        float(chips.sel(scenario="base", stat="mean")),
        float(np.mean(res["chips"].sel(scenario="base"))),
        rel_tol=1e-12,
    )


def test_save_draws_as_parquet(cli, tmp_path):
    pytest.importorskip("pyarrow", reason="Parquet needs the optional extra chipdemand[parquet]")
    path = tmp_path / "draws.parquet"
    args = ("run", "chatgpt_inference", "--draws", "700", "--seed", "3", "--scenario", "base")
    assert cli(*args, "--save-draws", path, "--output", "servers").code == 0
    table = pd.read_parquet(path)
    res = cd.simulate("chatgpt_inference", 700, seed=3, scenarios=["base"])
    assert list(table.columns) == ["scenario", "draw", "servers"]
    np.testing.assert_array_equal(table["servers"], res["servers"].sel(scenario="base"))


# ----------------------------------------------------------------------------- what run accepts
@pytest.mark.parametrize(
    ("study", "text"),
    [
        (123, "study: expected a study name, a path to a study file or a Study, got int"),
        (None, "got NoneType"),
        (b"chatgpt_inference", "got bytes"),
        ("", "the study name is empty"),
        ("saved/run.nc", "saved/run.nc: is a saved run, not a study"),
    ],
)
def test_run_refuses_what_is_no_study(study, text):
    with pytest.raises(StudyError, match=re.escape(text)):
        cd.run(study, 1000)


def test_run_refuses_an_executor_without_map():
    with pytest.raises(StudyError, match="executor: expected an object with a .map"):
        cd.run("chatgpt_inference", 1000, executor="x")


def test_max_draws_below_the_first_auto_block_is_refused():
    with pytest.raises(StudyError, match="max_draws: must be at least 16,384, where draws='auto' starts"):
        cd.run("chatgpt_inference", "auto", max_draws=1000)


def test_compare_forms_positional_and_keyword():
    by_position = cd.compare("chatgpt_inference", "base", "heavy_use", draws=2000)
    by_keyword = cd.compare("chatgpt_inference", a="base", b="heavy_use", draws=2000)
    assert by_position.table.equals(by_keyword.table)
    two = cd.compare("chatgpt_inference", "chatgpt_inference", scenario=["heavy_use"], draws=2000)
    other = cd.compare("chatgpt_inference", other="chatgpt_inference", scenario="heavy_use", draws=2000)
    assert two.table.equals(other.table) and two.a == "chatgpt_inference [heavy_use]" == two.b
    with pytest.raises(StudyError, match="give both a= and b="):
        cd.compare("chatgpt_inference", a="base")
    with pytest.raises(StudyError, match=r"two scenarios \(a=, b=\), not both"):
        cd.compare("chatgpt_inference", "x", a="base", b="heavy_use")


def test_the_run_document_keeps_every_mcse_a_number_and_names_the_ties():
    """A quantile on a tie of a discrete output (gpus_per_replica) has no measurable
    order-statistic error: NaN in run.table, 0 in the JSON with the quantile named in
    mcse_ties, so that readers doing arithmetic on the contract's numbers keep working."""
    run = cd.run("chatgpt_inference", draws=2000, seed=1, scenarios=["base"])
    rows = {r["variable"]: r for r in run.to_dict()["results"]}
    tied = rows["gpus_per_replica"]
    assert tied["mcse_ties"] and all(tied[f"mcse_{q}"] == 0.0 for q in tied["mcse_ties"])
    assert run.table.set_index("variable").loc["gpus_per_replica", f"mcse_{tied['mcse_ties'][0]}"] != 0
    assert rows["chips"]["mcse_ties"] == [] and rows["chips"]["mcse_median"] > 0
    assert all(isinstance(r[f"mcse_{q}"], float) for r in rows.values() for q in ("low", "median", "high"))


@pytest.mark.parametrize(("value", "budget"), [("", 256), ("  ", 256), ("64", 64)])
def test_an_empty_memory_setting_means_the_default(monkeypatch, value, budget):
    from chipdemand.api import default_memory_budget

    monkeypatch.setenv("CHIPDEMAND_MEMORY_MB", value)
    assert default_memory_budget() == budget * 2**20
