"""Sobol' indices with intervals from independent scrambles: coverage near nominal on Ishigami."""

import numpy as np
import pytest
from scipy import stats

from chipdemand.errors import StudyError
from chipdemand.kernels.sobol import sobol_indices

# Ishigami & Homma (1990), f = sin x1 + a sin² x2 + b x3⁴ sin x1 on [-π, π]³, a = 7, b = 0.1;
# partial variances in closed form: Saltelli et al. (2008), Global Sensitivity Analysis: The
# Primer, §4.6 (S = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437).
A, B = 7.0, 0.1
V1 = 0.5 * (1 + B * np.pi**4 / 5) ** 2
V2 = A**2 / 8
V13 = B**2 * np.pi**8 * (1 / 18 - 1 / 50)
V = V1 + V2 + V13
FIRST = np.array([V1 / V, V2 / V, 0.0])
TOTAL = np.array([(V1 + V13) / V, V2 / V, V13 / V])
DISTS = [stats.uniform(-np.pi, 2 * np.pi)] * 3


def ishigami(x):
    return np.sin(x[0]) + A * np.sin(x[1]) ** 2 + B * x[2] ** 4 * np.sin(x[0])


def test_closed_form_matches_the_primer():
    np.testing.assert_allclose(FIRST, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(TOTAL, [0.5576, 0.4424, 0.2437], atol=1e-4)


def test_intervals_cover_the_true_indices_at_their_level():
    # 100 seeds: the coverage of a 90% interval has binomial standard error 0.03; each of the
    # six indices must be covered in 0.9 ± 3 × 0.03 of the seeds
    seeds = 100
    hits = []
    for seed in range(seeds):
        r = sobol_indices(ishigami, DISTS, 2048, seed=seed, ci=0.9)
        low = np.concatenate([r.first_low, r.total_low])
        high = np.concatenate([r.first_high, r.total_high])
        exact = np.concatenate([FIRST, TOTAL])
        hits.append((low <= exact) & (exact <= high))
    coverage = np.mean(hits, axis=0)
    assert np.all(np.abs(coverage - 0.9) <= 3 * np.sqrt(0.9 * 0.1 / seeds)), coverage


def test_estimates_are_close_and_intervals_narrow():
    r = sobol_indices(ishigami, DISTS, 2**13, seed=1)
    for est, se, exact in ((r.first, r.first_se, FIRST), (r.total, r.total_se, TOTAL)):
        assert np.all(np.abs(est - exact) < 5 * se + 1e-12)
        assert np.all(se < 0.01)  # 8 scrambles of 1024 rows
    assert np.all(r.first_low < r.first) and np.all(r.first < r.first_high)


def test_seeded_by_the_runs_streams_or_a_generator():
    a = sobol_indices(ishigami, DISTS, 1024, seed=3)
    b = sobol_indices(ishigami, DISTS, 1024, seed=3)
    c = sobol_indices(ishigami, DISTS, 1024, seed=4)
    assert np.array_equal(a.total, b.total) and not np.array_equal(a.total, c.total)
    g = sobol_indices(ishigami, DISTS, 1024, seed=np.random.default_rng(3))
    assert g.first.shape == (3,) and not np.array_equal(g.total, a.total)


def test_several_outputs_at_once():
    r = sobol_indices(lambda x: np.stack([ishigami(x), x[1]]), DISTS, 1024, seed=0)
    assert r.first.shape == (2, 3)
    np.testing.assert_allclose(r.first[1], [0, 1, 0], atol=0.02)  # the second output is x2 alone


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"n": 1000}, "n"),
        ({"n": 8}, "n"),  # one row per scramble
        ({"n": 1024, "replicates": 1}, "replicates"),
        ({"n": 1024, "ci": 1.0}, "ci"),
    ],
)
def test_bad_arguments_are_user_errors(kwargs, key):
    with pytest.raises(StudyError) as info:
        sobol_indices(ishigami, DISTS, **kwargs)
    assert info.value.key == key


def test_an_output_that_does_not_vary_is_refused():
    with pytest.raises(StudyError, match="does not vary"):
        sobol_indices(lambda x: np.ones(x.shape[1]), DISTS, 64)
