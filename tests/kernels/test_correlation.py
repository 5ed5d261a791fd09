"""Rank correlations by Iman–Conover: achieved as requested, marginals kept, impossible ones refused."""

import numpy as np
import pytest
from scipy import stats

import chipdemand as cd
from chipdemand.kernels.sampling import BLOCK, block_generator, block_uniforms, iman_conover

PAIR = ("daily_active_users", "questions_per_user")


def correlated(study_doc, write_study, rho, extra=None):
    study_doc["correlations"] = {PAIR[0]: {PAIR[1]: rho}, **(extra or {})}
    return cd.load_study(write_study(study_doc))


@pytest.mark.parametrize("method", ["mc", "lhs", "sobol"])
@pytest.mark.parametrize("rho", [-0.3, 0.7])
def test_achieved_rank_correlation_matches_the_request(study_doc, write_study, method, rho):
    n = 2 * BLOCK
    study = correlated(study_doc, write_study, rho)
    res = cd.simulate(study, draws=n, seed=9, method=method, scenarios=["base"]).isel(scenario=0)
    got = stats.spearmanr(res[PAIR[0]], res[PAIR[1]])[0]
    # the standard error of a sample Spearman coefficient is about (1 - rho^2) / sqrt(n);
    # Iman-Conover targets the exact value within each block, so 4 standard errors is generous
    assert abs(got - rho) < 4 * (1 - rho**2) / np.sqrt(n) + 2e-3
    # inputs not named in [correlations] stay independent
    free = stats.spearmanr(res[PAIR[0]], res["chars_per_answer"])[0]
    assert abs(free) < 4 / np.sqrt(n)


def test_marginals_are_kept_exactly(study_doc, write_study, chatgpt):
    """Iman–Conover only permutes draws within a block: the sorted draws are unchanged."""
    n = BLOCK + 1000
    plain = cd.simulate(chatgpt, draws=n, seed=4, scenarios=["base"]).isel(scenario=0)
    corr = cd.simulate(correlated(study_doc, write_study, 0.6), draws=n, seed=4, scenarios=["base"]).isel(
        scenario=0
    )
    for name in PAIR:
        for block in (slice(0, BLOCK), slice(BLOCK, n)):
            a, b = plain[name].values[block], corr[name].values[block]
            assert np.array_equal(np.sort(a), np.sort(b))
        assert not np.array_equal(plain[name].values, corr[name].values)
    dist = chatgpt.inputs["daily_active_users"].dist
    assert stats.kstest(corr["daily_active_users"].values, dist.cdf).pvalue > 1e-3


def test_lhs_strata_survive_the_reordering():
    n = 4096
    u = block_uniforms("lhs", 1, ["a", "b", "c"], 0, n)
    pairs = {("a", "b"): 0.5, ("a", "c"): -0.2}
    v = iman_conover(u, pairs, block_generator(1, "", 0, "lhs"))
    for name in "abc":
        assert np.array_equal(np.sort(np.floor(v[name] * n)), np.arange(n))
    assert stats.spearmanr(v["a"], v["b"])[0] == pytest.approx(0.5, abs=0.02)


def test_an_impossible_matrix_is_refused_with_the_nearest_valid_value(study_doc, write_study):
    extra = {"chars_per_answer": {"daily_active_users": 0.9, "questions_per_user": -0.9}}
    with pytest.raises(cd.StudyError, match="not positive semi-definite") as info:
        correlated(study_doc, write_study, 0.9, extra)
    message = str(info.value)
    nearest = float(message.rsplit("nearest valid value is ", 1)[1])
    # the value offered is itself accepted, and the error names the pair to change
    key = info.value.key.split(".")
    a, b = key[1], key[2]
    pairs = {
        PAIR: 0.9,
        ("chars_per_answer", "daily_active_users"): 0.9,
        ("chars_per_answer", "questions_per_user"): -0.9,
    }
    fixed = {tuple(sorted(p)): v for p, v in pairs.items()}
    fixed[tuple(sorted((a, b)))] = nearest
    matrix_doc = {}
    for (x, y), v in fixed.items():
        matrix_doc.setdefault(x, {})[y] = v
    study_doc["correlations"] = matrix_doc
    cd.load_study(write_study(study_doc, "fixed.toml"))


@pytest.mark.parametrize(
    ("rho", "text"),
    [(1.5, r"in \[-1, 1\], got 1.5"), ("high", r"in \[-1, 1\], got .high.")],
)
def test_out_of_range_is_refused(study_doc, write_study, rho, text):
    with pytest.raises(cd.StudyError, match=text) as info:
        correlated(study_doc, write_study, rho)
    assert info.value.key == f"correlations.{PAIR[0]}.{PAIR[1]}"


def test_a_point_input_cannot_be_correlated(study_doc, write_study):
    study_doc["correlations"] = {"gpus_per_server": {"daily_active_users": 0.5}}
    with pytest.raises(cd.StudyError, match="point value"):
        cd.load_study(write_study(study_doc))


def test_correlated_runs_are_still_chunk_free(study_doc, write_study):
    study = correlated(study_doc, write_study, 0.5)
    a = cd.simulate(study, draws=BLOCK + 77, seed=2, threads=1)
    b = cd.simulate(study, draws=BLOCK + 77, seed=2, threads=2)
    assert a.identical(b)
