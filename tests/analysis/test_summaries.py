"""How sure the numbers are: MCSE of the reported quantiles, `--draws auto`, exceedance."""

import json

import numpy as np
import pytest
import xarray as xr
from arviz_stats.base import array_stats
from hypothesis import given, settings
from hypothesis import strategies as st

import chipdemand as cd
from chipdemand.analysis.summaries import compare, worst_relative_mcse

QUANTILES = {"low": 0.05, "median": 0.5, "high": 0.95}


@pytest.fixture(scope="module")
def chips_run(chatgpt):
    return cd.simulate(chatgpt, draws=20_000, seed=4, scenarios=["base"])


def replicates(n_rep=400, n=4000, seed=0):
    """Independent lognormal samples, one per 'scenario', to compare MCSE with the real spread."""
    y = np.random.default_rng(seed).lognormal(0.0, 1.0, size=(n_rep, n))
    return xr.Dataset(
        {"y": (("scenario", "draw"), y, {"role": "output", "unit": "1"})},
        coords={"scenario": [f"r{i}" for i in range(n_rep)], "draw": np.arange(n)},
    )


def test_mcse_agrees_with_arviz_stats(chips_run):
    row = cd.summarize(chips_run, variables=["chips"]).iloc[0]
    x = chips_run["chips"].sel(scenario="base").values
    for q, p in QUANTILES.items():
        theirs = float(array_stats.mcse(x[None, :], method="quantile", prob=p))
        assert row[f"mcse_{q}"] == pytest.approx(theirs, rel=0.2), q


def test_mcse_is_the_spread_of_the_quantile_over_repeated_runs():
    # 400 independent runs of 4000 draws: the standard deviation of each quantile across runs
    # is what the MCSE claims to estimate (its own relative error here is about 1/sqrt(800) = 3.5%)
    table = cd.summarize(replicates())
    for q in QUANTILES:
        spread = table[q].std(ddof=1)
        assert table[f"mcse_{q}"].mean() == pytest.approx(spread, rel=0.15), q


def test_mcse_shrinks_like_one_over_root_n(chatgpt):
    small = cd.summarize(cd.simulate(chatgpt, draws=20_000, seed=1, scenarios=["base"]), variables=["chips"])
    large = cd.summarize(cd.simulate(chatgpt, draws=80_000, seed=1, scenarios=["base"]), variables=["chips"])
    ratios = [large[f"mcse_{q}"].iloc[0] / small[f"mcse_{q}"].iloc[0] for q in QUANTILES]
    assert all(0.35 < r < 0.65 for r in ratios), ratios  # four times the draws: half the error
    assert np.mean(ratios) == pytest.approx(0.5, abs=0.08)


def test_run_json_reports_mcse_beside_each_interval(cli):
    doc = json.loads(cli("run", "chatgpt_inference", "--draws", "20000", "--seed", "4", "--json").out)
    for row in doc["results"]:
        # a number everywhere; a quantile on a tie (gpus_per_replica takes a few whole values)
        # is named in mcse_ties, its MCSE 0 there (NaN in run.table: unmeasured)
        assert all(row[f"mcse_{q}"] >= 0 for q in QUANTILES)
        assert all(row[f"mcse_{q}"] == 0 for q in row["mcse_ties"])
        assert row["low"] <= row["median"] <= row["high"]
    ties = {r["variable"] for r in doc["results"] if r["mcse_ties"]}
    assert ties == {"gpus_per_replica"}


# ----------------------------------------------------------------------------- --draws auto
def test_auto_draws_stops_under_the_tolerance(chatgpt):
    run = cd.run(chatgpt, "auto", seed=4, rel_tol=0.01, scenarios=["base"])
    assert run.converged and worst_relative_mcse(run.table) <= 0.01
    start = cd.summarize(cd.simulate(chatgpt, draws=1 << 14, seed=4, scenarios=["base"]))
    assert worst_relative_mcse(start) > 0.01 and run.draws > 1 << 14  # it had to grow
    assert run.draws == run.dataset.sizes["draw"]
    assert run.table.equals(cd.summarize(run.dataset))


def test_auto_draws_says_when_it_stops_short(chatgpt):
    run = cd.run(chatgpt, "auto", seed=4, rel_tol=1e-4, scenarios=["base"], max_draws=40_000)
    assert not run.converged and run.draws == 40_000 and worst_relative_mcse(run.summary) > 1e-4


def test_cli_draws_auto(cli):
    r = cli(
        "run",
        "chatgpt_inference",
        "--draws",
        "auto",
        "--rel-tol",
        "0.01",
        "--scenario",
        "base",
        "--seed",
        "4",
        "--json",
    )
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    worst = max(
        abs(x[f"mcse_{q}"] / x[q])
        for x in doc["results"]
        for q in QUANTILES
        if x[q] and x[f"mcse_{q}"] is not None
    )
    assert worst <= 0.01 and doc["draws"] > 1 << 14


# ----------------------------------------------------------------------------- exceedance
def test_exceedance_is_the_share_of_draws_above(chips_run):
    thresholds = [1e4, 1e5, 1e6]
    p = cd.exceedance(chips_run, "chips", thresholds)
    assert p.dims == ("scenario", "threshold") and list(p["threshold"].values) == thresholds
    x = chips_run["chips"].sel(scenario="base").values
    assert np.allclose(p.sel(scenario="base").values, [np.mean(x > t) for t in thresholds])
    assert np.all(np.diff(p.values, axis=-1) <= 0)


def test_exceedance_of_an_input_at_its_quantile(chips_run):
    # daily_active_users: 90% interval [1e7, 4.5e7] (Ping An 2023-02-28 and the study's reading)
    p = float(cd.exceedance(chips_run, "daily_active_users", 4.5e7).sel(scenario="base").values[0])
    n = chips_run.sizes["draw"]
    assert abs(p - 0.05) < 4 * np.sqrt(0.05 * 0.95 / n)


def test_exceedance_over_years():
    years = xr.DataArray(np.arange(3) + 2030, dims="year")
    y = xr.DataArray(np.random.default_rng(0).random((1, 1000)), dims=("scenario", "draw")) * (years - 2029)
    ds = xr.Dataset({"y": y}).assign_coords(scenario=["base"], year=years.values)
    p = cd.exceedance(ds, "y", [0.5])
    assert set(p.dims) == {"scenario", "year", "threshold"}
    assert np.all(np.diff(p.sel(scenario="base", threshold=0.5).values) > 0)  # grows with the years


def test_exceedance_of_an_unknown_variable(chips_run):
    with pytest.raises(cd.StudyError, match="no variable 'chipz' .did you mean 'chips'"):
        cd.exceedance(chips_run, "chipz", [1])


# ----------------------------------------------------------------------------- compare: ties
def _two_scenarios(a, b) -> xr.Dataset:
    values = np.stack([np.asarray(a, dtype=float), np.asarray(b, dtype=float)])
    da = xr.DataArray(values, dims=("scenario", "draw"), coords={"scenario": ["a", "b"]})
    return xr.Dataset({"chips": da.assign_attrs(role="output", unit="chip")})


def test_compare_counts_floating_point_noise_as_equal():
    # issue 20 item 16: b equal to a up to 1e-15 printed P(b > a) = 0.325
    a = np.random.default_rng(0).lognormal(size=1000)
    noise = np.random.default_rng(1).choice([-1e-15, 0.0, 1e-15], size=1000)
    row = compare(_two_scenarios(a, a * (1 + noise)), "a", "b").iloc[0]
    assert (row["p_b_greater"], row["p_b_equal"], row["p_b_less"]) == (0.0, 1.0, 0.0)


def test_compare_reports_exact_ties_beside_greater_and_less():
    # three draws of four tie exactly, one of four is 1% above: 0.75 equal, 0.25 greater
    a = np.tile([1.0, 2.0, 3.0, 4.0], 250)
    b = np.tile([1.0, 2.0, 3.0, 4.04], 250)
    row = compare(_two_scenarios(a, b), "a", "b").iloc[0]
    assert (row["p_b_greater"], row["p_b_equal"], row["p_b_less"]) == (0.25, 0.75, 0.0)
    row = compare(_two_scenarios(b, a), "a", "b").iloc[0]
    assert (row["p_b_greater"], row["p_b_equal"], row["p_b_less"]) == (0.0, 0.75, 0.25)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30),
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30),
)
def test_compare_shares_add_up_to_one(a, b):
    n = min(len(a), len(b))
    row = compare(_two_scenarios(a[:n], b[:n]), "a", "b").iloc[0]
    assert row["p_b_greater"] + row["p_b_equal"] + row["p_b_less"] == pytest.approx(1.0)
    greater = np.mean(
        [y > x and abs(y - x) > 1e-9 * max(abs(x), abs(y)) for x, y in zip(a[:n], b[:n], strict=True)]
    )
    assert row["p_b_greater"] == pytest.approx(greater)


@pytest.mark.parametrize("per_task", [1, 8])
def test_two_passes_make_their_tasks_as_they_go(per_task):
    """A streamed pass over a range of a billion blocks (``--draws`` up to 2**40) makes its tasks
    as the executor takes them: stopped after a few blocks, it has held almost nothing."""
    import tracemalloc

    from chipdemand.analysis.summaries import two_passes

    class Stop(Exception):
        pass

    class Grouping:  # a serial executor that gives each task per_task blocks
        blocks_per_task = per_task

        def map(self, fn, items):
            return map(fn, items)

    read_blocks = []

    def read(block):
        read_blocks.append(block)
        if len(read_blocks) > 20:
            raise Stop
        return {"x": np.arange(10.0) + block}

    tracemalloc.start()
    try:
        with pytest.raises(Stop):
            two_passes({"x": np.arange(10.0)}, 10**10, np.array([0.5]), range(10**9), read, Grouping())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert read_blocks == list(range(21))
    assert peak < 50 * 2**20  # a list of the tasks of 1e9 blocks alone would take gigabytes
