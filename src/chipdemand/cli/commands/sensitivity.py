"""``chipdemand sensitivity``: the inputs that drive an output, ranked."""

from __future__ import annotations

import argparse

from ... import validate
from ...errors import StudyError
from ..flags import draws_flag, out_flags, refuse, seed_flag, typed
from ..output import check_csv, finish
from ..terminal import slow

HELP = "rank the inputs that drive an output"
DESCRIPTION = "Rank the inputs that drive an output: rank correlation, tornado swings or Sobol indices."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="a study name or path, or a saved FILE.nc run (rank reads its draws)")
    p.add_argument("--output", help="the output to explain (default: the study's headline output)")
    p.add_argument(
        "--method",
        choices=["rank", "tornado", "sobol", "prior"],
        default="rank",
        help="rank (Spearman, from a run), tornado (one input at a time), sobol (variance shares) or "
        "prior (power-scaling each input's prior, from a run); default rank",
    )
    p.add_argument(
        "--scenario", default=None, help="the scenario whose distributions are used (default base)"
    )
    p.add_argument(
        "--year",
        type=typed(validate.seed, "--year"),  # a whole number of at least 0 (text accepted)
        default=None,
        help="for an output over years: the year (default: the last)",
    )
    draws_flag(
        p,
        auto=False,
        default=None,
        help="rank: draws of the run (default 1e5); sobol: base samples, a power of two (default 8192)",
    )
    seed_flag(p)
    p.add_argument(
        "--ci",
        type=typed(validate.ci, "--ci"),
        default=None,
        help="tornado: inputs at the (1-ci)/2 and (1+ci)/2 quantiles; sobol: interval level (default 0.9)",
    )
    p.add_argument(
        "--scale",
        choices=["auto", "linear", "log"],
        default=None,
        help="sobol: indices of the output or of its log (auto: log when it spans over two decades)",
    )
    out_flags(p)


def handle(args: argparse.Namespace) -> None:
    from ...api import sensitivity

    if args.method != "sobol":
        refuse(args, ["--scale"], "to --method " + args.method + " (only to sobol)")
    if args.method == "tornado":
        refuse(args, ["--draws", "--seed"], "to --method tornado (it evaluates the model, draws nothing)")
    if args.method in ("rank", "prior"):
        refuse(args, ["--ci"], f"to --method {args.method}")
    at = None if args.year is None else {"year": args.year}
    check_csv(args)
    with slow(
        "computing Sobol' indices (the model is evaluated many times)"
        if args.method == "sobol"
        else "ranking the inputs"
    ):
        try:
            result = sensitivity(
                args.study,
                args.output,
                args.method,
                scenario=args.scenario,
                draws=args.draws,
                seed=0 if args.seed is None else args.seed,
                ci=0.9 if args.ci is None else args.ci,
                at=at,
                scale=args.scale or "auto",
            )
        except StudyError as err:
            raise _year_error(err) from None
    finish(result, args)


def _year_error(err: StudyError) -> StudyError:
    """The API's ``at`` problems in the words of the flag the user gave (``--year``)."""
    if err.key in ("at", "at.year"):
        return StudyError(err.message, key="--year", file=err.file)
    return err
