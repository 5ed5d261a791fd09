"""world_accelerators (issue 19): it loads and runs, its outputs stay in their domains year by
year, P(demand > supply) is a probability, its observations condition it with k̂ < 0.7, and check
places its references."""

import numpy as np
import pytest

import chipdemand as cd
from chipdemand.domains import outside_values

NAME = "world_accelerators"
DRAWS = 20_000
YEARS = list(range(2024, 2031))


@pytest.fixture(scope="module")
def study():
    return cd.load_study(NAME)


@pytest.fixture(scope="module")
def res(study):
    return cd.simulate(study, draws=DRAWS, seed=0)


def test_it_is_shipped_with_years_2024_to_2030(study):
    assert NAME in {s["name"] for s in cd.list_studies()}
    assert list(study.model.coords["year"]) == YEARS
    assert {
        "tighter_export_controls",
        "packaging_doubling",
        "efficiency_surprise",
        "demand_growth_halving",
    } <= set(study.scenario_names)


def test_every_output_is_finite_and_in_its_domain_every_year(study, res):
    for out in study.model.outputs:
        values = res[out.name].values
        assert np.isfinite(values).all(), out.name
        assert outside_values(values, out.domain) is None, out.name
    for name in ("demand", "shipments", "installed_base", "facility_power", "annual_energy", "capex"):
        assert res[name].dims[-1] == "year" and (res[name].values > 0).all(), name


def test_p_demand_exceeds_supply_is_a_probability_per_year(res):
    p = res["demand_exceeds_supply"].sel(scenario="base").mean("draw").values
    assert p.shape == (7,) and ((p >= 0) & (p <= 1)).all()
    assert set(np.unique(res["demand_exceeds_supply"].values)) <= {0.0, 1.0}
    # the first shortfall year is the first year the indicator is 1 (2031 when never)
    ind = res["demand_exceeds_supply"].sel(scenario="base").values
    first = np.where(ind.any(axis=-1), 2024 + ind.argmax(axis=-1), 2031)
    np.testing.assert_array_equal(res["first_shortfall_year"].sel(scenario="base").values, first)


def test_installed_base_is_stock_plus_surviving_shipments(res):
    # never more than the end-2023 stock plus everything shipped, never less than this year's shipments
    base = res.sel(scenario="base")
    cumulative = base["stock_2023"].values[:, None] + np.cumsum(base["shipments"].values, axis=-1)
    installed = base["installed_base"].values
    assert (installed <= cumulative * (1 + 1e-12)).all()
    assert (installed >= 0.9 * base["shipments"].values).all()


def test_scenarios_move_the_right_way(res):
    # doubled packaging ships more, but less than twice as much: HBM then binds in many draws
    med = res.median("draw")
    ratio = float(med["shipments"].sel(scenario="packaging_doubling", year=2027)) / float(
        med["shipments"].sel(scenario="base", year=2027)
    )
    assert 1.2 < ratio < 2.0
    for scenario in ("efficiency_surprise", "demand_growth_halving"):
        assert float(med["demand"].sel(scenario=scenario, year=2030)) < float(
            med["demand"].sel(scenario="base", year=2030)
        )
    assert float(med["shipments"].sel(scenario="tighter_export_controls", year=2024)) >= float(
        med["shipments"].sel(scenario="base", year=2024)
    )


def test_observations_condition_it_with_khat_below_0_7(study):
    assert len(study.observations) >= 3
    assert all(o.source and o.date for o in study.observations.values())
    run = cd.run(NAME, draws=DRAWS, seed=0, observed=True)
    k = run.conditioned.pareto_k.values
    assert (k < 0.7).all(), k
    assert (run.conditioned.ess.values > 1_000).all()


def test_check_places_at_least_five_independent_references(study):
    refs = [r for o in study.outputs.values() for r in o.references if r.bound is None]
    assert len(refs) >= 5 and len({r.source for r in refs}) >= 4
    result = cd.check(NAME, draws=DRAWS, seed=0)
    estimates = [r for r in result.rows if not r.get("bound")]
    assert len(estimates) == len(refs)
    assert all(r["percentile"] is None or 0 <= r["percentile"] <= 1 for r in estimates)
    cov = result.to_dict()["coverage"]
    assert cov["overall"]["n"] == len(refs) and cov["studies"][0]["scope"] == NAME
