"""The product of log-normal inputs whose posterior is known in closed form: a study, its model
and a run shared by the conditioning and prior-sensitivity tests."""

import math

import pytest

import chipdemand as cd
from chipdemand.models import MODELS, Input, Model, Output, register

# The product of independent log-normal inputs is log-normal: log y = log a + log b + log c.
MU_A, SIGMA_A = 0.0, 0.5
MU_B, SIGMA_B = 1.0, 0.3
MU_Y, SIGMA_Y = MU_A + MU_B, math.hypot(SIGMA_A, SIGMA_B)

PRODUCT = f"""
[study]
name = "test_product"
title = "A product of log-normal inputs (tests)"
model = "test_product"
source = "tests"
[inputs.a]
unit = "user"
dist = "lognormal"
mu = {MU_A}
sigma = {SIGMA_A}
source = "test"
[inputs.b]
unit = "query/user/day"
dist = "lognormal"
mu = {MU_B}
sigma = {SIGMA_B}
source = "test"
[inputs.c]
unit = "1"
dist = "point"
value = 1
source = "test"
[scenarios.wide_b]
b = {{ dist = "lognormal", mu = {MU_B}, sigma = 1.5 }}
[scenarios.flat_c]
c = {{ dist = "uniform", low = 0.5, high = 1.5 }}
"""


def _product(a, b, c):
    return {"product": a * b * c}


@pytest.fixture(scope="module")
def product_study():
    if "test_product" not in MODELS:
        register(
            Model(
                name="test_product",
                description="a · b · c (tests)",
                inputs=(Input("a", "user"), Input("b", "query/user/day"), Input("c", "1")),
                outputs=(Output("product", "query/day", "a · b · c"),),
                function=_product,
            )
        )
    return cd.parse_study(PRODUCT, "test_product.toml")


DRAWS = 200_000


@pytest.fixture(scope="module")
def run(product_study):
    """200,000 draws of the product study, seed 7."""
    return cd.simulate(product_study, draws=DRAWS, seed=7)
