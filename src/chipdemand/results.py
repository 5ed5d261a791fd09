"""What the API's commands return: one result class per command, each its own JSON document.

Every result has ``table`` (a pandas DataFrame of its rows), ``to_dict()`` (the document the
command line prints with ``--json``, exactly) and ``to_csv(path)`` (the same rows for
spreadsheets). In a notebook a result shows its table.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._lazy import lazy_module

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from .study.loader import Study
else:  # a result's tables are built when read: `chipdemand fit` never imports pandas
    pd = lazy_module("pandas")

__all__ = [
    "records",
    "Result",
    "Run",
    "Comparison",
    "Sensitivity",
    "Replay",
    "Rerun",
    "Fits",
    "Check",
]


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a table as JSON-ready dicts (NaN as None; no ``year`` where a row has none)."""
    from .io import json_value

    return [
        {k: json_value(v) for k, v in row.items() if not (k == "year" and _missing(v))}
        for row in frame.to_dict(orient="records")
    ]


def _numeric_mcse(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The run document keeps every ``mcse_*`` a number (its contract): a quantile on a tie of a
    discrete output, whose error the order statistics cannot measure (NaN in ``run.table``), gets
    0 there and is named in the row's ``mcse_ties`` (empty where none is), so that no reader takes
    the 0 for a measured error."""
    for row in rows:
        ties = [
            q for q in ("low", "median", "high") if row.get(q) is not None and row.get(f"mcse_{q}") is None
        ]
        for q in ties:
            row[f"mcse_{q}"] = 0.0
        row["mcse_ties"] = ties
    return rows


class Result:
    """The common face of the API's results: ``table``, ``to_dict()``, ``to_csv()``."""

    table: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every result overrides it
        raise NotImplementedError

    def csv_frame(self) -> pd.DataFrame:
        """The rows ``to_csv`` writes (the ``--json`` rows)."""
        return self.table

    def to_csv(self, path: str | os.PathLike[str], *, force: bool = False) -> Path:
        """Write the rows of ``--json`` as CSV, atomically; an existing file only with ``force``."""
        from .io import write_csv

        return write_csv(self.csv_frame(), path, force=force)

    def text(self) -> str:  # pragma: no cover - every result overrides it
        """The result as the terminal prints it (see :mod:`chipdemand.display.text`)."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.text())}</pre>"


@dataclass(frozen=True, eq=False, repr=False)
class Run(Result):
    """A run of a study: its summary, its draws when they were kept, and the study itself.

    Attributes
    ----------
    study : Study
        The parsed study that ran.
    summary : xarray.Dataset
        Per output, ``draw`` reduced to ``stat`` (mean, median, low, high and their MCSE).
    dataset : xarray.Dataset or None
        The draws (dims ``scenario, draw[, year]``); ``None`` for a run summarized block by
        block in bounded memory.
    draws, seed, method, ci, interval
        How it ran (``draws`` as run: ``draws="auto"`` gives the number it took).
    converged : bool
        With ``draws="auto"``: whether every reported quantile reached ``rel_tol``.
    saved : pathlib.Path or None
        Where the draws were saved, if they were.
    """

    study: Study
    summary: xr.Dataset
    dataset: xr.Dataset | None
    draws: int
    seed: int
    method: str
    ci: float
    interval: str
    converged: bool = True
    saved: Path | None = None
    asked: int | None = None  # the draws asked for (a Sobol run rounds them up)
    references: list[dict[str, Any]] = field(default_factory=list)
    conditioned: Any = None  # chipdemand.analysis.conditioning.Conditioned, with observed=True
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def table(self) -> pd.DataFrame:
        """The run table; conditioned on observations, every output and input with
        ``posterior_mean``, ``posterior_median``, ``posterior_low``, ``posterior_high``."""
        if self.conditioned is not None:
            return self.conditioned.table
        from .analysis.summaries import table as summary_table

        return summary_table(self.summary)

    @property
    def streamed(self) -> bool:
        """Whether the draws were summarized block by block and not kept."""
        return self.dataset is None

    def csv_frame(self) -> pd.DataFrame:
        """The ``--json`` rows (every MCSE a number; ``mcse_ties`` joined by spaces)."""
        rows = _numeric_mcse(records(self.table))
        return pd.DataFrame([{**r, "mcse_ties": " ".join(r["mcse_ties"])} for r in rows])

    def to_dict(self) -> dict[str, Any]:
        return {
            "study": self.study.name,
            "draws": int(self.draws),
            "seed": int(self.seed),
            "method": self.method,
            "ci": float(self.ci),
            "interval": self.interval,
            "results": _numeric_mcse(records(self.table)),
            "references": [_json_row(r) for r in self.references],
            **self._observed(),
            **self.extra,
        }

    def text(self) -> str:
        from .display import text

        return text.run(self)

    def warnings(self) -> list[str]:
        """What a reader must not miss: ``draws="auto"`` stopping short, a median past a
        physical bound."""
        from .display import text

        return text.run_warnings(self)

    def _observed(self) -> dict[str, Any]:
        c = self.conditioned
        if c is None:
            return {}
        doc = c.document()
        return {key: doc[key] for key in ("observations", "pareto_k", "ess", "moved")}


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    from .io import json_value

    return {k: json_value(v) for k, v in row.items()}


@dataclass(frozen=True, eq=False, repr=False)
class Check(Result):
    """Independent references of the studies against our runs (``chipdemand check``)."""

    rows: list[dict[str, Any]]
    ci: float = 0.9

    def text(self) -> str:
        from .display import text

        return text.check(self)

    @cached_property
    def table(self) -> pd.DataFrame:
        from .study.references import REFERENCE_COLUMNS

        frame = pd.DataFrame(self.rows)
        return frame.reindex(columns=[c for c in REFERENCE_COLUMNS if c in frame.columns])

    @cached_property
    def coverage(self) -> dict[str, Any]:
        """How often our intervals hold the estimates, overall and per study
        (:func:`chipdemand.analysis.calibration.coverage`)."""
        from .analysis.calibration import coverage

        return coverage(self.rows, nominal=self.ci)

    def to_dict(self) -> dict[str, Any]:
        from .analysis.calibration import coverage_json

        return {"references": [_json_row(r) for r in self.rows], "coverage": coverage_json(self.coverage)}


@dataclass(frozen=True, eq=False, repr=False)
class Comparison(Result):
    """Two scenarios of a study, or two studies, output by output: ratio ``b / a`` and P(b > a).

    ``paired`` says whether the ratio is draw by draw (common random numbers: same seed and
    the same random streams) or between independent draws.
    """

    table: pd.DataFrame
    a: str
    b: str
    study: str
    draws: int
    seed: int
    paired: bool = True
    kind: str = "scenarios"
    ci: float = 0.9

    def text(self) -> str:
        from .display import text

        return text.comparison(self)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "study": self.study,
            "a": self.a,
            "b": self.b,
            "draws": int(self.draws),
            "seed": int(self.seed),
        }
        if self.kind != "scenarios":
            doc.update(kind=self.kind, paired=self.paired)
        doc["results"] = records(self.table)
        return doc


@dataclass(frozen=True, eq=False, repr=False)
class Sensitivity(Result):
    """Inputs ranked by how much they drive an output (largest first)."""

    table: pd.DataFrame
    output: str
    method: str
    scenario: str
    unit: str
    extra: dict[str, Any] = field(default_factory=dict)
    ci: float = 0.9

    def text(self) -> str:
        from .display import text

        return text.sensitivity(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "method": self.method,
            "scenario": self.scenario,
            "unit": self.unit,
            "ranking": records(self.table),
            **self.extra,
        }


@dataclass(frozen=True, eq=False, repr=False)
class Replay(Result):
    """Each report's numbers recomputed at its own inputs (``rows``) and its slips priced
    (``audit``). Unpacks as ``rows, audit = cd.replay()``."""

    rows: pd.DataFrame
    audit: pd.DataFrame

    @property
    def table(self) -> pd.DataFrame:
        return self.rows

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return iter((self.rows, self.audit))

    def text(self) -> str:
        from .display import text

        return text.replay(self)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": records(self.rows), "audit": records(self.audit)}

    def csv_frame(self) -> pd.DataFrame:
        """Both tables in one: a ``section`` column says ``rows`` or ``audit``."""
        return pd.concat(
            [self.rows.assign(section="rows"), self.audit.assign(section="audit")], ignore_index=True
        )[["section", *dict.fromkeys([*self.rows.columns, *self.audit.columns])]]


@dataclass(frozen=True, eq=False, repr=False)
class Rerun(Result):
    """A saved run simulated again from its own provenance. Unpacks as ``identical, table``."""

    file: str
    identical: bool
    differs: list[str]
    table: pd.DataFrame

    def __iter__(self) -> Iterator[Any]:  # a bool, then a DataFrame
        return iter((self.identical, self.table))

    def text(self) -> str:
        from .display import text

        return text.rerun(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "identical": self.identical,
            "differs": list(self.differs),
            "results": records(self.table),
        }


@dataclass(frozen=True, eq=False, repr=False)
class Fits(Result):
    """Families fitted to an expert's quantiles, best first; ``best`` is None when none fits
    within ``tolerance`` (the closest is still first in ``candidates``)."""

    probs: tuple[float, ...]
    values: tuple[float, ...]
    candidates: list[Any]
    tolerance: float

    def text(self) -> str:
        from .display import text

        return text.fits(self)

    @property
    def best(self) -> Any | None:
        first = self.candidates[0] if self.candidates else None
        return first if first is not None and first.max_rel_error <= self.tolerance else None

    @cached_property
    def table(self) -> pd.DataFrame:
        cols = [f"p{100 * p:g}" for p in self.probs]
        return pd.DataFrame(
            [
                {
                    "family": f.family,
                    **dict(zip(cols, f.quantiles, strict=True)),
                    "max_rel_error": f.max_rel_error,
                }
                for f in self.candidates
            ],
            columns=["family", *cols, "max_rel_error"],
        )

    def to_dict(self) -> dict[str, Any]:
        doc = [
            {
                "family": f.family,
                "spec": f.spec,
                "quantiles": list(f.quantiles),
                "max_rel_error": f.max_rel_error,
            }
            for f in self.candidates
        ]
        best = self.best
        return {"best": None if best is None else doc[0], "tolerance": self.tolerance, "candidates": doc}
