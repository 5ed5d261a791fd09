"""Property tests of the spec parsers: intervals reproduced, and junk refused only as StudyError."""

import math

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chipdemand.distributions import FAMILIES, parse_distribution
from chipdemand.errors import StudyError
from chipdemand.study.loader import parse_study
from chipdemand.validate import draws as _draws

positive = st.floats(min_value=1e-6, max_value=1e12, allow_nan=False, allow_infinity=False)
levels = st.floats(min_value=0.5, max_value=0.99)


@given(
    lo=positive,
    ratio=st.floats(min_value=1.01, max_value=1e4),
    level=levels,
    family=st.sampled_from(["lognormal", "loguniform", "uniform", "normal", "gamma"]),
)
@settings(max_examples=150, deadline=None)
def test_an_interval_given_is_reproduced(lo, ratio, level, family):
    hi = lo * ratio
    dist = parse_distribution({"dist": family, "ci": [lo, hi], "level": level})
    got = dist.ppf(np.array([(1 - level) / 2, (1 + level) / 2]))
    np.testing.assert_allclose(got, [lo, hi], rtol=1e-6)


@given(
    lo=st.floats(min_value=0.01, max_value=0.8), width=st.floats(min_value=0.02, max_value=0.18), level=levels
)
@settings(max_examples=60, deadline=None)
def test_beta_interval_is_reproduced(lo, width, level):
    hi = min(lo + width, 0.99)
    dist = parse_distribution({"dist": "beta", "ci": [lo, hi], "level": level})
    got = dist.ppf(np.array([(1 - level) / 2, (1 + level) / 2]))
    np.testing.assert_allclose(got, [lo, hi], rtol=1e-5)


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.lists(st.one_of(st.floats(), st.integers(-3, 3), st.text(max_size=3)), max_size=4),
)
keys = st.sampled_from(
    sorted(
        {k for cls in FAMILIES.values() for k in cls.keys}
        | {"ci", "level", "lower", "upper", "bogus", "quantiles", "family"}
    )
)


@given(family=st.sampled_from(sorted(FAMILIES) + ["nope"]), params=st.dictionaries(keys, values, max_size=5))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_junk_specs_raise_only_study_errors(family, params):
    spec = {"dist": family, **{k: v for k, v in params.items() if v is not None}}
    try:
        dist = parse_distribution(spec)
    except StudyError:
        return
    x = dist.ppf(np.array([0.05, 0.5, 0.95]))
    assert np.all(np.isfinite(x)) or not dist.continuous


@given(n=st.integers(min_value=1, max_value=10**9), mantissa=st.integers(1, 999), exp=st.integers(0, 6))
def test_draws_accepts_integers_and_scientific_notation(n, mantissa, exp):
    assert _draws(str(n)) == n
    assert _draws(f"{mantissa}e{exp}") == mantissa * 10**exp


@pytest.fixture(scope="module")
def doc():
    import tomllib

    from chipdemand.study.loader import priors_dir

    return tomllib.loads((priors_dir() / "chatgpt_inference.toml").read_text())


@given(data=st.data())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_mutated_studies_load_or_fail_as_study_errors(doc, data):
    import copy

    d = copy.deepcopy(doc)
    section = data.draw(st.sampled_from(["inputs", "outputs", "scenarios"]))
    name = data.draw(st.sampled_from(sorted(d[section])))
    target = d[section][name]
    key = data.draw(st.sampled_from(sorted(target) + ["extra"]))
    value = data.draw(values.filter(lambda v: v is not None))
    target[key] = value
    try:
        text = tomli_w.dumps(d)
    except (TypeError, ValueError):
        return  # not representable in TOML (e.g. NaN in an odd place)
    try:
        study = parse_study(text, "mutated.toml")
    except StudyError as err:
        # one problem names its key; several (StudyErrors) are listed each with its own
        keys = [p.key for p in getattr(err, "problems", [err])]
        assert all(keys) and str(err).startswith("mutated.toml: ")
        return
    for spec in study.inputs.values():
        assert math.isfinite(spec.dist.median()) or spec.labels
