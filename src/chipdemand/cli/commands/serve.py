"""``chipdemand serve``: a local page to edit a study and watch its answers move (the ``serve``
extra: starlette and uvicorn are imported when the command runs)."""

from __future__ import annotations

import argparse

from ... import validate
from ..flags import typed

HELP = "a local page to edit a study and watch its answers move"
DESCRIPTION = (
    "Serve a page (on 127.0.0.1) that edits a study and re-runs it on every edit. "
    "The first line printed is the page's URL with its session token."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "study",
        nargs="?",
        help="a study file to edit in place, or a shipped study's name (opened read-only: Save as "
        "writes a copy into the current folder); none: a list of the shipped studies",
    )
    p.add_argument(
        "--port", type=typed(validate.port, "--port"), default=0, help="port (default 0: a free one)"
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1; anyone who can reach another one and has the "
        "token can run studies)",
    )
    p.add_argument("--no-browser", action="store_true", help="print the URL, do not open a browser")
    draws = typed(validate.draws, "--draws")
    p.add_argument(
        "--draws", type=draws, default=validate.DEFAULT_DRAWS, help="draws of the full runs (default 1e5)"
    )
    p.add_argument(
        "--preview-draws",
        type=typed(validate.draws, "--preview-draws"),
        default=20_000,
        help="draws of the preview run of each edit (default 2e4)",
    )
    p.add_argument(
        "--max-draws",
        type=typed(validate.draws, "--max-draws"),
        default=1_000_000,
        help="most draws a request may ask (default 1e6)",
    )


def handle(args: argparse.Namespace) -> None:
    from ...serve.server import run

    run(args)
