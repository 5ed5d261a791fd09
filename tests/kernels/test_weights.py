"""Importance-weight kernels: weighted quantiles by hand and against NumPy, Kish's ESS, PSIS of
equal ratios, and raw against smoothed weights for a posterior known in closed form."""

import math

import numpy as np
import pytest
from scipy import special, stats

from chipdemand.kernels.weights import (
    importance_log_weights,
    kish_ess,
    psis_log_weights,
    weighted_quantiles,
)


def test_weighted_quantiles_by_hand():
    x = np.array([3.0, 1.0, 4.0, 1.0, 5.0])
    w = np.array([1.0, 2.0, 0.0, 1.0, 4.0])
    # sorted: 1 (w 2), 1 (w 1), 3 (w 1), 4 (w 0), 5 (w 4); CDF 2/8, 3/8, 4/8, 4/8, 8/8
    probs = [0.0, 0.25, 0.375, 0.4, 0.5, 0.51, 1.0]
    np.testing.assert_array_equal(weighted_quantiles(x, w, probs), [1, 1, 1, 3, 3, 5, 5])
    # a leading zero weight is skipped even at p = 0
    np.testing.assert_array_equal(weighted_quantiles([0.0, 2.0, 9.0], [0, 1, 1], [0.0, 0.5]), [2, 2])


def test_whole_weights_are_repeated_draws():
    rng = np.random.default_rng(3)
    x = rng.lognormal(size=500)
    w = rng.integers(0, 6, size=500)
    probs = np.linspace(0, 1, 101)
    expected = np.quantile(np.repeat(x, w), probs, method="inverted_cdf")
    np.testing.assert_array_equal(weighted_quantiles(x, w, probs), expected)


def test_weighted_quantiles_equal_numpy_over_leading_axes():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 1000))
    w = rng.exponential(size=(1, 3, 1000))  # broadcast over the first axis
    probs = np.array([[0.05, 0.5], [0.9, 0.95]])
    got = weighted_quantiles(x, w, probs)
    assert got.shape == (2, 3, 2, 2)
    expected = np.quantile(
        x, probs.ravel(), axis=-1, weights=np.broadcast_to(w, x.shape), method="inverted_cdf"
    )
    np.testing.assert_array_equal(got.reshape(2, 3, 4), np.moveaxis(expected, 0, -1))


@pytest.mark.parametrize(
    ("w", "message"),
    [([1.0, -1.0], "non-negative"), ([0.0, 0.0], "positive total"), ([1.0, np.nan], "finite")],
)
def test_weighted_quantiles_refuse_bad_weights(w, message):
    with pytest.raises(ValueError, match=message):
        weighted_quantiles([1.0, 2.0], w, [0.5])


def test_kish_ess():
    assert kish_ess(np.zeros(10)) == pytest.approx(10)
    assert kish_ess(np.array([0.0, 0.0, -np.inf, -np.inf])) == pytest.approx(2)  # two of four ruled out
    assert kish_ess(np.log([3.0, 1.0])) == pytest.approx(1 / (0.75**2 + 0.25**2))


def test_psis_weights_of_equal_ratios_are_uniform_with_no_k_hat():
    lw, k = psis_log_weights(np.zeros((2, 100)))
    np.testing.assert_allclose(np.exp(lw), 0.01)
    assert np.isnan(k).all()


# ----------------------------------------------------------------------------- raw or smoothed
# A log-normal prior, log x ~ N(0, 1), observed in log space with a normal error of sd s: the
# posterior of log x is normal with precision 1 + 1/s² and mean (obs / s²) / (1 + 1/s²).
OBS = 0.5
SEEDS = range(8)


def _bounds(lw: np.ndarray, log_x: np.ndarray, s: float) -> np.ndarray:
    """The exact posterior's CDF at the weighted 5% and 95% quantiles of ``log_x``."""
    precision = 1 + 1 / s**2
    q = weighted_quantiles(log_x, np.exp(lw), [0.05, 0.95])
    return stats.norm.cdf(q, (OBS / s**2) / precision, precision**-0.5)


@pytest.mark.parametrize("s", [0.005, 0.02, 0.1, 1.0])
def test_a_posterior_interval_has_the_exact_posteriors_5_and_95_percent(s):
    # s = 0.005 is the ±0.8% observation of issue 20 item 14: about 620 effective draws of 1e5,
    # k̂ about -1, where Pareto smoothing put the 90% bounds at the exact 2.8% and 97.3%
    got, ess = [], []
    for seed in SEEDS:
        log_x = np.random.default_rng(seed).normal(size=100_000)
        lw, k, smoothed = importance_log_weights(stats.norm.logpdf(OBS, log_x, s))
        assert k < 0.5 and not smoothed  # bounded weights: a light tail, used raw
        got.append(_bounds(lw, log_x, s))
        ess.append(kish_ess(lw))
    # binomial standard error of a quantile's probability from the effective draws, of the mean
    # over seeds: 3 of them
    se = np.sqrt(0.05 * 0.95 / np.mean(ess)) / math.sqrt(len(SEEDS))
    np.testing.assert_allclose(np.mean(got, axis=0), [0.05, 0.95], atol=3 * se)


def test_pareto_smoothing_widens_that_interval():
    # what the raw weights correct: PSIS of the same bounded weights moves both bounds outwards
    # by several standard errors (the test above would fail with them)
    s, got, ess = 0.005, [], []
    for seed in SEEDS:
        log_x = np.random.default_rng(seed).normal(size=100_000)
        lw, _ = psis_log_weights(stats.norm.logpdf(OBS, log_x, s))
        got.append(_bounds(lw, log_x, s))
        ess.append(kish_ess(lw))
    se = np.sqrt(0.05 * 0.95 / np.mean(ess)) / math.sqrt(len(SEEDS))
    low, high = np.mean(got, axis=0)
    assert low < 0.05 - 3 * se and high > 0.95 + 3 * se


def test_heavy_tailed_weights_are_smoothed():
    # a Student-t(2) target from a normal proposal: weights t/φ grow without bound (k about 0.5+)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 20_000)) * 0.5
    log_ratio = stats.t.logpdf(x, 1) - stats.norm.logpdf(x, scale=0.5)
    lw, k, smoothed = importance_log_weights(log_ratio)
    assert (k > 0.5).all() and smoothed.all()
    np.testing.assert_allclose(lw, psis_log_weights(log_ratio)[0])
    raw, k_raw, none = importance_log_weights(log_ratio, raw_below=np.inf)
    np.testing.assert_array_equal(k_raw, k)
    assert not none.any()
    np.testing.assert_allclose(special.logsumexp(raw, axis=-1), 0, atol=1e-12)


def test_equal_ratios_and_ruled_out_series():
    lw, k, smoothed = importance_log_weights(np.array([[0.0, 0.0], [-np.inf, -np.inf]]))
    np.testing.assert_allclose(np.exp(lw[0]), 0.5)
    assert np.isnan(k[0]) and not smoothed[0]
    assert k[1] == np.inf and np.isnan(lw[1]).all()
