"""Summary kernels: exact quantiles equal NumPy's, whatever the size, ties or clusters of ranks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipdemand.stats import block_sums, exact_mean, exact_quantiles, mcse_probabilities

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


def test_mean_does_not_depend_on_how_the_sum_is_split():
    x = np.random.default_rng(0).lognormal(sigma=3, size=200_003)
    assert exact_mean(block_sums(x), x.size) == pytest.approx(np.mean(x), rel=1e-12)


# ----------------------------------------------------------------------------- streaming
def _stream(x, probs, order, parts=1):
    """Two passes of StreamingQuantiles over the blocks of ``x`` in ``order``, split into ``parts``
    accumulators merged at the end (as threads or dask workers do)."""
    from chipdemand.stats import StreamingQuantiles

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


def test_streaming_quantiles_need_the_whole_first_pass():
    from chipdemand.stats import StreamingQuantiles

    x = np.arange(100.0)
    acc = StreamingQuantiles(x.size, CENTRE, x[:10])
    acc.count(0, x[:50])
    with pytest.raises(RuntimeError, match="counted 50 draws, expected 100"):
        acc.target_bins()


@given(st.lists(st.floats(-1e12, 1e12, allow_nan=False), min_size=1, max_size=200), st.randoms())
@settings(max_examples=100, deadline=None)
def test_exact_sum_is_fsum_in_any_order_and_split(values, rnd):
    import math

    from chipdemand.stats import ExactSum

    shuffled = list(values)
    rnd.shuffle(shuffled)
    cut = rnd.randint(0, len(shuffled))
    a, b = ExactSum(), ExactSum()
    for v in shuffled[:cut]:
        a.add(v)
    for v in shuffled[cut:]:
        b.add(v)
    assert a.merge(b).value() == math.fsum(values)
