"""``chipdemand run``: simulate a study and summarize its outputs."""

from __future__ import annotations

import argparse
import sys

from ... import validate
from ...errors import StudyError
from ..flags import ci_flag, common_run, out_flags, typed
from ..output import check_csv, distinct, finish
from ..terminal import Progress

HELP = "simulate a study and summarize its outputs"
DESCRIPTION = "Simulate a study and summarize every output per scenario."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="a study name (see `chipdemand list`) or a path to a TOML file")
    common_run(p, auto=True)
    p.add_argument(
        "--rel-tol",
        type=typed(validate.probability, "--rel-tol"),
        default=0.005,
        help="with --draws auto: the largest relative MCSE of any reported quantile (default 0.005)",
    )
    p.add_argument("--scenario", action="append", help="a scenario to run (repeatable; default: all)")
    ci_flag(p)
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
    out_flags(p, force="overwrite the --save, --save-draws and --csv files if they exist")


def _check(args: argparse.Namespace) -> tuple[object, list[str]]:
    """Every flag and every target, before the first draw: the loaded study and the outputs that
    --save-draws exports. xarray and pandas (through io and the API) are imported only once the
    study has loaded: a study's error answers at once."""
    from ...study.loader import load_study

    if args.output and not args.save_draws:
        raise StudyError("--output chooses what --save-draws exports; give --save-draws FILE", key="--output")
    if args.draws != "auto" and args.rel_tol != 0.005:
        raise StudyError("applies to --draws auto only", key="--rel-tol")
    validate.study_source(args.study)
    distinct([("--save", args.save), ("--save-draws", args.save_draws), ("--csv", args.csv)])
    if args.save:
        from ...io import check_results_target

        check_results_target(args.save, force=args.force)
    if args.save_draws:
        from ...io import check_draws_target

        check_draws_target(args.save_draws, force=args.force)
    check_csv(args)
    study = load_study(args.study)
    outputs = args.output or [o for o, spec in study.outputs.items() if not spec.dims]
    if args.save_draws:
        for o in outputs:
            validate.output(study.outputs, o, key="--output")
    return study, outputs


def handle(args: argparse.Namespace) -> None:
    study, outputs = _check(args)
    from ...api import run

    progress = Progress()
    try:
        result = run(
            study,  # type: ignore[arg-type] # a Study
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
    draws_target = None
    if args.save_draws:
        from ...io import save_draws

        if result.dataset is None:  # keep=True keeps the draws
            raise RuntimeError("the run kept no draws to save")
        draws_target = save_draws(result.dataset, args.save_draws, outputs, force=args.force)
    for line in result.warnings():
        print(f"warning: {line}", file=sys.stderr)
    finish(result, args)
    if not args.json:
        for path in (result.saved, draws_target):
            if path is not None:
                print(f"\nsaved {path}")
