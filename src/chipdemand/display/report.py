"""An HTML report of a study or a saved run: one self-contained page a person can read and share.

What the page shows is gathered first (:func:`chipdemand.analysis.report_data.gather`); this
module lays it out: formatting and figures only, no analysis while rendering.

The page holds the study's title and source, its inputs as written, the outputs with their
intervals, Monte Carlo errors and the report's own numbers, the scenarios compared, what drives
each output, the figures (PNG embedded as data URIs) and the run's provenance.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from ..analysis.report_data import ParentRun, ReportData, gather
from ..analysis.summaries import outputs_of
from ..errors import StudyError
from ..io import atomic_write
from . import format as fmt
from . import plots

if TYPE_CHECKING:  # for annotations only
    from matplotlib.figure import Figure

    from ..analysis.calibration import Coverage
    from ..analysis.conditioning import Conditioned
    from ..study.loader import Study

__all__ = ["render", "page", "check_out_dir", "write_page", "PAGE_NAME"]

#: the page a report folder holds
PAGE_NAME = "index.html"


# ----------------------------------------------------------------------------- the folder
def check_out_dir(out_dir: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Check, before anything is simulated, that a report can be written into ``out_dir``.

    A new folder (its parent must exist) or an empty one is used as it is. A folder that holds an
    earlier report (an ``index.html`` written by chipdemand) is replaced only with ``force``. A
    folder that holds other files is refused: a report never mixes with, or deletes, files it
    did not write. Returns the folder.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise StudyError("exists and is not a folder", file=str(out))
    if not out.exists():
        parent = out.parent if str(out.parent) else Path(".")
        if not parent.is_dir():
            raise StudyError("no such folder to make the report folder in", file=str(parent))
        if not os.access(parent, os.W_OK | os.X_OK):
            raise StudyError("cannot write into this folder (permission denied)", file=str(parent))
        return out
    if not os.access(out, os.W_OK | os.X_OK):
        raise StudyError("cannot write into this folder (permission denied)", file=str(out))
    page = out / PAGE_NAME
    others = sorted(p.name for p in out.iterdir() if p.name != PAGE_NAME and not p.name.startswith("."))
    if others:
        raise StudyError(
            f"holds other files ({', '.join(others[:3])}{', ...' if len(others) > 3 else ''}); "
            "give a new or empty folder for the report",
            file=str(out),
        )
    if page.exists():
        if not _is_report(page):
            raise StudyError(f"holds an {PAGE_NAME} that is not a chipdemand report", file=str(out))
        if not force:
            raise StudyError("holds a report already (use --force to replace it)", file=str(out))
    return out


def _is_report(page: Path) -> bool:
    try:
        with page.open(encoding="utf-8", errors="replace") as f:
            return 'name="generator" content="chipdemand"' in f.read(4096)
    except OSError:
        return False


def write_page(page: str, out_dir: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write ``page`` as ``out_dir/index.html`` atomically (see :func:`check_out_dir`)."""
    out = check_out_dir(out_dir, force=force)
    try:
        out.mkdir(exist_ok=True)
    except OSError as exc:
        raise StudyError(f"cannot make the folder ({exc.strerror})", file=str(out)) from None

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(page)

    return atomic_write(out / PAGE_NAME, write, force=True)


# ----------------------------------------------------------------------------- the page
def render(res: xr.Dataset, study: Study | None, *, ci: float = 0.9, origin: str = "") -> str:
    """The report page of run ``res`` (made from ``study``, or ``None`` if it cannot be rebuilt)."""
    return page(gather(res, study, ci=ci, origin=origin))


def page(data: ReportData) -> str:
    """The HTML page of what :func:`chipdemand.analysis.report_data.gather` gathered."""
    res, study, ci, base = data.res, data.study, data.ci, data.base
    a = res.attrs
    parts = [
        f"<h1>{_e(a.get('title', a.get('study', 'chipdemand run')))}</h1>",
        f"<p class=source><b>Source:</b> {_e(a.get('study_source', ''))}</p>",
    ]
    if study is not None and study.description:
        parts.append(f"<p class=desc>{_e(study.description.strip())}</p>")
    parts.append(
        f"<p class=meta>Study <code>{_e(a.get('study', ''))}</code>, "
        f"model <code>{_e(a.get('model', ''))}</code>; "
        f"{int(a.get('draws', res.sizes['draw'])):,} draws per scenario, seed {_e(a.get('seed'))}, "
        f"method {_e(a.get('method'))}; {_e(data.origin)}. Intervals are {ci:.0%} equal-tailed credible "
        "intervals.</p>"
    )
    parts += ["<h2>Outputs</h2>", _outputs_table(res, data.table, ci)]
    parts += [
        "<h2>Scenarios at a glance</h2>",
        _img(plots.forest(res, ci=ci, table=data.table), "forest plot of the scenarios"),
    ]
    if data.placed:
        parts += ["<h2>Independent estimates</h2>", _references_table(data.placed)]
        parts.append(_calibration_section(data.calibration, ci))
    if data.conditioned is not None:
        parts += ["<h2>Observations</h2>", _observations_section(data.conditioned, study)]
    elif data.why_not_conditioned:
        parts += ["<h2>Observations</h2>", f"<p class=note>{_e(data.why_not_conditioned)}</p>"]
    if study is not None and data.parent is not None:
        parts += [
            "<h2>Compared with the study it extends</h2>",
            _parent_section(data.parent, study, base, ci),
        ]
    for output in data.outputs:
        refs = study.outputs[output].references if study is not None and output in study.outputs else ()
        parts.append(_output_section(res, output, ci, data.tornados.get(output), refs))
    parts += ["<h2>What drives the answer</h2>", _sensitivity_section(data)]
    if data.comparisons:
        parts += ["<h2>Scenarios compared with " + _e(base) + "</h2>", _comparison(data)]
    parts += ["<h2>Inputs</h2>", _inputs_table(res, study)]
    parts += ["<h2>Provenance</h2>", _provenance(res, data.origin)]
    title = _e(a.get("title", a.get("study", "chipdemand report")))
    return PAGE.format(title=title, body="\n".join(parts))


def _e(x: object) -> str:
    return html.escape("" if x is None else str(x))


def _img(fig: Figure, alt: str) -> str:
    return f'<img src="{plots.to_data_uri(fig)}" alt="{_e(alt)}">'


def _outputs_table(res: xr.Dataset, table: pd.DataFrame, ci: float) -> str:
    has_year = "year" in table.columns and table["year"].notna().any()
    head = [
        "scenario",
        "output",
        *(["year"] if has_year else []),
        "unit",
        "median",
        f"{ci:.0%} interval",
        "MCSE",
        "reported",
        "P(&gt; reported)",
    ]
    rows, previous = [], None
    for _, r in table.iterrows():
        reported, unit = r["reported"], r["unit"]
        p_above = r["p_above_reported"]
        chance = "—" if not np.isfinite(p_above) else f"{p_above:.2f}"
        mcse_title = (
            f"MCSE of low {fmt.number(r['mcse_low'])}, median {fmt.number(r['mcse_median'])}, "
            f"high {fmt.number(r['mcse_high'])}"
        )
        shown = "—" if reported is None or not np.isfinite(reported) else fmt.value(reported, unit)
        scen = r["scenario"] if r["scenario"] != previous else ""
        previous = r["scenario"]
        cells = [f"<td class=grp>{_e(scen)}</td>", f"<td>{_e(r['variable'])}</td>"]
        if has_year:
            cells.append(f"<td>{fmt.year(r.get('year'))}</td>")
        event = res[r["variable"]].attrs.get("domain") == "indicator"  # its mean is its probability
        middle = f"P = {r['mean']:.3f}" if event else fmt.value(r["median"], unit)
        spread = fmt.DASH if event else fmt.interval(r["low"], r["high"], unit)
        cells += [
            f"<td>{_e(unit)}</td>",
            f"<td class=n><b>{middle}</b></td>",
            f"<td class=n>{spread}</td>",
            f"<td class=n title='{_e(mcse_title)}'>{fmt.mcse_text(r)}</td>",
            f"<td class=n>{shown}</td>",
            f"<td class=n>{chance}</td>",
        ]
        rows.append(cells)
    note = (
        "<p class=note>MCSE: the largest Monte Carlo standard error of the low, median and high "
        "values, relative to the value (order-statistic estimate; hover for absolute values). "
        "Reported: the number the source printed; P(&gt; reported): the chance our estimate "
        "exceeds it.</p>"
    )
    return _html_table(head, rows) + note


def _references_table(rows: list[dict]) -> str:
    head = ["output", "scenario", "estimate", "source", "our median", "our interval", "percentile", ""]
    body = []
    for r in rows:
        unit = r["unit"]
        value = fmt.reference_value(r)
        verdict = (
            ("<b>median passes this bound</b>" if r["passed"] else "within the bound")
            if r.get("bound")
            else ("inside" if r["inside"] else "<b>outside</b>")
        )
        link = f" <a href='{_e(r['url'])}'>link</a>" if r.get("url") else ""
        note = f"<br><span class=cite>{_e(r['note'])}</span>" if r.get("note") else ""
        year = f"[{fmt.year(r['year'])}]" if "year" in r else ""
        body.append(
            [
                f"<td>{_e(r['output'])}{year}</td>",
                f"<td>{_e(r['scenario'])}</td>",
                f"<td class=n>{_e(value)} {_e(unit)}</td>",
                f"<td class=cite>{_e(r['source'])}, {_e(r['date'])}{link}{note}</td>",
                f"<td class=n>{fmt.value(r['median'], unit)}</td>",
                f"<td class=n>{fmt.interval(r['low'], r['high'], unit)}</td>",
                f"<td class=n>{fmt.position(r)}</td>",
                f"<td>{verdict}</td>",
            ]
        )
    return _html_table(head, body, "inputs") + (
        "<p class=note>Estimates published by others of the same quantities (never the source "
        "report's own number), placed in our distribution: the share of our draws at or below "
        "each (the middle of a range) and whether it meets our interval. A bound is a physical "
        "limit (e.g. every accelerator shipped to date): a median beyond it marks a thought "
        "experiment. They are green (estimates) and red (bounds) on the charts below.</p>"
    )


def _calibration_section(cov: Coverage | None, ci: float) -> str:
    """How many of the estimates our intervals hold, and their percentiles as a PIT histogram."""
    if cov is None or not cov.n:
        return ""
    words = (
        f"{cov.inside} of {cov.n} independent estimates inside our {ci:.0%} intervals ({cov.share:.0%}; "
        f"{cov.level:.0%} binomial interval {cov.low:.0%} – {cov.high:.0%}): <b>{_e(cov.verdict)}</b>"
        + (": the references pile at the ends of our intervals" if cov.over_confident else "")
        + "."
    )
    figure = (
        _img(plots.pit_histogram(cov.pit, nominal=ci), "histogram of the references' percentiles")
        if cov.pit
        else ""
    )
    return f"<p class=note>{words}</p>{figure}"


def _observations_section(conditioned: Conditioned, study: Study | None) -> str:
    rows = []
    for o in conditioned.observations.values():
        rows.append(
            [
                f"<td>{_e(o.name)}</td>",
                f"<td>{_e(o.target)}</td>",
                f"<td class=n>{fmt.number(o.value)}</td>",
                f"<td class=n>{fmt.interval(*o.ci)} ({o.level:.0%})</td>",
                f"<td>{_e(', '.join(o.scenarios) if o.scenarios else 'all')}</td>",
                f"<td class=cite>{_e(o.source)}{', ' + _e(o.date) if o.date else ''}</td>",
            ]
        )
    parts = [
        _html_table(["observation", "of", "value", "range", "scenarios", "source"], rows, "inputs"),
        "<p class=note>The run's draws weighted by the likelihood of what was observed "
        "(importance sampling; raw weights where Pareto k̂ is below 0.5, Pareto-smoothed above). "
        + "; ".join(
            f"{_e(s)}: Pareto k̂ {k:.2f}, effective draws {e:,.0f} of the {conditioned.estimator(s)} weights"
            if conditioned.observed(s)
            else f"{_e(s)}: none applies"
            for s, k, e in zip(
                conditioned.scenarios, conditioned.pareto_k.values, conditioned.ess.values, strict=True
            )
        )
        + ". k̂ above 0.7 would mean the weights cannot be trusted.</p>",
    ]
    table = conditioned.table
    outputs = [o for o in outputs_of(conditioned.run)]
    rows = []
    for r in table[table["variable"].isin(outputs)].to_dict(orient="records"):
        unit = r["unit"]
        rows.append(
            [
                f"<td>{_e(r['scenario'])}</td>",
                f"<td>{_e(r['variable'])}</td>",
                f"<td class=n>{fmt.value(r['median'], unit)}</td>",
                f"<td class=n>{fmt.interval(r['low'], r['high'], unit)}</td>",
                f"<td class=n><b>{fmt.value(r['posterior_median'], unit)}</b></td>",
                f"<td class=n>{fmt.interval(r['posterior_low'], r['posterior_high'], unit)}</td>",
                f"<td>{_e(unit)}</td>",
            ]
        )
    parts.append(
        _html_table(
            [
                "scenario",
                "output",
                "prior median",
                "prior interval",
                "posterior median",
                "posterior interval",
                "unit",
            ],
            rows,
        )
    )
    figs = []
    observed = [s for s in conditioned.scenarios if conditioned.observed(s)]
    if observed:
        first = observed[0]
        targets = list(
            dict.fromkeys(o.target for o in conditioned.observations.values() if o.applies_to(first))
        )
        headline = [study.headline] if study is not None and study.headline in conditioned.run else []
        for var in dict.fromkeys([*targets, *headline]):
            figs.append(_img(plots.prior_posterior(conditioned, var, first), f"prior and posterior of {var}"))
    return "\n".join(parts) + f"<div class=figs>{''.join(figs)}</div>"


def _parent_section(parent: ParentRun, study: Study, base: str, ci: float) -> str:
    """This study beside the study it extends, simulated with the same draws and seed."""
    if parent.note:
        return f"<p class=note>{_e(parent.note)}</p>"
    fig = plots.side_by_side(parent.rows, parent.shared, ci=ci)
    return _img(fig, f"{study.name} beside {parent.name}") + (
        f"<p class=note>{_e(study.name)} beside {_e(parent.name)}, the study it extends ({_e(base)}, "
        "and the scenarios it adds), with the same draws and seed: the inputs they share have the "
        "same random draws. "
        f"<code>chipdemand compare {_e(parent.name)} {_e(study.path or study.name)}</code> gives the "
        "ratios draw by draw.</p>"
    )


def _html_table(head: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    h = "".join(f"<th>{c}</th>" for c in head)
    body = "\n".join("<tr>" + "".join(r) + "</tr>" for r in rows)
    return f"<table class='{cls}'><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def _output_section(
    res: xr.Dataset, output: str, ci: float, tornado: pd.DataFrame | None, references: Sequence = ()
) -> str:
    da = res[output]
    unit = da.attrs.get("unit", "")
    desc = da.attrs.get("description", "")
    src = da.attrs.get("source", "")
    figs = []
    if "year" in da.dims:
        figs.append(_img(plots.fan_chart(res, output), f"fan chart of {output} over years"))
    figs.append(
        _img(plots.density(res, output, ci=ci, references=references), f"density of {output} per scenario")
    )
    figs.append(
        _img(plots.exceedance_curve(res, output, references=references), f"exceedance curve of {output}")
    )
    if tornado is not None and len(tornado):
        figs.append(_img(plots.tornado_chart(tornado), f"tornado chart of {output}"))
    head = f"<h3>{_e(output)} <span class=unit>({_e(unit)})</span></h3>"
    text = (
        f"<p class=desc>{_e(desc)}"
        + (f"<br><span class=cite>Reported: {_e(src)}</span>" if src else "")
        + "</p>"
    )
    return f"<section class=output>{head}{text}<div class=figs>{''.join(figs)}</div></section>"


def _sensitivity_section(data: ReportData) -> str:
    ranks, tornados, base, ci = data.ranks, data.tornados, data.base, data.ci
    outputs = list(ranks)
    parts = []
    if ranks:
        order = _by_largest({o: t.set_index("input")["index"] for o, t in ranks.items()})
        head = ["input", *(_e(o) for o in outputs)]
        rows = []
        for name in order:
            cells = [f"<td>{_e(name)}</td>"]
            for o in outputs:
                t = ranks[o].set_index("input")
                rho = round(float(t.loc[name, "rho"]), 2) + 0.0  # no "-0.00"
                cells.append(f"<td class=n style='background:{_shade(rho)}'>{rho:+.2f}</td>")
            rows.append(cells)
        parts.append(
            f"<h3>Rank correlation with each output ({_e(base)} scenario)</h3>"
            + _html_table(head, rows, "heat")
            + "<p class=note>Spearman rank correlation of each input's draws with the output's "
            "draws (a structural choice by its code); the sign says which way the output moves. "
            "Inputs that are a point value are left out.</p>"
        )
    if tornados:
        head = ["input", *(_e(o) for o in tornados)]
        order = _by_largest(
            {o: (t["swing"] / t["centre"].abs()).set_axis(t["input"]) for o, t in tornados.items()}
        )
        rows = []
        for name in order:
            cells = [f"<td>{_e(name)}</td>"]
            for t in tornados.values():
                row = t.set_index("input").loc[name]
                rel = row["swing"] / abs(row["centre"]) if row["centre"] else np.nan
                cells.append(
                    f"<td class=n title='{fmt.number(row['low'])} → {fmt.number(row['high'])}' "
                    f"style='background:{_shade(min(rel, 1) if np.isfinite(rel) else 0)}'>"
                    f"{'—' if not np.isfinite(rel) else f'{rel:.0%}'}</td>"
                )
            rows.append(cells)
        lo, hi = (1 - ci) / 2, (1 + ci) / 2
        parts.append(
            f"<h3>Tornado swings ({_e(base)} scenario)</h3>"
            + _html_table(head, rows, "heat")
            + f"<p class=note>Each cell: how far the output moves when the input goes from its "
            f"{lo:.0%} to its {hi:.0%} quantile with every other input at its median, as a share "
            "of the output with all inputs at their medians (hover for the two values). "
            "For Sobol' indices run <code>chipdemand sensitivity STUDY --method sobol</code>.</p>"
        )
    return "\n".join(parts) or "<p>The run carries no study; sensitivity needs it.</p>"


def _by_largest(indices: dict[str, pd.Series]) -> list[str]:
    """Inputs ordered by their largest index over the outputs, largest first."""
    frame = pd.DataFrame(indices).fillna(0.0)
    return list(frame.max(axis=1).sort_values(ascending=False, kind="stable").index)


def _shade(x: float) -> str:
    """A background for a heat-map cell: orange for positive, blue for negative, by size."""
    a = min(abs(float(x)), 1.0) * 0.55
    return f"rgba(230,120,20,{a:.2f})" if x >= 0 else f"rgba(30,110,200,{a:.2f})"


def _comparison(data: ReportData) -> str:
    study, base, ci = data.study, data.base, data.ci
    parts = []
    for s, t in data.comparisons.items():
        note = study.scenario_notes.get(s, "") if study is not None else ""
        has_year = "year" in t.columns
        if has_year:  # the last year only, to keep the page short
            t = t[t["year"] == t["year"].max()]
        head = [
            "output",
            *(["year"] if has_year else []),
            f"{_e(s)} ÷ {_e(base)}: median",
            f"{ci:.0%} interval",
            f"P({_e(s)} &gt; {_e(base)})",
            "P(=)",
            "P(&lt;)",
        ]
        rows = [
            [
                f"<td>{_e(r['variable'])}</td>",
                *([f"<td>{fmt.year(r['year'])}</td>"] if has_year else []),
                f"<td class=n>{fmt.ratio(r['ratio_median'])}</td>",
                f"<td class=n>{fmt.ratio(r['ratio_low'])} – {fmt.ratio(r['ratio_high'])}</td>",
                f"<td class=n>{r['p_b_greater']:.2f}</td>",
                f"<td class=n>{r['p_b_equal']:.2f}</td>",
                f"<td class=n>{r['p_b_less']:.2f}</td>",
            ]
            for _, r in t.iterrows()
        ]
        parts.append(
            f"<h3>{_e(s)}</h3>" + (f"<p class=desc>{_e(note)}</p>" if note else "") + _html_table(head, rows)
        )
    parts.append(
        "<p class=note>Ratios draw by draw: scenarios share the random numbers of the inputs "
        "they do not override, so a ratio is the scenario's effect, not sampling noise.</p>"
    )
    return "\n".join(parts)


def _inputs_table(res: xr.Dataset, study: Study | None) -> str:
    from ..units import conversion_factor

    head = ["input", "distribution (as written)", "unit", "report's value", "source"]
    rows = []
    for name in res.data_vars:
        a = res[name].attrs
        if a.get("role") != "input":
            continue
        written = a.get("written_unit", a.get("unit", ""))
        point = a.get("point")
        shown = "—"
        if point is not None:
            if a.get("choices"):
                labels = str(a["choices"]).split("|")
                shown = labels[int(point)] if 0 <= int(point) < len(labels) else fmt.number(point)
            else:
                try:
                    shown = fmt.number(float(point) / conversion_factor(written, a.get("unit", written)))
                except StudyError:
                    shown = f"{fmt.number(point)} {a.get('unit', '')}"
        desc = a.get("description", "")
        rows.append(
            [
                f"<td><b>{_e(name)}</b>"
                + (f"<br><span class=unit>{_e(desc)}</span>" if desc else "")
                + "</td>",
                f"<td><code>{_e(a.get('dist', ''))}</code></td>",
                f"<td>{_e(written)}</td>",
                f"<td class=n>{_e(shown)}</td>",
                f"<td class=cite>{_e(a.get('source', ''))}</td>",
            ]
        )
    parts = [_html_table(head, rows, "inputs")]
    if study is not None and study.scenarios:
        srows = []
        for scen, overrides in study.scenarios.items():
            for name, spec in overrides.items():
                srows.append(
                    [
                        f"<td>{_e(scen)}</td>",
                        f"<td>{_e(name)}</td>",
                        f"<td><code>{_e(spec.dist.describe())}</code></td>",
                        f"<td>{_e(spec.written_unit)}</td>",
                        f"<td class=cite>{_e(spec.source)}</td>",
                    ]
                )
        parts.append(
            "<h3>Scenario overrides</h3>"
            + _html_table(["scenario", "input", "distribution", "unit", "source"], srows, "inputs")
        )
    if study is not None and study.correlations:
        crows = [
            [f"<td>{_e(a)}</td>", f"<td>{_e(b)}</td>", f"<td class=n>{rho:+.2f}</td>"]
            for (a, b), rho in study.correlations.items()
        ]
        parts.append(
            "<h3>Rank correlations between inputs</h3>" + _html_table(["input", "input", "Spearman ρ"], crows)
        )
    return "\n".join(parts)


def _provenance(res: xr.Dataset, origin: str) -> str:
    a = res.attrs
    items = [
        ("study", a.get("study")),
        ("study file", a.get("study_path")),
        ("study sha256", a.get("study_sha256")),
        ("model", a.get("model")),
        ("seed", a.get("seed")),
        ("draws", f"{int(a.get('draws', res.sizes['draw'])):,} per scenario"),
        ("method", a.get("method")),
        ("scenarios", ", ".join(str(s) for s in res["scenario"].values)),
        ("chipdemand version", a.get("chipdemand_version")),
        ("this page", origin),
    ]
    rows = "".join(f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>" for k, v in items)
    again = (
        f"chipdemand run {a.get('study_path') or a.get('study')} --draws {a.get('draws')} "
        f"--seed {a.get('seed')} --method {a.get('method')}"
    )
    text = a.get("study_toml")
    study_text = (
        f"<details><summary>The study file as run</summary><pre>{_e(text)}</pre></details>" if text else ""
    )
    return (
        f"<table class=prov>{rows}</table><p class=note>To repeat this run: <code>{_e(again)}</code></p>"
        + study_text
    )


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="chipdemand">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC",
       sans-serif; margin: 0 auto; max-width: 1200px; padding: 1.5em 2em 4em; color: #1a1a1a;
       line-height: 1.45; }}
h1 {{ font-size: 1.7em; margin-bottom: .2em; }}
h2 {{ margin-top: 2em; border-bottom: 2px solid #ddd; padding-bottom: .2em; }}
h3 {{ margin: 1.4em 0 .4em; }}
p.source, p.meta {{ color: #444; margin: .3em 0; }}
p.desc {{ color: #333; max-width: 60em; }}
p.note {{ color: #666; font-size: .85em; max-width: 60em; }}
table {{ border-collapse: collapse; margin: .5em 0; font-size: .9em; }}
th, td {{ padding: .25em .7em; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }}
thead th {{ background: #f3f3f3; border-bottom: 2px solid #ccc; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
td.grp {{ font-weight: 600; }}
td.cite, span.cite {{ color: #555; font-size: .85em; }}
table.inputs td.cite {{ max-width: 34em; }}
span.unit {{ color: #777; font-weight: normal; font-size: .85em; }}
table.heat td.n {{ min-width: 6em; }}
table.prov th {{ background: none; width: 12em; }}
code {{ font-size: .9em; }}
.figs {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: .8em; }}
img {{ max-width: 100%; height: auto; border: 1px solid #eee; }}
section.output {{ margin-top: 1.5em; }}
pre {{ background: #f7f7f7; padding: 1em; overflow-x: auto; font-size: .8em; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""
