"""Market and growth formulas against the Ping An market chain, IDC, OpenAI and Caitong figures."""

import numpy as np
import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipdemand.formulas import market


def test_ping_an_ai_server_market():
    # Ping An Securities 2023-02-28: Beijing's 1,048 core AI firms are 29% of China's; 2% of
    # all firms build their own data centre → 72.28 firms; each spends $4.03亿 (inference) +
    # $0.75亿 (training) = $4.78亿 → China $345.50亿; ÷ China's share of the world (37.95%,
    # implied) → global $910.44亿.
    firms = market.firms_building_own(1048, 0.29, 0.02)
    assert firms == pytest.approx(72.28, abs=0.005)  # printed to 2 decimals
    china = market.market_size(firms, 4.78e8)
    assert china == pytest.approx(34.55e9, rel=0.0005)  # 345.50亿 printed; spend rounded to 4.78
    world = market.global_from_share(34.55e9, 0.3795)
    assert world == pytest.approx(91.044e9, rel=0.0002)  # share printed to 4 figures
    # The share the report must have used: 34.55 / 91.044 = 37.949%.
    assert 34.55e9 / 91.044e9 == pytest.approx(0.37949, abs=0.00001)


def test_idc_china_compute_cagr():
    # IDC via Caitong 2023-02-12 / Ping An 2023-02-28: China's intelligent compute 2.68e20 FLOPS
    # (2022) → 12.71e20 FLOPS (2026), "CAGR 47.5%". The inputs give 47.6%: the report's rate is
    # 0.1 point low (IDC's unrounded inputs or truncation), recorded here.
    rate = market.cagr(2.68e20, 12.71e20, 4)
    assert rate == pytest.approx(0.476, abs=0.0005)
    assert abs(rate - 0.475) > 0.0005
    # Projected back: 2.68e20 × 1.476^4 = 12.71e20 (the round trip of cagr and project).
    assert market.project(2.68e20, rate, [4])[-1] == pytest.approx(12.71e20, rel=1e-12)


def test_openai_ai_and_compute_doubling():
    # Amodei & Hernandez 2018 (OpenAI, "AI and Compute"): a 3.4-month doubling time (3.43 in the
    # reports) and "more than 300,000×" from AlexNet (2012) to AlphaGo Zero (2017). 3.43 months
    # is 11.3× a year; 300,000× takes log2(300,000) × 3.43 = 62.4 months = 5.2 years, the span
    # between the two (AlexNet 2012-09, AlphaGo Zero 2017-10: 5.1 years).
    per_year = market.annual_factor_from_doubling_months(3.43)
    assert per_year == pytest.approx(11.3, abs=0.05)
    months_for_300k = np.log2(300_000) * 3.43
    assert months_for_300k / 12 == pytest.approx(5.2, abs=0.05)
    assert per_year ** (months_for_300k / 12) == pytest.approx(300_000, rel=1e-9)


def test_sevilla_and_caitong_growth():
    # Sevilla et al. 2022, "Compute trends across three eras of machine learning" (cited by
    # Ping An): large-scale models double every 9.9 months → 2.3× a year.
    assert market.annual_factor_from_doubling_months(9.9) == pytest.approx(2.316, abs=0.001)
    # Caitong 2023-02-12: transformer training compute grows 750× every 2 years → 27.4× a year,
    # i.e. a doubling every 2.5 months; Moore's law, 2× every 2 years → 41% a year.
    assert market.annual_factor_from_growth(750, 2) == pytest.approx(27.39, abs=0.01)
    assert market.doubling_months_from_annual_factor(np.sqrt(750)) == pytest.approx(2.51, abs=0.01)
    assert market.growth_per_period_to_rate(2, 2) == pytest.approx(0.4142, abs=0.0001)
    # The two routes to Moore's law agree: doubling in 24 months is 2× per 2 years.
    assert market.annual_factor_from_doubling_months(24) == pytest.approx(
        market.annual_factor_from_growth(2, 2), rel=1e-15
    )


def test_project_broadcasts_years_to_a_trailing_axis():
    start = np.array([1.0, 2.0, 3.0])
    rate = np.array([0.0, 0.5, 1.0])
    years = np.arange(2022, 2027)
    values = market.project(start, rate, years, base_year=2022)
    assert values.shape == (3, 5)
    np.testing.assert_allclose(values[:, 0], start, rtol=1e-15)
    np.testing.assert_allclose(values[2], 3.0 * 2.0 ** np.arange(5), rtol=1e-15)
    np.testing.assert_allclose(values[0], 1.0)
    # (n, k) draws against a year axis → (n, k, n_years); scalars → (n_years,).
    assert market.project(np.ones((4, 2)), 0.1, years, base_year=2022).shape == (4, 2, 5)
    assert market.project(1.0, 0.1, years, base_year=2022).shape == (5,)


def test_first_crossing():
    # Hand-built: demand grows 2× a year from 1, supply 1.5× a year from 4, years 2023-2028;
    # demand 1, 2, 4, 8, 16, 32 vs supply 4, 6, 9, 13.5, 20.25, 30.4 → first ≥ in 2028.
    # A draw starting at 5 crosses at once; a flat draw never does (+inf).
    years = np.arange(2023, 2029)
    demand = market.project(np.array([1.0, 5.0, 1.0]), np.array([1.0, 1.0, 0.0]), years, base_year=2023)
    supply = market.project(4.0, 0.5, years, base_year=2023)
    first = market.first_crossing(demand, supply, years)
    np.testing.assert_array_equal(first, [2028.0, 2023.0, np.inf])
    # A sentinel of the caller's choice, e.g. one year past the horizon.
    assert market.first_crossing(demand, supply, years, never=2029.0)[2] == 2029.0
    # Equality counts as reaching supply; NaN never does.
    assert market.first_crossing(np.array([1.0, 2.0]), 2.0, [0, 1]) == 1.0
    assert market.first_crossing(np.array([np.nan, np.nan]), 2.0, [0, 1]) == np.inf


@given(st.floats(1e-6, 1e30), st.floats(-0.9, 10.0), st.floats(0.25, 50.0))
def test_cagr_and_project_round_trip(start, rate, years):
    end = market.project(start, rate, [years])[0]
    assert market.cagr(start, end, years) == pytest.approx(rate, rel=1e-9, abs=1e-9)


@given(st.floats(1.001, 1e6))
def test_doubling_time_round_trip(annual_factor):
    months = market.doubling_months_from_annual_factor(annual_factor)
    assert market.annual_factor_from_doubling_months(months) == pytest.approx(annual_factor, rel=1e-9)


def test_broadcasting():
    firms = np.array([[900.0], [1048.0], [1200.0]])  # (3, 1)
    shares = np.array([0.25, 0.29])  # (2,)
    building = market.firms_building_own(firms, shares, 0.02)
    assert building.shape == (3, 2)
    assert building[1, 1] == pytest.approx(72.28, abs=0.005)
    assert market.market_size(building, 4.78e8).shape == (3, 2)
    assert market.global_from_share(np.full((3, 2), 34.55e9), shares).shape == (3, 2)
    assert market.cagr(np.array([1.0, 2.0]), np.array([[4.0], [8.0]]), 2).shape == (2, 2)
    assert isinstance(market.cagr(2.68, 12.71, 4), float)
    first = market.first_crossing(np.ones((4, 2, 3)), np.array([2.0, 1.0, 0.5]), [1, 2, 3])
    assert first.shape == (4, 2) and np.all(first == 2)


@pytest.fixture(scope="module")
def ureg():
    ureg = pint.UnitRegistry()
    ureg.define("FLOP = [compute]")
    ureg.define("USD = [currency]")
    ureg.define("firm = 1")
    return ureg


def test_units(ureg):
    q = ureg.Quantity
    firms = market.firms_building_own(q(1048, "firm"), 0.29, 0.02)
    spend = market.market_size(firms, q(4.78e8, "USD/firm"))
    assert spend.to("USD").magnitude == pytest.approx(3.455e10, rel=0.0005)
    world = market.global_from_share(q(34.55, "gigaUSD"), q(37.95, "percent"))
    assert world.to("USD").magnitude == pytest.approx(91.04e9, rel=0.0005)
    rate = market.cagr(q(2.68e20, "FLOP/s"), q(1.271, "zettaFLOP/s"), 4)
    assert rate.to("dimensionless").magnitude == pytest.approx(0.476, abs=0.0005)
    with pytest.raises(pint.DimensionalityError):  # growth from FLOP/s to dollars is no rate
        market.cagr(q(2.68e20, "FLOP/s"), q(12.71e20, "USD"), 4)
    # project and first_crossing call np.asarray (no pint); their units follow `start` and
    # `years`, checked by hand in test_project_broadcasts_years_to_a_trailing_axis.
