"""Replay: every number the reports print, from their own inputs; the audit's factors by hand."""

import json
import math
import tomllib

import numpy as np
import pytest

import chipdemand as cd
from chipdemand.analysis.replay import evaluate_point, headline_output, point_values, replay_study
from chipdemand.api import replay
from chipdemand.study.loader import priors_dir

# (study, output, reported value, largest |relative error| allowed)
REPRODUCED = [
    # Minsheng 2024-02-25, table 1 (推理端): 3B 模型 GPU 需求 (万) 1846; Patches 数量 (T) 82944;
    # 一分钟生成的视频有 92.16 万个 Patches; 抖音每日视频总时长 (亿小时) 15
    ("sora_inference", "chips", 1.846e7, 0.005),
    ("sora_inference", "patches_per_day", 8.2944e16, 1e-9),
    ("sora_inference", "patches_per_video_minute", 921_600, 1e-9),
    ("sora_inference", "video_hours_per_day", 1.5e9, 1e-9),
    # Minsheng 2024-02-25, table 1 (训练端): 一个月内训练完需要的芯片数量 231; 训练一年视频需要的
    # Tflops 4989389874; 每年 Youtube 上上传视频时长 (s) 262800000; 10s 视频 Gflops 19441; 帧数 60
    ("sora_training", "chips", 231, 0.005),
    ("sora_training", "training_flop", 4_989_389_874e12, 0.001),
    ("sora_training", "clips_per_year", 262_800_000, 1e-9),
    ("sora_training", "training_flop_per_clip", 19_441e9, 0.001),
    ("sora_training", "frames_per_clip", 60, 1e-9),
    # Ping An 2023-02-28, 自建IDC的推理成本估算: 2亿 queries, 388889 chip-hours, 16204 A100,
    # 2026 DGX A100, 4.03亿美元
    ("chatgpt_inference", "queries_per_day", 2e8, 1e-9),
    ("chatgpt_inference", "gpu_hours_per_day", 388_889, 0.005),
    ("chatgpt_inference", "chips", 16_204, 0.005),
    ("chatgpt_inference", "servers", 2_026, 1e-9),
    ("chatgpt_inference", "capex", 4.03e8, 0.005),
    # Ping An 2023-02-28, 自建IDC的训练成本估算: 3000 A100, 375 DGX A100, 7462.5万美元;
    # 训练GPT-3 175B的模型，需要的算力高达3640 PF-days
    ("chatgpt_training", "a100_equivalents", 3_000, 1e-9),
    ("chatgpt_training", "servers", 375, 1e-9),
    ("chatgpt_training", "capex", 7.4625e7, 1e-9),
    ("chatgpt_training", "training_compute", 3_640, 0.005),
    # Ping An 2023-02-28: 3614家 firms, 4.78 (4.03+0.75) 亿美元 per firm, 345.50亿美元 China,
    # 910.44亿美元 world
    ("ai_server_market", "china_ai_firms", 3_614, 0.005),
    ("ai_server_market", "spend_per_firm", 4.78e8, 1e-9),
    ("ai_server_market", "china_market", 3.455e10, 0.005),
    ("ai_server_market", "global_market", 9.1044e10, 0.005),
    # Caitong 2023-02-12: IDC 预计 2026 年将达 12.71×10^20 FLOPS
    ("china_compute_supply", "supply_2026", 12.71e20, 0.005),
    # Ping An 2023-02-28, table 各个模型所需计算量及参数量 (Brown et al. 2020, table D.1): GPT-3
    # 175B 3640, BERT-Base 1.89, BERT-Large 6.16, RoBERTa-Base 17.4, RoBERTa-Large 49.3, GPT-3
    # Small 2.60, Medium 7.42, Large 15.8, XL 27.5, 2.7B 55.2, 6.7B 139, 13B 268 PF-days
    ("training_compute_table", "compute_gpt3_175b", 3_640, 0.005),
    ("training_compute_table", "compute_bert_base", 1.89, 0.005),
    ("training_compute_table", "compute_bert_large", 6.16, 0.005),
    ("training_compute_table", "compute_roberta_base", 17.4, 0.005),
    ("training_compute_table", "compute_roberta_large", 49.3, 0.005),
    ("training_compute_table", "compute_gpt3_small", 2.60, 0.005),
    ("training_compute_table", "compute_gpt3_medium", 7.42, 0.005),
    ("training_compute_table", "compute_gpt3_large", 15.8, 0.005),
    ("training_compute_table", "compute_gpt3_xl", 27.5, 0.005),
    ("training_compute_table", "compute_gpt3_2_7b", 55.2, 0.005),
    ("training_compute_table", "compute_gpt3_6_7b", 139, 0.005),
    ("training_compute_table", "compute_gpt3_13b", 268, 0.005),
]


@pytest.fixture(scope="module")
def everything():
    return replay()


@pytest.fixture(scope="module")
def rows(everything):
    return everything.rows.set_index(["study", "variable"])


@pytest.fixture(scope="module")
def audit(everything):
    return everything.audit.set_index(["study", "input"])


@pytest.mark.parametrize(("study", "output", "reported", "tol"), REPRODUCED)
def test_the_reports_numbers_are_reproduced(rows, study, output, reported, tol):
    row = rows.loc[(study, output)]
    assert row["reported"] == pytest.approx(reported, rel=1e-12)  # the study file holds the report's value
    assert row["computed"] == pytest.approx(reported, rel=tol)
    assert row["rel_error"] == pytest.approx(row["computed"] / row["reported"] - 1, abs=1e-12)


@pytest.mark.parametrize(
    ("output", "params", "tokens", "reported"),
    # Ping An 2023-02-28, table 各个模型所需计算量及参数量: T5-Small 2.08 PF-days, 60M params,
    # 1,000B tokens; T5-Base 7.64/220; T5-Large 26.7/770; T5-3B 104/3,000; T5-11B 382/11,000
    [
        ("compute_t5_small", 60e6, 1e12, 2.08),
        ("compute_t5_base", 220e6, 1e12, 7.64),
        ("compute_t5_large", 770e6, 1e12, 26.7),
        ("compute_t5_3b", 3e9, 1e12, 104),
        ("compute_t5_11b", 11e9, 1e12, 382),
    ],
)
def test_t5_rows_deviate_from_6nd_by_the_encoder_decoder_half(rows, output, params, tokens, reported):
    """6·N·D counts every parameter; the table (Brown et al. 2020) counts half for an encoder-decoder."""
    row = rows.loc[("training_compute_table", output)]
    assert row["computed"] == pytest.approx(6 * params * tokens / 8.64e19, rel=1e-12)
    assert row["rel_error"] == pytest.approx(1.0, abs=0.005)  # twice the printed value


def test_the_cloud_cost_is_lambdas_arithmetic(rows):
    # Ping An 2023-02-28 quoting Lambda Labs: GPT-3 单次训练成本达到460万美元; Lambda's own chain is
    # 3.14e23 FLOP at 28 TFLOPS = 355 GPU-years at ~$1.5/h, i.e. $4.67M, printed as $4.6M
    row = rows.loc[("chatgpt_training", "cloud_cost")]
    assert row["computed"] == pytest.approx(6 * 174.6e9 * 300e9 / 28e12 / 3600 * 1.5, rel=1e-12)
    assert 0 < row["rel_error"] < 0.02


# ----------------------------------------------------------------------------- audit
# Factors by hand from SEED-FACTS.md §1-§4 (each: the headline output with one input corrected,
# all others as printed, ÷ the output as printed).
SORA_TRAINING = {
    "video_seconds_per_upload_hour": 3600 / 10,  # hours counted as 10 s clips: ×360
    "giga_per_tera": 1024 / 1000,  # ÷1024 for GFLOP → TFLOP: ×1.024
    "training_days": 1 / 30,  # 'a month' computed as one day: ×1/30
    "training_passes": 3,  # forward only; forward + backward ≈ 3 forward passes
    "flops_per_mac": 2,  # DiT's Gflops are multiply-accumulates
    "frame_rate": 60 / 6,  # 60 frames per 10 s in the table, 60 fps in the text
}
SORA_INFERENCE = {
    "watch_hours_per_user": 16 / 15,  # 15亿 hours in the table, 8亿 × 2 h = 16亿 in the text
    "denoising_steps": 50,  # one pass vs a 50-step sampler
    "guidance_passes": 2,  # classifier-free guidance
    "utilization": 1 / 0.8,  # 100% vs the report's own 80%
}
# ChatGPT: a batch of 16 answers shares one pass; a 175B model in FP16 (350 GB) plus one answer's
# KV cache ((1,000 prompt + 20 answer tokens) × 4.7 MB) on 40 GB A100s spans ⌈352.8/40⌉ = 9 GPUs
CHATGPT_INFERENCE = {
    "batch_size": 1 / 16,
    "memory_check": math.ceil((175e9 * 2 + 1020 * 4.7e6) / 40e9),
}
# Ping An: 10,000 V100 ÷ 3 (the text's 'up to 3×') = 3,334 A100 → 417 DGX, against 375
CHATGPT_TRAINING = {"v100_per_a100": math.ceil(10_000 / 3 / 8) / 375}


@pytest.mark.parametrize(
    ("study", "name", "factor"),
    [("sora_training", k, v) for k, v in SORA_TRAINING.items()]
    + [("sora_inference", k, v) for k, v in SORA_INFERENCE.items()]
    + [("chatgpt_inference", k, v) for k, v in CHATGPT_INFERENCE.items()]
    + [("chatgpt_training", k, v) for k, v in CHATGPT_TRAINING.items()],
)
def test_each_audit_factor_matches_the_hand_computation(audit, study, name, factor):
    row = audit.loc[(study, name)]
    assert row["factor"] == pytest.approx(factor, rel=1e-9)
    assert row["output_corrected"] / row["output_as_printed"] == pytest.approx(row["factor"], rel=1e-12)
    assert row["issue"] and name in row["note"]


@pytest.mark.parametrize(
    ("study", "factors"),
    [("sora_training", SORA_TRAINING), ("sora_inference", SORA_INFERENCE)],
)
def test_all_corrections_together_multiply(everything, study, factors):
    table = everything.audit
    row = table[(table["study"] == study) & (table["issue"] == "all of the above together")]
    assert len(row) == 1
    # each slip is a separate factor of the chain, so together they multiply
    assert row["factor"].iloc[0] == pytest.approx(np.prod(list(factors.values())), rel=1e-9)


def test_sora_training_with_the_hours_day_backward_and_1024_fixes_is_about_8500():
    # SEED-FACTS §2: with the hours, day and backward-pass fixes alone, about 8,500 A100 for a month
    study = cd.load_study("sora_training")
    values = point_values(study)
    for name in ("video_seconds_per_upload_hour", "training_days", "training_passes", "giga_per_tera"):
        values[name] = study.inputs[name].corrected
    chips = float(evaluate_point(study, values)["chips"])
    printed = 4_989_389_874e12 / (312e12 * 0.8 * 86_400)  # 231 A100
    assert chips == pytest.approx(printed * 360 / 30 * 3 * 1.024, rel=0.002)
    assert 8_300 < chips < 8_700


def test_audit_rows_name_the_headline_output(everything):
    audit = everything.audit
    assert set(audit["study"]) == {"sora_training", "sora_inference", "chatgpt_inference", "chatgpt_training"}
    assert set(audit.loc[audit["study"] == "chatgpt_training", "output"]) == {"capex"}
    assert set(audit.loc[audit["study"] != "chatgpt_training", "output"]) == {"chips"}
    assert np.all(np.isfinite(audit["factor"].astype(float)))


def test_every_study_with_a_reported_value_replays(everything):
    rows = everything.rows
    studies = [cd.load_study(s["name"]) for s in cd.list_studies()]
    reported = {
        s.name for s in studies if any(o.reported is not None and not o.dims for o in s.outputs.values())
    }
    assert reported >= {"chatgpt_inference", "chatgpt_training", "sora_training", "china_compute_supply"}
    assert set(rows["study"]) == reported
    assert np.all(np.isfinite(rows[["computed", "reported", "rel_error"]].to_numpy(dtype=float)))


@pytest.mark.parametrize(
    "study",
    ["sora_training", "sora_inference", "chatgpt_training", "ai_server_market", "china_compute_supply"],
)
def test_the_as_printed_scenario_is_the_replay(study):
    """A study's `as_printed` scenario (for `run`) and its inputs' points (for `replay`) agree."""
    loaded = cd.load_study(study)
    res = cd.simulate(loaded, draws=3, seed=0, scenarios=["as_printed"]).isel(scenario=0)
    rows, _ = replay_study(loaded)
    for _, row in rows.iterrows():
        assert res[row["variable"]].values == pytest.approx(row["computed"], rel=1e-12)


# ----------------------------------------------------------------------------- errors and CLI
def _doc(name):
    with open(priors_dir() / f"{name}.toml", "rb") as f:
        return tomllib.load(f)


def test_a_missing_point_is_an_error_naming_the_input(write_study):
    doc = _doc("sora_training")
    del doc["inputs"]["utilization"]["point"]
    path = write_study(doc)
    with pytest.raises(cd.StudyError, match=r"inputs\.utilization\.point: missing 'point'"):
        replay(str(path))


def test_an_unknown_headline_is_an_error(write_study):
    doc = _doc("sora_training")
    doc["study"]["headline"] = "chip"
    with pytest.raises(cd.StudyError, match=r"study\.headline: .*did you mean 'chips'"):
        headline_output(cd.load_study(write_study(doc)))


def test_replay_json_shape(cli):
    r = cli("replay", "sora_training", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert {"study", "variable", "unit", "computed", "reported", "rel_error"} <= set(doc["rows"][0])
    assert {"study", "issue", "factor", "note"} <= set(doc["audit"][0])
    assert {a["input"] for a in doc["audit"]} >= set(SORA_TRAINING)


def test_replay_table_is_readable(cli):
    r = cli("replay", "chatgpt_inference")
    assert r.code == 0, r.err
    assert "16,204" in r.out and "Audit" in r.out and "×9" in r.out


def test_replay_of_an_unknown_study_exits_2(cli):
    r = cli("replay", "sora_trainin")
    assert r.code == 2 and "did you mean 'sora_training'" in r.err
