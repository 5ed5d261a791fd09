"""Two studies compared output by output: draw by draw where they share their random streams
(an extending study and its parent do, input by input), otherwise as independent distributions.

Scenarios of one run are compared by :func:`chipdemand.analysis.summaries.compare`; this module
adds what comparing two runs needs: which outputs they share, whether their draws pair, and each
side's median and interval beside the ratio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import xarray as xr

from ..errors import StudyError
from .summaries import outputs_of, ratio_rows

if TYPE_CHECKING:
    from ..study.spec import Study

__all__ = ["compare_runs", "paired"]


def compare_runs(
    ra: xr.Dataset,
    sa: Study | None,
    rb: xr.Dataset,
    sb: Study | None,
    *,
    ci: float,
    names: tuple[str, str],
) -> tuple[pd.DataFrame, bool]:
    """The ratio ``b / a`` of every output two runs (one scenario each) share, with each side's
    median and ``ci`` interval, and whether the draws were paired."""
    shared = [o for o in outputs_of(ra) if o in outputs_of(rb) and ra[o].dims == rb[o].dims]
    if not shared:
        raise StudyError(f"{names[0]} and {names[1]} share no output to compare", key="compare")
    is_paired = paired(ra, sa, rb, sb)
    rows = []
    for o in shared:
        rows += _study_rows(ra[o], rb[o], o, ci, is_paired)
    frame = pd.DataFrame(rows)
    head = ["variable", *(["year"] if "year" in frame.columns else [])]
    return frame[[*head, *[c for c in frame.columns if c not in head]]], is_paired


def _streams(study: Study | None) -> set[str]:
    if study is None:
        return set()
    return {s.stream for s in study.inputs.values() if not s.dist.is_point}


def paired(ra: xr.Dataset, sa: Study | None, rb: xr.Dataset, sb: Study | None) -> bool:
    """Whether two runs' draws pair: the same seed, method and draws, and random streams in
    common."""
    same = (
        all(ra.attrs.get(k) == rb.attrs.get(k) for k in ("seed", "method"))
        and ra.sizes["draw"] == rb.sizes["draw"]
    )
    return bool(same and _streams(sa) & _streams(sb))


def _study_rows(x: xr.DataArray, y: xr.DataArray, output: str, ci: float, paired: bool) -> list[dict]:
    rows = ratio_rows(x, y, output, ci, paired=paired)
    lo, hi = (1 - ci) / 2, (1 + ci) / 2
    qa = x.quantile([lo, 0.5, hi], dim="draw")
    qb = y.quantile([lo, 0.5, hi], dim="draw")
    others = [d for d in x.dims if d != "draw"]
    for row in rows:
        at = {d: row[d] for d in others}
        a, b = qa.sel(at).values, qb.sel(at).values
        row.update(
            median_a=float(a[1]),
            low_a=float(a[0]),
            high_a=float(a[2]),
            median_b=float(b[1]),
            low_b=float(b[0]),
            high_b=float(b[2]),
            ratio_of_medians=float(b[1] / a[1]) if a[1] else None,
        )
    return rows
