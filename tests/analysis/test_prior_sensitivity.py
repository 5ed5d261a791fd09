"""Prior sensitivity by power-scaling: the widest prior first, a flat prior unmoved, a conditioned
run analysed as its posterior (the product study of conftest.py)."""

import math

import pytest
from scipy import special

from chipdemand.analysis.conditioning import Observation, condition
from chipdemand.analysis.prior_sensitivity import prior_sensitivity

Z90 = float(special.ndtri(0.95))


@pytest.fixture(scope="module")
def conditioned(run):
    """The product observed at exp(1.29) with a log-normal error of sd 0.2 in the base scenario."""
    v, sigma = math.exp(1.29), 0.2
    ci = (v * math.exp(-Z90 * sigma), v * math.exp(Z90 * sigma))
    return condition(run, [Observation("y", "product", v, ci, source="a test", scenarios=("base",))])


@pytest.mark.parametrize(("scenario", "first"), [("base", "a"), ("wide_b", "b")])
def test_prior_sensitivity_ranks_the_widest_prior_first(run, scenario, first):
    table = prior_sensitivity(run, "product", scenario=scenario)
    assert table["input"].iloc[0] == first
    assert table.attrs["method"] == "prior" and table.attrs["scenario"] == scenario
    assert table.attrs["skipped"] == {"c": "a point value"}
    assert (table["index"] > 0.05).all()  # both log-normal priors matter to a product


def test_a_flat_prior_is_not_moved_by_power_scaling(run):
    table = prior_sensitivity(run, "product", scenario="flat_c").set_index("input")
    assert table.loc["c", "index"] == 0.0
    assert table.loc["a", "index"] > 0.05


def test_prior_sensitivity_of_a_conditioned_run(conditioned):
    before = prior_sensitivity(conditioned.run, "product").set_index("input")["index"]
    after = prior_sensitivity(conditioned, "product")
    assert after.attrs["conditioned"]
    # an observation of the product makes it depend less on either prior
    assert (after.set_index("input")["index"] < before).all()
