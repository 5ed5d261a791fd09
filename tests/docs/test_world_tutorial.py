"""docs/world_tutorial.py (chapter 2: the world's accelerators) runs top to bottom, headless and fast,
and its numbers are those of the run it makes."""

from pathlib import Path

import numpy as np
import pytest

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "world_tutorial.py"


@pytest.fixture(scope="module")
def chapter(run_chapter):
    return run_chapter(TUTORIAL)


def test_it_runs_in_under_twenty_seconds_and_writes_its_figures(chapter):
    assert chapter["_seconds"] < 20
    for name in ("fan_demand.png", "fan_installed_base.png", "pit.png"):
        assert (chapter["out"] / name).stat().st_size > 1000


def test_p_shortfall_is_the_mean_of_the_indicator(chapter):
    indicator = chapter["run"].dataset["demand_exceeds_supply"].sel(scenario="base").values
    np.testing.assert_allclose(chapter["p_shortfall"], indicator.mean(axis=0), rtol=1e-12)
    assert ((chapter["p_shortfall"] >= 0) & (chapter["p_shortfall"] <= 1)).all()


def test_observations_are_trusted_and_move_supply(chapter):
    assert max(chapter["khat"].values()) < 0.7
    assert chapter["posterior_median_2025"] != pytest.approx(
        float(np.median(chapter["installed_2025"])), rel=1e-3
    )


def test_drivers_and_calibration(chapter):
    assert set(chapter["drivers"].table["input"].head(8)) & {
        "training_multiple",
        "training_growth",
        "other_ai_2024",
    }
    cov = chapter["coverage"]
    assert cov.n >= 5 and 0 <= cov.inside <= cov.n
