"""Every shipped study: sourced inputs, runs with finite ordered intervals, scenarios that act."""

import math

import numpy as np
import pytest

import chipdemand as cd
from chipdemand.analysis.replay import headline_output

STUDIES = [s["name"] for s in cd.list_studies()]
EXPECTED = {
    "sora_inference",
    "sora_training",
    "chatgpt_inference",
    "chatgpt_training",
    "training_compute_table",
    "ai_server_market",
    "china_compute_supply",
    "kimi_long_context",
}


def test_every_study_of_the_seed_reports_is_shipped():
    assert EXPECTED <= set(STUDIES)


@pytest.fixture(scope="module", params=STUDIES)
def run(request):
    study = cd.load_study(request.param)
    return study, cd.simulate(study, draws=20_000, seed=3)


def test_every_scenario_has_finite_ordered_intervals(run):
    study, res = run
    table = cd.summarize(res)
    assert set(table["scenario"]) == set(study.scenario_names)
    values = table[["low", "median", "high"]].to_numpy(dtype=float)
    assert np.all(np.isfinite(values))
    assert np.all(values[:, 0] <= values[:, 1]) and np.all(values[:, 1] <= values[:, 2])


def test_every_study_has_scenarios_and_sources(run):
    study, _ = run
    assert study.scenarios, "at least one scenario"
    for name, spec in study.inputs.items():
        assert len(spec.source) > 20, name
        assert spec.point is not None, name  # replay evaluates every input at its point
        if spec.corrected is not None:
            assert spec.audit, name
    for name, out in study.outputs.items():
        if out.reported is not None:
            assert out.source, name


def test_uncertain_studies_are_uncertain(run):
    """The base case of a study built on guesses has a real interval on its headline output."""
    study, res = run
    if study.name == "training_compute_table":
        pytest.skip("a replay of published parameter and token counts: points by design")
    head = res[headline_output(study)].sel(scenario="base").values
    assert np.quantile(head, 0.95) > np.quantile(head, 0.05)


# ----------------------------------------------------------------------------- scenarios that act
def _pair(study, a, b, var, draws=5_000):
    res = cd.simulate(study, draws=draws, seed=1, scenarios=[a, b])
    return res[var].sel(scenario=a).values, res[var].sel(scenario=b).values


def test_kimi_longer_context_costs_more_draw_by_draw():
    # Guosen 2024-03: 20万 characters (2023-10) then 200万 in testing (2024-03-18)
    base, full = _pair("kimi_long_context", "base", "full_window", "chips")
    assert np.all(full >= base * (1 - 1e-12))
    full, two_m = _pair("kimi_long_context", "full_window", "two_million_chars", "chips")
    # ten times the context: more than ten times the GPUs, as attention grows with its square
    assert np.all(two_m > 10 * full)
    _, share = _pair("kimi_long_context", "full_window", "two_million_chars", "attention_share")
    assert np.median(share) > 0.8


def test_kimi_mooncake_divides_by_its_speedup():
    # Minsheng 2024-08-17: Mooncake 在真实工作负载下使模型推理能力提升 75%
    base, moon = _pair("kimi_long_context", "base", "mooncake", "chips")
    assert moon == pytest.approx(base / 1.75, rel=1e-12)


def test_kimi_users_scale_linearly():
    # Guosen 2024-03: 日活从 23 年 10 月份的 10 万 (october_2023) to 300 多万 (base: 3-4 million)
    base, october = _pair("kimi_long_context", "base", "october_2023", "chips")
    res = cd.simulate("kimi_long_context", draws=5_000, seed=1, scenarios=["base"]).isel(scenario=0)
    assert october == pytest.approx(base * 1e5 / res["daily_active_users"].values, rel=1e-9)


def test_efficiency_2024_shortens_gpt3_training():
    # Minsheng 2024-08-17: MegaScale 55.2% MFU; DeepSeek-V2 节省了 42.5% 的训练成本
    base, efficient = _pair("chatgpt_training", "base", "efficiency_2024", "training_compute")
    assert efficient == pytest.approx(0.575 * base, rel=1e-12)
    base, efficient = _pair("chatgpt_training", "base", "efficiency_2024", "training_days")
    assert np.median(efficient) < 0.5 * np.median(base)


def test_the_slowest_growth_law_crosses_last_draw_by_draw():
    base, slow = _pair("china_compute_supply", "base", "large_scale_era", "crossing_year")
    assert np.all(slow >= base)
    assert np.mean(slow > base) > 0.3


def test_caitongs_framing_runs_out_in_2023():
    # Caitong 2023-02-12: GPT-3 (2020) 3.14e23 FLOP growing 750× every 2 years, five models, IDC
    # supply 2.68e20 FLOPS in 2022 growing 47.5% a year. Demand in 2022 is five 2022-models trained
    # within the year: 3.14e23 × 750 × 5 ÷ 3.156e7 s = 3.73e19 FLOPS, 14% of supply; the gap of
    # ×7.2 closes at 27.4 ÷ 1.475 = ×18.6 a year, so demand passes supply in 2023.
    demand = 3.14e23 * 750 * 5 / (365.25 * 86_400)
    years = math.log(2.68e20 / demand) / math.log(750**0.5 / 1.475)
    assert 0 < years < 1
    res = cd.simulate("china_compute_supply", draws=10, seed=0, scenarios=["as_printed"]).isel(scenario=0)
    assert np.all(res["crossing_year"].values == 2023)
    assert res["demand_to_supply"].sel(year=2022).values[0] == pytest.approx(demand / 2.68e20, rel=1e-9)


def test_sora_base_fixes_what_the_report_left_out():
    """Honest Sora estimates sit orders of magnitude above the printed table."""
    printed, base = _pair("sora_training", "as_printed", "base", "chips")
    assert np.quantile(base, 0.05) > 100 * printed[0]
    printed, base = _pair("sora_inference", "as_printed", "base", "chips")
    assert np.quantile(base, 0.05) > 10 * printed[0]


def test_chatgpt_scenarios_move_the_right_way():
    base, heavy = _pair("chatgpt_inference", "base", "heavy_use", "chips")
    assert np.mean(heavy > base) > 0.8
    res = cd.simulate("chatgpt_inference", draws=20_000, seed=2, scenarios=["base"]).isel(scenario=0)
    method = res["method"].values
    assert 0.65 < np.mean(method == 1) < 0.75  # 0.7 on the roofline
    # batching cuts the latency method's GPU time below the report's one-answer-per-GPU chain
    latency = method == 0
    per_query = res["gpu_hours_per_day"].values / res["queries_per_day"].values * 3600
    unbatched = (res["chars_per_answer"] * res["seconds_per_char"] * res["gpus_per_replica"]).values
    batch = res["batch_size"].values
    assert per_query[latency] == pytest.approx(unbatched[latency] / batch[latency], rel=1e-9)
