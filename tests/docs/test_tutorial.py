"""docs/tutorial.py runs top to bottom, headless, and its answers are what its chains imply."""

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import chipdemand as cd

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.py"

# NVIDIA HGX B200 and GB200 NVL72 specifications (2025), per GPU: up to 1,000 W and 1,200 W
B200_TDP, GB200_TDP = 1000.0, 1200.0


@pytest.fixture(scope="module")
def tutorial(run_chapter):
    """The tutorial's globals after running it as a script in a temporary folder."""
    return run_chapter(TUTORIAL)


def test_it_runs_in_well_under_a_minute(tutorial):
    assert tutorial["_seconds"] < 60


def test_the_run_summary_is_the_median_of_its_draws(tutorial):
    run = tutorial["run"]
    chips = run.dataset["chips"].sel(scenario="base").values
    assert tutorial["chips_median"] == pytest.approx(float(np.median(chips)), rel=1e-12)
    low, high = np.quantile(chips, [0.05, 0.95])
    assert tutorial["chips_low"] == pytest.approx(low, rel=1e-12)
    assert tutorial["chips_high"] == pytest.approx(high, rel=1e-12)
    assert run.draws == tutorial["DRAWS"] == 20_000


def test_heavy_use_scales_the_fleet_by_the_questions_asked(tutorial):
    # chips are proportional to questions per user, and heavy_use redraws only that input on
    # the same random stream: the ratio of chips is the ratio of questions, draw by draw
    res = tutorial["run"].dataset
    questions = res["questions_per_user"]
    ratio = (questions.sel(scenario="heavy_use") / questions.sel(scenario="base")).values
    assert tutorial["heavy_use_ratio"] == pytest.approx(float(np.median(ratio)), rel=1e-9)
    # lognormal 90% intervals [4, 20] and [10, 40] at the same quantile: the ratio's median is
    # the ratio of the medians, sqrt(10 × 40) / sqrt(4 × 20) = 2.236
    assert tutorial["heavy_use_ratio"] == pytest.approx(math.sqrt(400 / 80), rel=0.02)
    assert tutorial["same"].table.equals(tutorial["comparison"].table)  # a run, or its study again


def test_the_top_driver_is_the_largest_rank_correlation(tutorial):
    res = tutorial["run"].dataset.sel(scenario="base")
    top = tutorial["top_driver"]
    rho = stats.spearmanr(res[top].values, res["chips"].values).statistic
    assert abs(rho) == pytest.approx(tutorial["ranking"].table["index"].iloc[0], rel=1e-9)
    assert top in {"model_parameters", "kv_bytes_per_token"}  # drawn together: equal rho


def test_the_figures_are_png_files(tutorial):
    out = tutorial["out"]
    assert out.parent == tutorial["_folder"]
    for name in ("density.png", "exceedance.png", "tornado.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, name


def test_the_elicited_prior_is_the_lognormal_through_the_three_percentiles(tutorial):
    spec = tutorial["lognormal"].spec
    # p50 = exp(mu); p95 / p50 = exp(1.6449 sigma)
    assert spec["mu"] == pytest.approx(math.log(2.0e7), rel=1e-9)
    assert spec["sigma"] == pytest.approx(math.log(2.0) / stats.norm.ppf(0.95), rel=1e-6)
    assert tutorial["fits"].best is not None


def test_the_fleet_energy_is_its_chain_draw_by_draw(tutorial):
    res = tutorial["fleet"].dataset.sel(scenario="base")
    # a structural choice is kept as the index of its label among attrs["choices"]
    labels = res["system"].attrs["choices"].split("|")
    hgx = res["system"].values == labels.index("hgx_b200")
    assert 0.35 < hgx.mean() < 0.45  # probability 0.4
    tdp = np.where(hgx, B200_TDP, GB200_TDP)
    overhead = np.where(hgx, res["overhead_hgx"], res["overhead_nvl72"])
    watts = 1e6 * tdp * res["average_draw_share"].values * (1 + overhead) * res["pue"].values
    np.testing.assert_allclose(res["it_power"].values, watts / res["pue"].values / 1e6, rtol=1e-12)
    np.testing.assert_allclose(res["facility_power"].values, watts / 1e6, rtol=1e-12)
    twh = watts * 8760 / 1e12  # W × 8,760 h = Wh; ÷ 1e12 for TWh
    np.testing.assert_allclose(res["annual_energy"].values, twh, rtol=1e-12)
    assert tutorial["fleet_twh"] == pytest.approx(float(np.median(twh)), rel=1e-12)
    # a million GPUs at 1-1.2 kW, 0.5-0.9 of it drawn, +25-95% overhead, PUE 1.08-1.35
    assert 5 < tutorial["fleet_twh"] < 25 and 0.5 < tutorial["fleet_gw"] < 3


def test_the_study_written_in_the_tutorial_is_a_study_file(tutorial):
    path = tutorial["path"]
    study = cd.load_study(path)
    assert study.name == "fleet_2026" and study.scenario_names == ["base", "all_nvl72"]
    refs = study.outputs["power_per_gpu"].references
    assert len(refs) == 1 and refs[0].value == pytest.approx(150 / 83, rel=1e-3)  # Meta: 150 MW, 83,000 GB200


def test_the_references_step_is_guarded(tutorial):
    has = any(spec.references for spec in cd.load_study("chatgpt_inference").outputs.values())
    assert tutorial["has_references"] is has
    assert ("checked" in tutorial) is has
