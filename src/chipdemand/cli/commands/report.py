"""``chipdemand report``: an HTML report of a study or of a saved run."""

from __future__ import annotations

import argparse

from ... import validate
from ..flags import ci_flag, draws_flag, refuse, seed_flag
from ..terminal import slow

HELP = "write an HTML report of a study or a saved run"
DESCRIPTION = (
    "Write DIR/index.html, a self-contained report of a study (simulated here) or of "
    "a saved run (not re-simulated)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="a study name or path, or a saved FILE.nc run")
    p.add_argument(
        "--out", required=True, metavar="DIR", help="a new or empty folder, or one holding an earlier report"
    )
    draws_flag(p, auto=False, default=None, help="for a study: draws per scenario (default 1e5)")
    seed_flag(p, "for a study: the seed (default 0)")
    ci_flag(p)
    p.add_argument("--force", action="store_true", help="replace an earlier report in DIR")


def handle(args: argparse.Namespace) -> None:
    from ...api import report
    from ...io import is_saved_run

    saved = is_saved_run(args.source)
    if saved:
        refuse(args, ["--draws", "--seed"], "to a saved run (it is reported as it was run)")
    with slow("simulating and drawing the figures" if not saved else "drawing the figures"):
        path = report(
            args.source,
            args.out,
            draws=validate.DEFAULT_DRAWS if args.draws is None else args.draws,
            seed=0 if args.seed is None else args.seed,
            ci=args.ci,
            force=args.force,
        )
    print(f"wrote {path}")
