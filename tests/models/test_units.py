"""Units per model: writing an input in another unit (ms for s, GB for MB...) changes no output.

Each case rewrites one input of a shipped study in another unit, scaling every number written
for it (its distribution, point, corrected value and scenario overrides), and checks that the
run and the replay are unchanged: the conversion happens once, at load time, for every model.
"""

import tomllib

import numpy as np
import pytest

import chipdemand as cd
from chipdemand.analysis.replay import replay_study
from chipdemand.models import MODELS
from chipdemand.study.loader import priors_dir
from chipdemand.units import conversion_factor

SCALED_KEYS = ("value", "point", "corrected", "min", "mode", "max", "low", "high", "lower", "upper", "median")

# a study that adds formulas to a Python model (a hybrid: power and energy, issue 12) runs
# "MODEL+formulas", the model's units unchanged
CASES = [  # (study, model, input, new unit)
    ("chatgpt_inference", "llm_inference+formulas", "seconds_per_char", "s/char"),  # written in ms
    ("chatgpt_inference", "llm_inference+formulas", "batch_size", "kquery"),
    ("chatgpt_inference", "llm_inference+formulas", "kv_bytes_per_token", "kB/token"),
    # sora_inference is a formula study: its "model" is its own formulas, which keep each input
    # in the unit it is written in
    ("sora_inference", "sora_inference", "watch_hours_per_user", "minute/user/day"),
    ("sora_inference", "sora_inference", "peak_flops", "PFLOPS"),
    ("sora_training", "video_diffusion_training+formulas", "forward_cost_per_frame", "TFLOP/frame"),
    ("sora_training", "video_diffusion_training+formulas", "video_seconds_per_upload_hour", "minute"),
    ("sora_training", "video_diffusion_training+formulas", "training_days", "hour"),
    ("chatgpt_training", "llm_training_cluster+formulas", "cloud_price_per_gpu_hour", "USD/day"),
    ("chatgpt_training", "llm_training_cluster+formulas", "cloud_sustained_flops", "PFLOPS"),
    ("training_compute_table", "training_compute_table", "params_gpt3_175b", "parameter"),
    ("training_compute_table", "training_compute_table", "tokens_t5_small", "Mtoken"),
    ("ai_server_market", "ai_server_market", "inference_capex_per_firm", "MUSD/firm"),
    ("china_compute_supply", "compute_supply_race", "supply_2022", "EFLOPS"),
    ("china_compute_supply", "compute_supply_race", "anchor_training_flop", "PF_day"),
    ("kimi_long_context", "long_context_inference+formulas", "context_chars", "kchar/query"),
    ("kimi_long_context", "long_context_inference+formulas", "kv_bytes_per_token", "GB/token"),
    ("chatgpt_inference_2025", "chatgpt_inference_2025", "kv_bytes_per_token", "kB/token"),
    ("chatgpt_inference_2025", "chatgpt_inference_2025", "h100_rental_price", "USD/GPU/minute"),
    ("frontier_training", "frontier_training", "training_tokens", "Ttoken"),
    ("frontier_training", "frontier_training", "carbon_intensity", "g/MWh"),
    ("china_supply_demand", "china_supply_demand", "tokens_per_day_2025", "Ttoken/day"),
    ("china_supply_demand", "china_supply_demand", "fleet_flops_per_watt_2024", "GFLOPS/W"),
    ("world_accelerators", "world_accelerators", "frontier_run_flop_2024", "PFLOP"),
    ("world_accelerators", "world_accelerators", "tokens_2024", "Ttoken"),
]


def _scale(spec, factor):
    """A spec table (or bare number) with every number in it multiplied by ``factor``."""
    if isinstance(spec, int | float):
        return spec * factor
    out = dict(spec)
    for key in SCALED_KEYS:
        if key in out and isinstance(out[key], int | float):
            out[key] = out[key] * factor
    for key in ("ci", "values"):
        if key in out and all(isinstance(v, int | float) for v in out[key]):
            out[key] = [v * factor for v in out[key]]
    return out


def rewritten(doc, name, unit):
    spec = doc["inputs"][name]
    factor = conversion_factor(spec["unit"], unit)
    doc["inputs"][name] = {**_scale(spec, factor), "unit": unit}
    for overrides in doc.get("scenarios", {}).values():
        if name in overrides:
            overrides[name] = _scale(overrides[name], factor)
    return doc, factor


def test_every_model_is_covered():
    shipped = {cd.load_study(s["name"]).model.name for s in cd.list_studies()}
    assert shipped <= {model for _, model, _, _ in CASES}


@pytest.mark.parametrize(("study", "model", "name", "unit"), CASES)
def test_another_written_unit_changes_no_output(write_study, study, model, name, unit):
    original = cd.load_study(study)
    assert original.model.name == model
    with open(priors_dir() / f"{study}.toml", "rb") as f:
        doc, factor = rewritten(tomllib.load(f), name, unit)
    assert factor != 1.0
    changed = cd.load_study(write_study(doc))
    assert changed.inputs[name].written_unit == unit

    a = cd.simulate(original, draws=2_000, seed=5)
    b = cd.simulate(changed, draws=2_000, seed=5)
    # a Python model (also under a hybrid's formulas) holds an input in its own unit; a formula
    # study in the unit written
    python = MODELS.get(original.model.name.removesuffix("+formulas"))
    hybrid = original.model.name.endswith("+formulas")
    in_model_unit = python is original.model or (hybrid and name in {i.name for i in python.inputs})
    scale = 1.0 if in_model_unit else conversion_factor(unit, original.inputs[name].written_unit)
    np.testing.assert_allclose(b[name].values * scale, a[name].values, rtol=1e-9)
    for var in original.outputs:
        np.testing.assert_allclose(b[var].values, a[var].values, rtol=1e-9, err_msg=var)

    rows_a, audit_a = replay_study(original)
    rows_b, audit_b = replay_study(changed)
    np.testing.assert_allclose(rows_b["computed"].astype(float), rows_a["computed"].astype(float), rtol=1e-9)
    np.testing.assert_allclose(audit_b["factor"].astype(float), audit_a["factor"].astype(float), rtol=1e-9)


def test_a_unit_of_the_wrong_dimension_is_refused(write_study):
    with open(priors_dir() / "sora_training.toml", "rb") as f:
        doc = tomllib.load(f)
    doc["inputs"]["training_days"]["unit"] = "GB"
    with pytest.raises(cd.StudyError, match=r"inputs\.training_days\.unit: unit 'GB'"):
        cd.load_study(write_study(doc))
