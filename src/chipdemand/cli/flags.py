"""The flags several commands share, each defined once, and the parser that turns a bad flag into
one ``error:`` line (a :class:`~chipdemand.errors.StudyError`, exit 2)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from .. import validate
from ..errors import StudyError

__all__ = [
    "Parser",
    "typed",
    "draws_flag",
    "seed_flag",
    "ci_flag",
    "common_run",
    "json_flag",
    "out_flags",
    "refuse",
]


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override] # one line, exit 2
        raise StudyError(message)


def typed(check: Callable[..., Any], flag: str, **kw: Any) -> Callable[[str], Any]:
    """An argparse ``type`` running a check of :mod:`chipdemand.validate` on the flag's text."""

    def parse(text: str) -> Any:
        try:
            return check(text, key=flag, **kw)
        except StudyError as err:  # argparse puts "argument --flag: " before it
            raise argparse.ArgumentTypeError(err.message) from None

    parse.__name__ = flag  # argparse names the type in its messages
    return parse


def draws_flag(p: argparse.ArgumentParser, *, auto: bool, default: Any, help: str) -> None:
    p.add_argument("--draws", type=typed(validate.draws, "--draws", auto=auto), default=default, help=help)


def seed_flag(p: argparse.ArgumentParser, help: str = "seed of the random streams (default 0)") -> None:
    p.add_argument("--seed", type=typed(validate.seed, "--seed"), default=None, help=help)


def ci_flag(p: argparse.ArgumentParser, help: str = "mass of the credible intervals (default 0.9)") -> None:
    p.add_argument("--ci", type=typed(validate.ci, "--ci"), default=0.9, help=help)


def common_run(p: argparse.ArgumentParser, *, auto: bool) -> None:
    draws_flag(
        p,
        auto=auto,
        default=validate.DEFAULT_DRAWS,
        help="draws per scenario: 100000, 1e5"
        + (", or auto (until every quantile's MCSE is under --rel-tol)" if auto else "")
        + " (default 1e5)",
    )
    seed_flag(p)
    p.add_argument(
        "--method",
        choices=validate.METHODS,
        default="mc",
        help="sampling: mc, lhs (Latin hypercube) or sobol (default mc)",
    )
    p.add_argument(
        "--threads",
        type=typed(validate.positive_int, "--threads"),
        default=None,
        help="worker threads (default: every core); the numbers do not change",
    )


def json_flag(p: argparse.ArgumentParser, instead_of: str = "a table") -> None:
    p.add_argument(
        "--json", action="store_true", help=f"print one JSON document on stdout instead of {instead_of}"
    )


def out_flags(p: argparse.ArgumentParser, force: str = "overwrite the --csv file if it exists") -> None:
    json_flag(p)
    p.add_argument("--csv", metavar="FILE", help="also write the rows of --json to this CSV file")
    p.add_argument("--force", action="store_true", help=force)


def refuse(args: argparse.Namespace, flags: Sequence[str], why: str) -> None:
    """Refuse each of ``flags`` that was given: it ``does not apply {why}``."""
    for flag in flags:
        if getattr(args, flag.lstrip("-").replace("-", "_"), None) not in (None, False):
            raise StudyError(f"does not apply {why}", key=flag)
