"""Results as people read them in a terminal (and a notebook shows them): plain-text tables.

One renderer per result of :mod:`chipdemand.results`, built with :mod:`chipdemand.display.format`, so
``chipdemand run`` and ``print(cd.run(...))`` show the same table, with the same digits as the
HTML report and the plots.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from . import format as fmt

if TYPE_CHECKING:  # pragma: no cover
    from ..results import Check, Comparison, Fits, Replay, Rerun, Run, Sensitivity

__all__ = [
    "run",
    "run_warnings",
    "observed",
    "references",
    "comparison",
    "replay",
    "sensitivity",
    "check",
    "fits",
    "rerun",
    "studies",
    "description",
]


def _name(row: dict[str, Any]) -> str:
    year = row.get("year")
    shown = year is not None and year == year and str(year) != "<NA>"  # NaN and pd.NA are no year
    return row["variable"] + (f"[{fmt.year(year)}]" if shown else "")


def run(result: Run) -> str:
    """The run table: per scenario and output, median, interval, MCSE and the report's number;
    then the independent estimates placed in the run."""
    if result.conditioned is not None:
        return observed(result)
    study = result.study
    lines = [
        study.title,
        study.source,
        f"{result.draws:,} draws, seed {result.seed}, {result.method}, "
        f"{result.ci:.0%} {result.interval.upper()} intervals",
        "",
    ]
    rows, previous = [], None
    events = {name for name, spec in study.outputs.items() if spec.domain == "indicator"}
    for r in result.table.to_dict(orient="records"):
        unit = r["unit"]
        if r["variable"] in events:  # an event: its probability, with its binomial error
            p = r["mean"]
            median, spread = f"P = {p:.3f}", fmt.DASH
            mcse = f"±{(p * (1 - p) / result.draws) ** 0.5:.3f}"
        else:
            median, spread = fmt.value(r["median"], unit), fmt.interval(r["low"], r["high"], unit)
            mcse = fmt.mcse_text(r)
        rows.append(
            [
                r["scenario"] if r["scenario"] != previous else "",
                _name(r),
                median,
                spread,
                mcse,
                fmt.value(r["reported"], unit),
                unit,
            ]
        )
        previous = r["scenario"]
    head = ["scenario", "output", "median", f"{result.ci:.0%} interval", "mcse", "reported", "unit"]
    lines += [fmt.table(head, rows), ""]
    lines.append(
        "mcse: the largest Monte Carlo standard error of low, median and high, relative to its value"
        + ("; for an event (P = ...), the standard error of its probability" if events else "")
        + (
            "; tie: a quantile on a tie of a discrete output, whose error its neighbouring order "
            "statistics cannot measure (draw more, or read it from several seeds)"
            if any(row[4].endswith("tie") for row in rows)
            else ""
        )
    )
    if "hdi_regions" in result.table.columns:
        for r in result.table.to_dict(orient="records"):
            if r.get("hdi_regions"):
                union = " ∪ ".join(fmt.interval(lo, hi, r["unit"]) for lo, hi in r["hdi_regions"])
                lines.append(
                    f"{r['scenario']} {_name(r)} has several modes: its {result.ci:.0%} highest-density "
                    f"region is {union} (the interval above is the shortest single one)"
                )
    if result.references:
        lines += ["", "Independent estimates of the same quantities, placed in our distribution:", ""]
        lines.append(references(result.references, study=False))
    return "\n".join(lines)


def run_warnings(result: Run) -> list[str]:
    """What a reader of a run must not miss: draws="auto" stopping short, a median past a
    physical bound (a thought experiment)."""
    lines = []
    if result.asked is not None and result.asked != result.draws:
        lines.append(
            f"{result.asked:,} draws became {result.draws:,}: a Sobol' net is balanced only on a power "
            "of two of draws per block of 65,536"
        )
    if not result.converged:
        lines.append(
            f"draws=auto stopped at {result.draws:,} draws before every quantile reached the tolerance"
        )
    for r in result.references:
        if r.get("passed"):
            lines.append(
                f"the median of {r['output']} in {r['scenario']} ({fmt.number(r['median'])} {r['unit']}) "
                f"passes a physical bound ({fmt.reference_value(r)}, {r['source']}, {r['date']}): this "
                "scenario is a thought experiment"
            )
    return lines


def observed(result: Run) -> str:
    """A run conditioned on observations: prior and posterior of every output, what moved."""
    c = result.conditioned
    study = result.study
    lines = [study.title, f"{result.draws:,} draws, seed {result.seed}, {result.method}, conditioned on:"]
    for o in c.observations.values():
        where = f" (scenarios {', '.join(o.scenarios)})" if o.scenarios else ""
        shown = f"{o.target} = {fmt.number(o.value)}, {o.level:.0%} range {fmt.interval(*o.ci)}"
        lines.append(f"  {o.name}: {shown}{where}; {o.source}")
    lines.append("")
    for s, k, ess in zip(c.scenarios, c.pareto_k.values, c.ess.values, strict=True):
        note = (
            f"Pareto k̂ {k:.2f}, ESS {ess:,.0f} of the {c.estimator(s)} weights used"
            if c.observed(s)
            else "no observation applies"
        )
        lines.append(f"  {s}: {note}")
    lines.append("")
    rows, previous = [], None
    outputs = set(study.outputs)
    for r in result.table.to_dict(orient="records"):
        if r["variable"] not in outputs:
            continue
        unit = r["unit"]
        rows.append(
            [
                r["scenario"] if r["scenario"] != previous else "",
                _name(r),
                fmt.value(r["median"], unit),
                fmt.interval(r["low"], r["high"], unit),
                fmt.value(r["posterior_median"], unit),
                fmt.interval(r["posterior_low"], r["posterior_high"], unit),
                unit,
            ]
        )
        previous = r["scenario"]
    ci = f"{result.ci:.0%}"
    head = [
        "scenario",
        "output",
        "prior median",
        f"prior {ci}",
        "posterior median",
        f"posterior {ci}",
        "unit",
    ]
    lines.append(fmt.table(head, rows))
    moved = c.moved
    # a shift within Monte Carlo noise is not news: a weighted median's standard error in
    # prior sd units is about sqrt(pi / 2) / sqrt(ESS); below twice that an input is left out
    floor = {
        s: 2 * math.sqrt(math.pi / 2 / max(e, 1.0)) for s, e in zip(c.scenarios, c.ess.values, strict=True)
    }
    moved = moved[[abs(r.shift) >= floor[r.scenario] for r in moved.itertuples()]] if len(moved) else moved
    if len(moved):
        lines += ["", "What the observations moved most (shift of the median in prior standard units):", ""]
        top = moved.groupby(["observation", "scenario"], sort=False).head(3)
        cells = [
            [
                r["observation"],
                r["scenario"],
                r["input"],
                fmt.number(r["prior_median"]),
                fmt.number(r["posterior_median"]),
                f"{r['shift']:+.2f}",
            ]
            for r in top.to_dict(orient="records")
        ]
        head = ["observation", "scenario", "input", "prior median", "posterior median", "shift"]
        lines.append(fmt.table(head, cells, left=3))
        lines.append("(up to three inputs each; shifts within twice their Monte Carlo error are left out)")
    return "\n".join(lines)


def _verdict(r: dict[str, Any]) -> str:
    if r.get("bound"):
        return "median PASSES the bound" if r["passed"] else "within the bound"
    return "inside" if r["inside"] else "outside"


def references(rows: list[dict[str, Any]], *, study: bool) -> str:
    """Independent estimates placed in our distributions (``check`` and the run table)."""

    def short(text: str, n: int = 48) -> str:
        return text if len(text) <= n else text[: n - 1] + "…"

    head = [*(["study"] if study else []), "output", "scenario", "reference", "source", "date"]
    head += ["our median", "our interval", "percentile", "verdict"]
    cells = [
        [
            *([r["study"]] if study else []),
            r["output"] + (f"[{fmt.year(r['year'])}]" if "year" in r else ""),
            r["scenario"],
            fmt.reference_value(r),
            short(r["source"]),
            r["date"],
            fmt.value(r["median"], r["unit"]),
            fmt.interval(r["low"], r["high"], r["unit"]),
            fmt.position(r),
            _verdict(r),
        ]
        for r in rows
    ]
    return fmt.table(head, cells, left=len(head) - 4)


def check(result: Check) -> str:
    """``chipdemand check``: every reference of the studies, and how many fall inside."""
    if not result.rows:
        return "no study lists a reference yet"
    estimates = [r for r in result.rows if not r.get("bound")]
    inside = sum(1 for r in estimates if r["inside"])
    passed = sum(1 for r in result.rows if r.get("passed"))
    return (
        references(result.rows, study=True)
        + f"\n\n{inside} of {len(estimates)} independent estimates inside our {result.ci:.0%} intervals; "
        f"{passed} median(s) past a physical bound" + "\n\n" + calibration(result.coverage)
    )


def calibration(cov: dict) -> str:
    """The calibration lines of ``check``: k of n inside, the share and its binomial interval."""

    def line(c: Any) -> list[str]:
        share = "—" if not c.n else f"{c.share:.0%}"
        interval = "—" if not c.n else f"{c.low:.0%} – {c.high:.0%}"
        return [c.scope, f"{c.inside} of {c.n}", share, interval, c.verdict]

    level, nominal, overall = cov["level"], cov["nominal"], cov["overall"]
    head = ["study", "inside", "share", f"{level:.0%} binomial interval", "verdict"]
    text = (
        f"Calibration: {overall.inside} of {overall.n} independent estimates inside our {nominal:.0%} "
        f"intervals ({overall.share:.0%}; {level:.0%} binomial interval "
        f"{overall.low:.0%} – {overall.high:.0%}); "
        f"calibrated intervals hold {nominal:.0%}. {overall.verdict.capitalize()} overall.\n\n"
        if overall.n
        else "Calibration: no independent estimates placed.\n\n"
    )
    text += fmt.table(head, [line(c) for c in cov["studies"]])
    flagged = cov["over_confident"]
    text += "\n\n" + (
        "Over-confident (their references pile at the ends of our intervals): " + ", ".join(flagged)
        if flagged
        else "No study is flagged over-confident"
    )
    return text + f"\n({cov['criterion']})"


def comparison(result: Comparison) -> str:
    """Ratios b ÷ a output by output, draw by draw (or between independent runs)."""
    a, b = result.a, result.b
    if result.kind == "scenarios":
        title = f"{result.study}: {b} ÷ {a}, draw by draw ({result.draws:,} draws, common random numbers)"
    else:
        how = (
            "draw by draw (same seed and random streams)"
            if result.paired
            else "as independent distributions (no shared random streams)"
        )
        title = f"{b} ÷ {a}: the outputs they share, {how}; {result.draws:,} draws"
    rows = []
    for r in result.table.to_dict(orient="records"):
        cells = [_name(r), ""]
        if result.kind != "scenarios":
            cells += [fmt.number(r["median_a"]), fmt.number(r["median_b"])]
        cells += [
            fmt.number(r["ratio_median"]),
            fmt.interval(r["ratio_low"], r["ratio_high"]),
            f"{r['p_b_greater']:.3f}",
            f"{r['p_b_equal']:.3f}",
            f"{r['p_b_less']:.3f}",
        ]
        rows.append(cells)
    head = ["output", ""]
    if result.kind != "scenarios":
        head += [f"median {a}", f"median {b}"]
    head += ["ratio median", f"{result.ci:.0%} interval", f"P({b} > {a})", "P(=)", "P(<)"]
    return title + "\n\n" + fmt.table(head, rows)


def replay(result: Replay) -> str:
    """The reports' numbers recomputed, and each slip's factor."""
    rows = [
        [
            r["study"],
            r["variable"],
            fmt.number(r["computed"]),
            fmt.number(r["reported"]),
            fmt.DASH if r["rel_error"] != r["rel_error"] else f"{r['rel_error']:+.2%}",
            r["unit"],
        ]
        for r in result.rows.to_dict(orient="records")
    ]
    text = fmt.table(["study", "variable", "computed", "reported", "rel. error", "unit"], rows)
    audit = result.audit.to_dict(orient="records")
    if audit:
        text += "\n\nAudit: each factor is the output with one slip corrected ÷ the output as printed\n\n"
        text += fmt.table(
            ["study", "issue", "factor", "note"],
            [[r["study"], r["issue"], fmt.ratio(r["factor"]), r["note"]] for r in audit],
            left=4,
        )
    return text


def sensitivity(result: Sensitivity) -> str:
    """Inputs ranked by how much they drive the output, by the method's own measure."""
    rows = result.table.to_dict(orient="records")
    output, unit, ci = result.output, result.unit, result.ci
    lo, hi = (1 - ci) / 2, (1 + ci) / 2
    if result.method == "rank":
        title = "Spearman rank correlation of each input with the output, from the run's draws"
        head = ["input", "rho"]
        cells = [[r["input"], f"{r['rho']:+.3f}"] for r in rows]
    elif result.method == "tornado":
        centre = fmt.number(rows[0]["centre"]) if rows else fmt.DASH
        title = (
            f"the output with one input at its {lo:.0%} and {hi:.0%} quantiles, the others at their "
            f"medians (all at medians: {centre} {unit})"
        )
        head = ["input", "input range", f"{output} at low", f"{output} at high", "swing"]
        labels = result.table.attrs.get("labels", {})
        cells = [
            [
                r["input"],
                fmt.ends(r["input_low"], r["input_high"], labels.get(r["input"]), arrow=" – "),
                fmt.number(r["low"]),
                fmt.number(r["high"]),
                fmt.number(r["swing"]),
            ]
            for r in rows
        ]
    elif result.method == "prior":
        title = (
            "how far the output's distribution moves when one input's prior is made a little more or "
            "less confident (power-scaling, Kallioinen et al. 2024); above ~0.05 it matters"
        )
        if result.extra.get("conditioned"):
            title += "; of the posterior, the run being conditioned on its observations"
        head = ["input", "sensitivity", "prior"]
        cells = [[r["input"], f"{r['index']:.3f}", r.get("dist", "")] for r in rows]
    else:
        of = f"log({output})" if result.extra.get("scale") == "log" else output
        n = result.extra.get("n")
        title = f"Sobol' indices of {of} over independent inputs ({n} base samples), {ci:.0%} intervals"
        head = ["input", "total", "interval", "first-order", "interval"]
        cells = [
            [
                r["input"],
                f"{r['total']:.3f}",
                f"{r['total_low']:.3f} – {r['total_high']:.3f}",
                f"{r['first']:.3f}",
                f"{r['first_low']:.3f} – {r['first_high']:.3f}",
            ]
            for r in rows
        ]
    text = f"What drives {output} ({unit}), scenario {result.scenario}: {result.method}\n{title}\n\n"
    if not rows:
        return text + "every input is a point value in this scenario: nothing varies, nothing to rank"
    return text + fmt.table(head, cells, left=1)


def _percentile(p: float) -> str:
    n = f"{100 * p:g}"
    if "." in n or "e" in n:
        return f"p{n}"
    suffix = "th" if n.endswith(("11", "12", "13")) else {"1": "st", "2": "nd", "3": "rd"}.get(n[-1], "th")
    return f"{n}{suffix}"


def _error(x: float) -> str:
    return f"{x:.2%}" if x <= 10 else "> 1000%"


def fits(result: Fits) -> str:
    """Families fitted to an expert's quantiles, and the best as a study-file spec."""
    labels = [_percentile(p) for p in result.probs]
    wanted = ", ".join(fmt.number(v) for v in result.values)
    text = f"{', '.join(labels)} percentiles wanted: {wanted}\n\n"
    text += fmt.table(
        ["family", *labels, "worst error"],
        [
            [f.family, *(fmt.number(q) for q in f.quantiles), _error(f.max_rel_error)]
            for f in result.candidates
        ],
        left=1,
    )
    if result.best is not None:
        return text + f"\n\nbest: {result.best.toml()}"
    closest = result.candidates[0]
    return text + (
        f"\n\nno family fits these quantiles within {result.tolerance:.0%}: the closest, "
        f"{closest.family}, is {_error(closest.max_rel_error)} off. Try a mixture of two families, "
        "or check the percentiles"
    )


def rerun(result: Rerun) -> str:
    if result.identical:
        return f"{result.file}: the re-run reproduces the saved draws exactly"
    return f"{result.file}: the re-run does not reproduce the saved draws of {', '.join(result.differs)}"


def studies(rows: list[dict[str, str]]) -> str:
    """``chipdemand list``."""
    return fmt.table(["study", "model", "title"], [[s["name"], s["model"], s["title"]] for s in rows], left=3)


def description(d: dict[str, Any]) -> str:
    """``chipdemand describe``: a model's or a study's inputs, outputs and formulas."""
    lines = [f"{d['kind']} {d['name']}" + (f" (model {d['model']})" if d["model"] != d["name"] else "")]
    for key in ("title", "description", "source"):
        if d.get(key):
            lines.append(f"{key}: {' '.join(str(d[key]).split())}")
    if d.get("extends"):
        lines.append("extends: " + " -> ".join(d["extends"]))
    if d.get("years"):
        lines.append(f"years: {d['years'][0]} to {d['years'][-1]}")
    rows = []
    for i in d["inputs"]:
        when = "; ".join(f"{w['choice']} = {' or '.join(w['labels'])}" for w in i.get("used_when") or [])
        rows.append(
            [
                i["name"],
                i.get("written_unit") or i["unit"],
                i.get("domain") or "",
                when or "always",
                i["description"],
            ]
        )
    lines += ["", "inputs:", fmt.table(["input", "unit", "domain", "used when", "description"], rows, left=5)]
    for c in d.get("constants") or []:
        lines.append(f"constant {c['name']} = {fmt.number(c['value'])} {c['unit']}")
    rows = [[o["name"], o["unit"], " × ".join(o.get("dims") or []), o["description"]] for o in d["outputs"]]
    lines += ["", "outputs:", fmt.table(["output", "unit", "over", "description"], rows, left=4)]
    formulas = [(o["name"], o["formula"]) for o in d["outputs"] if o.get("formula")]
    if formulas:
        lines += ["", "formulas:"]
        lines += [f"  {x['name']} = {x['formula']}  [{x['unit']}]" for x in d.get("derived") or []]
        lines += [f"  {name} = {formula}" for name, formula in formulas]
    if d.get("scenarios"):
        lines += ["", "scenarios: " + ", ".join(s["name"] for s in d["scenarios"])]
    return "\n".join(lines)
