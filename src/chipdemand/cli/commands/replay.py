"""``chipdemand replay``: the reports' own numbers, and the price of each slip."""

from __future__ import annotations

import argparse

from ..flags import out_flags
from ..output import check_csv, finish

HELP = "reproduce the reports' own numbers and audit their arithmetic"
DESCRIPTION = (
    "Evaluate each study at its report's point values, compare with the numbers the "
    "report printed, and price each slip."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", nargs="?", help="a study name or path (default: every shipped study)")
    out_flags(p)


def handle(args: argparse.Namespace) -> None:
    from ...api import replay

    check_csv(args)
    finish(replay(args.study), args)
