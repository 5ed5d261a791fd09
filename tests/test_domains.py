"""Domains: physically impossible inputs are refused at load time, from each distribution itself,
by every path (base inputs, scenario overrides, points, formula studies), and impossible outputs
at run time with the offending draw's inputs."""

import math

import numpy as np
import pytest
from scipy import stats

import chipdemand as cd
from chipdemand.distributions import (
    Beta,
    Catalogued,
    Choice,
    Empirical,
    LogNormal,
    Mixture,
    Normal,
    Point,
    Scaled,
    Truncated,
    Uniform,
    parse_distribution,
)
from chipdemand.domains import DOMAINS, TOLERANCE, outside_values, probability_outside
from chipdemand.models import MODELS, Input, Model, Output
from chipdemand.study.loader import parse_study, priors_dir


# ----------------------------------------------------------------------------- probability outside
def _spec(**spec):
    return parse_distribution(spec)


@pytest.mark.parametrize(
    ("dist", "domain", "expected"),
    [
        (Normal(0.5, 0.25), "share", stats.norm.cdf(0, 0.5, 0.25) + stats.norm.sf(1, 0.5, 0.25)),
        (Normal(0.5, 0.25), "positive", stats.norm.cdf(0, 0.5, 0.25)),
        (Normal(0.5, 0.25), "any", 0.0),
        (Normal(1.5, 0.3), "at_least_one", stats.norm.cdf(1, 1.5, 0.3)),
        (LogNormal(math.log(16), 0.843), "at_least_one", stats.lognorm.cdf(1, 0.843, scale=16)),
        (LogNormal(0.0, 1.0), "positive", 0.0),
        (Beta(2, 5), "share", 0.0),
        (Uniform(1.5, 3.0), "share", 1.0),
        (Uniform(-1.0, 3.0), "nonnegative", 0.25),
        (Uniform(0.0, 2.0), "positive", 0.0),  # P(X = 0) is 0 for a continuous family
        (Point(0.0), "positive", 1.0),
        (Point(0.0), "nonnegative", 0.0),
        (Point(8.0), "count", 0.0),
        (Point(8.5), "count", 1.0),
        (Choice([0, 1, 2], [0.2, 0.3, 0.5]), "positive", 0.2),
        (Choice([0, 1, 2], [0.2, 0.3, 0.5]), "at_least_one", 0.2),
        (Choice([1, 1.5, 2], [0.2, 0.3, 0.5]), "count", 0.3),
        (Choice(["a", "b"]), "positive", 0.0),  # labels have no domain
        (Uniform(4.0, 8.0), "count", 1.0),  # a continuous count is never whole
        (Empirical([-1.0, 1.0, 2.0, 3.0]), "positive", 0.25),
        (Scaled(_spec(dist="uniform", low=0, high=100), 0.01), "share", 0.0),  # percent written, share used
        (Scaled(_spec(dist="uniform", low=0, high=200), 0.01), "share", 0.5),
        (Truncated(_spec(dist="normal", mean=0.5, sd=0.5), 0.0, 1.0), "share", 0.0),
        (Mixture([Normal(-1, 0.1), Normal(1, 0.1)], np.array([0.25, 0.75])), "positive", 0.25),
    ],
)
def test_the_probability_outside_a_domain_comes_from_the_distribution(dist, domain, expected):
    assert probability_outside(dist, domain) == pytest.approx(expected, abs=1e-9)


def test_catalogue_chips_are_checked_per_chip_and_range():
    price = Catalogued("price_usd", {"H100": 0.5, "A100": 0.5})
    assert probability_outside(price, "positive") == 0.0
    assert probability_outside(price, "share") == 1.0


def test_a_family_with_only_a_ppf_is_checked_by_bisection():
    class OnlyPpf(Uniform):
        def cdf(self, x):
            raise NotImplementedError

    assert probability_outside(OnlyPpf(-1.0, 3.0), "positive") == pytest.approx(0.25, abs=1e-12)


def test_the_tolerance_is_one_in_a_billion():
    assert TOLERANCE == 1e-9
    # a normal 6.1 sd above zero puts 5e-10 below it (accepted); 5.9 sd puts 1.8e-9 (refused)
    assert (
        probability_outside(Normal(6.1, 1.0), "positive")
        < TOLERANCE
        < probability_outside(Normal(5.9, 1.0), "positive")
    )


# ----------------------------------------------------------------------------- model inputs
def test_every_input_of_every_built_in_model_declares_its_domain():
    for model in MODELS.values():
        if model.name.startswith("test_"):
            continue
        for i in model.inputs:
            assert i.choices is not None or i.domain in DOMAINS, (model.name, i.name)


def test_every_shipped_study_is_inside_its_domains():
    for s in cd.list_studies():  # loading checks every distribution of every scenario
        study = cd.load_study(s["name"])
        for name in study.inputs:
            domain = study.model.input(name).effective_domain
            for scenario in study.scenario_names:
                assert probability_outside(study.spec(scenario, name).dist, domain) <= TOLERANCE


def test_a_utilization_that_reaches_below_zero_is_refused(study_doc, write_study):
    # issue 10: "a utilization drawn from a normal that reaches below zero"
    study_doc["inputs"]["utilization"] = {
        "unit": "1",
        "dist": "normal",
        "mean": 0.5,
        "sd": 0.3,
        "source": "test",
    }
    with pytest.raises(cd.StudyError) as err:
        cd.load_study(write_study(study_doc))
    assert str(err.value).endswith(
        "inputs.utilization: normal(mean=0.5, sd=0.3) puts probability 0.096 outside the domain of input "
        "'utilization', 'share' (a share in (0, 1]); use a beta (dist = \"beta\", ci = [...]), or truncate "
        "it with lower = 0 and upper = 1"
    )


def test_a_utilization_of_150_to_300_percent_is_refused(study_doc, write_study):
    study_doc["inputs"]["utilization"] = {
        "unit": "percent",
        "dist": "uniform",
        "low": 150,
        "high": 300,
        "source": "t",
    }
    with pytest.raises(
        cd.StudyError, match=r"inputs\.utilization: uniform\(low=150, high=300\) puts probability 1 outside"
    ):
        cd.load_study(write_study(study_doc))
    study_doc["inputs"]["utilization"] = {
        "unit": "percent",
        "dist": "uniform",
        "low": 50,
        "high": 90,
        "source": "t",
    }
    assert cd.load_study(write_study(study_doc)).inputs["utilization"].unit == "1"


def test_a_scenario_override_outside_the_domain_is_refused(study_doc, write_study):
    study_doc["scenarios"]["heavy_use"]["peak_to_average"] = {"dist": "normal", "mean": 1.2, "sd": 0.2}
    with pytest.raises(
        cd.StudyError,
        match=r"scenarios\.heavy_use\.peak_to_average: .* outside the domain of input 'peak_to_average', "
        r"'at_least_one'",
    ):
        cd.load_study(write_study(study_doc))


def test_a_point_value_outside_the_domain_is_refused(study_doc, write_study):
    study_doc["inputs"]["utilization"]["point"] = 1.5
    with pytest.raises(
        cd.StudyError,
        match=r"inputs\.utilization\.point: 1\.5 is outside the domain of input 'utilization', 'share'",
    ):
        cd.load_study(write_study(study_doc))


def test_a_count_must_be_whole(study_doc, write_study):
    study_doc["inputs"]["gpus_per_server"] = {
        "unit": "GPU/server",
        "dist": "uniform",
        "low": 4,
        "high": 8,
        "source": "t",
    }
    with pytest.raises(
        cd.StudyError, match="'count' \\(a whole number >= 1\\); use a point or a choice of whole numbers"
    ):
        cd.load_study(write_study(study_doc))
    study_doc["inputs"]["gpus_per_server"] = {
        "unit": "GPU/server",
        "dist": "choice",
        "values": [4, 8],
        "source": "t",
    }
    cd.load_study(write_study(study_doc))


def test_a_negative_upload_rate_is_refused():
    # issue 10: "a negative upload rate"
    with open(priors_dir() / "sora_training.toml", encoding="utf-8") as f:
        text = f.read()
    head = "[inputs.upload_hours_per_minute]"
    start = text.index(head)
    end = text.index("\n[", start + 1)
    bad = (
        text[:start]
        + head
        + '\nunit = "hour/minute"\ndist = "normal"\nmean = 100\nsd = 80\npoint = 500\nsource = "t"\n'
        + text[end:]
    )
    with pytest.raises(
        cd.StudyError,
        match=r"inputs\.upload_hours_per_minute: normal\(mean=100, sd=80\) puts probability 0\.11",
    ):
        parse_study(bad, "sora_training.toml")


# ----------------------------------------------------------------------------- formula studies
FORMULA = """
[study]
name = "d"
title = "domains"
source = "tests"
[inputs.rate]
unit = "1/s"
dist = "normal"
mean = 2
sd = 1
source = "t"
[outputs.per_hour]
formula = "rate"
unit = "1/hour"
domain = "any"
"""


def test_a_formula_input_is_positive_unless_it_says_otherwise():
    with pytest.raises(
        cd.StudyError,
        match=r"inputs\.rate: normal\(mean=2, sd=1\) puts probability 0\.023 outside the domain of input "
        r"'rate', 'positive'",
    ):
        parse_study(FORMULA, "d.toml")
    study = parse_study(FORMULA.replace('unit = "1/s"', 'unit = "1/s"\ndomain = "any"'), "d.toml")
    assert study.model.input("rate").domain == "any"
    res = cd.simulate(study, draws=1_000, seed=1)
    np.testing.assert_allclose(res.per_hour.values, res.rate.values * 3600)


def test_a_domain_of_plain_numbers_needs_a_plain_unit():
    text = FORMULA.replace('unit = "1/s"', 'unit = "1/s"\ndomain = "share"')
    with pytest.raises(
        cd.StudyError, match="inputs.rate: the domain 'share' needs a plain number, not '1/s'"
    ):
        parse_study(text, "d.toml")


def test_a_share_written_in_percent_is_checked_as_a_share():
    text = FORMULA.replace('unit = "1/s"', 'unit = "percent"\ndomain = "share"').replace(
        "mean = 2\nsd = 1", "mean = 50\nsd = 5"
    )
    text = text.replace('unit = "1/hour"', 'unit = "1"')
    study = parse_study(text, "d.toml")
    res = cd.simulate(study, draws=1_000, seed=1)
    np.testing.assert_allclose(res.per_hour.values, res.rate.values / 100)  # kept in percent, converted once
    with pytest.raises(cd.StudyError, match="outside the domain of input 'rate', 'share'"):
        parse_study(text.replace("mean = 50", "mean = 95"), "d.toml")


# ----------------------------------------------------------------------------- outputs
def _toy(domain="nonnegative"):
    return Model(
        name="toy",
        description="a toy",
        inputs=(Input("a", "1", domain="any"), Input("method", "1", choices=("x", "y"))),
        outputs=(Output("out", "GPU", domain=domain),),
        function=lambda a, method: {"out": np.log(a) * np.where(method == 1, 1.0, 2.0)},
    )


def test_an_output_outside_its_domain_names_the_draw_and_its_inputs():
    values = {"a": np.array([2.0, 3.0, 0.5, 4.0]), "method": np.array([0.0, 1.0, 1.0, 0.0])}
    with pytest.raises(cd.StudyError) as err:
        _toy().evaluate(values)
    assert str(err.value) == (
        "outputs.out: -0.6931 in draw 2, expected a number >= 0 (GPU); that draw's inputs: a=0.5, "
        "method='y'. Check the inputs' ranges (a division by zero, a share above 1, a negative value?)"
    )


def test_nan_and_infinity_are_never_an_answer_and_numpy_stays_quiet():
    with pytest.raises(cd.StudyError, match="outputs.out: NaN in draw 1, expected a finite number"):
        _toy("any").evaluate({"a": np.array([1.0, -1.0]), "method": np.array([0.0, 0.0])})
    with pytest.raises(cd.StudyError, match="outputs.out: -inf in draw 0"):
        _toy("any").evaluate({"a": np.array([0.0]), "method": np.array([0.0])})
    out = _toy("any").evaluate({"a": np.array([0.5]), "method": np.array([0.0])})  # negative is fine here
    assert out["out"][0] < 0


@pytest.mark.parametrize(
    ("domain", "values", "bad"),
    [
        ("positive", [1.0, 0.0], (1,)),
        ("nonnegative", [1.0, 0.0, -1e-300], (2,)),
        ("share", [0.5, 1.0, 1.0000001], (2,)),
        ("at_least_one", [1.0, 0.999], (1,)),
        ("count", [1.0, 2.0, 2.5], (2,)),
        ("any", [-1.0, np.inf], (1,)),
        ("any", [-1.0, 1e300], None),
    ],
)
def test_outside_values_finds_the_first_bad_value(domain, values, bad):
    assert outside_values(np.array(values), domain) == bad


def test_yearly_outputs_report_the_draw():
    assert outside_values(np.array([[1.0, 2.0], [3.0, -1.0]]), "nonnegative") == (1, 1)
