"""``chipdemand fit``: a distribution fitted to an expert's percentiles."""

from __future__ import annotations

import argparse

from ...errors import StudyError
from ..flags import json_flag
from ..output import emit

HELP = "fit a distribution to an expert's percentiles"
DESCRIPTION = (
    "Fit distribution families to an expert's 5th, 50th and 95th percentiles (or any "
    "quantiles) and print the best as a study-file spec."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--p5", type=float, help="the expert's 5th percentile")
    p.add_argument("--p50", type=float, help="the expert's median (50th percentile)")
    p.add_argument("--p95", type=float, help="the expert's 95th percentile")
    p.add_argument(
        "--quantile",
        action="append",
        metavar="P=V",
        help="instead of --p5/--p50/--p95: a probability and its value, e.g. 0.1=2e7 (repeatable)",
    )
    p.add_argument(
        "--family",
        default="auto",
        help="auto (the best), or one family: lognormal, normal, gamma, beta, pert, uniform, loguniform",
    )
    json_flag(p)


def _pairs(texts: list[str]) -> list[list[float]]:
    pairs = []
    for text in texts:
        p, sep, v = text.partition("=")
        try:
            pairs.append([float(p), float(v)])
        except ValueError:
            raise StudyError(f"expected P=V such as 0.1=2e7, got {text!r}", key="--quantile") from None
        if not sep:
            raise StudyError(f"expected P=V such as 0.1=2e7, got {text!r}", key="--quantile")
    return pairs


def handle(args: argparse.Namespace) -> None:
    from ...fitting import fit  # chipdemand.api.fit, without the simulation stack

    three = [args.p5, args.p50, args.p95]
    if args.quantile:
        if any(x is not None for x in three):
            raise StudyError("give either --quantile P=V or --p5, --p50 and --p95", key="--quantile")
        result = fit(_pairs(args.quantile), family=args.family)
    else:
        if any(x is None for x in three):
            raise StudyError("give --p5, --p50 and --p95 (or --quantile P=V, repeated)", key="--p50")
        result = fit(*three, family=args.family)
    if args.json:
        emit(result.to_dict())
    else:
        print(result.text())
