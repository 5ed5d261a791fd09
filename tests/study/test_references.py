"""Evidence and power in every shipped study (issues 12 and 13): independent references with a
source and a date, physical bounds that flag a thought experiment, the scenarios that ask the
references' questions, and power and energy outputs equal to a hand computation at the points."""

import json
import re

import numpy as np
import pytest

import chipdemand as cd
from chipdemand.analysis.replay import evaluate_point, point_values
from chipdemand.catalog import chip
from chipdemand.display.format import position
from chipdemand.errors import StudyError
from chipdemand.study.references import POINT_TOLERANCE, compare_references, is_point_answer, parse_references

SHIPPED = [
    "ai_server_market",
    "chatgpt_inference",
    "chatgpt_training",
    "china_compute_supply",
    "kimi_long_context",
    "sora_inference",
    "sora_training",
    "training_compute_table",
]
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

# The points of the power priors, each the central figure of its source (/work/notes/power_priors.md):
INFERENCE_DRAW = 0.7  # Epoch AI, How much energy does ChatGPT use? (2025-02): 0.7 of rated power
TRAINING_DRAW = 1.0  # Meta Llama 3.1 model card (2024-07), Luccioni et al. 2022 (BLOOM): 100% of TDP
OVERHEAD = 6_500 / (8 * 400) - 1  # NVIDIA DGX A100 (2020): 6.5 kW maximum for 8 × 400 W A100s
PUE_US = 1.2  # Epoch AI (2025-02): PUE 1.2; Google 1.09 (2024), Meta 1.08 (2023)
PUE_CHINA = 1.3  # NDRC et al. (2021-12): new large data centres below 1.3 by 2025
A100_WATTS = 400  # NVIDIA A100 datasheets (2020, 2021): 400 W SXM module
HOURS_PER_YEAR = 8_760


@pytest.fixture(scope="module")
def studies():
    return {name: cd.load_study(name) for name in SHIPPED}


# ----------------------------------------------------------------------------- references
@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_study_lists_two_independent_references(studies, name):
    study = studies[name]
    refs = [(out, r) for out in study.outputs.values() for r in out.references]
    estimates = [r for _, r in refs if r.bound is None]
    assert len(estimates) >= 2 and len({r.source for r in estimates}) >= 2, name
    for out, ref in refs:
        assert len(ref.source) > 20 and DATE.match(ref.date), (name, ref.output)
        assert ref.note, (name, ref.output)  # how its question differs from ours, or that it does not
        if out.reported is not None and ref.value is not None:  # never the seed report's own number
            assert not np.isclose(ref.value, out.reported, rtol=1e-9), (name, ref.output)
        assert ref.scenario is None or ref.scenario in study.scenario_names


def test_bounds_are_sourced_upper_or_lower_values(studies):
    bounds = [
        (name, r) for name, s in studies.items() for o in s.outputs.values() for r in o.references if r.bound
    ]
    assert {name for name, _ in bounds} >= {"sora_inference", "sora_training", "kimi_long_context"}
    for _, ref in bounds:
        assert ref.value is not None and ref.bound in ("upper", "lower") and ref.url.startswith("http")


def test_a_reference_in_a_foreign_unit_is_converted(studies):
    # Narayanan et al. 2021: 1,024 A100 × 140 TFLOP/s × 34 days = 4.21e23 FLOP, written in FLOP
    # against an output in PF-days (1e15 FLOP/s × 86,400 s)
    (ref,) = [
        r for r in studies["training_compute_table"].outputs["compute_gpt3_175b"].references if r.value > 4e3
    ]
    assert ref.value == pytest.approx(4.21e23 / 8.64e19, rel=1e-12)


# ----------------------------------------------------------------------------- power and energy
FLEETS = {  # study: (chips output, PUE at the point)
    "chatgpt_inference": ("chips", PUE_US),
    "kimi_long_context": ("chips", PUE_CHINA),
    "sora_inference": ("chips", PUE_US),
}
RUNS = {  # study: (chips output, days input or output)
    "chatgpt_training": ("a100_equivalents", "training_days"),
    "sora_training": ("chips", "training_days"),
}


@pytest.mark.parametrize("name", list(FLEETS))
def test_fleet_power_at_the_points_is_the_hand_computation(studies, name):
    study = studies[name]
    values = point_values(study)
    out = evaluate_point(study, values)
    chips_output, pue = FLEETS[name]
    assert values["average_draw_share"] == INFERENCE_DRAW
    assert values["overhead_share"] == pytest.approx(OVERHEAD, abs=0.0015)  # the point is 1.03
    assert values["pue"] == pue
    watts = float(out[chips_output]) * A100_WATTS * 0.7 * (1 + 1.03)  # the point card is an A100
    assert float(out["it_power"]) == pytest.approx(watts / 1e6, rel=1e-12)  # MW
    assert float(out["facility_power"]) == pytest.approx(watts * pue / 1e6, rel=1e-12)
    assert float(out["annual_energy"]) == pytest.approx(watts * pue * HOURS_PER_YEAR / 1e9, rel=1e-12)  # GWh


def test_chatgpt_power_in_numbers():
    # Ping An 2023-02-28: 16,204 A100 (388,889 GPU-hours a day ÷ 24) at 400 W, 0.7 of TDP, 1.03 more
    # for the rest of the DGX A100, PUE 1.2: 9.21 MW of IT power, 11.05 MW and 96.82 GWh a year
    study = cd.load_study("chatgpt_inference")
    out = evaluate_point(study, point_values(study))
    it = 388_889 / 24 * 400 * 0.7 * 2.03
    assert float(out["it_power"]) == pytest.approx(it / 1e6, rel=1e-5)
    assert float(out["annual_energy"]) == pytest.approx(96.82, abs=0.01)
    # energy per query: 11.05 MW over 2亿 queries a day (Ping An: 每天有2亿的访问量)
    assert float(out["energy_per_query"]) == pytest.approx(it * 1.2 * 24 / 2e8, rel=1e-5)


@pytest.mark.parametrize("name", list(RUNS))
def test_training_energy_at_the_points_is_the_hand_computation(studies, name):
    study = studies[name]
    values = point_values(study)
    out = evaluate_point(study, values)
    chips_output, days = RUNS[name]
    assert values["average_draw_share"] == TRAINING_DRAW and values["pue"] == PUE_US
    chips, run_days = float(out[chips_output]), float(out.get(days, values.get(days)))
    watts = chips * A100_WATTS * 1.0 * (1 + 1.03)
    assert float(out["it_power"]) == pytest.approx(watts / 1e6, rel=1e-12)
    assert float(out["energy"]) == pytest.approx(watts * PUE_US * run_days * 24 / 1e6, rel=1e-12)  # MWh


def test_power_priors_cite_their_sources(studies):
    for name in [*FLEETS, *RUNS]:
        inputs = studies[name].inputs
        assert (
            "Epoch AI" in inputs["average_draw_share"].source
            or "Llama 3.1" in inputs["average_draw_share"].source
        )
        assert "DGX A100" in inputs["overhead_share"].source and "Google" in inputs["overhead_share"].source
        assert "Google" in inputs["pue"].source or "NDRC" in inputs["pue"].source
        tdp = inputs.get("tdp_watts")
        constants = studies[name].constants
        watts = tdp.point if tdp is not None else constants["tdp_watts"].value
        assert watts == chip("A100")["tdp_watts"] == A100_WATTS


def test_kimis_power_follows_the_card_of_each_draw():
    # hardware catalogue: A100 312 TFLOPS and 400 W, H100 989 TFLOPS and 700 W (NVIDIA datasheets)
    res = cd.simulate("kimi_long_context", draws=4_000, seed=2, scenarios=["base"]).isel(scenario=0)
    a100 = res.peak_flops.values < 5e14  # FLOPS
    assert 0.45 < a100.mean() < 0.55
    assert (res.tdp_watts.values[a100] == 400).all() and (res.tdp_watts.values[~a100] == 700).all()
    tokens = res.queries_per_day * (res.context_chars + res.answer_chars) * res.tokens_per_char
    np.testing.assert_allclose(res.tokens_per_day.values, tokens.values, rtol=1e-13)


# ----------------------------------------------------------------------------- the Sora studies
def test_sora_inference_is_marked_a_thought_experiment_and_asks_the_realistic_question(studies):
    study = studies["sora_inference"]
    assert "thought experiment" in study.title and "THOUGHT EXPERIMENT" in study.description
    res = cd.simulate(study, draws=4_000, seed=4, scenarios=["base", "creator_uploads"])
    uploads = res.sel(scenario="creator_uploads")
    # Factorial Funds 2024-03: 178,000-249,000 generated hours a day, each upload generated once
    np.testing.assert_array_equal(
        uploads.video_hours_per_day.values, uploads.generated_upload_hours_per_day.values
    )
    assert (uploads.frame_width.values == 1280).all() and (uploads.frame_height.values == 720).all()
    # Epoch AI 2025-02: 1.28e7 A100-equivalents installed; the base median passes it, creator_uploads not
    (bound,) = [r for r in study.outputs["chips"].references if r.bound == "upper"]
    assert np.median(res.chips.sel(scenario="base")) > 100 * bound.value
    assert np.median(uploads.chips) < bound.value
    # chip-hours per generated minute, by hand from the day's FLOPs
    base = res.sel(scenario="base")
    busy = base.flop_per_day / (base.video_hours_per_day * 60) / (base.peak_flops * base.utilization) / 3600
    np.testing.assert_allclose(base.chip_hours_per_video_minute.values, busy.values, rtol=1e-12)
    # at OpenAI's $1.3 per A100-hour (The Information, 2024-07-24)
    np.testing.assert_allclose(base.cost_per_video_minute.values, 1.3 * busy.values, rtol=1e-12)


# ----------------------------------------------------------------------------- check
def test_check_places_every_reference_of_every_shipped_study(cli):
    result = cli("check", "--json", "--draws", "4000")
    assert result.code == 0
    rows = json.loads(result.out)["references"]
    assert {r["study"] for r in rows} >= set(SHIPPED)  # and any other shipped study with references
    keys = {"study", "output", "scenario", "source", "date", "median", "low", "high", "percentile", "inside"}
    for row in rows:
        assert keys <= set(row) and ("ref_value" in row or {"ref_low", "ref_high"} <= set(row))
        assert row["low"] <= row["median"] <= row["high"]
        # a percentile says nothing of a point answer (a scenario fixing every input, up to
        # rounding): the difference does
        if is_point_answer(row["low"], row["high"]):
            assert row["percentile"] is None and ("difference" in row) == (not row.get("bound"))
        else:
            assert 0 <= row["percentile"] <= 1 and "difference" not in row
    passed = {(r["study"], r["output"]) for r in rows if r.get("passed")}
    assert ("sora_inference", "chips") in passed and ("sora_inference", "annual_energy") in passed
    # a bound is placed in every scenario, so it marks each thought experiment: besides Sora's
    # inference, a 2M-character Kimi context and GPT-5 answers decoded one at a time (batch of one)
    elsewhere = {
        (r["study"], r["scenario"]) for r in rows if r.get("passed") and r["study"] != "sora_inference"
    }
    assert elsewhere == {
        ("kimi_long_context", "two_million_chars"),
        ("chatgpt_inference_2025", "unbatched_gpt5_response"),
    }
    assert not any(
        r.get("passed") for r in rows if r["scenario"] == "base" and r["study"] != "sora_inference"
    )


# ----------------------------------------------------------------------------- placement rules
def _refs(*entries):
    return parse_references(list(entries), output="chips", unit="", scenarios=["base", "high", "point"])


def _rows(refs, spread=True):
    """Place ``refs`` in a run whose answer is 100 [50, 200] (a point 100 in scenario 'point')."""

    def stats(ref, scenario):
        return (100.0, 100.0, 100.0, "") if scenario == "point" or not spread else (100.0, 50.0, 200.0, "")

    def below(ref, scenario, x):
        assert scenario != "point", "no percentile is asked of a point answer"
        return min(1.0, x / 200)

    return compare_references(refs, study="s", scenarios=["base", "high", "point"], stats=stats, below=below)


def test_an_estimate_answers_its_scenario_and_a_bound_every_scenario():
    rows = _rows(
        _refs(
            {"value": 120, "source": "A", "date": "2024"},
            {"value": 120, "source": "B", "date": "2024", "scenario": "high"},
            {"value": 1e6, "source": "C", "date": "2024", "bound": "upper"},
        )
    )
    placed = [(r["source"], r["scenario"]) for r in rows]
    assert placed == [("A", "base"), ("B", "high"), ("C", "base"), ("C", "high"), ("C", "point")]
    assert all(r["inside"] for r in rows[:2]) and not any(r["passed"] for r in rows[2:])
    # a run without the reference's scenario leaves it out: never placed in another's distribution
    rows = compare_references(
        _refs({"value": 1, "source": "B", "date": "2024", "scenario": "high"}),
        study="s",
        scenarios=["base"],
        stats=None,
        below=None,
    )
    assert rows == []


def test_a_point_answer_gives_the_difference_and_a_tolerance_not_a_percentile():
    near, far = 100 * (1 + POINT_TOLERANCE / 2), 100 * (1 + 2 * POINT_TOLERANCE)
    rows = _rows(
        _refs(
            {"value": near, "source": "near", "date": "2024", "scenario": "point"},
            {"value": far, "source": "far", "date": "2024", "scenario": "point"},
            {"value": far, "source": "loose", "date": "2024", "scenario": "point", "tolerance": 0.05},
            {"low": 90, "high": 99, "source": "range", "date": "2024", "scenario": "point"},
        )
    )
    by = {r["source"]: r for r in rows}
    assert all(r["percentile"] is None for r in rows)
    assert by["near"]["inside"] and not by["far"]["inside"] and by["loose"]["inside"]
    assert by["far"]["difference"] == pytest.approx(2 * POINT_TOLERANCE)
    assert not by["range"]["inside"] and by["range"]["difference"] == pytest.approx(
        (90 * 99) ** 0.5 / 100 - 1
    )
    assert position(by["far"]) == "point +1.0%" and position(by["range"]) == "point -5.6%"
    # a spread answer keeps the percentile and has no difference
    spread = _rows(_refs({"value": 150, "source": "A", "date": "2024"}))[0]
    assert spread["percentile"] == 0.75 and "difference" not in spread and position(spread) == "75%"


@pytest.mark.parametrize("tolerance", [-0.1, 1, 2, "5%"])
def test_a_bad_tolerance_names_its_key(tolerance):
    with pytest.raises(StudyError) as err:
        _refs({"value": 1, "source": "A", "date": "2024", "tolerance": tolerance})
    assert "tolerance" in str(err.value.key)


@pytest.mark.parametrize("noise", [1e-16, 2e-15, 1e-10])
def test_an_answer_spread_by_rounding_alone_is_a_point(noise):
    # issue 20 item 17: an answer of 100 up to one rounding unit printed a 0% percentile
    refs = _refs({"value": 100.2, "source": "A", "date": "2024"})

    def below(ref, scenario, x):
        raise AssertionError("no percentile is asked of a point answer")

    stats = lambda ref, scenario: (100.0, 100.0, 100.0 * (1 + noise), "")  # noqa: E731
    row = compare_references(refs, study="s", scenarios=["base"], stats=stats, below=below)[0]
    assert row["percentile"] is None and row["difference"] == pytest.approx(0.002)
    assert row["inside"] and position(row) == "point +0.2%"


def test_a_spread_beyond_rounding_keeps_its_percentile():
    assert not is_point_answer(100.0, 100.0 * (1 + 1e-8)) and is_point_answer(-1.0, -1.0 + 1e-12)
    assert is_point_answer(0.0, 0.0) and not is_point_answer(0.0, 1e-300)
