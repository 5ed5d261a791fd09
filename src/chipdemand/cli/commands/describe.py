"""``chipdemand describe``: what a model or a study needs and computes."""

from __future__ import annotations

import argparse

from ..flags import json_flag
from ..output import emit

HELP = "list what a model or a study needs and computes"
DESCRIPTION = (
    "List a model's or a study's inputs (unit, domain, the structural choice that "
    "uses each), outputs and formulas."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="a model name, a study name or a path to a study file")
    p.add_argument("--model", action="store_true", help="describe the model of this name, not the study")
    json_flag(p)


def handle(args: argparse.Namespace) -> None:
    from ...study.authoring import describe

    d = describe(args.name, kind="model" if args.model else None)
    if args.json:
        emit(d)
        return
    from ...display import text

    print(text.description(d))
