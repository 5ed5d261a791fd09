"""Calibration of our intervals against independent estimates: counts, binomial interval, the flag."""

import json

import numpy as np
import pytest
from scipy import stats

from chipdemand.analysis import calibration as cal
from chipdemand.results import Check


def rows(study, verdicts, percentiles=None):
    percentiles = percentiles or [0.5] * len(verdicts)
    return [
        {"study": study, "inside": v, "percentile": p, "output": "x"}
        for v, p in zip(verdicts, percentiles, strict=True)
    ]


def test_k_of_n_inside_overall_and_per_study_bounds_left_out():
    placed = rows("a", [True, True, False]) + rows("b", [True, False])
    placed.append({"study": "a", "inside": False, "percentile": 0.99, "bound": "upper"})  # not an estimate
    cov = cal.coverage(placed, nominal=0.9)
    assert (cov["overall"].inside, cov["overall"].n) == (3, 5)
    assert [(c.scope, c.inside, c.n) for c in cov["studies"]] == [("a", 2, 3), ("b", 1, 2)]
    assert cov["overall"].share == pytest.approx(0.6)
    assert cov["nominal"] == 0.9


@pytest.mark.parametrize(("k", "n"), [(67, 87), (0, 5), (5, 5), (1, 1), (12, 20)])
def test_binomial_interval_is_clopper_pearson(k, n):
    low, high = cal.binomial_interval(k, n, level=0.9)
    # Clopper-Pearson by its beta-quantile definition
    want_low = 0.0 if k == 0 else stats.beta.ppf(0.05, k, n - k + 1)
    want_high = 1.0 if k == n else stats.beta.ppf(0.95, k + 1, n - k)
    assert low == pytest.approx(want_low, abs=1e-9)
    assert high == pytest.approx(want_high, abs=1e-9)


def test_the_issue_count_is_over_confident():
    # issue 19: 67 of 87 references inside our 90% intervals (77%)
    c = cal.assess([True] * 67 + [False] * 20, nominal=0.9)
    assert c.share == pytest.approx(67 / 87)
    assert c.high < 0.9 and c.over_confident and c.verdict == "over-confident"
    assert c.p_value == pytest.approx(stats.binom.cdf(67, 87, 0.9))


def test_flag_is_the_interval_below_nominal():
    # the criterion: p < 0.05 one-sided  <=>  the 90% exact interval's upper end < nominal
    for n in range(1, 30):
        for k in range(n + 1):
            c = cal.assess([True] * k + [False] * (n - k), nominal=0.9)
            assert c.over_confident == (c.high < 0.9), (k, n)


def test_piled_at_the_ends_is_flagged_uniform_is_not():
    rng = np.random.default_rng(19)
    uniform = (np.arange(40) + 0.5) / 40  # evenly spread percentiles
    piled = np.concatenate([rng.uniform(0, 0.04, 10), rng.uniform(0.96, 1, 10), rng.uniform(0.2, 0.8, 20)])
    for pit, flagged in ((uniform, False), (piled, True)):
        inside = cal.inside_from_pit(pit, 0.9)
        c = cal.assess(list(inside), nominal=0.9, pit=pit)
        assert c.over_confident is flagged
    assert cal.inside_from_pit(uniform, 0.9).sum() == 36  # 4 of 40 in the outer 5% tails
    assert cal.inside_from_pit(piled, 0.9).sum() == 20


def test_heaped_in_the_middle_is_under_confident():
    c = cal.assess([True] * 60, nominal=0.9)
    assert c.low > 0.9 and c.verdict == "under-confident" and not c.over_confident


def test_no_estimates():
    c = cal.assess([], nominal=0.9)
    assert c.n == 0 and np.isnan(c.share) and c.verdict == "no estimates" and not c.over_confident
    assert c.to_dict()["share"] is None


def test_check_json_gains_coverage_and_text_ends_with_calibration():
    placed = rows("a", [True] * 3 + [False] * 3, [0.5, 0.4, 0.6, 0.01, 0.99, 0.995]) + rows("b", [True] * 4)
    for r in placed:
        r.update(
            scenario="base",
            source="s",
            date="2024",
            unit="GPU",
            median=1.0,
            low=0.5,
            high=2.0,
            ref_value=1.0,
            note="",
        )
    result = Check(rows=placed, ci=0.9)
    doc = json.loads(json.dumps(result.to_dict()))
    assert set(doc) == {"references", "coverage"} and len(doc["references"]) == 10
    cov = doc["coverage"]
    assert cov["overall"]["inside"] == 7 and cov["overall"]["n"] == 10 and cov["nominal"] == 0.9
    assert [s["scope"] for s in cov["studies"]] == ["a", "b"]
    assert cov["studies"][0]["pit"] == [0.5, 0.4, 0.6, 0.01, 0.99, 0.995]
    assert cov["over_confident"] == ["a"]  # 3 of 6: P(K <= 3 | 6, 0.9) = 0.016
    text = result.text()
    assert "Calibration: 7 of 10 independent estimates inside our 90% intervals" in text
    assert "Over-confident (their references pile at the ends of our intervals): a" in text


def test_pit_histogram_draws_counts():
    from chipdemand.display import plots

    fig = plots.pit_histogram({"a": [0.01, 0.02, 0.5], "b": [0.97]}, nominal=0.9, bins=10)
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches if p.get_width() == pytest.approx(0.1)]
    assert sum(heights) == 4
    assert "4 independent estimates" in ax.get_title()
