"""The shipped examples run through the command line and give the numbers their chains imply.

examples/energy_per_chat_query.toml is a formula study from scratch; examples/
chatgpt_heavy_reasoning.toml extends chatgpt_inference. The README's "Write your own study"
walks through both and shows the error line of five common mistakes: those lines are checked
here against what the command line prints.
"""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

import chipdemand as cd

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ENERGY = EXAMPLES / "energy_per_chat_query.toml"
REASONING = EXAMPLES / "chatgpt_heavy_reasoning.toml"
DRAWS = 20_000

# NVIDIA H100 datasheet (SXM5, 2023): 989.4 TFLOPS dense BF16 (1,979 with sparsity), 700 W; the
# H200 datasheet (2024) gives the same peak and power (it differs in memory)
H100_PEAK, H100_TDP = 989.4e12, 700.0
# NVIDIA HGX B200 specifications (2025): 2,250 TFLOPS dense BF16 (4.5 PFLOPS with sparsity), 1,000 W
B200_PEAK, B200_TDP = 2.25e15, 1000.0
# NVIDIA A100 datasheets (SXM4 40GB, 2020; 80GB, 2021): 400 W both
A100_TDP = 400.0


def run_json(cli, *args):
    result = cli(*args, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def row(doc, scenario, variable):
    (found,) = [r for r in doc["results"] if r["scenario"] == scenario and r["variable"] == variable]
    return found


# ----------------------------------------------------------------------------- energy per query
def test_energy_per_query_at_epochs_values_is_the_hand_computation(cli):
    doc = run_json(cli, "run", ENERGY, "--draws", 1000, "--scenario", "epoch_2025_02")
    # Epoch AI, How much energy does ChatGPT use?, 2025-02-07, and its spreadsheet: 500 output
    # tokens × 2 FLOP × 100B active parameters on an H100 at 10% of peak; 0.7 of the DGX H100's
    # 10.2 kW per 8 GPUs (700 W × 0.7 × (1 + 0.8214)); PUE 1.2; 0.301 Wh
    gpu_seconds = 500 * 2 * 1e11 / (H100_PEAK * 0.1)
    watts = H100_TDP * 0.7 * (1 + 0.8214) * 1.2
    seconds = row(doc, "epoch_2025_02", "gpu_seconds_per_query")
    energy = row(doc, "epoch_2025_02", "energy_per_query")
    assert seconds["unit"] == "s/query" and energy["unit"] == "Wh/query"
    for stat in ("low", "median", "high"):  # every input is fixed: one value
        assert seconds[stat] == pytest.approx(gpu_seconds, rel=1e-12)
        assert energy[stat] == pytest.approx(gpu_seconds * watts / 3600, rel=1e-12)
    assert energy["median"] == pytest.approx(0.301, abs=5e-4)  # Epoch's published figure


def test_energy_per_query_is_its_chain_draw_by_draw():
    run = cd.run(ENERGY, draws=DRAWS, seed=3, scenarios=["base", "b200"])
    res = run.dataset
    flop_per_token = 2 * res.active_parameters  # Kaplan et al. 2020: 2 FLOP per parameter per token
    seconds = flop_per_token * (res.output_tokens / res.decode_mfu + res.prompt_tokens / res.prefill_mfu)
    seconds = seconds / res.peak_flops
    watts = res.tdp * res.average_draw_share * (1 + res.overhead_share) * res.pue
    np.testing.assert_allclose(res.gpu_seconds_per_query.values, seconds.values, rtol=1e-12)
    np.testing.assert_allclose(res.energy_per_query.values, (seconds * watts / 3600).values, rtol=1e-12)
    base, b200 = res.sel(scenario="base"), res.sel(scenario="b200")
    # the catalogue's choice of card, the same card for the peak and the TDP in every draw
    pairs = set(zip(base.peak_flops.values.tolist(), base.tdp.values.tolist(), strict=True))
    assert pairs == {(H100_PEAK, H100_TDP), (B200_PEAK, B200_TDP)}
    assert (b200.peak_flops == B200_PEAK).all() and (b200.tdp == B200_TDP).all()
    # the b200 scenario changes only the card: same tokens, parameters, MFU and power shares
    np.testing.assert_array_equal(base.active_parameters.values, b200.active_parameters.values)
    on_hopper = (base.peak_flops == H100_PEAK).values  # H100 or H200
    assert 0.8 < on_hopper.mean() < 0.95  # weights 0.6 + 0.3 of the catalogue choice
    ratio = (b200.energy_per_query / base.energy_per_query).values[on_hopper]
    np.testing.assert_allclose(ratio, (B200_TDP / B200_PEAK) / (H100_TDP / H100_PEAK), rtol=1e-12)


def test_the_references_are_placed_in_the_base_scenario(cli):
    doc = run_json(cli, "run", ENERGY, "--draws", DRAWS)
    refs = {r["date"]: r for r in doc["references"]}
    assert set(refs) == {"2025-02-07", "2025-06-10"}  # Epoch AI; Sam Altman, The Gentle Singularity
    assert refs["2025-02-07"]["ref_value"] == 0.3 and refs["2025-06-10"]["ref_value"] == 0.34
    base = row(doc, "base", "energy_per_query")
    for ref in refs.values():
        assert ref["scenario"] == "base" and ref["median"] == base["median"]
        assert ref["inside"] == (base["low"] <= ref["ref_value"] <= base["high"])
        assert 0 < ref["percentile"] < 1


def test_show_and_describe_the_energy_example(cli):
    shown = cli("show", ENERGY)
    assert shown.code == 0, shown.err
    again = cd.parse_study(shown.out, "shown.toml")  # what show prints is the study that runs
    a = cd.simulate(again, draws=2_000, seed=5)
    b = cd.simulate(ENERGY, draws=2_000, seed=5)
    np.testing.assert_array_equal(a.energy_per_query.values, b.energy_per_query.values)
    described = run_json(cli, "describe", ENERGY)
    assert {i["name"] for i in described["inputs"]} >= {"output_tokens", "peak_flops", "pue"}
    text = cli("describe", ENERGY)
    assert text.code == 0 and "energy_per_query = gpu_seconds_per_query * power_per_gpu" in text.out


# ----------------------------------------------------------------------------- extends
def test_the_extending_study_inherits_drops_and_adds():
    study = cd.load_study(REASONING)
    parent = cd.load_study("chatgpt_inference")
    kept = [s for s in parent.scenario_names if s != "longer_answers"]  # dropped
    assert "longer_answers" in parent.scenario_names and study.scenario_names == [*kept, "reasoning"]
    assert set(study.outputs) == set(parent.outputs) | {"energy_per_query"}
    assert study.inputs["daily_active_users"].source == parent.inputs["daily_active_users"].source


def test_its_base_scenario_is_its_parents_draw_by_draw(cli):
    # the Python model's inputs and outputs: the child overrides none of them in its base case
    # (what the parent may add beside its model, the child may redefine)
    model = cd.describe("llm_inference", kind="model")
    shared = [i["name"] for i in model["inputs"]] + [o["name"] for o in model["outputs"]]
    doc = run_json(cli, "compare", "chatgpt_inference", REASONING, "--draws", DRAWS)
    assert doc["paired"] is True and doc["kind"] == "studies"
    rows = {r["variable"]: r for r in doc["results"]}
    for output in (o["name"] for o in model["outputs"]):
        r = rows[output]
        assert r["ratio_low"] == r["ratio_median"] == r["ratio_high"] == 1.0, output
        assert r["p_b_greater"] == 0.0
    child = cd.simulate(REASONING, draws=DRAWS, seed=0, scenarios=["base"])
    parent = cd.simulate("chatgpt_inference", draws=DRAWS, seed=0, scenarios=["base"])
    for var in shared:
        np.testing.assert_array_equal(child[var].values, parent[var].values, err_msg=var)


def test_energy_per_query_of_the_fleet_is_its_chain_draw_by_draw():
    res = cd.simulate(REASONING, draws=DRAWS, seed=4)
    assert (res.tdp == A100_TDP).all()
    watts = res.chips * res.tdp * res.average_draw_share * (1 + res.overhead_share) * res.pue
    per_query = watts * 24 / res.queries_per_day  # W × 24 h/day ÷ query/day = Wh/query
    np.testing.assert_allclose(res.energy_per_query.values, per_query.values, rtol=1e-12)


def test_reasoning_tokens_raise_the_fleet_in_every_draw(cli):
    doc = run_json(
        cli, "compare", REASONING, "--scenario", "base", "--scenario", "reasoning", "--draws", DRAWS
    )
    ratios = {r["variable"]: r for r in doc["results"]}
    assert ratios["queries_per_day"]["ratio_median"] == 1.0  # the same questions, longer answers
    for output in ("gpu_hours_per_day", "chips", "energy_per_query"):
        assert ratios[output]["p_b_greater"] == 1.0
        assert ratios[output]["ratio_low"] > 1
    # the answer is 1,000-10,000 characters instead of 20-300, at the same quantile of each
    # lognormal (the same random stream): at least 1000/300 = 3.3× longer in every draw
    res = cd.simulate(REASONING, draws=DRAWS, seed=0, scenarios=["base", "reasoning"])
    longer = res.chars_per_answer.sel(scenario="reasoning") / res.chars_per_answer.sel(scenario="base")
    assert float(longer.min()) > 1000 / 300


# ----------------------------------------------------------------------------- the README's mistakes
README = (ROOT / "README.md").read_text(encoding="utf-8")

MISTAKES = [
    (
        ENERGY,
        'formula = "gpu_seconds_per_query * power_per_gpu"',
        'formula = "gpu_second_per_query * power_per_gpu"',
    ),
    (ENERGY, 'unit = "Wh/query"', 'unit = "W/query"'),
    (ENERGY, "it_power(chips=1, tdp_watts=tdp,", "it_power(chips=1, tdp=tdp,"),
    (REASONING, 'extends = "chatgpt_inference"', 'extends = "chatgpt-inference"'),
    (REASONING, "\nchars_per_answer = {", "\nchar_per_answer = {"),
]


def readme_errors() -> list[str]:
    section = README.split("## Write your own study", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"`(error: [^`]+)`", section)


@pytest.mark.parametrize(("example", "old", "new"), MISTAKES)
def test_each_mistake_in_the_readme_gives_the_error_line_shown(cli, tmp_path, monkeypatch, example, old, new):
    text = example.read_text(encoding="utf-8")
    assert text.count(old) == 1
    name = "my_energy.toml" if example == ENERGY else "my_reasoning.toml"
    (tmp_path / name).write_text(text.replace(old, new), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = cli("run", name, "--draws", 1000)
    assert result.code == 2 and result.out == ""
    (line,) = result.err.strip().splitlines()
    assert line in readme_errors(), line


def test_the_readme_shows_five_mistakes():
    assert len(readme_errors()) == len(MISTAKES) == 5


def test_the_readme_shows_the_examples_real_numbers(cli):
    """The headline rows pasted in the README are what `chipdemand run` prints at 100,000 draws."""
    section = README.split("## Write your own study", 1)[1].split("\n## ", 1)[0]
    printed = cli("run", ENERGY).out
    for line in printed.splitlines():
        if "energy_per_query" in line and "Wh/query" in line:
            assert line.rstrip() in section, line
    epoch = re.search(r"epoch_2025_02 +gpu_seconds_per_query +([\d.]+)", printed)
    assert epoch is not None and math.isclose(float(epoch.group(1)), 1.011)
