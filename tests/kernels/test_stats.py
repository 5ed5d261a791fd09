"""Summary kernels: exact quantiles equal NumPy's; the Monte Carlo errors of ETI and HDI bounds
agree with their spread over independent seeds."""

import numpy as np
import pytest
from arviz_stats.base import array_stats
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from chipdemand.kernels.stats import (
    average_ranks,
    block_sums,
    exact_mean,
    exact_quantiles,
    hdi_bounds,
    hdi_intervals,
    mcse_hdi,
    mcse_probabilities,
    order_statistics,
    share_above,
)

CENTRE = np.array([0.05, 0.5, 0.95])


@pytest.mark.parametrize("n", [1, 2, 7, 1000, 70_000, 300_001])
@pytest.mark.parametrize("ties", [False, True])
def test_exact_quantiles_equal_numpy(n, ties):
    rng = np.random.default_rng(n)
    x = rng.lognormal(size=(3, n))
    if ties:
        x = np.ceil(x * 4)  # whole numbers: many equal draws (like servers = ceil(chips / 8))
    below, above = mcse_probabilities(CENTRE, n)
    probs = np.concatenate([CENTRE, below, above])  # clusters of close ranks
    np.testing.assert_array_equal(
        exact_quantiles(x, probs), np.moveaxis(np.quantile(x, probs, axis=-1), 0, -1)
    )


@given(
    values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=300),
    probs=st.lists(st.floats(0, 1), min_size=1, max_size=9),
)
@settings(max_examples=200, deadline=None)
def test_exact_quantiles_equal_numpy_on_any_data(values, probs):
    x = np.asarray(values)
    np.testing.assert_array_equal(exact_quantiles(x, probs), np.quantile(x, probs))


def _wanted(n):
    below, above = mcse_probabilities(CENTRE, n)
    k = np.floor((n - 1) * np.concatenate([CENTRE, below, above])).astype(int)
    return np.unique(np.concatenate([k, np.minimum(k + 1, n - 1)]))


@pytest.mark.parametrize(
    "make",
    [
        lambda rng, n: np.sort(rng.lognormal(size=n)),  # sorted: the strided sample is exact
        lambda rng, n: np.sort(rng.lognormal(size=n))[::-1].copy(),
        lambda rng, n: np.full(n, 3.0),  # one value: the bracket holds every draw
        lambda rng, n: rng.integers(0, 3, size=n).astype(float),  # three values
        lambda rng, n: np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),  # NaN sorts last
        lambda rng, n: np.where(rng.random(n) < 0.06, np.inf, -rng.lognormal(size=n)),
        lambda rng, n: np.concatenate([rng.normal(size=n // 2), 1e9 + rng.normal(size=n - n // 2)]),
    ],
    ids=["sorted", "reversed", "constant", "three_values", "nan", "inf", "two_far_modes"],
)
def test_order_statistics_equal_a_full_sort_on_awkward_rows(make):
    n = 300_001
    x = make(np.random.default_rng(7), n)
    ranks = _wanted(n)
    values, at = order_statistics(x, ranks)
    np.testing.assert_array_equal(at, ranks)
    np.testing.assert_array_equal(values, np.sort(x)[ranks])


def test_a_long_rows_clusters_come_from_the_bracket_not_selection(monkeypatch):
    from chipdemand.kernels import stats as module

    calls = []
    monkeypatch.setattr(module, "_selected", lambda row, clusters: calls.append(clusters) or [])
    x = np.random.default_rng(3).lognormal(size=(2, 100_000))
    values, ranks = order_statistics(x, _wanted(100_000))
    assert calls == []  # the fast path served every cluster (a 4-5x speed-up, benchmarks/README.md)
    np.testing.assert_array_equal(values, np.sort(x, axis=-1)[:, ranks])


@given(
    values=st.lists(
        st.floats(-1e6, 1e6) | st.just(np.nan) | st.sampled_from([0.0, 1.0]), min_size=8, max_size=400
    ),
    probs=st.lists(st.floats(0, 1), min_size=1, max_size=9),
    sample=st.integers(1, 16),
)
@settings(max_examples=200, deadline=None)
def test_order_statistics_are_exact_whether_the_bracket_hits_or_misses(values, probs, sample):
    # a sample of one to 16 draws of a short row: its brackets hit and miss at random
    from unittest import mock

    from chipdemand.kernels import stats as module

    x = np.asarray(values)
    ranks = np.unique(np.floor((x.size - 1) * np.asarray(probs)).astype(int))
    clusters = np.split(ranks, np.flatnonzero(np.diff(ranks) > 3) + 1)
    truth = np.sort(x)
    for c, v in zip(clusters, module._bracketed(x, clusters, sample), strict=True):
        if v is not None:
            np.testing.assert_array_equal(v, truth[c])
    with mock.patch.object(module, "_SAMPLE", sample), mock.patch.object(module, "_MIN_SAMPLE", 1):
        found, _ = order_statistics(x, ranks, gap=3)
    np.testing.assert_array_equal(found, truth[ranks])


def test_mean_does_not_depend_on_how_the_sum_is_split():
    x = np.random.default_rng(0).lognormal(sigma=3, size=200_003)
    assert exact_mean(block_sums(x), x.size) == pytest.approx(np.mean(x), rel=1e-12)


# ----------------------------------------------------------------------------- streaming
def _stream(x, probs, order, parts=1):
    """Two passes of StreamingQuantiles over the blocks of ``x`` in ``order``, split into ``parts``
    accumulators merged at the end (as threads or dask workers do)."""
    from chipdemand.kernels.stats import StreamingQuantiles

    blocks = np.array_split(x, 9)
    acc = StreamingQuantiles(x.size, np.asarray(probs), blocks[0])
    shares = [acc.spawn() for _ in range(parts)]
    for i, b in enumerate(order):
        shares[i % parts].count(b, blocks[b])
    for s in shares:
        acc.merge(s)
    acc.target_bins()
    shares = [acc.spawn() for _ in range(parts)]
    for i, b in enumerate(reversed(order)):
        shares[i % parts].collect(b, blocks[b])
    kept = acc.spawn()
    for s in shares:
        kept.merge(s)
    acc.kept = kept.kept
    return acc.result()


@pytest.mark.parametrize("parts", [1, 3])
@pytest.mark.parametrize("dist", ["lognormal", "ties", "negative"])
def test_streaming_quantiles_are_exact_in_any_order(parts, dist):
    rng = np.random.default_rng(11)
    x = rng.lognormal(sigma=2, size=50_001)
    if dist == "ties":
        x = np.ceil(x)
    elif dist == "negative":
        x = rng.normal(size=50_001)
    probs = np.concatenate([CENTRE, *mcse_probabilities(CENTRE, x.size)])
    order = list(rng.permutation(9))
    mean, q = _stream(x, probs, order, parts)
    np.testing.assert_array_equal(q, np.quantile(x, probs))
    import math

    # the correctly rounded sum of the blocks' sums, whatever the order they came in
    assert mean == math.fsum(float(np.sum(b)) for b in np.array_split(x, 9)) / x.size


@pytest.mark.parametrize("first", ["inf", "-inf", "both", "only inf"])
def test_streaming_quantiles_with_infinite_draws(first):
    # issue 20 item 20: ±inf in the first block made every bin wrong. The reference is NumPy's
    # quantile with ±inf stood in for by ±1e300 (beyond every finite draw), mapped back
    rng = np.random.default_rng(5)
    x = rng.lognormal(sigma=2, size=9_000)
    head = x[:1000]
    if first in ("inf", "both"):
        head[::50] = np.inf
    if first in ("-inf", "both"):
        head[1::40] = -np.inf
    if first == "only inf":
        head[:] = np.inf
    x[4000:4100] = np.inf  # and in a later block
    probs = np.array([0.0, 0.001, 0.01, 0.05, 0.5, 0.95, 0.98, 0.99, 1.0])
    _, q = _stream(x, probs, list(range(9)))
    expected = np.quantile(np.clip(x, -1e300, 1e300), probs)
    expected = np.where(expected > 1e290, np.inf, np.where(expected < -1e290, -np.inf, expected))
    np.testing.assert_array_equal(q, expected)


def test_streaming_quantiles_refuse_nan():
    from chipdemand.kernels.stats import StreamingQuantiles

    x = np.array([1.0, np.nan, 3.0])
    with pytest.raises(ValueError, match="first block has NaN"):
        StreamingQuantiles(x.size, CENTRE, x)
    acc = StreamingQuantiles(x.size, CENTRE, x[[0, 2]])
    with pytest.raises(ValueError, match="block 4 has NaN"):
        acc.count(4, x)


def test_streaming_quantiles_need_the_whole_first_pass():
    from chipdemand.kernels.stats import StreamingQuantiles

    x = np.arange(100.0)
    acc = StreamingQuantiles(x.size, CENTRE, x[:10])
    acc.count(0, x[:50])
    with pytest.raises(RuntimeError, match="counted 50 draws, expected 100"):
        acc.target_bins()


@given(st.lists(st.floats(-1e12, 1e12, allow_nan=False), min_size=1, max_size=200), st.randoms())
@settings(max_examples=100, deadline=None)
def test_exact_sum_is_fsum_in_any_order_and_split(values, rnd):
    import math

    from chipdemand.kernels.stats import ExactSum

    shuffled = list(values)
    rnd.shuffle(shuffled)
    cut = rnd.randint(0, len(shuffled))
    a, b = ExactSum(), ExactSum()
    for v in shuffled[:cut]:
        a.add(v)
    for v in shuffled[cut:]:
        b.add(v)
    assert a.merge(b).value() == math.fsum(values)


# ----------------------------------------------------------------------------- HDI and its error
SEEDS, DRAWS, CI = 200, 4096, 0.9


def _runs(dist):
    """SEEDS independent samples of DRAWS draws (rows), as SEEDS seeds of a run would give."""
    return dist.ppf(np.random.default_rng(12).random((SEEDS, DRAWS)))


def _tolerance(estimates: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """3 standard errors of mean(error) / sd(estimate) over SEEDS seeds, plus 0.1.

    The sample sd of SEEDS estimates has relative standard error sqrt((kurtosis - 1) / (4 SEEDS));
    the mean of the errors, cv / sqrt(SEEDS). The 0.1 is the smoothed bootstrap's own bias at
    these sizes (0.96-1.11 for bounds inside the support, benchmarks/mcse_hdi.py).
    """
    kurtosis = stats.kurtosis(estimates, axis=0, fisher=False)
    cv = errors.std(axis=0) / errors.mean(axis=0)
    return 3 * np.sqrt((kurtosis - 1) / (4 * SEEDS) + cv**2 / SEEDS) + 0.1


def test_hdi_bounds_are_arviz_stats_nearest_hdi():
    x = np.random.default_rng(3).lognormal(size=(4, 999))
    x[1] = np.ceil(x[1] * 3)  # ties, as in whole-number outputs
    np.testing.assert_array_equal(hdi_bounds(x, 0.9), array_stats.hdi(x, 0.9, axis=-1))


def test_mcse_of_hdi_bounds_is_their_spread_over_seeds():
    # a lognormal's lower HDI bound sits where its density rises steeply: the order-statistic
    # error at the bound's probability (summarize before issue 10) is under half the real spread
    x = _runs(stats.lognorm(1.0))
    bounds, errors = hdi_bounds(x, CI), mcse_hdi(x, CI)
    ratio = errors.mean(axis=0) / bounds.std(axis=0, ddof=1)
    assert np.all(np.abs(ratio - 1) < _tolerance(bounds, errors)), ratio
    p = np.mean(x <= bounds[:, :1], axis=1)
    below, above = mcse_probabilities(p[:1], DRAWS)  # one seed's probability stands for all
    old = np.array([np.diff(exact_quantiles(row, [below[0], above[0]]))[0] / 2 for row in x])
    assert old.mean() / bounds[:, 0].std(ddof=1) < 0.6


@pytest.mark.parametrize("dist", [stats.expon(), stats.beta(0.5, 3)], ids=["exponential", "beta(0.5,3)"])
def test_mcse_of_a_bound_on_the_smallest_draws_is_conservative(dist):
    # the HDI of a density that is highest at 0 starts at the sample's first draws; there the
    # bootstrap overstates the error (measured 1.4-2.3x): never below the spread, at most 3x
    x = _runs(dist)
    bounds, errors = hdi_bounds(x, CI), mcse_hdi(x, CI)
    ratio = errors.mean(axis=0) / bounds.std(axis=0, ddof=1)
    tol = _tolerance(bounds, errors)
    assert 1 - tol[0] < ratio[0] < 3
    assert abs(ratio[1] - 1) < tol[1], ratio


@pytest.mark.parametrize(
    "dist",
    [stats.lognorm(1.0), stats.expon(), stats.beta(0.5, 3)],
    ids=["lognormal", "exponential", "beta(0.5,3)"],
)
def test_mcse_of_eti_bounds_is_their_spread_over_seeds(dist):
    x = _runs(dist)
    centre = np.array([(1 - CI) / 2, (1 + CI) / 2])
    below, above = mcse_probabilities(centre, DRAWS)
    q = exact_quantiles(x, np.concatenate([centre, below, above]))
    bounds, errors = q[:, :2], (q[:, 4:] - q[:, 2:4]) / 2
    ratio = errors.mean(axis=0) / bounds.std(axis=0, ddof=1)
    assert np.all(np.abs(ratio - 1) < _tolerance(bounds, errors) - 0.1), ratio  # no bias allowance


def test_mcse_hdi_is_a_fixed_function_of_the_draws():
    x = np.random.default_rng(5).gamma(2.0, size=(2, 3000))
    a, b = mcse_hdi(x, 0.8), mcse_hdi(x, 0.8)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (2, 2) and np.all(a > 0)
    assert not np.array_equal(a, mcse_hdi(x, 0.8, seed=1))


# ----------------------------------------------------------------------------- multimodal HDI
def _exact_region(pdf, lo, hi, ci, log=False, points=400_001):
    """The exact highest-density region {f >= t} of mass ci of a known density, on a fine grid."""
    u = np.linspace(np.log(lo), np.log(hi), points) if log else np.linspace(lo, hi, points)
    x = np.exp(u) if log else u
    f = pdf(x)
    weight = f * np.gradient(x)  # probability of each grid point
    order = np.argsort(f)[::-1]
    t = f[order[np.searchsorted(np.cumsum(weight[order]), ci)]]
    inside = np.concatenate([[0], (f >= t).astype(int), [0]])
    change = np.flatnonzero(np.diff(inside))
    return np.column_stack([x[change[0::2]], x[change[1::2] - 1]])


def _mixture(rng, weights, components, n):
    which = rng.choice(len(weights), size=n, p=weights)
    return np.concatenate(
        [c.rvs(size=np.sum(which == i), random_state=rng) for i, c in enumerate(components)]
    )


@pytest.mark.parametrize(
    ("weights", "components", "lo", "hi", "log", "rtol", "atol"),
    [
        ([0.5, 0.5], [stats.norm(0, 1), stats.norm(6, 1)], -8, 14, False, 0, 0.1),
        ([0.8, 0.2], [stats.norm(0, 1), stats.norm(4, 1)], -8, 12, False, 0, 0.1),  # a shallow valley
        # two structural alternatives a hundredfold apart, as a choice input makes them
        ([0.7, 0.3], [stats.lognorm(0.3), stats.lognorm(0.5, scale=100)], 1e-3, 1e4, True, 0.05, 0),
    ],
    ids=["separate", "shallow-valley", "lognormal-hundredfold"],
)
def test_hdi_of_a_bimodal_output_is_the_union_of_two_intervals(weights, components, lo, hi, log, rtol, atol):
    def pdf(x):
        return sum(w * c.pdf(x) for w, c in zip(weights, components, strict=True))

    exact = _exact_region(pdf, lo, hi, CI, log)
    assert exact.shape == (2, 2)
    x = _mixture(np.random.default_rng(4), weights, components, 65536)
    found = hdi_intervals(x, CI)
    assert np.all(np.isnan(found[2:]))
    np.testing.assert_allclose(found[:2], exact, rtol=rtol, atol=atol)


UNIMODAL = {
    "lognormal(0,1)": stats.lognorm(1.0),
    "lognormal(0,2)": stats.lognorm(2.0),
    "gamma(2)": stats.gamma(2.0),
    "exponential": stats.expon(),
    "beta(0.5,3)": stats.beta(0.5, 3),
    "normal": stats.norm(),
    "uniform": stats.uniform(),
}


@pytest.mark.parametrize("name", list(UNIMODAL))
def test_a_unimodal_output_gets_one_interval_its_hdi(name):
    x = UNIMODAL[name].ppf(np.random.default_rng(8).random((10, DRAWS)))
    found = hdi_intervals(x, CI, max_modes=4)
    assert found.shape == (10, 4, 2)
    np.testing.assert_array_equal(found[:, 0], hdi_bounds(x, CI))
    assert np.all(np.isnan(found[:, 1:]))


def test_modes_that_overlap_or_few_values_get_one_interval():
    rng = np.random.default_rng(9)
    close = _mixture(rng, [0.5, 0.5], [stats.norm(0, 1), stats.norm(3, 1)], 65536)  # no valley at 90%
    doubled = _mixture(rng, [0.5, 0.5], [stats.lognorm(0.3), stats.lognorm(0.3, scale=2)], 65536)
    servers = np.ceil(rng.lognormal(size=5000))  # a few whole numbers
    for x in (close, doubled, servers, np.full(500, 3.0)):
        found = hdi_intervals(x, CI)
        np.testing.assert_array_equal(found[0], hdi_bounds(x, CI))
        assert np.all(np.isnan(found[1:]))


# ----------------------------------------------------------------------------- MCSE on ties
def test_the_mcse_of_a_quantile_on_a_tie_is_unknown_not_zero():
    # issue 20 item 19: a discrete output (three values) at 2,000 draws; its 95% quantile falls on
    # the tie of the top value, and the order statistics one sd of rank around it are that value
    from chipdemand.kernels.stats import STATS, summary_probabilities, summary_row

    x = np.random.default_rng(2).choice([1.0, 2.0, 3.0], p=[0.5, 0.4, 0.1], size=2000)
    probs = summary_probabilities(0.9, x.size)
    row = dict(zip(STATS, summary_row(np.mean(x), np.quantile(x, probs)), strict=True))
    assert row["high"] == 3.0 and np.isnan(row["mcse_high"])
    assert row["low"] == 1.0 and np.isnan(row["mcse_low"])
    # the median straddles the edge between 1 and 2 (half the draws are 1): its error is measured
    assert row["mcse_median"] > 0
    # a continuous output keeps its order-statistic error, and a constant one its exact 0
    y = np.random.default_rng(2).lognormal(size=2000)
    row = dict(zip(STATS, summary_row(np.mean(y), np.quantile(y, probs)), strict=True))
    assert all(row[f"mcse_{q}"] > 0 for q in ("low", "median", "high"))
    z = np.full(2000, 7.0)
    row = dict(zip(STATS, summary_row(np.mean(z), np.quantile(z, probs)), strict=True))
    assert [row[f"mcse_{q}"] for q in ("low", "median", "high")] == [0.0, 0.0, 0.0]


def test_a_tied_quantile_prints_tie_not_zero():
    from chipdemand.display import format as fmt

    row = {"low": 1.0, "median": 2.0, "high": 3.0, "mcse_low": 0.01, "mcse_median": 0.01}
    assert fmt.mcse_text({**row, "mcse_high": float("nan")}) == "±1.0%, tie"
    assert fmt.mcse_text({**row, "mcse_low": None, "mcse_median": None, "mcse_high": None}) == "tie"
    assert fmt.mcse_text({**row, "mcse_high": 0.03}) == "±1.0%"


@pytest.mark.parametrize("shape", [(0,), (1,), (7,), (2000,), (2000, 5), (3, 4)])
def test_average_ranks_are_scipys_rankdata_exactly(shape):
    rng = np.random.default_rng(11)
    x = rng.normal(size=shape)
    if x.ndim == 2:
        x[:, 1] = rng.integers(0, 3, shape[0])  # a choice: long runs of ties
        x[:, 2] = 4.0  # a constant input
    else:
        x[::3] = 0.5
    assert np.array_equal(average_ranks(x), stats.rankdata(x, axis=0))


def test_share_above_is_the_mean_of_a_comparison_exactly():
    rng = np.random.default_rng(12)
    x = rng.lognormal(size=(3, 2, 5000))
    x[0, 0, ::5] = np.nan  # NaN is above nothing
    x[1, 1, ::3] = np.inf
    x[2, 0, :100] = 1.0  # ties at a threshold
    t = np.concatenate([np.geomspace(0.01, 100, 300), [1.0, np.inf, -np.inf, np.nan, 0.0]])
    assert np.array_equal(share_above(x, t), (x[..., None] > t).mean(-2))
