"""Fixtures of the command-line tests: a saved run to read back."""

import pytest

from chipdemand.io import save_results


@pytest.fixture
def saved(tmp_path, small_run):
    return save_results(small_run, tmp_path / "run.nc")
