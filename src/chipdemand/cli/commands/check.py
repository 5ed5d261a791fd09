"""``chipdemand check``: every independent published estimate placed in our distributions."""

from __future__ import annotations

import argparse

from ... import validate
from ..flags import ci_flag, draws_flag, out_flags, seed_flag
from ..output import check_csv, finish
from ..terminal import slow

HELP = "place every independent published estimate in our distributions"
DESCRIPTION = (
    "Run the studies (every shipped one by default) and place each independent "
    "reference of their outputs in our distribution: its percentile, inside or outside our "
    "interval, and whether a median passes a physical bound. It reports; it exits 0."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", nargs="*", help="study names or paths (default: every shipped study)")
    draws_flag(p, auto=False, default=validate.DEFAULT_DRAWS, help="draws per scenario (default 1e5)")
    seed_flag(p)
    ci_flag(p)
    out_flags(p)


def handle(args: argparse.Namespace) -> None:
    from ...api import check

    check_csv(args)
    with slow("running the studies"):
        result = check(
            args.study or None, draws=args.draws, seed=0 if args.seed is None else args.seed, ci=args.ci
        )
    finish(result, args)
