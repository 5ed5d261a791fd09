"""Each model against numbers worked by hand: the branches of its structural choices, its limits."""

import math

import numpy as np
import pytest

from chipdemand.formulas import market
from chipdemand.formulas.market import crossing_year
from chipdemand.models import get_model


def evaluate(model, **values):
    """Outputs of ``model`` for scalar (or equal-length array) inputs."""
    n = max(np.size(v) for v in values.values())
    arrays = {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for k, v in values.items()}
    return get_model(model).evaluate(arrays)


# ----------------------------------------------------------------------------- llm_inference
CHAT = dict(
    daily_active_users=2e7,
    questions_per_user=10,
    chars_per_answer=20,
    method=0,
    seconds_per_char=0.35,
    batch_size=1,
    memory_check=0,
    model_parameters=175e9,
    bytes_per_parameter=2,
    gpu_memory=40e9,
    memory_bandwidth=1.555e12,
    peak_flops=312e12,
    kernel_efficiency=0.5,
    tokens_per_char=1.0,
    prompt_tokens=0.0,
    kv_bytes_per_token=0.0,
    peak_to_average=1.0,
    utilization=1.0,
    gpus_per_server=8,
    server_price=199_000,
)


def test_latency_method_is_the_ping_an_chain():
    # Ping An 2023-02-28: 2e8 queries × 20 characters × 0.35 s ÷ 3600 = 388,889 GPU-hours; ÷ 24
    out = evaluate("llm_inference", **CHAT)
    assert out["gpu_hours_per_day"][0] == pytest.approx(2e8 * 20 * 0.35 / 3600, rel=1e-12)
    assert out["chips"][0] == pytest.approx(2e8 * 20 * 0.35 / 86_400, rel=1e-12)
    assert out["servers"][0] == 2026


def test_latency_method_with_batching_and_a_replica_sized_by_memory():
    out = evaluate("llm_inference", **{**CHAT, "batch_size": 16, "memory_check": 1})
    # 350 GB of weights on 40 GB GPUs: 9 GPUs hold one replica, shared by 16 answers
    assert out["gpus_per_replica"][0] == 9
    assert out["gpu_hours_per_day"][0] == pytest.approx(2e8 * 20 * 0.35 * 9 / 16 / 3600, rel=1e-12)


def test_roofline_is_memory_bound_at_small_batch_and_compute_bound_at_large():
    roof = {**CHAT, "method": 1, "prompt_tokens": 0.0, "kv_bytes_per_token": 0.0}
    small = evaluate("llm_inference", **{**roof, "batch_size": 8})
    # memory-bound: each step reads 350 GB and yields 8 tokens: 8 × 1.555e12 ÷ 350e9 = 35.5
    # tokens/s per GPU at full efficiency, 17.8 at 0.5
    rate = 0.5 * 8 * 1.555e12 / 350e9
    assert small["gpu_hours_per_day"][0] == pytest.approx(2e8 * 20 / rate / 3600, rel=1e-12)
    large = evaluate("llm_inference", **{**roof, "batch_size": 1e4})
    # compute-bound: 2 × 175e9 FLOPs per token at 312e12 × 0.5
    rate = 0.5 * 312e12 / (2 * 175e9)
    assert large["gpu_hours_per_day"][0] == pytest.approx(2e8 * 20 / rate / 3600, rel=1e-12)


def test_roofline_prefill_is_compute_bound_and_the_kv_cache_slows_decoding():
    roof = {**CHAT, "method": 1, "batch_size": 16.0}
    base = evaluate("llm_inference", **roof)["gpu_hours_per_day"][0]
    prompt = evaluate("llm_inference", **{**roof, "prompt_tokens": 1000.0})["gpu_hours_per_day"][0]
    # 1,000 prompt tokens × 2N FLOPs at half of peak, per query
    assert prompt - base == pytest.approx(2e8 * 1000 * 2 * 175e9 / (0.5 * 312e12) / 3600, rel=1e-9)
    cached = evaluate("llm_inference", **{**roof, "prompt_tokens": 1000.0, "kv_bytes_per_token": 4.7e6})
    assert cached["gpu_hours_per_day"][0] > prompt


# ----------------------------------------------------------------------------- video diffusion
SORA = dict(
    daily_active_users=8e8,
    watch_hours_per_user=1.875,
    generated_share=1.0,
    frame_width=1920,
    frame_height=1280,
    patch_width=60,
    patch_height=80,
    latent_downsample=1,
    frame_rate=30,
    temporal_downsample=1,
    model_parameters=3e9,
    attention=0,
    hidden_size=1152,
    clip_seconds=10,
    denoising_steps=1,
    guidance_passes=1,
    peak_flops=312e12,
    utilization=1.0,
    peak_to_average=1.0,
)


def test_sora_inference_as_printed():
    # Minsheng 2024-02-25: 1.5e9 h × 60 × 921,600 patches × 2 × 3e9 ÷ (312e12 × 86,400) = 1846万
    out = evaluate("video_generation_inference", **SORA)
    assert out["patches_per_day"][0] == 1.5e9 * 60 * 921_600
    assert out["chips"][0] == pytest.approx(1.5e9 * 60 * 921_600 * 2 * 3e9 / (312e12 * 86_400), rel=1e-12)


def test_sora_latent_patches_and_attention():
    latent = {**SORA, "patch_width": 2, "patch_height": 2, "latent_downsample": 8, "temporal_downsample": 4}
    out = evaluate("video_generation_inference", **latent)
    per_frame = (1920 / 16) * (1280 / 16)  # 9,600 tokens per latent frame
    assert out["patches_per_video_minute"][0] == per_frame * 30 * 60 / 4
    plain = out["flop_per_day"][0]
    attended = evaluate("video_generation_inference", **{**latent, "attention": 1})["flop_per_day"][0]
    # a DiT over a 10 s clip of T tokens costs 2N + 4·L·T·d per token, with L = N ÷ (12·d²)
    tokens = per_frame * 30 * 10 / 4
    layers = 3e9 / (12 * 1152**2)
    assert attended / plain == pytest.approx((2 * 3e9 + 4 * layers * tokens * 1152) / (2 * 3e9), rel=1e-9)


def test_sora_steps_guidance_utilization_and_peak_multiply():
    base = evaluate("video_generation_inference", **SORA)["chips"][0]
    more = evaluate(
        "video_generation_inference",
        **{**SORA, "denoising_steps": 50, "guidance_passes": 2, "utilization": 0.4, "peak_to_average": 1.8},
    )["chips"][0]
    assert more / base == pytest.approx(50 * 2 / 0.4 * 1.8, rel=1e-12)


def test_sora_training_table_and_its_fixes():
    printed = dict(
        upload_hours_per_minute=500,
        video_seconds_per_upload_hour=10,
        clip_seconds=10,
        frame_rate=6,
        temporal_downsample=1,
        forward_cost_per_frame=324e9,
        flops_per_mac=1,
        training_passes=1,
        epochs=1,
        giga_per_tera=1024,
        peak_flops=312e12,
        utilization=0.8,
        training_days=1,
    )
    out = evaluate("video_diffusion_training", **printed)
    # Minsheng 2024-02-25, table 1: 262,800,000 × 19,440 GFLOP ÷ 1024 → TFLOP; ÷ (312 × 0.8 × 86,400)
    assert out["training_flop"][0] == pytest.approx(262.8e6 * 19_440e9 * 1000 / 1024, rel=1e-12)
    assert out["chips"][0] == pytest.approx(262.8e6 * 19_440 / 1024 / (312 * 0.8 * 86_400), rel=1e-12)
    fixes = {
        "video_seconds_per_upload_hour": 3600,
        "frame_rate": 60,
        "flops_per_mac": 2,
        "training_passes": 3,
        "giga_per_tera": 1000,
        "training_days": 30,
    }
    fixed = evaluate("video_diffusion_training", **{**printed, **fixes})
    assert fixed["clips_per_year"][0] == 262.8e6 * 360
    assert fixed["chips"][0] / out["chips"][0] == pytest.approx(360 * 10 * 2 * 3 * 1.024 / 30, rel=1e-12)


# ----------------------------------------------------------------------------- training
def test_gpt3_on_the_rebuilt_cluster():
    out = evaluate(
        "llm_training_cluster",
        cluster_gpus=10_000,
        v100_per_a100=10 / 3,
        gpus_per_server=8,
        server_price=199_000,
        model_parameters=174.6e9,
        training_tokens=300e9,
        training_cost_factor=1.0,
        peak_flops=312e12,
        utilization=0.213,
        cloud_sustained_flops=28e12,
        cloud_price_per_gpu_hour=1.5,
    )
    flop = 6 * 174.6e9 * 300e9  # 3.14e23 (Brown et al. 2020)
    assert out["training_compute"][0] == pytest.approx(flop / 8.64e19, rel=1e-12)
    assert out["training_days"][0] == pytest.approx(flop / (3000 * 312e12 * 0.213) / 86_400, rel=1e-12)
    assert out["capex"][0] == 375 * 199_000


def test_the_encoder_decoder_share_moves_only_t5_rows():
    from chipdemand.models.llm_training import TABLE_ROWS

    rows = {f"params_{r}": 1e9 for r in TABLE_ROWS} | {f"tokens_{r}": 1e11 for r in TABLE_ROWS}
    full = evaluate("training_compute_table", flops_per_param_token=6, encoder_decoder_share=1.0, **rows)
    half = evaluate("training_compute_table", flops_per_param_token=6, encoder_decoder_share=0.5, **rows)
    for r in TABLE_ROWS:
        expected = 0.5 if r.startswith("t5_") else 1.0
        assert half[f"compute_{r}"][0] / full[f"compute_{r}"][0] == pytest.approx(expected, rel=1e-12)
        assert full[f"compute_{r}"][0] == pytest.approx(6e20 / 8.64e19, rel=1e-12)


# ----------------------------------------------------------------------------- market and supply
def test_ai_server_market_chain():
    # Ping An 2023-02-28: 1,048 ÷ 0.29 × 2% × $4.78亿 = $345.50亿; ÷ 37.95% = $910.44亿
    out = evaluate(
        "ai_server_market",
        beijing_ai_firms=1048,
        beijing_share_of_firms=0.29,
        self_build_share=0.02,
        inference_capex_per_firm=4.03e8,
        training_capex_per_firm=0.75e8,
        china_share_of_global=0.3795,
    )
    assert out["china_market"][0] == pytest.approx(1048 / 0.29 * 0.02 * 4.78e8, rel=1e-12)
    assert out["global_market"][0] == pytest.approx(out["china_market"][0] / 0.3795, rel=1e-12)


def test_crossing_year_agrees_with_scanning_the_years():
    rng = np.random.default_rng(7)
    n = 2_000
    d0 = 10 ** rng.uniform(17, 22, n)
    s0 = 10 ** rng.uniform(19, 21, n)
    gd = rng.uniform(1.2, 30, n)
    gs = rng.uniform(1.1, 1.8, n)
    years = np.arange(2022, 2101, dtype=float)
    demand = d0[:, None] * gd[:, None] ** (years - 2022)
    supply = s0[:, None] * gs[:, None] ** (years - 2022)
    scanned = market.first_crossing(demand, supply, years, never=2100.0)
    closed = crossing_year(d0, gd, s0, gs, 2022.0)
    # equal but for ties within rounding of an exact crossing (none in random draws)
    assert np.mean(closed == scanned) > 0.999
    assert np.all(np.abs(closed - scanned) <= 1)


def test_crossing_year_edges():
    now = crossing_year(np.array([2.0]), np.array([2.0]), np.array([1.0]), np.array([1.5]), 2022.0)
    assert now[0] == 2022  # demand already above supply
    never = crossing_year(np.array([1.0]), np.array([1.2]), np.array([2.0]), np.array([1.5]), 2022.0)
    assert never[0] == 2100  # demand grows slower and starts lower: the horizon


def test_supply_projection_and_growth_laws():
    out = evaluate(
        "compute_supply_race",
        supply_2022=2.68e20,
        supply_cagr=0.475,
        training_share_of_supply=1.0,
        anchor_training_flop=3.14e23,
        anchor_year=2020,
        growth_law=[0, 1, 2],
        models_per_year=5,
        utilization=1.0,
    )
    # Caitong 2023-02-12: 2.68e20 FLOPS × 1.475^4 = 12.69e20 (IDC prints 12.71e20, CAGR 47.5%)
    assert out["supply_2026"][0] == pytest.approx(2.68e20 * 1.475**4, rel=1e-12)
    demand = out["training_demand"]
    # year-on-year growth of demand: 750^(1/2), 2^(12/3.43), 2^(12/9.9)
    for law, factor in enumerate([math.sqrt(750), 2 ** (12 / 3.43), 2 ** (12 / 9.9)]):
        assert demand[law, 1] / demand[law, 0] == pytest.approx(factor, rel=1e-12)
    assert list(out["crossing_year"]) == sorted(out["crossing_year"])  # slower law, later crossing


# ----------------------------------------------------------------------------- long context
KIMI = dict(
    daily_active_users=3e6,
    queries_per_user=6,
    context_chars=2e5,
    answer_chars=500,
    tokens_per_char=1.0,
    model_parameters=1e11,
    n_layers=64,
    bytes_per_parameter=2,
    kv_bytes_per_token=2.5e5,
    peak_flops=312e12,
    memory_bandwidth=2.039e12,
    gpu_memory=80e9,
    gpus_per_replica=8,
    batch_size=16,
    kernel_efficiency=0.6,
    serving_speedup=1.0,
    peak_to_average=1.0,
    utilization=1.0,
)


def test_prefill_attention_grows_with_the_square_of_the_context():
    out = evaluate("long_context_inference", **{**KIMI, "answer_chars": 0.0})
    width = math.sqrt(1e11 / (12 * 64))
    context = 2e5
    # reading C tokens: 2·N·C + 2·L·d·C² (causal attention, 4·L·t·d FLOPs at position t:
    # q·k and scores × values, t·d multiply-accumulates each, per layer)
    attention = 2 * 64 * width * context**2
    assert out["flop_per_query"][0] == pytest.approx(2e11 * context + attention, rel=1e-12)
    assert out["attention_share"][0] == pytest.approx(attention / (2e11 * context + attention), rel=1e-12)


def test_the_kv_cache_caps_the_batch():
    out = evaluate("long_context_inference", **KIMI)
    # 8 × 80 GB - 200 GB of weights = 440 GB for caches of (2e5 + 250) tokens × 0.25 MB = 50 GB each
    assert out["answers_per_replica"][0] == pytest.approx(440e9 / (200_250 * 2.5e5), rel=1e-12)
    short = evaluate("long_context_inference", **{**KIMI, "context_chars": 2e3})
    assert short["answers_per_replica"][0] == 16  # the batch, when memory allows
