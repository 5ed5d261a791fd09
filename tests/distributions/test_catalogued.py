"""Study inputs read from the accelerator catalogue by chip name (`dist = "catalog"`)."""

import math

import numpy as np
import pytest

import chipdemand as cd
from chipdemand.catalog import chip
from chipdemand.distributions import parse_distribution
from chipdemand.errors import StudyError

N = 100_000


def test_one_chip_is_its_catalogue_value():
    d = parse_distribution({"dist": "catalog", "chip": "A100", "field": "peak_fp16_flops"})
    # NVIDIA A100 datasheet: 312 TFLOPS dense FP16 (Minsheng 2024-02-25, Ping An 2023-02-28)
    assert d.is_point and d.ppf(np.array([0.3]))[0] == 312e12


def test_a_price_range_is_uniform_within_the_chosen_chip():
    d = parse_distribution(
        {"dist": "catalog", "chips": {"A100_40GB": 0.25, "H100": 0.75}, "field": "price_usd"}
    )
    x = d.ppf(np.random.default_rng(0).random(N))
    (lo_a, hi_a), (lo_h, hi_h) = chip("A100_40GB")["price_usd"], chip("H100")["price_usd"]
    a = x[x <= hi_a]
    h = x[x >= lo_h]
    assert a.size + h.size == N
    assert abs(a.size / N - 0.25) < 3 * math.sqrt(0.25 * 0.75 / N)
    # uniform within each range: the mean is the midpoint within 3 standard errors
    assert abs(a.mean() - (lo_a + hi_a) / 2) < 3 * (hi_a - lo_a) / math.sqrt(12 * a.size)
    assert abs(h.mean() - (lo_h + hi_h) / 2) < 3 * (hi_h - lo_h) / math.sqrt(12 * h.size)


def test_inputs_sharing_a_stream_describe_the_same_chip(chatgpt):
    res = cd.simulate(chatgpt, draws=20_000, seed=3, scenarios=["base"]).isel(scenario=0)
    pairs = {(m, b) for m, b in zip(res["gpu_memory"].values, res["memory_bandwidth"].values, strict=True)}
    catalogue = {(chip(n)["memory_bytes"], chip(n)["memory_bandwidth"]) for n in ("A100_40GB", "A100")}
    assert pairs == catalogue


def test_unit_and_source_come_from_the_catalogue(chatgpt, study_doc, write_study):
    spec = chatgpt.inputs["memory_bandwidth"]
    assert spec.written_unit == "byte/s/GPU"
    assert spec.source.startswith("hardware catalogue") and "A100_40GB" in spec.source
    study_doc["inputs"]["memory_bandwidth"]["unit"] = "TB/s/GPU"
    with pytest.raises(StudyError, match="leave 'unit' out") as info:
        cd.load_study(write_study(study_doc))
    assert info.value.key == "inputs.memory_bandwidth.unit"


@pytest.mark.parametrize(
    ("spec", "key", "text"),
    [
        ({"chip": "H10", "field": "price_usd"}, "chip", "did you mean 'H100'"),
        ({"chip": "H100", "field": "prize_usd"}, "field", "did you mean 'price_usd'"),
        ({"chip": "H100", "chips": {"A100": 1.0}, "field": "price_usd"}, "chip", "either 'chip'"),
        ({"chips": {"A100": 0.7, "H100": 0.7}, "field": "price_usd"}, "chips", "sum to 1"),
        ({"chip": "V100", "field": "peak_fp8_flops"}, "field", "no 'peak_fp8_flops' for V100"),
    ],
)
def test_bad_catalogue_references(spec, key, text):
    with pytest.raises(StudyError, match=text) as info:
        parse_distribution({"dist": "catalog", **spec})
    assert info.value.key == key


def test_a_scenarios_catalogue_override_keeps_the_field_and_the_shared_stream(study_doc, write_study):
    chips = {"A100_40GB": 0.3, "A100": 0.7}
    study_doc["scenarios"]["mix"] = {
        name: {"dist": "catalog", "chips": chips}
        for name in ("gpu_memory", "memory_bandwidth", "peak_flops", "tdp_watts")  # tdp_watts: issue 12
    }
    study = cd.load_study(write_study(study_doc))
    spec = study.spec("mix", "memory_bandwidth")
    assert spec.dist.field == "memory_bandwidth" and spec.stream == "gpu_memory"  # from the base input
    res = cd.simulate(study, draws=20_000, seed=3, scenarios=["mix"]).isel(scenario=0)
    pairs = {(m, b) for m, b in zip(res["gpu_memory"].values, res["memory_bandwidth"].values, strict=True)}
    assert pairs == {(chip(n)["memory_bytes"], chip(n)["memory_bandwidth"]) for n in chips}
    share_40 = float(np.mean(res["gpu_memory"].values == chip("A100_40GB")["memory_bytes"]))
    assert abs(share_40 - 0.3) < 3 * math.sqrt(0.3 * 0.7 / 20_000)


def test_inputs_drawn_together_must_choose_among_the_same_chips(study_doc, write_study):
    study_doc["scenarios"]["mix"] = {
        "gpu_memory": {"dist": "catalog", "chips": {"A100_40GB": 0.3, "A100": 0.7}}
    }
    with pytest.raises(StudyError, match="shares the random stream 'gpu_memory'") as info:
        cd.load_study(write_study(study_doc))
    assert "scenarios.mix.memory_bandwidth" in str(info.value)  # an input the scenario left behind


def test_a_choice_of_chips_listed_out_of_order_has_its_quantiles_by_value():
    # issue 20 item 15: chips listed by name gave quantiles in the listed order
    dist = parse_distribution(
        {"dist": "catalog", "field": "memory_bytes", "chips": {"A100": 0.5, "A100_40GB": 0.5}}
    )
    low, high = chip("A100_40GB")["memory_bytes"], chip("A100")["memory_bytes"]
    assert low < high
    np.testing.assert_array_equal(dist.ppf(np.array([0.05, 0.25, 0.75, 0.95])), [low, low, high, high])
    assert dist.chip_order == ["A100_40GB", "A100"]


def test_inputs_sharing_a_stream_follow_the_streams_own_input(study_doc, write_study):
    # listed A100 first: the stream's input (gpu_memory) orders them by memory, and every input
    # of the stream picks the same chip from the same uniform
    for name in ("gpu_memory", "memory_bandwidth", "peak_flops", "tdp_watts"):
        study_doc["inputs"][name]["chips"] = {"A100": 0.5, "A100_40GB": 0.5}
    study = cd.load_study(write_study(study_doc))
    orders = {
        n: study.spec("base", n).dist.chip_order for n in ("gpu_memory", "memory_bandwidth", "tdp_watts")
    }
    assert all(order == ["A100_40GB", "A100"] for order in orders.values())
    res = cd.simulate(study, draws=5_000, seed=3, scenarios=["base"]).isel(scenario=0)
    pairs = {(m, b) for m, b in zip(res["gpu_memory"].values, res["memory_bandwidth"].values, strict=True)}
    assert pairs == {(chip(n)["memory_bytes"], chip(n)["memory_bandwidth"]) for n in ("A100_40GB", "A100")}
