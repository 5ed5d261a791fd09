"""The ``chipdemand`` command: a thin shell over the Python API.

Each subcommand parses its flags, calls the API function of the same name and prints the
result as a table, or its ``to_dict()`` as one JSON document with ``--json`` (``--csv FILE``
writes the same rows for spreadsheets). A user error exits 2 with one ``error:`` line on stderr.
What a command needs is imported when it runs, so ``--help`` and ``list`` answer at once.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from . import format as fmt
from . import validate
from .errors import StudyError

__all__ = ["main", "build_parser"]

DEFAULT_DRAWS = 100_000  # the API's default (chipdemand.api.DEFAULT_DRAWS), without importing it


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override] # one line, exit 2
        raise StudyError(message)


def _typed(check: Callable[..., Any], flag: str, **kw: Any) -> Callable[[str], Any]:
    """An argparse ``type`` running a check of :mod:`chipdemand.validate` on the flag's text."""

    def parse(text: str) -> Any:
        try:
            return check(text, key=flag, **kw)
        except StudyError as err:  # argparse puts "argument --flag: " before it
            raise argparse.ArgumentTypeError(err.message) from None

    parse.__name__ = flag  # argparse names the type in its messages
    return parse


def _draws_flag(p: argparse.ArgumentParser, *, auto: bool, default: Any, help: str) -> None:
    p.add_argument("--draws", type=_typed(validate.draws, "--draws", auto=auto), default=default, help=help)


def _seed_flag(p: argparse.ArgumentParser, help: str = "seed of the random streams (default 0)") -> None:
    p.add_argument("--seed", type=_typed(validate.seed, "--seed"), default=None, help=help)


def _ci_flag(p: argparse.ArgumentParser, help: str = "mass of the credible intervals (default 0.9)") -> None:
    p.add_argument("--ci", type=_typed(validate.ci, "--ci"), default=0.9, help=help)


def _common_run(p: argparse.ArgumentParser, *, auto: bool) -> None:
    _draws_flag(
        p,
        auto=auto,
        default=DEFAULT_DRAWS,
        help="draws per scenario: 100000, 1e5"
        + (", or auto (until every quantile's MCSE is under --rel-tol)" if auto else "")
        + " (default 1e5)",
    )
    _seed_flag(p)
    p.add_argument(
        "--method",
        choices=validate.METHODS,
        default="mc",
        help="sampling: mc, lhs (Latin hypercube) or sobol (default mc)",
    )
    p.add_argument(
        "--threads",
        type=_typed(validate.positive_int, "--threads"),
        default=None,
        help="worker threads (default: every core); the numbers do not change",
    )


def _out_flags(p: argparse.ArgumentParser, force: str = "overwrite the --csv file if it exists") -> None:
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout instead of a table")
    p.add_argument("--csv", metavar="FILE", help="also write the rows of --json to this CSV file")
    p.add_argument("--force", action="store_true", help=force)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chipdemand",
        description="Monte Carlo uncertainty studies of AI compute demand: chips, servers, FLOPs, "
        "energy and money, with credible intervals and the inputs that drive them.",
        epilog="`chipdemand COMMAND --help` describes each command and its flags.",
    )
    parser.add_argument(
        "--version", action="version", version=f"chipdemand {_version()}", help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    p = sub.add_parser("list", help="list the shipped studies", description="List the shipped studies.")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout instead of a table")

    p = sub.add_parser(
        "run",
        help="simulate a study and summarize its outputs",
        description="Simulate a study and summarize every output per scenario.",
    )
    p.add_argument("study", help="a study name (see `chipdemand list`) or a path to a TOML file")
    _common_run(p, auto=True)
    p.add_argument(
        "--rel-tol",
        type=_typed(validate.probability, "--rel-tol"),
        default=0.005,
        help="with --draws auto: the largest relative MCSE of any reported quantile (default 0.005)",
    )
    p.add_argument("--scenario", action="append", help="a scenario to run (repeatable; default: all)")
    _ci_flag(p)
    p.add_argument(
        "--interval",
        choices=validate.INTERVALS,
        default="eti",
        help="eti (equal-tailed, default) or hdi (highest density)",
    )
    p.add_argument(
        "--save", metavar="FILE.nc", help="keep the draws in this netCDF file (for report and rerun)"
    )
    p.add_argument(
        "--observed",
        action="store_true",
        help="condition on the study's [observations] (importance weights, Pareto-smoothed): "
        "posterior beside prior; refused when Pareto k-hat says the weights cannot be trusted",
    )
    p.add_argument(
        "--save-draws",
        metavar="FILE",
        help="export the draws of the outputs to FILE.csv (or FILE.parquet, with chipdemand[parquet])",
    )
    p.add_argument(
        "--output",
        action="append",
        help="with --save-draws: an output to export (repeatable; default: every output without years)",
    )
    _out_flags(p, force="overwrite the --save, --save-draws and --csv files if they exist")

    p = sub.add_parser(
        "compare",
        help="compare two scenarios draw by draw, or two studies",
        description="Compare two scenarios of a study draw by draw "
        "(`compare STUDY --scenario A --scenario B`), or the outputs two studies share "
        "(`compare STUDY_A STUDY_B`: names, .toml paths or saved .nc runs).",
    )
    p.add_argument("study", help="a study (name, .toml path or saved .nc run)")
    p.add_argument("other", nargs="?", help="a second study to compare with the first")
    p.add_argument(
        "--scenario",
        action="append",
        help="twice: scenarios A then B of one study; once with two studies: the scenario of each "
        "(default base)",
    )
    _common_run(p, auto=False)
    _ci_flag(p, "mass of the ratio intervals (default 0.9)")
    _out_flags(p)

    p = sub.add_parser(
        "replay",
        help="reproduce the reports' own numbers and audit their arithmetic",
        description="Evaluate each study at its report's point values, compare with the numbers the "
        "report printed, and price each slip.",
    )
    p.add_argument("study", nargs="?", help="a study name or path (default: every shipped study)")
    _out_flags(p)

    p = sub.add_parser(
        "sensitivity",
        help="rank the inputs that drive an output",
        description="Rank the inputs that drive an output: rank correlation, tornado swings or "
        "Sobol indices.",
    )
    p.add_argument("study", help="a study name or path, or a saved FILE.nc run (rank reads its draws)")
    p.add_argument("--output", help="the output to explain (default: the study's headline output)")
    p.add_argument(
        "--method",
        choices=["rank", "tornado", "sobol", "prior"],
        default="rank",
        help="rank (Spearman, from a run), tornado (one input at a time), sobol (variance shares) or "
        "prior (power-scaling each input's prior, from a run); default rank",
    )
    p.add_argument(
        "--scenario", default=None, help="the scenario whose distributions are used (default base)"
    )
    p.add_argument("--year", default=None, help="for an output over years: the year (default: the last)")
    _draws_flag(
        p,
        auto=False,
        default=None,
        help="rank: draws of the run (default 1e5); sobol: base samples, a power of two (default 8192)",
    )
    _seed_flag(p)
    p.add_argument(
        "--ci",
        type=_typed(validate.ci, "--ci"),
        default=None,
        help="tornado: inputs at the (1-ci)/2 and (1+ci)/2 quantiles; sobol: interval level (default 0.9)",
    )
    p.add_argument(
        "--scale",
        choices=["auto", "linear", "log"],
        default=None,
        help="sobol: indices of the output or of its log (auto: log when it spans over two decades)",
    )
    _out_flags(p)

    p = sub.add_parser(
        "report",
        help="write an HTML report of a study or a saved run",
        description="Write DIR/index.html, a self-contained report of a study (simulated here) or of "
        "a saved run (not re-simulated).",
    )
    p.add_argument("source", help="a study name or path, or a saved FILE.nc run")
    p.add_argument(
        "--out", required=True, metavar="DIR", help="a new or empty folder, or one holding an earlier report"
    )
    _draws_flag(p, auto=False, default=None, help="for a study: draws per scenario (default 1e5)")
    _seed_flag(p, "for a study: the seed (default 0)")
    _ci_flag(p)
    p.add_argument("--force", action="store_true", help="replace an earlier report in DIR")

    p = sub.add_parser(
        "show",
        help="print a study as it runs (an extending study with its parents merged in)",
        description="Print a study as TOML, exactly as it runs: a study that extends another is "
        "shown resolved, which is also the text a saved run keeps.",
    )
    p.add_argument("study", help="a study name or path")

    p = sub.add_parser(
        "describe",
        help="list what a model or a study needs and computes",
        description="List a model's or a study's inputs (unit, domain, the structural choice that "
        "uses each), outputs and formulas.",
    )
    p.add_argument("name", help="a model name, a study name or a path to a study file")
    p.add_argument("--model", action="store_true", help="describe the model of this name, not the study")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout instead of a table")

    p = sub.add_parser(
        "new",
        help="write a starting study file with every input present",
        description="Write a starting study file: every input of a model (--model), or of a study to "
        'vary (--from), present with source = "TODO", or a formula-study skeleton. A study runs '
        "only once every input it uses says where its number comes from.",
    )
    p.add_argument("name", help="the new study's name")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--model", help="start from this model's inputs")
    what.add_argument("--from", dest="from_study", metavar="STUDY", help="start from a copy of this study")
    p.add_argument("--out", metavar="FILE", help="the file to write (default: NAME.toml here)")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")

    p = sub.add_parser(
        "check",
        help="place every independent published estimate in our distributions",
        description="Run the studies (every shipped one by default) and place each independent "
        "reference of their outputs in our distribution: its percentile, inside or outside our "
        "interval, and whether a median passes a physical bound. It reports; it exits 0.",
    )
    p.add_argument("study", nargs="*", help="study names or paths (default: every shipped study)")
    _draws_flag(p, auto=False, default=DEFAULT_DRAWS, help="draws per scenario (default 1e5)")
    _seed_flag(p)
    _ci_flag(p)
    _out_flags(p)

    p = sub.add_parser(
        "fit",
        help="fit a distribution to an expert's 5th, 50th and 95th percentiles",
        description="Fit distribution families to three percentiles and print the best as a study-file spec.",
    )
    p.add_argument("--p5", type=float, required=True, help="the 5th percentile")
    p.add_argument("--p50", type=float, required=True, help="the median")
    p.add_argument("--p95", type=float, required=True, help="the 95th percentile")
    p.add_argument(
        "--family",
        default="auto",
        help="auto (the best), or one family: lognormal, normal, gamma, beta, pert, uniform, loguniform",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout instead of a table")

    p = sub.add_parser(
        "rerun",
        help="re-run a saved run from its own provenance and check it",
        description="Simulate a saved run again from the study text, seed and draws saved with it, "
        "and check every draw is reproduced.",
    )
    p.add_argument("file", help="a FILE.nc saved by `run --save`")
    p.add_argument(
        "--json", action="store_true", help="print one JSON document on stdout instead of a message"
    )
    return parser


def _version() -> str:
    from . import version

    return version()


# ----------------------------------------------------------------------------- output
def _emit(doc: dict[str, Any]) -> None:
    json.dump(doc, sys.stdout, indent=1, allow_nan=False, ensure_ascii=False)
    sys.stdout.write("\n")


def _finish(result: Any, args: argparse.Namespace, show: Callable[[Any], None]) -> None:
    """Write ``--csv``, then print the JSON document or the table."""
    if getattr(args, "csv", None):
        path = result.to_csv(args.csv, force=args.force)
        if not args.json:
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        _emit(result.to_dict())
    else:
        show(result)


class _Progress:
    """Progress bars on stderr (tqdm): shown only when a stage lasts more than two seconds and
    stderr is a terminal, cleared when done."""

    def __init__(self, delay: float = 2.0) -> None:
        self.bars: dict[str, Any] = {}
        self.delay = delay

    def __call__(self, done: int, total: int, stage: str) -> None:
        bar = self.bars.get(stage)
        if bar is None:
            from tqdm import tqdm

            bar = self.bars[stage] = tqdm(
                total=total,
                unit="draw",
                unit_scale=True,
                file=sys.stderr,
                desc=stage,
                leave=False,
                delay=self.delay,
            )
        bar.update(done)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@contextmanager
def _slow(what: str, after: float = 2.0) -> Iterator[None]:
    """Say on stderr what is happening when it takes more than ``after`` seconds."""
    timer = threading.Timer(after, lambda: print(f"{what} ...", file=sys.stderr, flush=True))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


# ----------------------------------------------------------------------------- commands
def cmd_list(args: argparse.Namespace) -> None:
    from .shipped import list_studies

    studies = list_studies()
    if args.json:
        _emit({"studies": studies})
        return
    print(
        fmt.table(["study", "model", "title"], [[s["name"], s["model"], s["title"]] for s in studies], left=3)
    )


def _refuse(args: argparse.Namespace, flags: Sequence[str], why: str) -> None:
    for flag in flags:
        if getattr(args, flag.lstrip("-").replace("-", "_"), None) not in (None, False):
            raise StudyError(f"does not apply {why}", key=flag)


def cmd_run(args: argparse.Namespace) -> None:
    from .api import run

    if args.output and not args.save_draws:
        raise StudyError("--output chooses what --save-draws exports; give --save-draws FILE", key="--output")
    if args.draws != "auto" and args.rel_tol != 0.005:
        raise StudyError("applies to --draws auto only", key="--rel-tol")
    draws_target = None
    if args.save_draws:
        from .io import check_target

        draws_target = check_target(args.save_draws, force=args.force)
    if args.csv:
        from .io import check_target

        check_target(args.csv, force=args.force)
    progress = _Progress()
    try:
        result = run(
            args.study,
            args.draws,
            0 if args.seed is None else args.seed,
            args.method,
            args.scenario,
            ci=args.ci,
            interval=args.interval,
            rel_tol=args.rel_tol,
            save=args.save,
            force=args.force,
            keep=True if args.save_draws else None,
            observed=args.observed,
            threads=args.threads,
            progress=progress,
        )
    finally:
        progress.close()
    if draws_target is not None:
        from .io import save_draws

        outputs = args.output or [o for o, spec in result.study.outputs.items() if not spec.dims]
        for o in outputs:
            validate.output(result.study.outputs, o, key="--output")
        save_draws(result.dataset, draws_target, outputs, force=args.force)
    if not result.converged:
        print(
            f"warning: --draws auto stopped at {result.draws:,} draws before reaching "
            f"--rel-tol {args.rel_tol}",
            file=sys.stderr,
        )
    for r in result.references:
        if r.get("passed"):
            print(
                f"warning: the median of {r['output']} in {r['scenario']} ({fmt.number(r['median'])} "
                f"{r['unit']}) passes a physical bound ({_reference_value(r)}, {r['source']}, {r['date']}): "
                "this scenario is a thought experiment",
                file=sys.stderr,
            )
    _finish(result, args, _show_observed if args.observed else _show_run)
    if not args.json:
        for path in (result.saved, draws_target):
            if path is not None:
                print(f"\nsaved {path}")


def _show_run(result: Any) -> None:
    study = result.study
    print(
        f"{study.title}\n{study.source}\n{result.draws:,} draws, seed {result.seed}, {result.method}, "
        f"{result.ci:.0%} {result.interval.upper()} intervals\n"
    )
    rows, previous = [], None
    for r in result.table.to_dict(orient="records"):
        year = r.get("year")
        name = r["variable"] + (
            f"[{fmt.year(year)}]" if year is not None and year == year and str(year) != "<NA>" else ""
        )
        scenario = r["scenario"] if r["scenario"] != previous else ""
        previous = r["scenario"]
        unit = r["unit"]
        rows.append(
            [
                scenario,
                name,
                fmt.value(r["median"], unit),
                fmt.interval(r["low"], r["high"], unit),
                fmt.mcse_text(r),
                fmt.value(r["reported"], unit),
                unit,
            ]
        )
    print(
        fmt.table(
            ["scenario", "output", "median", f"{result.ci:.0%} interval", "mcse", "reported", "unit"], rows
        )
    )
    print("\nmcse: the largest Monte Carlo standard error of low, median and high, relative to its value")
    if result.references:
        print("\nIndependent estimates of the same quantities, placed in our distribution:\n")
        print(_references_table(result.references, study=False))


def _show_observed(result: Any) -> None:
    """The run conditioned on observations: prior and posterior of every output, what moved."""
    c = result.conditioned
    study = result.study
    print(f"{study.title}\n{result.draws:,} draws, seed {result.seed}, {result.method}, conditioned on:")
    for o in c.observations.values():
        where = f" (scenarios {', '.join(o.scenarios)})" if getattr(o, "scenarios", None) else ""
        shown = f"{o.target} = {fmt.number(o.value)}, {o.level:.0%} range {fmt.interval(*o.ci)}"
        print(f"  {o.name}: {shown}{where}; {o.source}")
    print()
    for s, k, ess in zip(c.scenarios, c.pareto_k.values, c.ess.values, strict=True):
        note = "no observation applies" if not c.observed(s) else f"Pareto k̂ {k:.2f}, ESS {ess:,.0f}"
        print(f"  {s}: {note}")
    print()
    rows, previous = [], None
    table = result.table
    outputs = set(study.outputs)
    for r in table.to_dict(orient="records"):
        if r["variable"] not in outputs:
            continue
        unit = r["unit"]
        year = r.get("year")
        name = r["variable"] + (
            f"[{fmt.year(year)}]" if year is not None and year == year and str(year) != "<NA>" else ""
        )
        rows.append(
            [
                r["scenario"] if r["scenario"] != previous else "",
                name,
                fmt.value(r["median"], unit),
                fmt.interval(r["low"], r["high"], unit),
                fmt.value(r["posterior_median"], unit),
                fmt.interval(r["posterior_low"], r["posterior_high"], unit),
                unit,
            ]
        )
        previous = r["scenario"]
    ci = f"{result.ci:.0%}"
    print(
        fmt.table(
            [
                "scenario",
                "output",
                "prior median",
                f"prior {ci}",
                "posterior median",
                f"posterior {ci}",
                "unit",
            ],
            rows,
        )
    )
    moved = c.moved
    if len(moved):
        print("\nWhat the observations moved most (shift of the median in prior standard units):\n")
        top = moved.groupby(["observation", "scenario"], sort=False).head(3)
        print(
            fmt.table(
                ["observation", "scenario", "input", "prior median", "posterior median", "shift"],
                [
                    [
                        r["observation"],
                        r["scenario"],
                        r["input"],
                        fmt.number(r["prior_median"]),
                        fmt.number(r["posterior_median"]),
                        f"{r['shift']:+.2f}",
                    ]
                    for r in top.to_dict(orient="records")
                ],
                left=3,
            )
        )


def _reference_value(r: dict[str, Any]) -> str:
    if "ref_value" in r:
        shown = fmt.value(r["ref_value"], r["unit"])
        return {"upper": f"≤ {shown}", "lower": f"≥ {shown}"}.get(r.get("bound") or "", shown)
    return fmt.interval(r["ref_low"], r["ref_high"], r["unit"])


def _verdict(r: dict[str, Any]) -> str:
    if r.get("bound"):
        return "median PASSES the bound" if r["passed"] else "within the bound"
    return "inside" if r["inside"] else "outside"


def _references_table(rows: list[dict[str, Any]], *, study: bool) -> str:
    def short(text: str, n: int = 48) -> str:
        return text if len(text) <= n else text[: n - 1] + "…"

    head = [*(["study"] if study else []), "output", "scenario", "reference", "source", "date"]
    head += ["our median", "our interval", "percentile", ""]
    cells = []
    for r in rows:
        name = r["output"] + (f"[{fmt.year(r['year'])}]" if "year" in r else "")
        cells.append(
            [
                *([r["study"]] if study else []),
                name,
                r["scenario"],
                _reference_value(r),
                short(r["source"]),
                r["date"],
                fmt.value(r["median"], r["unit"]),
                fmt.interval(r["low"], r["high"], r["unit"]),
                f"{100 * r['percentile']:.0f}%",
                _verdict(r),
            ]
        )
    return fmt.table(head, cells, left=len(head) - 4)


def cmd_compare(args: argparse.Namespace) -> None:
    from .api import compare

    seed = 0 if args.seed is None else args.seed
    scenarios = args.scenario or []
    if args.other is None:
        if len(scenarios) != 2:
            raise StudyError(
                f"give exactly two --scenario (A then B), got {len(scenarios)}", key="--scenario"
            )
        result = compare(
            args.study,
            scenarios[0],
            scenarios[1],
            draws=args.draws,
            seed=seed,
            method=args.method,
            ci=args.ci,
            threads=args.threads,
        )
    else:
        if len(scenarios) > 1:
            raise StudyError(
                "with two studies give at most one --scenario (the scenario of each)", key="--scenario"
            )
        result = compare(
            args.study,
            args.other,
            scenario=scenarios[0] if scenarios else None,
            draws=args.draws,
            seed=seed,
            method=args.method,
            ci=args.ci,
            threads=args.threads,
        )
    if args.csv:
        from .io import check_target

        check_target(args.csv, force=args.force)
    _finish(result, args, lambda r: _show_compare(r, args.ci))


def _show_compare(result: Any, ci: float) -> None:
    a, b = result.a, result.b
    if result.kind == "scenarios":
        print(f"{result.study}: {b} ÷ {a}, draw by draw ({result.draws:,} draws, common random numbers)\n")
    else:
        how = (
            "draw by draw (same seed and random streams)"
            if result.paired
            else "as independent distributions (no shared random streams)"
        )
        print(f"{b} ÷ {a}: the outputs they share, {how}; {result.draws:,} draws\n")
    rows = []
    for r in result.table.to_dict(orient="records"):
        year = r.get("year")
        name = r["variable"] + (f"[{fmt.year(year)}]" if year is not None and year == year else "")
        cells = [name, ""]
        if result.kind != "scenarios":
            cells += [fmt.number(r["median_a"]), fmt.number(r["median_b"])]
        cells += [
            fmt.number(r["ratio_median"]),
            fmt.interval(r["ratio_low"], r["ratio_high"]),
            f"{r['p_b_greater']:.3f}",
        ]
        rows.append(cells)
    head = ["output", ""]
    if result.kind != "scenarios":
        head += [f"median {a}", f"median {b}"]
    print(fmt.table([*head, "ratio median", f"{ci:.0%} interval", f"P({b} > {a})"], rows))


def cmd_replay(args: argparse.Namespace) -> None:
    from .api import replay

    if args.csv:
        from .io import check_target

        check_target(args.csv, force=args.force)
    _finish(replay(args.study), args, _show_replay)


def _show_replay(result: Any) -> None:
    rows = result.rows.to_dict(orient="records")
    print(
        fmt.table(
            ["study", "variable", "computed", "reported", "rel. error", "unit"],
            [
                [
                    r["study"],
                    r["variable"],
                    fmt.number(r["computed"]),
                    fmt.number(r["reported"]),
                    fmt.DASH if r["rel_error"] != r["rel_error"] else f"{r['rel_error']:+.2%}",
                    r["unit"],
                ]
                for r in rows
            ],
        )
    )
    audit = result.audit.to_dict(orient="records")
    if audit:
        print("\nAudit: each factor is the output with one slip corrected ÷ the output as printed\n")
        print(
            fmt.table(
                ["study", "issue", "factor", "note"],
                [[r["study"], r["issue"], fmt.ratio(r["factor"]), r["note"]] for r in audit],
                left=4,
            )
        )


def cmd_sensitivity(args: argparse.Namespace) -> None:
    from .api import sensitivity

    if args.method != "sobol":
        _refuse(args, ["--scale"], "to --method " + args.method + " (only to sobol)")
    if args.method == "tornado":
        _refuse(args, ["--draws", "--seed"], "to --method tornado (it evaluates the model, draws nothing)")
    if args.method in ("rank", "prior"):
        _refuse(args, ["--ci"], f"to --method {args.method}")
    at = None
    if args.year is not None:
        at = {"year": int(args.year) if args.year.lstrip("-").isdigit() else args.year}
    if args.csv:
        from .io import check_target

        check_target(args.csv, force=args.force)
    with _slow(
        "computing Sobol' indices (the model is evaluated many times)"
        if args.method == "sobol"
        else "ranking the inputs"
    ):
        result = sensitivity(
            args.study,
            args.output,
            args.method,
            scenario=args.scenario,
            draws=args.draws,
            seed=0 if args.seed is None else args.seed,
            ci=0.9 if args.ci is None else args.ci,
            at=at,
            scale=args.scale or "auto",
        )
    _finish(result, args, lambda r: _show_sensitivity(r, 0.9 if args.ci is None else args.ci))


def _show_sensitivity(result: Any, ci: float) -> None:
    rows = result.table.to_dict(orient="records")
    output, unit = result.output, result.unit
    lo, hi = (1 - ci) / 2, (1 + ci) / 2
    if result.method == "rank":
        title = "Spearman rank correlation of each input with the output, from the run's draws"
        head = ["input", "rho"]
        cells = [[r["input"], f"{r['rho']:+.3f}"] for r in rows]
    elif result.method == "tornado":
        title = (
            f"the output with one input at its {lo:.0%} and {hi:.0%} quantiles, the others at their "
            f"medians (all at medians: {fmt.number(rows[0]['centre']) if rows else fmt.DASH} {unit})"
        )
        head = ["input", "input range", f"{output} at low", f"{output} at high", "swing"]
        cells = [
            [
                r["input"],
                fmt.interval(r["input_low"], r["input_high"]),
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
    print(f"What drives {output} ({unit}), scenario {result.scenario}: {result.method}\n{title}\n")
    if not rows:
        print("every input is a point value in this scenario: nothing varies, nothing to rank")
        return
    print(fmt.table(head, cells, left=1))


def cmd_report(args: argparse.Namespace) -> None:
    from .api import report

    saved = args.source.lower().endswith((".nc", ".nc4", ".h5"))
    if saved:
        _refuse(args, ["--draws", "--seed"], "to a saved run (it is reported as it was run)")
    with _slow("simulating and drawing the figures" if not saved else "drawing the figures"):
        path = report(
            args.source,
            args.out,
            draws=DEFAULT_DRAWS if args.draws is None else args.draws,
            seed=0 if args.seed is None else args.seed,
            ci=args.ci,
            force=args.force,
        )
    print(f"wrote {path}")


def cmd_rerun(args: argparse.Namespace) -> None:
    from .api import rerun

    with _slow(f"re-running {args.file}"):
        result = rerun(args.file)
    if args.json:
        _emit(result.to_dict())
    elif result.identical:
        print(f"{args.file}: the re-run reproduces the saved draws exactly")
    if not result.identical:
        raise StudyError(
            f"the re-run does not reproduce the saved draws of {', '.join(result.differs)}", file=args.file
        )


def cmd_show(args: argparse.Namespace) -> None:
    from .authoring import show

    sys.stdout.write(show(args.study).rstrip("\n") + "\n")


def cmd_describe(args: argparse.Namespace) -> None:
    from .authoring import describe

    d = describe(args.name, kind="model" if args.model else None)
    if args.json:
        _emit(d)
        return
    print(f"{d['kind']} {d['name']}" + (f" (model {d['model']})" if d["model"] != d["name"] else ""))
    for key in ("title", "description", "source"):
        if d.get(key):
            print(f"{key}: {' '.join(str(d[key]).split())}")
    if d.get("extends"):
        print("extends: " + " -> ".join(d["extends"]))
    if d.get("years"):
        print(f"years: {d['years'][0]} to {d['years'][-1]}")
    print("\ninputs:")
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
    print(fmt.table(["input", "unit", "domain", "used when", "description"], rows, left=5))
    for c in d.get("constants") or []:
        print(f"constant {c['name']} = {fmt.number(c['value'])} {c['unit']}")
    print("\noutputs:")
    rows = [[o["name"], o["unit"], " × ".join(o.get("dims") or []), o["description"]] for o in d["outputs"]]
    print(fmt.table(["output", "unit", "over", "description"], rows, left=4))
    formulas = [(o["name"], o["formula"]) for o in d["outputs"] if o.get("formula")]
    if formulas:
        print("\nformulas:")
        for x in d.get("derived") or []:
            print(f"  {x['name']} = {x['formula']}  [{x['unit']}]")
        for name, formula in formulas:
            print(f"  {name} = {formula}")
    if d.get("scenarios"):
        print("\nscenarios: " + ", ".join(s["name"] for s in d["scenarios"]))


def cmd_new(args: argparse.Namespace) -> None:
    from pathlib import Path

    from .authoring import new_study
    from .io import atomic_write, check_target

    target = check_target(args.out or f"{args.name}.toml", force=args.force)
    text = new_study(args.name, model=args.model, from_study=args.from_study)

    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")

    atomic_write(target, write, force=args.force)
    print(f'wrote {target}: fill in every source = "TODO", then `chipdemand run {target}`')


def cmd_check(args: argparse.Namespace) -> None:
    from .api import check

    if args.csv:
        from .io import check_target

        check_target(args.csv, force=args.force)
    with _slow("running the studies"):
        result = check(
            args.study or None, draws=args.draws, seed=0 if args.seed is None else args.seed, ci=args.ci
        )

    def show(result: Any) -> None:
        if not result.rows:
            print("no study lists a reference yet")
            return
        inside = sum(1 for r in result.rows if not r.get("bound") and r["inside"])
        estimates = sum(1 for r in result.rows if not r.get("bound"))
        passed = sum(1 for r in result.rows if r.get("passed"))
        print(_references_table(result.rows, study=True))
        print(
            f"\n{inside} of {estimates} independent estimates inside our {args.ci:.0%} intervals; "
            f"{passed} median(s) past a physical bound"
        )

    _finish(result, args, show)


def cmd_fit(args: argparse.Namespace) -> None:
    from .api import fit

    result = fit(args.p5, args.p50, args.p95, family=args.family)
    if args.json:
        _emit(result.to_dict())
        return
    print(
        "5th, 50th, 95th percentiles wanted: "
        f"{fmt.number(args.p5)}, {fmt.number(args.p50)}, {fmt.number(args.p95)}\n"
    )
    print(
        fmt.table(
            ["family", "5th", "50th", "95th", "worst error"],
            [
                [f.family, *(fmt.number(q) for q in f.quantiles), f"{f.max_rel_error:.2%}"]
                for f in result.candidates
            ],
            left=1,
        )
    )
    if result.best is not None:
        print(f"\nbest: {result.best.toml()}")
    else:
        closest = result.candidates[0]
        print(
            f"\nno family fits these quantiles within {result.tolerance:.0%}: the closest, "
            f"{closest.family}, is {closest.max_rel_error:.0%} off. Try a mixture of two families, "
            "or check the percentiles"
        )


COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "list": cmd_list,
    "run": cmd_run,
    "compare": cmd_compare,
    "replay": cmd_replay,
    "sensitivity": cmd_sensitivity,
    "report": cmd_report,
    "rerun": cmd_rerun,
    "fit": cmd_fit,
    "check": cmd_check,
    "show": cmd_show,
    "describe": cmd_describe,
    "new": cmd_new,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chipdemand`` command; returns the exit status.

    Warnings raised while a command runs are held back: printed as ``warning:`` lines when it
    succeeds, dropped when it fails (the one ``error:`` line says what went wrong).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            args = build_parser().parse_args(argv)
            COMMANDS[args.command](args)
        except StudyError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("error: interrupted", file=sys.stderr)
            return 130
        except MemoryError:
            print("error: out of memory: give fewer --draws (or none of --save)", file=sys.stderr)
            return 2
        except BrokenPipeError:
            return 0
    for w in caught:
        if not issubclass(w.category, (FutureWarning, DeprecationWarning)):
            print(f"warning: {w.message}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
