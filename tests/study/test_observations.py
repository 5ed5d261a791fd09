"""Runs conditioned on a study's observations, from the API and the command line."""

import json

import numpy as np
import pytest

import chipdemand as cd

OBSERVATION = """
[observations.dau_feb_2023]
target = "daily_active_users"
value = 2.33e7
ci = [1.6e7, 3.4e7]
scenarios = ["base", "heavy_use"]
source = "a test observation of daily users"
date = "2023-03"
"""


@pytest.fixture
def observed_study(tmp_path):
    from chipdemand.study.shipped import priors_dir

    # the shipped study less its own observations (they come last in its file), plus one of ours
    shipped = (priors_dir() / "chatgpt_inference.toml").read_text(encoding="utf-8")
    text = shipped.split("\n[observations.")[0] + OBSERVATION
    path = tmp_path / "observed.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_study_parses_its_observations(observed_study):
    study = cd.load_study(observed_study)
    obs = study.observations["dau_feb_2023"]
    assert (
        obs.target == "daily_active_users" and obs.value == 2.33e7 and obs.scenarios == ("base", "heavy_use")
    )


def test_run_observed_gives_the_posterior_beside_the_prior(observed_study):
    run = cd.run(observed_study, 40_000, seed=1, scenarios=["base", "usage_2024"], observed=True)
    doc = run.to_dict()
    assert set(doc["pareto_k"]) == {"base", "usage_2024"} and doc["pareto_k"]["base"] < 0.7
    assert doc["ess"]["usage_2024"] == pytest.approx(40_000, rel=1e-12)  # nothing observed: the prior
    rows = {(r["scenario"], r["variable"]): r for r in doc["results"]}
    dau = rows[("base", "daily_active_users")]
    # prior: lognormal 90% [1e7, 4.5e7] (the study); the observation pulls its interval in
    assert dau["posterior_high"] - dau["posterior_low"] < dau["high"] - dau["low"]
    assert dau["posterior_low"] > 1.3e7 and dau["posterior_high"] < 3.8e7
    same = rows[("usage_2024", "chips")]
    assert same["posterior_median"] == same["median"]
    assert doc["moved"][0]["input"] == "daily_active_users"


def test_run_observed_from_the_cli_equals_the_api(cli, observed_study):
    r = cli("run", observed_study, "--draws", "20000", "--scenario", "base", "--observed", "--json")
    assert r.code == 0, r.err
    api = cd.run(observed_study, 20_000, scenarios=["base"], observed=True).to_dict()
    assert json.loads(r.out) == json.loads(json.dumps(api))
    table = cli("run", observed_study, "--draws", "20000", "--scenario", "base", "--observed")
    assert "posterior median" in table.out and "Pareto k̂" in table.out


def test_a_saved_observed_run_keeps_its_weights_and_is_conditioned_again(observed_study, tmp_path):
    run = cd.run(observed_study, 20_000, seed=2, scenarios=["base"], observed=True, save=tmp_path / "o.nc")
    again = cd.condition(run.saved)  # from the stored weights, nothing simulated
    np.testing.assert_array_equal(again.log_weight.values, run.conditioned.log_weight.values)
    assert cd.rerun(run.saved).identical  # the weights are not draws: rerun compares the draws


def test_observed_needs_observations():
    with pytest.raises(cd.StudyError, match="states no \\[observations.NAME\\]"):
        cd.run("sora_training", 1000, observed=True)


def test_an_observation_far_in_the_tail_is_refused(observed_study):
    text = (
        observed_study.read_text(encoding="utf-8")
        .replace("value = 2.33e7", "value = 9e8")
        .replace("ci = [1.6e7, 3.4e7]", "ci = [8.9e8, 9.1e8]")
    )
    observed_study.write_text(text, encoding="utf-8")
    with pytest.raises(cd.StudyError, match="k̂|Pareto|effective draws"):
        cd.run(observed_study, 20_000, scenarios=["base"], observed=True)


def test_prior_sensitivity_from_the_cli(cli):
    r = cli("sensitivity", "chatgpt_inference", "--method", "prior", "--draws", "20000", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["method"] == "prior" and doc["ranking"][0]["index"] >= doc["ranking"][-1]["index"]
    assert {"input", "index", "dist"} <= set(doc["ranking"][0])


REFERENCES = """
[[outputs.chips.references]]
value = 28936
unit = "GPU"
source = "a test estimate of the fleet"
date = "2023-02-09"

[[outputs.chips.references]]
value = 1.28e7
bound = "upper"
source = "a test bound: every GPU shipped"
date = "2025-02-13"
"""


def test_the_report_shows_references_observations_and_the_parent(observed_study, tmp_path):
    observed_study.write_text(observed_study.read_text(encoding="utf-8") + REFERENCES, encoding="utf-8")
    page = cd.report(observed_study, tmp_path / "rep", draws=20_000).read_text(encoding="utf-8")
    assert "<h2>Independent estimates</h2>" in page and "a test estimate of the fleet" in page
    assert "within the bound" in page and "inside" in page
    assert "<h2>Observations</h2>" in page and "prior and posterior of daily_active_users" in page
    child = tmp_path / "child.toml"
    child.write_text(
        '[study]\nname = "child"\ntitle = "a child"\nextends = "chatgpt_inference"\n'
        '[scenarios.longer]\nchars_per_answer = { dist = "lognormal", ci = [300, 2000] }\n',
        encoding="utf-8",
    )
    page = cd.report(child, tmp_path / "rep2", draws=5_000).read_text(encoding="utf-8")
    assert "Compared with the study it extends" in page and "child beside chatgpt_inference" in page


def test_run_places_references_and_warns_past_a_bound(cli, observed_study):
    text = observed_study.read_text(encoding="utf-8") + REFERENCES.replace("value = 1.28e7", "value = 100")
    observed_study.write_text(text, encoding="utf-8")
    r = cli("run", observed_study, "--draws", "20000", "--scenario", "base")
    assert r.code == 0 and "passes a physical bound" in r.err and "thought experiment" in r.err
    doc = json.loads(cli("run", observed_study, "--draws", "20000", "--scenario", "base", "--json").out)
    # the two test references, beside the study's own
    estimate, bound = [r for r in doc["references"] if r["source"].startswith("a test")]
    res = cd.simulate(observed_study, 20_000, scenarios=["base"])
    assert estimate["percentile"] == pytest.approx(float(np.mean(res["chips"].values <= 28936)))
    assert bound["bound"] == "upper" and bound["passed"] is True


# ----------------------------------------------------------------------------- the shipped observations
def test_chatgpt_inference_is_conditioned_on_daily_users_of_feb_2023_and_2024():
    """Similarweb's February 2023 visits (23.3M daily users, 90% 16-34M) and OpenAI's 100M weekly
    users of 2023-11-06 (39M daily, 25-60M) sit inside their priors: the weights are reliable
    (k̂ < 0.7) and pull each scenario's daily users toward the measurement."""
    draws = 40_000
    run = cd.run("chatgpt_inference", draws, seed=3, observed=True)
    doc = run.to_dict()
    assert {o["name"] for o in doc["observations"]} == {"dau_feb_2023", "dau_feb_2024"}
    assert all(k < 0.7 for k in doc["pareto_k"].values())
    assert all(e > draws / 4 for e in doc["ess"].values())
    rows = {(r["scenario"], r["variable"]): r for r in doc["results"]}
    for scenario, measured in (("base", 2.33e7), ("heavy_use", 2.33e7), ("usage_2024", 3.9e7)):
        dau = rows[(scenario, "daily_active_users")]
        # the posterior median lies between the prior's and the measurement, nearer the latter
        # than the prior was, and its interval is narrower
        assert abs(np.log(dau["posterior_median"] / measured)) < abs(np.log(dau["median"] / measured))
        assert dau["posterior_high"] / dau["posterior_low"] < dau["high"] / dau["low"]
    # the 2024 count is below the scenario's prior (Guosen's visits, 30-100M): it pulls the fleet down
    assert rows[("usage_2024", "chips")]["posterior_median"] < rows[("usage_2024", "chips")]["median"]


def test_a_run_of_a_scenario_one_observation_leaves_out_is_conditioned_on_the_other(tmp_path):
    """A run of usage_2024 alone: dau_feb_2023 describes none of its scenarios, dau_feb_2024 its one."""
    run = cd.run("chatgpt_inference", 20_000, scenarios=["usage_2024"], observed=True, save=tmp_path / "o.nc")
    moved = run.conditioned.moved
    assert set(moved["observation"]) == {"dau_feb_2024"} and moved.iloc[0]["input"] == "daily_active_users"
    assert "dau_feb_2024" in run.text() and "usage_2024: Pareto" in run.text()
    assert cd.condition(run.saved).moved.equals(moved)
    # a saved observed run is analysed as its posterior, and says so
    sens = cd.sensitivity(run.saved, method="prior", scenario="usage_2024")
    assert sens.to_dict()["conditioned"] is True and "of the posterior" in sens.text()
    plain = cd.sensitivity("chatgpt_inference", method="prior", scenario="usage_2024", draws=20_000)
    assert plain.to_dict()["conditioned"] is False and "of the posterior" not in plain.text()


@pytest.mark.parametrize(
    ("observation", "message"),
    [
        (
            'target = "method"\nvalue = 1\nci = [0, 1]\nsource = "x"',
            "observed.toml: observations.bad.target: method is a structural choice (latency, roofline): "
            "it has no value to observe; observe an output it changes",
        ),
        (
            'target = "daily_active_users"\nvalue = -5\nci = [1, 2]\nsource = "x"',
            "observed.toml: observations.bad.value: outside what daily_active_users can be",
        ),
        (
            'target = "utilization"\nvalue = 0.5\nci = [0.2, 1.5]\nsource = "x"',
            "observed.toml: observations.bad.ci: outside what utilization can be",
        ),
        (
            'target = "daily_active_users"\nvalue = 2e7\nci = [1e7, 3e7]\nunit = 5\nsource = "x"',
            "observed.toml: observations.bad.unit: expected a unit's name (text), got 5",
        ),
    ],
)
def test_an_observation_of_a_choice_or_outside_the_domain_is_refused_at_its_key(
    observed_study, observation, message
):
    text = observed_study.read_text(encoding="utf-8") + "\n[observations.bad]\n" + observation + "\n"
    observed_study.write_text(text, encoding="utf-8")
    with pytest.raises(cd.StudyError) as err:
        cd.load_study(observed_study)
    assert message in str(err.value), str(err.value)


def test_a_study_is_immutable_and_a_run_keeps_what_it_ran(observed_study):
    import pickle

    import cloudpickle

    study = cd.load_study(observed_study)
    with pytest.raises(TypeError):
        study.correlations[("daily_active_users", "questions_per_user")] = 5.0  # type: ignore[index]
    with pytest.raises(TypeError):
        study.inputs["daily_active_users"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        study.scenarios["heavy_use"]["daily_active_users"] = None  # type: ignore[index]
    with pytest.raises(AttributeError):
        study.name = "other"  # type: ignore[misc]
    again = pickle.loads(cloudpickle.dumps(study))  # dask workers receive it so
    assert again.correlations == study.correlations
    names = {s: list(o) for s, o in study.scenarios.items()}
    assert {s: list(o) for s, o in again.scenarios.items()} == names
