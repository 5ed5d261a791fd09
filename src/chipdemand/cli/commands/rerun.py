"""``chipdemand rerun``: a saved run simulated again from its own provenance, and checked."""

from __future__ import annotations

import argparse

from ...errors import StudyError
from ..flags import json_flag
from ..output import emit
from ..terminal import slow

HELP = "re-run a saved run from its own provenance and check it"
DESCRIPTION = (
    "Simulate a saved run again from the study text, seed and draws saved with it, "
    "and check every draw is reproduced."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a FILE.nc saved by `run --save`")
    json_flag(p, "a message")


def handle(args: argparse.Namespace) -> None:
    from ...api import rerun

    with slow(f"re-running {args.file}"):
        result = rerun(args.file)
    if args.json:
        emit(result.to_dict())
    elif result.identical:
        print(result.text())
    if not result.identical:
        raise StudyError(
            f"the re-run does not reproduce the saved draws of {', '.join(result.differs)}", file=args.file
        )
