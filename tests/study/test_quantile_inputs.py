"""Inputs written as an expert's quantiles (`quantiles = [[p, value], ...]`): fitted when the study
loads by the code of `chipdemand fit`, in inputs, scenario overrides and formula studies; a
misfit warns with the file, the key and the quantiles obtained; bad quantiles are one error."""

import math
import tomllib
import warnings

import numpy as np
import pytest

import chipdemand as cd
from chipdemand.distributions import parse_distribution
from chipdemand.distributions.fit import TOLERANCE, fit_quantiles
from chipdemand.errors import StudyError, StudyWarning
from chipdemand.study.loader import parse_study, priors_dir

# an expert's daily users: 10M (5th), 20M (median), 45M (95th), the interval of the shipped study
USERS = [[0.05, 1.0e7], [0.5, 2.0e7], [0.95, 4.5e7]]
# four quantiles no family here reproduces: the 99th barely above the 90th
SQUEEZED = [[0.1, 5.0], [0.5, 10.0], [0.9, 30.0], [0.99, 31.0]]


def _with_users(study_doc, **table):
    study_doc["inputs"]["daily_active_users"] = {
        "unit": "user",
        "point": 2.0e7,
        "source": "an expert asked in a test",
        **table,
    }
    return study_doc


def _quantiles_of(dist, pairs):
    probs = np.array([p for p, _ in pairs])
    return dist.ppf(probs), np.array([v for _, v in pairs])


def test_an_input_given_by_quantiles_runs_and_reproduces_them(study_doc, write_study):
    path = write_study(_with_users(study_doc, quantiles=USERS))
    study = cd.load_study(path)
    dist = study.inputs["daily_active_users"].dist
    got, given = _quantiles_of(dist, USERS)
    np.testing.assert_allclose(got, given, rtol=TOLERANCE)
    # the same fit as `chipdemand fit`, and describe() shows what was written beside it
    best = fit_quantiles(USERS)[0]
    assert dist.name == best.family
    assert "quantiles=[[0.05, 1e+07], [0.5, 2e+07], [0.95, 4.5e+07]]" in dist.describe()
    assert "fitted={" in dist.describe()

    res = cd.simulate(study, draws=20_000, seed=1, method="lhs", scenarios=["base"])
    drawn = np.quantile(res["daily_active_users"].sel(scenario="base").values, [0.05, 0.5, 0.95])
    # 20,000 Latin-hypercube draws: the sample quantiles are within a fraction of a percent
    np.testing.assert_allclose(drawn, given, rtol=TOLERANCE + 0.01)
    assert np.all(np.isfinite(res["chips"].values))


def test_a_named_family_and_dist_are_the_same(study_doc, write_study):
    ends = [USERS[0], USERS[-1]]  # a gamma reproduces two quantiles exactly
    by_family = cd.load_study(write_study(_with_users(study_doc, quantiles=ends, family="gamma")))
    by_dist = cd.load_study(write_study(_with_users(study_doc, quantiles=ends, dist="gamma"), "b.toml"))
    for study in (by_family, by_dist):
        dist = study.inputs["daily_active_users"].dist
        assert dist.name == "gamma"
    x = np.array([0.01, 0.3, 0.99])
    np.testing.assert_array_equal(
        by_family.inputs["daily_active_users"].dist.ppf(x), by_dist.inputs["daily_active_users"].dist.ppf(x)
    )


def test_quantiles_are_in_the_inputs_unit_and_a_positive_input_gets_a_positive_family(study_doc, write_study):
    # written in ms, used by the model in s; symmetric, so a normal would match them exactly
    ms = [[0.05, 150.0], [0.5, 350.0], [0.95, 550.0]]
    assert fit_quantiles(ms)[0].family == "normal"
    study_doc["inputs"]["seconds_per_char"] = {
        "unit": "ms",
        "quantiles": ms,
        "point": 350,
        "source": "an expert asked in a test",
    }
    study = cd.load_study(write_study(study_doc))
    dist = study.inputs["seconds_per_char"].dist
    got, given = _quantiles_of(dist, ms)
    np.testing.assert_allclose(got, given / 1000, rtol=TOLERANCE)
    # but a latency is positive: the best of the families that stay positive
    assert dist.name == fit_quantiles(ms, positive=True)[0].family != "normal"
    assert dist.support[0] >= 0


def test_a_family_asked_for_is_checked_against_the_domain(study_doc, write_study):
    study_doc["inputs"]["seconds_per_char"] = {
        "unit": "ms",
        "quantiles": [[0.05, 150.0], [0.5, 350.0], [0.95, 550.0]],
        "family": "normal",
        "source": "an expert asked in a test",
    }
    with pytest.raises(StudyError, match="outside the domain.*name a family that stays inside it") as err:
        cd.load_study(write_study(study_doc))
    assert err.value.key == "inputs.seconds_per_char"


def test_a_scenario_override_given_by_quantiles_inherits_unit_and_source(study_doc, write_study):
    override = [[0.1, 5.0], [0.9, 30.0]]  # two quantiles: a two-parameter family is exact
    study_doc["scenarios"]["heavy_use"]["questions_per_user"] = {"quantiles": override}
    study = cd.load_study(write_study(study_doc))
    spec = study.spec("heavy_use", "questions_per_user")
    assert spec.dist.name == "lognormal" and spec.source == study.inputs["questions_per_user"].source
    got, given = _quantiles_of(spec.dist, override)
    np.testing.assert_allclose(got, given, rtol=1e-9)


def test_a_formula_study_input_given_by_quantiles():
    doc = tomllib.loads((priors_dir() / "ai_server_market.toml").read_text(encoding="utf-8"))
    pairs = [[0.05, 1.0e7], [0.5, 5.0e7], [0.95, 2.5e8]]
    table = doc["inputs"]["inference_capex_per_firm"]
    for key in ("dist", "ci"):
        table.pop(key)
    table["quantiles"] = pairs
    import tomli_w

    study = parse_study(tomli_w.dumps(doc), "market.toml")
    got, given = _quantiles_of(study.inputs["inference_capex_per_firm"].dist, pairs)
    np.testing.assert_allclose(got, given, rtol=TOLERANCE)
    res = cd.simulate(study, draws=2_000, seed=0)
    assert np.all(res["china_market"].values > 0)


def test_a_share_given_by_quantiles_needs_a_family_inside_the_domain():
    doc = tomllib.loads((priors_dir() / "ai_server_market.toml").read_text(encoding="utf-8"))
    pairs = [[0.05, 0.005], [0.5, 0.02], [0.95, 0.05]]
    table = doc["inputs"]["self_build_share"]
    for key in ("dist", "ci"):
        table.pop(key)
    table["quantiles"] = pairs
    table["family"] = "beta"
    import tomli_w

    study = parse_study(tomli_w.dumps(doc), "market.toml")
    got, given = _quantiles_of(study.inputs["self_build_share"].dist, pairs)
    np.testing.assert_allclose(got, given, rtol=TOLERANCE)


def test_a_misfit_warns_with_file_key_misfit_and_the_quantiles_obtained(study_doc, write_study):
    study_doc["scenarios"]["heavy_use"]["questions_per_user"] = {"quantiles": SQUEEZED}
    path = write_study(study_doc)
    with pytest.warns(StudyWarning) as caught:
        study = cd.load_study(path)
    assert len(caught) == 1
    text = str(caught[0].message)
    best = fit_quantiles(SQUEEZED, positive=True)[0]  # questions are never negative
    assert best.max_rel_error > TOLERANCE
    where = f"{path}: scenarios.heavy_use.questions_per_user.quantiles"
    assert text.startswith(f"{where}: no family that stays positive fits these quantiles within 5%")
    assert f"is {best.max_rel_error:.1%} off" in text
    obtained = ", ".join(f"[{p:g}, {v:.4g}]" for (p, _), v in zip(SQUEEZED, best.quantiles, strict=True))
    assert f"it gives [{obtained}]" in text
    # it still loads, with the closest fit
    got, _ = _quantiles_of(study.spec("heavy_use", "questions_per_user").dist, SQUEEZED)
    np.testing.assert_allclose(got, best.quantiles, rtol=1e-9)


def test_a_misfit_is_a_warning_line_of_a_run_that_succeeds(study_doc, write_study, cli):
    study_doc["inputs"]["questions_per_user"] = {
        "unit": "query/user/day",
        "quantiles": SQUEEZED,
        "family": "lognormal",
        "point": 10,
        "source": "an expert asked in a test",
    }
    path = write_study(study_doc)
    r = cli("run", path, "--draws", "2000", "--scenario", "base")
    assert r.code == 0
    lines = [line for line in r.err.splitlines() if line.startswith("warning:")]
    assert len(lines) == 1
    assert f"warning: {path}: inputs.questions_per_user.quantiles: lognormal does not fit" in lines[0]


def test_a_mixture_component_given_by_quantiles_is_located():
    spec = {
        "dist": "mixture",
        "components": [{"quantiles": SQUEEZED}, {"dist": "lognormal", "ci": [5, 40]}],
    }
    with pytest.warns(StudyWarning, match=r"^components\[0\]\.quantiles: no family fits"):
        parse_distribution(spec)


def test_a_good_fit_is_silent_and_described_as_written(study_doc, write_study):
    path = write_study(_with_users(study_doc, quantiles=USERS))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cd.load_study(path)
    row = next(i for i in cd.describe(path)["inputs"] if i["name"] == "daily_active_users")
    # chatgpt_inference states power formulas over its model (issue 12), so describe compiles it:
    # the quantiles as written, and the family fitted to them
    assert row["dist"] == (
        "lognormal(quantiles=[[0.05, 1e+07], [0.5, 2e+07], [0.95, 4.5e+07]], "
        "fitted={mu=16.8493, sigma=0.457207})"
    )


@pytest.mark.parametrize(
    ("table", "key", "text"),
    [
        ({"quantiles": [[0.05, 3e7], [0.5, 2e7], [0.95, 4.5e7]]}, "quantiles[1]", "the values must increase"),
        ({"quantiles": [[0.5, 1e7], [0.05, 2e7]]}, "quantiles[1]", "the probabilities must increase"),
        ({"quantiles": [[0, 1e7], [0.5, 2e7]]}, "quantiles[0]", "strictly between 0 and 1"),
        ({"quantiles": [[0.05, 1e7], [1.5, 2e7]]}, "quantiles[1]", "strictly between 0 and 1"),
        ({"quantiles": [[0.05, 0], [0.5, 2e7]]}, "quantiles[0]", "a quantile of 0 cannot be fitted"),
        ({"quantiles": [[0.05, 1e7], [0.5, 1e308]]}, "quantiles[1]", "too large to fit"),
        ({"quantiles": [[0.05, 1e7], [0.5, math.inf]]}, "quantiles[1]", "a finite number"),
        ({"quantiles": [[0.05, 1e7]]}, "quantiles", "at least two quantiles"),
        ({"quantiles": [0.05, 1e7]}, "quantiles[0]", "a [probability, value] pair"),
        ({"quantiles": "1e7 to 4e7"}, "quantiles", "a list of [probability, value] pairs"),
        ({"quantiles": USERS, "family": "lognormall"}, "family", "did you mean 'lognormal'"),
        ({"quantiles": USERS, "family": "beta"}, "family", "outside the support (0, 1) of beta"),
        ({"quantiles": USERS[:2], "family": "pert"}, "family", "pert has 3 parameters"),
        ({"quantiles": USERS, "dist": "choice"}, "dist", "'choice' cannot be fitted to quantiles"),
        ({"quantiles": USERS, "dist": "gamma", "family": "normal"}, "family", "give one"),
        ({"quantiles": USERS, "ci": [1e7, 4e7]}, "ci", "either 'ci' or 'quantiles'"),
        ({"quantiles": USERS, "upper": 1e8}, "upper", "would move its quantiles"),
        ({"quantiles": USERS, "sigma": 0.5}, "sigma", "unknown key 'sigma'"),
    ],
)
def test_bad_quantiles_are_one_error_line_with_file_and_key(study_doc, write_study, cli, table, key, text):
    path = write_study(_with_users(study_doc, **table))
    r = cli("run", path, "--draws", "1000")
    assert r.code == 2 and r.out == ""
    assert r.err.count("\n") == 1
    assert r.err.startswith(f"error: {path}: inputs.daily_active_users.{key}: ")
    assert text in r.err


def test_a_bad_scenario_override_is_located(study_doc, write_study):
    study_doc["scenarios"]["heavy_use"]["questions_per_user"] = {"quantiles": [[0.1, 30], [0.9, 5]]}
    with pytest.raises(StudyError) as err:
        cd.load_study(write_study(study_doc))
    assert err.value.key == "scenarios.heavy_use.questions_per_user.quantiles[1]"
