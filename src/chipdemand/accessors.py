"""``Dataset.chipdemand``: the summaries of a run as methods of its Dataset, for notebooks.

Importing this module registers the accessor with xarray (``import chipdemand as cd`` does it the
first time the API is used: :mod:`chipdemand.api` imports it). The engine and the files' reader
return plain Datasets and know nothing of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import xarray as xr

from .analysis.summaries import compare, exceedance, outputs_of, summarize, summary

__all__ = ["ChipdemandAccessor"]


@xr.register_dataset_accessor("chipdemand")
class ChipdemandAccessor:
    """``res.chipdemand``: the summaries of a run as methods of its Dataset.

    Examples
    --------
    >>> res = chipdemand.simulate("chatgpt_inference", draws=10_000)  # doctest: +SKIP
    >>> res.chipdemand.summary()["chips"].sel(scenario="base", stat="median")  # doctest: +SKIP
    """

    def __init__(self, ds: xr.Dataset) -> None:
        self._ds = ds

    def summary(
        self, ci: float = 0.9, interval: str = "eti", variables: Sequence[str] | None = None
    ) -> xr.Dataset:
        """:func:`chipdemand.analysis.summaries.summary` of this run."""
        return summary(self._ds, ci, interval, variables)

    def summarize(
        self, ci: float = 0.9, interval: str = "eti", variables: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """:func:`chipdemand.analysis.summaries.summarize` of this run (a table)."""
        return summarize(self._ds, ci, interval, variables)

    def compare(self, a: str, b: str, ci: float = 0.9) -> pd.DataFrame:
        """Scenario ``b`` against ``a`` draw by draw (:func:`chipdemand.analysis.summaries.compare`)."""
        return compare(self._ds, a, b, ci)

    def exceedance(self, var: str, thresholds: Any) -> xr.DataArray:
        """``P(var > threshold)`` (:func:`chipdemand.analysis.summaries.exceedance`)."""
        return exceedance(self._ds, var, thresholds)

    @property
    def outputs(self) -> list[str]:
        """The run's output variables."""
        return outputs_of(self._ds)
