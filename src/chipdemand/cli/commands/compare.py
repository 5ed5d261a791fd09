"""``chipdemand compare``: two scenarios of a study draw by draw, or two studies."""

from __future__ import annotations

import argparse

from ...errors import StudyError
from ..flags import ci_flag, common_run, out_flags
from ..output import check_csv, finish

HELP = "compare two scenarios draw by draw, or two studies"
DESCRIPTION = (
    "Compare two scenarios of a study draw by draw "
    "(`compare STUDY --scenario A --scenario B`), or the outputs two studies share "
    "(`compare STUDY_A STUDY_B`: names, .toml paths or saved .nc runs)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="a study (name, .toml path or saved .nc run)")
    p.add_argument("other", nargs="?", help="a second study to compare with the first")
    p.add_argument(
        "--scenario",
        action="append",
        help="twice: scenarios A then B of one study; with two studies, once (the scenario of both) "
        "or twice (A's then B's; default base)",
    )
    common_run(p, auto=False)
    ci_flag(p, "mass of the ratio intervals (default 0.9)")
    out_flags(p)


def handle(args: argparse.Namespace) -> None:
    from ...api import compare

    seed = 0 if args.seed is None else args.seed
    scenarios = args.scenario or []
    if args.other is None and len(scenarios) != 2:
        raise StudyError(f"give exactly two --scenario (A then B), got {len(scenarios)}", key="--scenario")
    if args.other is not None and len(scenarios) > 2:
        raise StudyError(
            "with two studies give one --scenario (of both) or two (A's then B's)", key="--scenario"
        )
    check_csv(args)
    common = dict(draws=args.draws, seed=seed, method=args.method, ci=args.ci, threads=args.threads)
    if args.other is None:
        result = compare(args.study, a=scenarios[0], b=scenarios[1], **common)
    else:
        scenario = None if not scenarios else scenarios[0] if len(scenarios) == 1 else scenarios
        result = compare(args.study, args.other, scenario=scenario, **common)
    finish(result, args)
