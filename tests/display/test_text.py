"""Terminal text: the comparison table's shares of greater, equal and less draws."""

import numpy as np
import xarray as xr

import chipdemand as cd
from chipdemand.display import text


def test_the_comparison_table_shows_greater_equal_and_less():
    a = np.tile([1.0, 2.0, 3.0, 4.0], 250)
    b = np.tile([1.0, 2.0, 3.0, 4.04], 250)
    da = xr.DataArray(np.stack([a, b]), dims=("scenario", "draw"), coords={"scenario": ["a", "b"]})
    shown = text.comparison(
        cd.compare(xr.Dataset({"chips": da.assign_attrs(role="output", unit="chip")}), "a", "b")
    )
    head, row = [line.split() for line in shown.splitlines() if line.startswith(("output", "chips"))]
    assert head[-5:] == ["P(b", ">", "a)", "P(=)", "P(<)"]
    assert row[-3:] == ["0.250", "0.750", "0.000"]
