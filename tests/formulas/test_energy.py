"""Power and energy formulas against published chains: Epoch AI, Microsoft, BLOOM, Llama 3.1, GPT-3."""

import numpy as np
import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipdemand.formulas import energy, hardware
from chipdemand.formulas.energy import JOULES_PER_KWH, SECONDS_PER_HOUR, SECONDS_PER_YEAR

WH = 3_600.0  # J per Wh
DAY = 86_400.0


def test_epoch_chatgpt_query_energy():
    # Epoch AI, "How much energy does ChatGPT use?" (J. You, 2025-02), its spreadsheet: a GPT-4o
    # query of 500 output tokens at 100B active parameters = 1e14 FLOP on an H100 (989 TFLOP/s)
    # at 10% utilization: 1.01 GPU-seconds. A DGX H100 "is rated at 10.2 kW, or 1275 W per
    # GPU", at 0.7 of that on average ("average consumption found by Microsoft"), PUE 1.2:
    # "Average GPU power (W) 1071", "Energy per query (Watt-hours) 0.301".
    seconds = hardware.compute_seconds(2 * 100e9 * 500, 1, 9.89e14, 0.1)
    assert seconds == pytest.approx(1.01, abs=0.005)
    it = energy.it_power(1, 700, 0.7, 10_200 / 8 / 700 - 1)
    assert it == pytest.approx(1275 * 0.7)
    facility = energy.facility_power(it, 1.2)
    assert facility == pytest.approx(1071, abs=0.5)
    per_query = energy.energy_per_query(energy.energy_over_period(facility, seconds), 1)
    assert per_query / WH == pytest.approx(0.301, abs=0.0005)
    # The sheet's pessimistic column: 200B active, 5% utilization, PUE 1.3: 1160.25 W, 1.304 Wh;
    # with 1,500 output tokens: 3.911 Wh. Three queries' energy over three queries is the same.
    seconds = hardware.compute_seconds(2 * 200e9 * np.array([500, 1500]), 1, 9.89e14, 0.05)
    facility = energy.facility_power(energy.it_power(1, 700, 0.7, 10_200 / 8 / 700 - 1), 1.3)
    assert facility == pytest.approx(1160.25)
    per_query = energy.energy_over_period(facility, seconds) / WH
    np.testing.assert_allclose(per_query, [1.304, 3.911], atol=0.001)
    assert energy.energy_per_query(3 * per_query[0], 3) == pytest.approx(per_query[0])


def test_microsoft_h100_annual_energy():
    # Paul Churnock (Microsoft), quoted by Tom's Hardware (2023-12): an H100 at 700 W and "61%
    # annual utilization ... would consume approximately 3,740 kWh of electricity annually";
    # 3.5 million H100s "will consume a whopping 13,091,820,000 kWh of electricity per year".
    one = energy.energy_over_period(energy.it_power(1, 700, 0.61), SECONDS_PER_YEAR) / JOULES_PER_KWH
    assert one == pytest.approx(3_740, abs=1)
    fleet = energy.energy_over_period(energy.it_power(3.5e6, 700, 0.61), SECONDS_PER_YEAR)
    assert fleet / JOULES_PER_KWH == pytest.approx(13_091_820_000, rel=1e-12)


def test_cluster_power_calculator_chain():
    # aiinframap.com Datacenter Power Calculator (2026), worked example: 10,000 H100 SXM5 at 700 W
    # = 7,000 kW; "+30% for CPU / memory / NIC / storage" = 9,100 kW; "IT × PUE 1.30" = 11.83 MW;
    # "Annual energy 103.6 GWh"; "Annual electricity cost @ $0.08/kWh $8.3 M".
    it = energy.it_power(10_000, 700, 1.0, 0.30)
    assert it == pytest.approx(9.1e6)
    facility = energy.facility_power(it, 1.30)
    assert facility == pytest.approx(11.83e6)
    annual = energy.energy_over_period(facility, SECONDS_PER_YEAR)
    assert annual / 3.6e12 == pytest.approx(103.6, abs=0.05)  # GWh
    assert energy.electricity_cost(annual, 0.08) == pytest.approx(8.3e6, abs=0.05e6)


def test_semianalysis_cluster_electricity_bill():
    # SemiAnalysis, "100,000 H100 Clusters" (2024-06, from memory): such a cluster will "guzzle
    # down 1.59 terawatt hours in a single year, costing $123.9 million at a standard rate of
    # $0.078/kWh".
    bill = energy.electricity_cost(1.59e9 * JOULES_PER_KWH, 0.078)
    assert bill == pytest.approx(123.9e6, rel=0.002)  # 1.59 TWh is printed to 3 figures


def test_bloom_training_energy_and_emissions():
    # Luccioni, Viguier & Ligozat, "Estimating the Carbon Footprint of BLOOM" (JMLR 2023, arXiv
    # 2022-11): 1,082,990 GPU-hours on A100s at 400 W = 433,196 kWh of dynamic consumption; on
    # the French grid at 57 gCO2eq/kWh, 24.7 t; the idle consumption, 256,646 kWh, 14.6 t.
    run = energy.training_energy(1_082_990, 400)
    assert run / JOULES_PER_KWH == pytest.approx(433_196, abs=0.01)
    assert energy.emissions(run, 57) / 1_000 == pytest.approx(24.7, abs=0.05)
    assert energy.emissions(256_646 * JOULES_PER_KWH, 57) / 1_000 == pytest.approx(14.6, abs=0.05)


def test_llama_3_1_training_energy():
    # Meta, Llama 3.1 model card (2024-07-23): 1.46M, 7.0M and 30.84M H100-hours at 700 W
    # ("peak power capacity per GPU device ... adjusted for power usage efficiency"), 39.3M in all;
    # location-based emissions 420, 2,040 and 8,930 t CO2eq, 11,390 in all.
    hours = np.array([1.46e6, 7.0e6, 30.84e6])
    runs = energy.training_energy(hours, 700)
    assert runs.sum() / 3.6e12 == pytest.approx(39.3e6 * 0.7 / 1e6)  # GWh: 27.51
    assert runs[2] / 3.6e12 == pytest.approx(21.588)
    # One grid intensity for all three (the card's method): the one that gives 8,930 t for the
    # 405B (414 gCO2e/kWh) gives the two smaller runs to the card's rounding.
    intensity = 8_930e3 * 1_000 / (runs[2] / JOULES_PER_KWH)
    assert intensity == pytest.approx(413.7, abs=0.1)
    np.testing.assert_allclose(energy.emissions(runs, intensity) / 1_000, [420, 2_040, 8_930], rtol=0.01)


def test_gpt3_training_energy_and_emissions():
    # Patterson et al. 2021, "Carbon Emissions and Large Neural Network Training", table 4:
    # GPT-3 on 10,000 V100 for 14.8 days at 330 W average per processor, PUE 1.10 → 1,287 MWh;
    # at 0.429 kgCO2e/kWh, 552 tCO2e (the intensity and tonnes from memory of the table).
    facility = energy.facility_power(energy.it_power(10_000, 330), 1.10)
    assert facility == pytest.approx(3.63e6)
    run = energy.energy_over_period(facility, 14.8 * DAY)
    assert run / 3.6e9 == pytest.approx(1_287, rel=0.005)  # MWh; inputs printed to 2-3 figures
    assert energy.emissions(1_287e3 * JOULES_PER_KWH, 429) / 1_000 == pytest.approx(552, abs=0.5)
    # The kWh helpers moved from formulas.hardware give the same chain.
    watts = energy.power_watts(10_000, 330, 1.10)
    assert watts == facility
    kwh = energy.energy_kwh(watts, 14.8 * 24)
    assert kwh == pytest.approx(run / JOULES_PER_KWH)
    # At $0.10/kWh (a stated assumption, not from the paper) that is $129k of electricity.
    assert energy.energy_cost(kwh, 0.10) == pytest.approx(128_938, rel=1e-4)
    assert energy.electricity_cost(run, 0.10) == pytest.approx(energy.energy_cost(kwh, 0.10))


def test_energy_per_token_of_a_serving_node():
    # clune.org, "Per-token energy costs, again" (2025): a 4×H100 PCIe node bracketed at 1.5 kW
    # serving 41.8 tokens/s at batch 1: "1500 J/s / 41.8 t/s → 36J", "10 – 20 kWh" per million
    # tokens (at 1.5 and 3.0 kW).
    per_token = energy.energy_per_token(energy.energy_over_period(1_500, 1.0), 41.8)
    assert per_token == pytest.approx(36, abs=0.5)
    per_million = energy.energy_per_token(energy.energy_over_period(np.array([1_500, 3_000]), 1.0), 41.8)
    np.testing.assert_allclose(per_million * 1e6 / JOULES_PER_KWH, [10, 20], rtol=0.01)


def test_broadcasting():
    rng = np.random.default_rng(2)
    chips = rng.uniform(1e3, 1e5, size=(5, 1))
    tdp = np.array([400.0, 700.0, 1000.0])
    it = energy.it_power(chips, tdp, 0.7, 0.8)
    assert it.shape == (5, 3)
    assert it[4, 2] == pytest.approx(energy.it_power(float(chips[4, 0]), 1000.0, 0.7, 0.8))
    facility = energy.facility_power(it, np.array([1.1, 1.2, 1.5]))
    annual = energy.energy_over_period(facility, SECONDS_PER_YEAR)
    assert energy.emissions(annual, 400).shape == energy.electricity_cost(annual, 0.08).shape == (5, 3)
    assert energy.training_energy(np.arange(4.0), 700).shape == (4,)
    assert isinstance(energy.it_power(8, 700), float)


@given(
    st.floats(1, 1e7),
    st.floats(100, 1500),
    st.floats(0.05, 1.0),
    st.floats(0.0, 2.0),
    st.floats(1.0, 2.5),
    st.floats(1.0, 1e8),
)
def test_a_fleet_year_adds_up(chips, tdp, draw, overhead, pue, queries):
    # Property: the chain is a product: a year's facility energy is chips × TDP × draw × (1 +
    # overhead) × PUE × 8,760 h; per-query energy × queries gives it back; emissions and the
    # bill scale with it.
    annual = energy.energy_over_period(
        energy.facility_power(energy.it_power(chips, tdp, draw, overhead), pue), SECONDS_PER_YEAR
    )
    expected_kwh = chips * tdp * draw * (1 + overhead) * pue * 8_760 / 1_000
    assert annual / JOULES_PER_KWH == pytest.approx(expected_kwh, rel=1e-12)
    assert energy.energy_per_query(annual, queries) * queries == pytest.approx(annual, rel=1e-12)
    assert energy.emissions(annual, 500) == pytest.approx(expected_kwh * 0.5, rel=1e-12)  # kg
    assert energy.electricity_cost(annual, 0.1) == pytest.approx(expected_kwh * 0.1, rel=1e-12)


def test_units():
    ureg = pint.UnitRegistry()
    ureg.define("chip = 1")
    ureg.define("query = 1")
    ureg.define("USD = [currency]")
    q = ureg.Quantity
    # The pure products keep their dimensions under pint: W, W, J, J/query.
    it = energy.it_power(q(10_000, "chip"), q(330, "W/chip"))
    assert it.to("MW").magnitude == pytest.approx(3.3)
    facility = energy.facility_power(it, 1.1)
    assert facility.to("MW").magnitude == pytest.approx(3.63)
    run = energy.energy_over_period(facility, q(14.8, "day"))
    assert run.to("MWh").magnitude == pytest.approx(1_289.4, abs=0.1)
    assert energy.energy_per_query(q(1, "kWh"), q(1_000, "query")).to("Wh/query").magnitude == 1
    with pytest.raises(pint.DimensionalityError):  # a period in metres is not an energy
        energy.energy_over_period(facility, q(1, "m")).to("J")
    # The rest divide by unit constants; hand checks against pint's conversions:
    assert q(1, "kWh").to("J").magnitude == JOULES_PER_KWH
    assert q(8_760, "h").to("s").magnitude == SECONDS_PER_YEAR
    assert q(1, "h").to("s").magnitude == SECONDS_PER_HOUR
    assert energy.training_energy(1.0, 1_000.0) == q(1, "kWh").to("J").magnitude  # 1 h at 1 kW
    assert energy.emissions(JOULES_PER_KWH, 1_000) == pytest.approx(1.0)  # 1 kWh at 1 kg/kWh: 1 kg
    assert energy.electricity_cost(JOULES_PER_KWH, 0.1) == pytest.approx(0.1)
    assert energy.energy_kwh(1_000.0, 1.0) == q(1_000, "W * h").to("kWh").magnitude
    assert energy.energy_cost(q(1000, "kWh"), q(0.1, "USD/kWh")).to("USD").magnitude == pytest.approx(100)
