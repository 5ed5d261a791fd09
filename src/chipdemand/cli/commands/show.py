"""``chipdemand show``: a study as it runs (an extending study resolved)."""

from __future__ import annotations

import argparse
import sys

HELP = "print a study as it runs (an extending study with its parents merged in)"
DESCRIPTION = (
    "Print a study as TOML, exactly as it runs: a study that extends another is "
    "shown resolved, which is also the text a saved run keeps."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="a study name or path")


def handle(args: argparse.Namespace) -> None:
    from ...study.authoring import show

    sys.stdout.write(show(args.study).rstrip("\n") + "\n")
