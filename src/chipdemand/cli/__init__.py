"""The ``chipdemand`` command: a thin shell over the Python API.

Each subcommand (a module of :mod:`chipdemand.cli.commands`, its flags beside its handler)
parses its flags, checks every argument and every file it will write, calls the API function of
the same name and prints the result as a table, or its ``to_dict()`` as one JSON document with
``--json`` (``--csv FILE`` writes the same rows for spreadsheets). A user error exits 2 with one
``error:`` line on stderr; output that cannot be written exits 1 with one line; Ctrl-C and
SIGTERM exit 130 and 143 with one line. What a command needs is imported when it runs, so
``--help`` and ``list`` answer at once.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from ..errors import StudyError, WorkerLost
from .commands import COMMANDS, command
from .flags import Parser
from .terminal import OutputError, catch_signals, guarded_stdout, silence_stdout, stopped

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command, each given its flags by its own module."""
    parser = Parser(
        prog="chipdemand",
        description="Monte Carlo uncertainty studies of AI compute demand: chips, servers, FLOPs, "
        "energy and money, with credible intervals and the inputs that drive them.",
        epilog="`chipdemand COMMAND --help` describes each command and its flags.",
    )
    parser.add_argument(
        "--version", action="version", version=f"chipdemand {_version()}", help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="COMMAND")
    for name in COMMANDS:
        module = command(name)
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.DESCRIPTION))
    return parser


def _version() -> str:
    from .._version import version

    return version()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chipdemand`` command; returns the exit status.

    Warnings raised while a command runs are held back: printed as ``warning:`` lines when it
    succeeds, dropped when it fails (the one ``error:`` line says what went wrong).
    """
    with catch_signals(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with guarded_stdout():
                args = build_parser().parse_args(argv)
                command(args.command).handle(args)
                sys.stdout.flush()
        except StudyError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return stopped()
        except MemoryError:
            print("error: out of memory: give fewer --draws (or none of --save)", file=sys.stderr)
            return 2
        except WorkerLost as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        except BrokenPipeError:
            silence_stdout()
            return 0
        except OutputError as err:
            silence_stdout()
            print(f"error: cannot write the output: {err.reason}", file=sys.stderr)
            return 1
    for w in caught:
        if not issubclass(w.category, (FutureWarning, DeprecationWarning)):
            print(f"warning: {w.message}", file=sys.stderr)
    return 0
