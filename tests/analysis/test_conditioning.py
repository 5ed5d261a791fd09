"""Conditioning on observations: a closed-form posterior, PSIS refusals, weighted quantiles,
stored weights, validation of every key, and prior sensitivity by power-scaling."""

import json
import math

import numpy as np
import pytest
from scipy import special, stats

import chipdemand as cd
from chipdemand.analysis.conditioning import (
    WEIGHT,
    Observation,
    attach_weights,
    condition,
    khat_threshold,
    kish_ess,
    log_likelihood,
    parse_observations,
    psis_log_weights,
    read_weights,
    stored_observations,
)
from chipdemand.errors import StudyError

Z90 = float(special.ndtri(0.95))  # the 90% interval is ±1.645 sd
# the product study of conftest.py: log y = log a + log b (c = 1), its parameters
MU_A, SIGMA_A = 0.0, 0.5
MU_B, SIGMA_B = 1.0, 0.3
MU_Y, SIGMA_Y = MU_A + MU_B, math.hypot(SIGMA_A, SIGMA_B)
DRAWS = 200_000


def _observe(log_value: float, sigma: float, **kw) -> Observation:
    """An observation of the product at exp(log_value) with a log-normal error of sd ``sigma``."""
    v = math.exp(log_value)
    ci = (v * math.exp(-Z90 * sigma), v * math.exp(Z90 * sigma))
    return Observation(kw.pop("name", "y"), "product", v, ci, source="a test", **kw)


# ----------------------------------------------------------------------------- closed form
SIGMA_OBS = 0.2
LOG_OBS = MU_Y + 0.5 * SIGMA_Y  # half a prior sd above the prior's median


def _normal_posterior(prior_mean, prior_var, cov_with_y):
    """Posterior of a Gaussian quantity jointly normal with log y, given log v = log y + N(0, σo²)."""
    gain = cov_with_y / (SIGMA_Y**2 + SIGMA_OBS**2)
    return prior_mean + gain * (LOG_OBS - MU_Y), prior_var - gain * cov_with_y


# log y, log a and log b given the observation: (mean, variance), by Gaussian conditioning
CLOSED_FORM = {
    "product": _normal_posterior(MU_Y, SIGMA_Y**2, SIGMA_Y**2),
    "a": _normal_posterior(MU_A, SIGMA_A**2, SIGMA_A**2),
    "b": _normal_posterior(MU_B, SIGMA_B**2, SIGMA_B**2),
}


@pytest.fixture(scope="module")
def conditioned(run):
    return condition(run, [_observe(LOG_OBS, SIGMA_OBS, scenarios=("base",))])


def test_the_constants_are_the_product_studys(product_study, run):
    assert run.sizes["draw"] == DRAWS
    for name, mu, sigma in [("a", MU_A, SIGMA_A), ("b", MU_B, SIGMA_B)]:
        q = product_study.spec("base", name).dist.ppf([0.5, special.ndtr(1.0)])
        assert np.log(q) == pytest.approx([mu, mu + sigma])


def test_the_closed_form_is_what_we_think():
    # the product's posterior is the usual precision-weighted mean of prior and measurement
    mean, var = CLOSED_FORM["product"]
    precision = 1 / SIGMA_Y**2 + 1 / SIGMA_OBS**2
    assert var == pytest.approx(1 / precision)
    assert mean == pytest.approx((MU_Y / SIGMA_Y**2 + LOG_OBS / SIGMA_OBS**2) / precision)


@pytest.mark.parametrize("variable", ["product", "a", "b"])
def test_posterior_quantiles_match_the_closed_form(conditioned, variable):
    ess = float(conditioned.ess.sel(scenario="base"))
    assert 0.2 * DRAWS < ess < DRAWS  # the observation is informative, and the weights healthy
    mean, var = CLOSED_FORM[variable]
    sd = math.sqrt(var)
    row = conditioned.table.set_index(["scenario", "variable"]).loc[("base", variable)]
    for column, p in [("posterior_low", 0.05), ("posterior_median", 0.5), ("posterior_high", 0.95)]:
        z = special.ndtri(p)
        # Monte Carlo standard error of a quantile of log x from `ess` effective draws
        mcse = sd * math.sqrt(p * (1 - p) / ess) / stats.norm.pdf(z)
        assert math.log(row[column]) == pytest.approx(mean + z * sd, abs=4 * mcse), column
    # and the prior columns are the prior's: the posterior is not the prior by accident
    prior_mean = {"product": MU_Y, "a": MU_A, "b": MU_B}[variable]
    assert math.log(row["median"]) == pytest.approx(prior_mean, abs=0.01)
    assert abs(math.log(row["posterior_median"]) - prior_mean) > 0.05


def test_k_hat_is_small_and_the_ess_is_kish_of_the_weights_used(conditioned):
    k = float(conditioned.pareto_k.sel(scenario="base"))
    assert k < khat_threshold(DRAWS)
    w = conditioned.weights.sel(scenario="base").values
    assert w.sum() == pytest.approx(1.0)
    assert float(conditioned.ess.sel(scenario="base")) == pytest.approx(1 / np.sum(w**2), rel=1e-9)


@pytest.mark.parametrize("half_width", [0.005, 0.05])
def test_an_informative_observation_gets_the_exact_posteriors_5_and_95_percent(run, half_width):
    # issue 20 item 14: an observation of the product within ±half_width (90%), log-normal error;
    # its bounds at the exact posterior's 5% and 95% within 3 binomial standard errors of the
    # effective draws, and the ESS stated is that of the (raw) weights used
    sigma = math.log1p(half_width) / Z90
    obs = _observe(LOG_OBS, sigma, scenarios=("base",))
    cond = condition(run, [obs])
    gain = SIGMA_Y**2 / (SIGMA_Y**2 + sigma**2)
    mean, sd = MU_Y + gain * (LOG_OBS - MU_Y), math.sqrt(SIGMA_Y**2 * (1 - gain))
    row = cond.table.set_index(["scenario", "variable"]).loc[("base", "product")]
    ess = float(cond.ess.sel(scenario="base"))
    assert 100 < ess < 0.2 * DRAWS  # informative
    se = math.sqrt(0.05 * 0.95 / ess)
    for column, p in [("posterior_low", 0.05), ("posterior_high", 0.95)]:
        assert stats.norm.cdf(math.log(row[column]), mean, sd) == pytest.approx(p, abs=3 * se), column
    assert cond.estimator("base") == "raw" and cond.document()["weights"]["base"] == "raw"
    w = cond.weights.sel(scenario="base").values
    ll = log_likelihood(run, [obs]).sel(scenario="base").values
    np.testing.assert_allclose(w, np.exp(ll - special.logsumexp(ll)), rtol=1e-9)
    assert ess == pytest.approx(1 / np.sum(w**2), rel=1e-9)


def test_a_scenario_the_observation_does_not_apply_to_keeps_its_prior(conditioned, run):
    for s in ("wide_b", "flat_c"):
        assert np.isnan(float(conditioned.pareto_k.sel(scenario=s)))
        assert float(conditioned.ess.sel(scenario=s)) == pytest.approx(DRAWS)
    table = conditioned.table
    other = table[table["scenario"] != "base"]
    for q in ("median", "low", "high", "mean"):
        np.testing.assert_array_equal(other[f"posterior_{q}"], other[q])
    assert conditioned.observed("base") == ["y"] and conditioned.observed("wide_b") == []


def test_the_table_extends_the_run_table(conditioned, run):
    prior = cd.summarize(run, variables=["product", "a", "b", "c"])
    table = conditioned.table
    assert list(table.columns[: len(prior.columns)]) == list(prior.columns)
    merged = prior.merge(table, on=["scenario", "variable"], suffixes=("", "_c"))
    np.testing.assert_array_equal(merged["median"], merged["median_c"])
    assert {"posterior_median", "posterior_low", "posterior_high"} <= set(table.columns)


def test_what_the_observation_moved_most(conditioned):
    moved = conditioned.moved
    base = moved[(moved["observation"] == "y") & (moved["scenario"] == "base")]
    assert list(base["input"]) == ["a", "b"]  # c is a point value: nothing to move
    for name, sd in (("a", SIGMA_A), ("b", SIGMA_B)):
        mean, _ = CLOSED_FORM[name]
        prior_mean = {"a": MU_A, "b": MU_B}[name]
        # the shift of the median of log x in prior sd; the prior sd estimated by IQR / 1.349
        got = float(base.set_index("input").loc[name, "shift"])
        assert got == pytest.approx((mean - prior_mean) / sd, abs=0.02)


def test_the_document_is_json_with_diagnostics_per_scenario(conditioned):
    doc = json.loads(json.dumps(conditioned.document(), allow_nan=False))
    assert set(doc["pareto_k"]) == set(doc["ess"]) == {"base", "wide_b", "flat_c"}
    assert doc["pareto_k"]["wide_b"] is None and doc["ess"]["wide_b"] == pytest.approx(DRAWS)
    row = next(r for r in doc["results"] if (r["scenario"], r["variable"]) == ("base", "product"))
    assert {"median", "low", "high", "posterior_median", "posterior_low", "posterior_high"} <= set(row)
    assert doc["observations"][0]["source"] == "a test"
    assert doc["draws"] == DRAWS and doc["ci"] == 0.9


# ----------------------------------------------------------------------------- refusals
def test_an_observation_far_in_the_tail_is_refused_by_k_hat(run):
    far = _observe(MU_Y + 4 * SIGMA_Y, 0.2 * SIGMA_Y, scenarios=("base",))
    ll = log_likelihood(run, [far]).sel(scenario="base").values
    _, k = psis_log_weights(ll)
    assert k > khat_threshold(DRAWS)  # PSIS itself says these weights cannot be trusted
    with pytest.raises(StudyError, match=r"Pareto k̂ = [0-9.]+, above 0\.70") as err:
        condition(run, [far])
    assert err.value.key == "observations.y"
    assert "draw more" in str(err.value) and "widen" in str(err.value)
    assert "above 100.00% of the prior draws" in str(err.value)


def test_so_far_that_no_tail_can_be_fitted_is_refused_too(run):
    with pytest.raises(StudyError, match="k̂ cannot be estimated"):
        condition(run, [_observe(MU_Y + 8 * SIGMA_Y, 0.01, scenarios=("base",))])


def test_too_few_effective_draws_for_the_interval_are_refused(product_study):
    small = cd.simulate(product_study, draws=3000, seed=1, scenarios=["base"])
    narrow = _observe(MU_Y, 0.03)  # in the bulk, but far narrower than the prior
    lw, k = psis_log_weights(log_likelihood(small, [narrow]).values)
    assert k[0] < khat_threshold(3000)  # the tail is fine; there are just few effective draws
    assert 100 < kish_ess(lw)[0] < 1000
    condition(small, [narrow], ci=0.9)  # enough for 5 effective draws beyond 5% and 95%
    with pytest.raises(
        StudyError, match="effective draws of 3000 remain .* 99% interval needs at least 1000"
    ):
        condition(small, [narrow], ci=0.99)  # not beyond 0.5% and 99.5%


def test_observing_a_point_value_is_refused(run):
    obs = Observation("c_obs", "c", 1.0, (0.5, 2.0), source="a test", scenarios=("base",))
    with pytest.raises(StudyError, match="point value") as err:
        condition(run, [obs])
    assert err.value.key == "observations.c_obs.target"


def test_a_log_normal_error_on_a_variable_never_positive_is_refused(product_study):
    res = cd.simulate(product_study, draws=1000, seed=1, scenarios=["base"])
    negated = res.assign(product=-res["product"])
    obs = Observation("y", "product", 2.0, (1.0, 4.0), source="a test")
    with pytest.raises(StudyError, match="no draw of product .* is positive") as err:
        condition(negated, [obs])
    assert err.value.key == "observations.y.error"


def test_all_observations_together_where_several_apply(run):
    both = condition(run, [_observe(LOG_OBS, SIGMA_OBS, scenarios=("base",)), _a_observation()])
    assert set(both.moved["observation"]) == {"y", "a_obs", "(all)"}
    apart = condition(
        run, [_observe(LOG_OBS, SIGMA_OBS, scenarios=("wide_b",)), _a_observation()]
    )  # one observation per scenario: "(all)" would repeat each
    assert set(apart.moved["observation"]) == {"y", "a_obs"}
    assert apart.observed("wide_b") == ["y"] and apart.observed("base") == ["a_obs"]


# ----------------------------------------------------------------------------- stored weights
def test_weights_stored_with_the_run_round_trip(conditioned, run, tmp_path):
    ds = attach_weights(run, conditioned)
    assert ds[WEIGHT].dims == ("scenario", "draw") and ds[WEIGHT].attrs["role"] == "weight"
    assert WEIGHT not in ds.chipdemand.outputs
    back = cd.load_results(cd.save_results(ds, tmp_path / "conditioned.nc"))
    np.testing.assert_array_equal(back[WEIGHT].values, conditioned.log_weight.values)
    assert stored_observations(back) == conditioned.observations
    again = read_weights(back)
    np.testing.assert_array_equal(again.pareto_k.values, conditioned.pareto_k.values)
    np.testing.assert_array_equal(again.ess.values, conditioned.ess.values)
    assert again.table.equals(conditioned.table)
    # conditioned again from the saved draws, without simulating: the same weights
    redo = condition(back)
    np.testing.assert_array_equal(redo.log_weight.values, conditioned.log_weight.values)
    # and on more observations: the stored ones and a new one
    more = condition(back, {**stored_observations(back), "a_obs": _a_observation()})
    assert set(more.observations) == {"y", "a_obs"}
    assert float(more.ess.sel(scenario="base")) < float(conditioned.ess.sel(scenario="base"))


def _a_observation():
    return Observation("a_obs", "a", 1.2, (0.8, 1.8), source="a test", scenarios=("base",))


def test_weights_of_another_run_are_refused(conditioned, product_study):
    other = cd.simulate(product_study, draws=1000, seed=7)
    with pytest.raises(StudyError, match="another run"):
        attach_weights(other, conditioned)
    with pytest.raises(StudyError, match="carries no weights"):
        read_weights(other)
    with pytest.raises(StudyError, match="carries none"):
        condition(other)


# ----------------------------------------------------------------------------- parsing
VARIABLES = {"product": "query/day", "a": "user", "b": "query/user/day"}
GOOD = {"value": 2.0, "ci": [1.0, 4.0], "source": "a test", "target": "product"}


def test_a_study_table_parses_with_units_converted_and_dates_as_text():
    import datetime

    raw = {
        "product": {
            "value": 1.0,
            "ci": [0.5, 2.0],
            "unit": "query/s",
            "source": "a test",
            "date": datetime.date(2023, 2, 28),
            "scenarios": ["base"],
        },
        "users": {**GOOD, "target": "a", "error": "normal", "level": 0.8, "value": 2.0, "ci": [1.0, 3.0]},
    }
    obs = parse_observations(raw, VARIABLES, scenarios=["base", "wide_b"])
    p = obs["product"]
    assert (p.target, p.value, p.ci, p.date, p.unit) == (
        "product",
        86400.0,
        (43200.0, 172800.0),
        "2023-02-28",
        "query/day",
    )
    assert p.scale == pytest.approx(math.log(4) / (2 * Z90))
    u = obs["users"]
    assert u.scale == pytest.approx(2.0 / (2 * special.ndtri(0.9)))
    assert u.log_likelihood(np.array([2.0]))[0] == pytest.approx(stats.norm(2.0, u.scale).logpdf(2.0))
    assert p.log_likelihood(np.array([-1.0]))[0] == -np.inf  # log-normal error: x <= 0 is ruled out


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"valeu": 1}, "observations.obs.valeu", "did you mean 'value'"),
        ({"target": None}, "observations.obs.target", "not a variable of the study"),
        ({"target": "prodcut"}, "observations.obs.target", "did you mean 'product'"),
        ({"value": None}, "observations.obs.value", "missing"),
        ({"value": "two"}, "observations.obs.value", "expected a number"),
        ({"value": math.inf}, "observations.obs.value", "finite"),
        ({"ci": [1.0]}, "observations.obs.ci", "two numbers"),
        ({"ci": [3.0, 4.0]}, "observations.obs.ci", "low < value < high"),
        ({"ci": [-1.0, 4.0]}, "observations.obs.ci", "positive range"),
        ({"level": 1.5}, "observations.obs.level", "between 0 and 1"),
        ({"error": "gaussian"}, "observations.obs.error", "unknown error"),
        ({"unit": "kg"}, "observations.obs.unit", "cannot be converted"),
        ({"unit": 3}, "observations.obs.unit", "expected a unit's name \\(text\\), got 3"),
        ({"year": 2024.5}, "observations.obs.year", "whole year"),
        ({"source": None}, "observations.obs.source", "missing"),
        ({"source": "  "}, "observations.obs.source", "missing"),
        ({"date": 2023}, "observations.obs.date", "date"),
        ({"note": 1}, "observations.obs.note", "text"),
        ({"scenarios": ["bse"]}, "observations.obs.scenarios", "did you mean 'base'"),
        ({"scenarios": "base"}, "observations.obs.scenarios", "list of scenario names"),
    ],
)
def test_each_bad_key_is_named(change, key, message):
    raw = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(StudyError, match=message) as err:
        parse_observations({"obs": raw}, VARIABLES, scenarios=["base", "wide_b"])
    assert err.value.key == key


def test_a_table_that_is_not_a_table_is_refused():
    with pytest.raises(StudyError) as err:
        parse_observations({"obs": 3.0}, VARIABLES)
    assert err.value.key == "observations.obs"


def test_the_name_is_the_target_by_default():
    obs = parse_observations({"a": {"value": 2.0, "ci": [1.0, 4.0], "source": "s"}}, VARIABLES)
    assert obs["a"].target == "a"


def test_observations_by_year(growth_study):
    res = cd.simulate(growth_study, draws=20_000, seed=3)
    table = {"value": 6e9, "ci": [4e9, 9e9], "source": "a test", "target": "market"}
    with pytest.raises(StudyError, match="by year") as err:
        condition(res, {"m": table})
    assert err.value.key == "observations.m.year"
    with pytest.raises(StudyError, match="not among the run's years"):
        condition(res, {"m": {**table, "year": 2040}})
    cond = condition(res, {"m": {**table, "year": 2026}})
    row = cond.table.set_index(["scenario", "variable", "year"]).loc[("base", "market", 2026)]
    assert row["posterior_high"] < row["high"]  # the observation narrows 2026
    with pytest.raises(StudyError, match="no year dimension"):
        condition(
            res, {"g": {"target": "growth", "value": 0.3, "ci": [0.2, 0.4], "source": "s", "year": 2026}}
        )
