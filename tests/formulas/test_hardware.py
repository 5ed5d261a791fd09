"""Hardware formulas against the report chains (Ping An, Minsheng) and published figures."""

import numpy as np
import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipdemand.formulas import diffusion, hardware, llm


def test_ping_an_inference_fleet():
    # Ping An Securities 2023-02-28, 自建IDC的推理成本估算: 388,889 GPU-hours a day → 16,204 A100
    # busy around the clock → ⌈16,204 / 8⌉ = 2,026 DGX A100 × $199,000 = $4.03亿.
    gpu_seconds = llm.latency_gpu_seconds(2e8, 20, 0.35)
    chips = hardware.chips_busy(gpu_seconds)
    assert chips == pytest.approx(16_204, abs=0.5)  # the report prints whole chips
    servers = hardware.servers_needed(chips, 8)
    assert servers == 2_026
    assert hardware.servers_needed(16_204, 8) == 2_026  # from the printed, rounded chip count
    assert hardware.capex(servers, 199_000) == pytest.approx(4.03e8, rel=0.001)  # 4.03亿 printed
    assert hardware.servers_needed(16_204, 8, round_up=False) == 2025.5


def test_ping_an_training_cluster_conversion():
    # Ping An 2023-02-28: Microsoft's 10,000 V100 ≈ "3,000 A100" → 375 DGX A100 × $199,000
    # = $74.625M ("7462.5万美元"). By dense FP16 tensor peaks (NVIDIA datasheets: V100 125,
    # A100 312 TFLOPS) the same fleet is 4,006 A100: the report's 3,000 implies a factor 0.30,
    # not 125/312 = 0.40 (a 25% smaller cluster than a peak conversion gives).
    by_peak = hardware.convert_chips_by_peak(10_000, 125e12, 312e12)
    assert by_peak == pytest.approx(4_006.4, abs=0.1)
    assert 3_000 / 10_000 / (125 / 312) == pytest.approx(0.749, abs=0.001)
    servers = hardware.servers_needed(3_000, 8)
    assert servers == 375
    assert hardware.capex(servers, 199_000) == 74_625_000
    assert hardware.servers_needed(by_peak, 8) == 501


def test_minsheng_sora_inference_chips():
    # Minsheng Securities 2024-02-25, table 1: 8.2944e16 patches a day × 2 × 3e9 FLOP on A100s
    # at 312 TFLOPS with no utilization factor = 1846万 A100 (1.846e7).
    flops_per_day = diffusion.patch_inference_flops(8.2944e16, 3e9)
    chips = hardware.chips_needed(flops_per_day, 312e12, 1.0, 86_400)
    assert chips == pytest.approx(1.846e7, rel=0.0005)  # printed to 4 figures
    # With 8e8 users × 2 h = 1.6e9 h (the report's own text) it would be 1.969e7.
    assert hardware.chips_needed(flops_per_day * 1.6 / 1.5, 312e12) == pytest.approx(1.969e7, rel=0.0005)


def test_minsheng_sora_training_chips():
    # Minsheng 2024-02-25, table 1: 4,989,389,874 TFLOPs on A100 (312 TFLOPS, 80% utilization)
    # divided by 86,400 s (one day, labelled "a month") = 231 chips.
    chips = hardware.chips_needed(4_989_389_874e12, 312e12, 0.8, 86_400)
    assert chips == pytest.approx(231, abs=0.5)
    # Over the month the label promises (30 days), 7.7 chips.
    assert hardware.chips_needed(4_989_389_874e12, 312e12, 0.8, 30 * 86_400) == pytest.approx(7.71, abs=0.01)


def test_gpt3_on_v100_cloud_cost():
    # Lambda Labs (C. Li, "OpenAI's GPT-3 Language Model: A Technical Overview", 2020-06-03),
    # quoted by Ping An 2023-02-28: 3.14e23 FLOP at the V100's 28 TFLOPS take 355 GPU-years,
    # $4.6M at $1.50 per GPU-hour.
    hours = hardware.gpu_hours(3.14e23, 28e12)
    assert hours / (365 * 24) == pytest.approx(355, abs=1)
    assert hours * 1.5 == pytest.approx(4.6e6, rel=0.02)  # $4.67M, printed as "$4.6M"


def test_gpt3_on_1024_a100_takes_34_days():
    # Narayanan et al. 2021 (Megatron-LM, SC21), eq. 4: time ≈ 8·T·P / (n·X) with activation
    # recomputation; GPT-3 (P = 175e9, T = 300e9) on n = 1,024 A100 at X = 140 TFLOP/s each
    # "would take about 34 days".
    seconds = hardware.compute_seconds(8 * 300e9 * 175e9, 1024, 140e12)
    assert seconds / 86_400 == pytest.approx(34, abs=0.5)


def test_megascale_style_mfu():
    # Chowdhery et al. 2022 (PaLM), appendix B: 238.3K tokens/s × 3.2777e12 FLOP/token on 6,144
    # TPU v4 of 275 TFLOP/s = 46.2% MFU (the per-token FLOPs are replayed in test_formulas_llm).
    mfu = hardware.model_flops_utilization(238.3e3, 3.2777e12, 6144, 275e12)
    assert mfu == pytest.approx(0.462, abs=0.0006)


def test_provisioning_for_peak_and_utilization():
    # Hand calculation: 16,204 A100 of average load, sized for a 1.5× peak at 70% busy.
    assert hardware.provisioned_chips(16_204, 1.5, 0.7) == pytest.approx(34_722.9, abs=0.1)
    assert hardware.provisioned_chips(16_204) == 16_204


def test_servers_ignore_floating_point_noise():
    # 24.000000000000004 chips is 24 chips: 3 servers of 8, not 4.
    assert hardware.servers_needed(0.1 * 3 * 80, 8) == 3
    assert hardware.servers_needed(np.array([0.0, 1.0, 8.0, 9.0]), 8).tolist() == [0, 1, 1, 2]


# Chip counts from 0 and 1e-12 up: below ~1e-300 chips ÷ chips per server underflows to 0.
@given(st.one_of(st.just(0.0), st.floats(1e-12, 1e9)), st.integers(1, 64))
def test_servers_hold_all_chips(chips, chips_per_server):
    # Property: enough servers for every chip (up to the documented 1e-9 tolerance), and one
    # server fewer would not be enough.
    servers = hardware.servers_needed(chips, chips_per_server)
    assert servers == np.round(servers)
    assert servers * chips_per_server >= chips * (1 - 1e-9)
    assert (servers - 1) * chips_per_server < chips or servers == 0


@given(st.floats(1e15, 1e30), st.floats(1e12, 1e16), st.floats(0.05, 1.0))
def test_chips_needed_deliver_the_budget(flops, peak, utilization):
    # Property: the chips found, running a day at that utilization, deliver exactly the budget.
    chips = hardware.chips_needed(flops, peak, utilization)
    assert chips * peak * utilization * 86_400 == pytest.approx(flops, rel=1e-12)
    assert hardware.gpu_hours(flops, peak, utilization) == pytest.approx(chips * 24, rel=1e-12)


def test_broadcasting():
    rng = np.random.default_rng(1)
    flops = rng.uniform(1e24, 1e27, size=(4, 1))
    peaks = np.array([125e12, 312e12, 989.4e12])
    chips = hardware.chips_needed(flops, peaks, 0.5)
    assert chips.shape == (4, 3)
    assert chips[3, 1] == pytest.approx(hardware.chips_needed(float(flops[3, 0]), 312e12, 0.5))
    servers = hardware.servers_needed(chips, 8)
    assert servers.shape == (4, 3) and np.all(servers * 8 >= chips)
    assert hardware.capex(servers, np.array([199e3, 300e3, 400e3])).shape == (4, 3)
    assert hardware.convert_chips_by_peak(np.arange(5.0), 125e12, 312e12).shape == (5,)
    assert isinstance(hardware.chips_busy(86_400.0), float)
    assert np.ndim(hardware.servers_needed(17.0, 8)) == 0


@pytest.fixture(scope="module")
def ureg():
    ureg = pint.UnitRegistry()
    ureg.define("FLOP = [compute]")
    ureg.define("USD = [currency]")
    for count in ("chip", "server"):
        ureg.define(f"{count} = 1")
    return ureg


def test_units(ureg):
    q = ureg.Quantity
    # A rate per day and seconds per day, or an amount and a period: both come out pure numbers.
    chips = hardware.chips_needed(q(4.97664e26, "FLOP/day"), q(312, "teraFLOP/s"), 1, q(86_400, "s/day"))
    assert chips.to("dimensionless").magnitude == pytest.approx(1.846e7, rel=0.0005)
    chips = hardware.chips_needed(q(4.97664e26, "FLOP"), q(312, "teraFLOP/s"), 1.0, q(1, "day"))
    assert chips.to("dimensionless").magnitude == pytest.approx(1.846e7, rel=0.0005)
    with pytest.raises(pint.DimensionalityError):  # a period given in metres
        hardware.chips_needed(q(1, "FLOP"), q(1, "FLOP/s"), 1.0, q(1, "m")).to("dimensionless")
    busy = hardware.chips_busy(q(1.4e9, "s/day"), q(86_400, "s/day"))
    assert busy.to("dimensionless").magnitude == pytest.approx(16_203.7, abs=0.1)
    spend = hardware.capex(q(2026, "server"), q(199_000, "USD/server"))
    assert spend.to("USD").magnitude == pytest.approx(4.03174e8)
    seconds = hardware.compute_seconds(q(3.14e23, "FLOP"), q(1024, "chip"), q(140, "teraFLOP/s"))
    assert seconds.to("day").magnitude == pytest.approx(25.35, abs=0.01)
    # gpu_hours divides by a unit constant (3,600 s/h); hand check:
    assert hardware.gpu_hours(3_600e12, 1e12) == q(3_600e12 / 1e12, "s").to("h").magnitude
