"""Sensitivity: rank correlation, tornado swings and Sobol' indices, against known answers."""

import json
import math

import numpy as np
import pytest
from scipy import stats

import chipdemand as cd
from chipdemand.analysis.sensitivity import evaluate_at
from chipdemand.distributions import parse_distribution
from chipdemand.errors import StudyError
from chipdemand.kernels.sobol import sobol_indices
from chipdemand.models import MODELS, Input, Model, Output, register


def sensitivity(res, output=None, method="rank", *, study=None, **kwargs):
    """The table of :func:`chipdemand.sensitivity` of a run (or, with ``res=None``, of ``study``)."""
    source = study if res is None else res
    return cd.sensitivity(source, output, method, study=None if res is None else study, **kwargs).table


def sensitivity_of_study(study, output=None, method="rank", **kwargs):
    result = cd.sensitivity(study, output, method, **kwargs)
    return result.output, result.table


WIDENED = "daily_active_users"


def _fleet(users, queries, seconds, utilization, gpus_per_server, price, method):
    """A small inference fleet: chips from GPU-seconds, halved by the "batched" method."""
    queries_per_day = users * queries
    chips = queries_per_day * seconds / 86_400 / utilization * np.where(method == 1, 0.5, 1.0)
    return {"queries_per_day": queries_per_day, "chips": chips, "capex": chips / gpus_per_server * price}


FLEET = """
[study]
name = "test_fleet"
title = "A small inference fleet (tests)"
model = "test_fleet"
source = "tests"
[inputs.users]
unit = "user"
dist = "lognormal"
ci = [1e7, 4.5e7]
source = "test"
[inputs.queries]
unit = "query/user/day"
dist = "lognormal"
ci = [4, 20]
source = "test"
[inputs.seconds]
unit = "s/query"
dist = "pert"
min = 2
mode = 7
max = 12
source = "test"
[inputs.utilization]
unit = "1"
dist = "beta"
ci = [0.45, 0.85]
source = "test"
[inputs.gpus_per_server]
unit = "GPU/server"
dist = "point"
value = 8
source = "test"
[inputs.price]
unit = "USD/server"
dist = "uniform"
low = 1.5e5
high = 3e5
source = "test"
[inputs.method]
dist = "choice"
values = ["one_at_a_time", "batched"]
probs = [0.4, 0.6]
source = "test"
[scenarios.fixed_users]
users = 2e7
"""


@pytest.fixture(scope="module")
def fleet():
    """A study on a model defined here, so the checks below do not move with the shipped studies."""
    if "test_fleet" not in MODELS:
        register(
            Model(
                name="test_fleet",
                description="tests",
                inputs=(
                    Input("users", "user"),
                    Input("queries", "query/user/day"),
                    Input("seconds", "s/query"),
                    Input("utilization", "1"),
                    Input("gpus_per_server", "GPU/server"),
                    Input("price", "USD/server"),
                    Input("method", "1", choices=("one_at_a_time", "batched")),
                ),
                outputs=(
                    Output("queries_per_day", "query/day"),
                    Output("chips", "GPU"),
                    Output("capex", "USD"),
                ),
                function=_fleet,
            )
        )
    return cd.parse_study(FLEET, "test_fleet.toml")


@pytest.fixture(scope="module")
def base_run(fleet):
    return cd.simulate(fleet, draws=20_000, seed=11, scenarios=["base"])


# ----------------------------------------------------------------------------- all three methods
@pytest.fixture
def widened(study_doc, write_study):
    """chatgpt_inference with one input's interval widened a thousandfold each way."""
    lo, hi = study_doc["inputs"][WIDENED]["ci"]
    study_doc["inputs"][WIDENED]["ci"] = [lo / 1000, hi * 1000]
    return write_study(study_doc)


@pytest.mark.parametrize(("method", "draws"), [("rank", 20_000), ("tornado", None), ("sobol", 2**11)])
@pytest.mark.parametrize("output", [None, "chips"])
def test_a_widened_input_ranks_first_by_every_method(widened, method, draws, output):
    # as /work/shared/contract/check.py `sensitivity` does, on the shipped study
    name, table = sensitivity_of_study(widened, output=output, method=method, draws=draws, seed=1)
    assert name == (output or first_output(widened))
    assert table["input"].iloc[0] == WIDENED
    assert list(table["index"]) == sorted(table["index"], reverse=True)


def first_output(path):
    study = cd.load_study(path)
    return getattr(study, "headline", None) or next(iter(study.outputs))


def test_the_ranking_follows_the_widening(fleet):
    _, plain = sensitivity_of_study(fleet, output="chips", method="tornado")
    assert plain["input"].iloc[0] != "users"
    doc = FLEET.replace("ci = [1e7, 4.5e7]", "ci = [1e4, 4.5e10]")
    widened = cd.parse_study(doc, "widened.toml")
    for method, draws in (("rank", 20_000), ("tornado", None), ("sobol", 2**11)):
        _, table = sensitivity_of_study(widened, output="chips", method=method, draws=draws)
        assert table["input"].iloc[0] == "users", method


def test_point_inputs_are_left_out(fleet, base_run):
    for method in ("rank", "tornado"):
        table = sensitivity(base_run, "chips", method)
        assert set(table["input"]) == set(fleet.inputs) - {"gpus_per_server"}  # a point value
    # and inputs that are a point in the scenario asked for
    table = sensitivity(None, "chips", "tornado", study=fleet, scenario="fixed_users")
    assert "users" not in set(table["input"])


# ----------------------------------------------------------------------------- rank
def test_rank_is_spearman_with_its_sign(base_run):
    table = sensitivity(base_run, "chips", "rank").set_index("input")
    run = base_run.sel(scenario="base")
    for name in table.index:
        expected = stats.spearmanr(run[name].values, run["chips"].values)[0]
        assert table.loc[name, "rho"] == pytest.approx(expected, abs=1e-12)
        assert table.loc[name, "index"] == pytest.approx(abs(expected), abs=1e-12)
    assert table.loc["utilization", "rho"] < 0 < table.loc["seconds", "rho"]  # chips ∝ 1/utilization
    # the structural choice, by its code (batched = 1 halves the chips)
    assert table.loc["method", "rho"] < -0.2
    # the price does not enter chips: |rho| within 4 standard errors of 0
    assert abs(table.loc["price", "rho"]) < 4 / math.sqrt(base_run.sizes["draw"])


def test_rank_uses_the_scenario_asked_for(fleet):
    res = cd.simulate(fleet, draws=20_000, seed=3)
    base = sensitivity(res, "chips", "rank").set_index("input")
    fixed = sensitivity(res, "chips", "rank", scenario="fixed_users").set_index("input")
    assert "users" in base.index and "users" not in fixed.index
    # with users fixed, the other inputs explain more of the spread
    assert fixed.loc["queries", "index"] > base.loc["queries", "index"] + 0.05
    assert fixed.attrs["scenario"] == "fixed_users"
    # a run without a base scenario defaults to its first
    only = cd.simulate(fleet, draws=5_000, seed=3, scenarios=["fixed_users"])
    assert sensitivity(only, "chips").attrs["scenario"] == "fixed_users"


# ----------------------------------------------------------------------------- tornado
def test_tornado_moves_one_input_between_its_quantiles(fleet):
    table = sensitivity(None, "chips", "tornado", study=fleet).set_index("input")
    users = fleet.inputs["users"].dist
    row = table.loc["users"]
    assert row["input_low"] == pytest.approx(1.0e7, rel=1e-9)  # its 90% interval as written
    assert row["input_high"] == pytest.approx(4.5e7, rel=1e-9)
    # chips are proportional to users: the ends are the centre scaled by the input's ratio to its median
    assert row["high"] / row["centre"] == pytest.approx(4.5e7 / users.median(), rel=1e-9)
    assert row["low"] / row["centre"] == pytest.approx(1.0e7 / users.median(), rel=1e-9)
    assert row["swing"] == pytest.approx(row["high"] - row["low"])
    # inverse relation: more utilization, fewer chips; the swing is still positive
    assert table.loc["utilization", "high"] < table.loc["utilization", "low"]
    assert table.loc["utilization", "swing"] > 0
    assert table.loc["price", "swing"] == 0
    # the choice moves between its alternatives' codes: 40% one at a time, so its 5% quantile is 0
    assert (table.loc["method", "input_low"], table.loc["method", "input_high"]) == (0, 1)
    # ... which the table names by their labels, in code order, for the text and the chart
    assert table.attrs["labels"] == {"method": ["one_at_a_time", "batched"]}
    assert table.loc["method", "high"] == pytest.approx(table.loc["method", "low"] / 2)
    assert row["centre"] == pytest.approx(evaluate_at(fleet, {})["chips"][0])


def test_tornado_level_follows_ci(fleet):
    wide = sensitivity(None, "chips", "tornado", study=fleet, ci=0.98).set_index("input")
    narrow = sensitivity(None, "chips", "tornado", study=fleet, ci=0.5).set_index("input")
    continuous = ["users", "queries", "seconds", "utilization"]
    assert (wide.loc[continuous, "swing"] > narrow.loc[continuous, "swing"]).all()


# ----------------------------------------------------------------------------- Sobol'
# Ishigami & Homma (1990), f = sin x1 + a sin² x2 + b x3⁴ sin x1 on [-π, π]³, a = 7, b = 0.1:
# closed-form indices, Saltelli et al. (2008), Global Sensitivity Analysis: The Primer, §4.6,
# and Sobol' & Levitan (1999): S = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437.
A, B = 7.0, 0.1
ISHIGAMI_FIRST = np.array([0.3139, 0.4424, 0.0])
ISHIGAMI_TOTAL = np.array([0.5576, 0.4424, 0.2437])


def ishigami(x):
    return np.sin(x[0]) + A * np.sin(x[1]) ** 2 + B * x[2] ** 4 * np.sin(x[0])


def test_ishigami_closed_form_matches_the_cited_values():
    pi = np.pi
    v1 = 0.5 * (1 + B * pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    assert np.allclose([v1 / v, v2 / v, 0.0], ISHIGAMI_FIRST, atol=1e-4)
    assert np.allclose([(v1 + v13) / v, v2 / v, v13 / v], ISHIGAMI_TOTAL, atol=1e-4)


def test_sobol_indices_of_the_ishigami_function():
    # the study path's own distributions: uniform inputs parsed as a study file gives them
    dists = [parse_distribution({"dist": "uniform", "low": -np.pi, "high": np.pi})] * 3
    found = sobol_indices(ishigami, dists, 2**13, seed=0, ci=0.99)
    for est, lo, hi, exact in (
        (found.first, found.first_low, found.first_high, ISHIGAMI_FIRST),
        (found.total, found.total_low, found.total_high, ISHIGAMI_TOTAL),
    ):
        assert np.all(lo <= est) and np.all(est <= hi)
        assert np.all(hi - lo < 0.08)  # intervals narrow enough for the check to bite
        assert np.all((lo <= exact) & (exact <= hi)), (est, lo, hi)
        assert np.allclose(est, exact, atol=0.02)


def test_sobol_of_a_product_of_lognormals_matches_the_closed_form(fleet):
    # queries_per_day = users × queries, independent lognormals with log-variances v1, v2:
    # S1 = (e^{v1} - 1) / (e^{v1 + v2} - 1), ST1 = 1 - S2 (the variance of a product).
    table = sensitivity(None, "queries_per_day", "sobol", study=fleet, draws=2**13, ci=0.99).set_index(
        "input"
    )
    assert table.attrs["scale"] == "linear"  # 5th-95th percentiles span less than two decades
    v1 = fleet.inputs["users"].dist.sigma ** 2
    v2 = fleet.inputs["queries"].dist.sigma ** 2
    first = {"users": np.expm1(v1) / np.expm1(v1 + v2), "queries": np.expm1(v2) / np.expm1(v1 + v2)}
    total = {"users": 1 - first["queries"], "queries": 1 - first["users"]}
    for name in first:
        row = table.loc[name]
        assert row["first_low"] <= first[name] <= row["first_high"]
        assert row["total_low"] <= total[name] <= row["total_high"]
        assert row["first"] == pytest.approx(first[name], abs=0.03)
    assert table.loc["seconds", "total"] == 0  # does not enter queries
    assert table.attrs["n"] == 2**13


def test_sobol_is_seeded_and_rounds_draws_up_to_replicates_of_a_power_of_two(fleet):
    a = sensitivity(None, "chips", "sobol", study=fleet, draws=1000, seed=4)
    b = sensitivity(None, "chips", "sobol", study=fleet, draws=1000, seed=4)
    c = sensitivity(None, "chips", "sobol", study=fleet, draws=1000, seed=5)
    assert a.equals(b) and not a.equals(c)
    assert a.attrs["n"] == 1024  # 8 scrambles of 128 = 2**7 base samples


def test_sobol_needs_replicates_of_a_power_of_two():
    with pytest.raises(StudyError, match="power of two"):
        sobol_indices(ishigami, [stats.uniform()] * 3, 1000, seed=0)


# ----------------------------------------------------------------------------- outputs over years
def test_outputs_over_years_default_to_the_last_year(growth_study):
    res = cd.simulate(growth_study, draws=10_000, seed=1)
    last = sensitivity(res, "market", "rank").set_index("input")
    first = sensitivity(res, "market", "rank", at={"year": 2024}).set_index("input")
    assert abs(first.loc["growth", "rho"]) < 0.05 and first.loc["base", "rho"] > 0.99  # 2024 is the base
    assert last.loc["growth", "rho"] > 0.3
    swing = sensitivity(None, "market", "tornado", study=growth_study, at={"year": 2024}).set_index("input")
    assert swing.loc["growth", "swing"] == 0
    with pytest.raises(StudyError, match="2040"):
        sensitivity(res, "market", "rank", at={"year": 2040})


# ----------------------------------------------------------------------------- errors and CLI
@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"output": "chipz"}, "did you mean 'chips'"),
        ({"method": "morris"}, "unknown method"),
        ({"scenario": "heavy"}, "unknown scenario"),
        ({"ci": 1.5}, "between 0 and 1"),
    ],
)
def test_bad_arguments_are_user_errors(base_run, kwargs, text):
    with pytest.raises(StudyError, match=text):
        sensitivity(base_run, **{"output": "chips", **kwargs})


def test_cli_json_is_the_api_ranking(cli):
    r = cli("sensitivity", "chatgpt_inference", "--output", "chips", "--method", "tornado", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["output"] == "chips" and doc["method"] == "tornado" and doc["scenario"] == "base"
    ranking = doc["ranking"]
    assert {"input", "index", "low", "high", "swing"} <= set(ranking[0])
    _, table = sensitivity_of_study("chatgpt_inference", "chips", "tornado")
    assert [x["input"] for x in ranking] == list(table["input"])
    assert [x["index"] for x in ranking] == pytest.approx(list(table["index"]), rel=1e-12)


def test_cli_tables_and_errors(cli):
    r = cli(
        "sensitivity",
        "chatgpt_inference",
        "--output",
        "chips",
        "--method",
        "sobol",
        "--draws",
        "1024",
        "--json",
    )
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["n"] == 1024 and doc["scale"] in ("linear", "log")
    assert {"first", "total", "first_low", "first_high", "total_low", "total_high"} <= set(doc["ranking"][0])
    r = cli("sensitivity", "chatgpt_inference", "--output", "chips", "--method", "rank", "--draws", "5000")
    assert r.code == 0 and "Spearman" in r.out and "daily_active_users" in r.out
    r = cli("sensitivity", "chatgpt_inference", "--draws", "auto")
    assert r.code == 2 and r.err.startswith(
        "error: argument --draws: expected a positive whole number, got 'auto'"
    )
    r = cli("sensitivity", "chatgpt_inference", "--output", "chipz")
    assert r.code == 2 and "did you mean 'chips'" in r.err


def test_tornado_of_an_unordered_choice_goes_from_low_to_high(fleet):
    # issue 20 item 15: a choice listed out of order had its low and high swapped
    doc = FLEET.replace(
        'dist = "point"\nvalue = 8\n', 'dist = "choice"\nvalues = [16, 4, 8]\nprobs = [0.2, 0.5, 0.3]\n'
    )
    study = cd.parse_study(doc, "unordered.toml")
    row = sensitivity(None, "capex", "tornado", study=study).set_index("input").loc["gpus_per_server"]
    assert (row["input_low"], row["input_high"]) == (4, 16)  # its 5% and 95% quantiles by value
    assert row["low"] == pytest.approx(4 * row["high"])  # 4 GPUs per server need 4 times the servers of 16


def test_inputs_that_share_a_stream_are_one_row_and_one_sobol_factor(fleet):
    # issue 20 item 18: inputs drawn from one stream (two fields of one card) were moved apart
    doc = FLEET.replace("low = 1.5e5\nhigh = 3e5\n", 'low = 1.5e5\nhigh = 3e5\nstream = "users"\n')
    study = cd.parse_study(doc, "shared.toml")
    table = sensitivity(None, "capex", "tornado", study=study).set_index("input")
    assert "users + price" in table.index and not {"users", "price"} & set(table.index)
    assert table.attrs["streams"] == {"users + price": ["users", "price"]}
    row = table.loc["users + price"]
    price = study.inputs["price"].dist
    # capex ∝ users · price: both at their 5% together, then both at their 95%
    lo = evaluate_at(study, {"users": np.array([1.0e7]), "price": np.array([price.quantile(0.05)])})["capex"][
        0
    ]
    hi = evaluate_at(study, {"users": np.array([4.5e7]), "price": np.array([price.quantile(0.95)])})["capex"][
        0
    ]
    assert (row["low"], row["high"]) == pytest.approx((lo, hi), rel=1e-9)
    sobol = sensitivity(None, "capex", "sobol", study=study, draws=256).set_index("input")
    assert "users + price" in sobol.index and "price" not in sobol.index
    assert sobol.attrs["streams"] == {"users + price": ["users", "price"]}
