"""``chipdemand list``: the shipped studies."""

from __future__ import annotations

import argparse

from ..flags import json_flag
from ..output import emit

HELP = "list the shipped studies"
DESCRIPTION = "List the shipped studies."


def add_arguments(p: argparse.ArgumentParser) -> None:
    json_flag(p)


def handle(args: argparse.Namespace) -> None:
    from ...study.shipped import list_studies

    studies = list_studies()
    if args.json:
        emit({"studies": studies})
        return
    from ...display import text

    print(text.studies(studies))
