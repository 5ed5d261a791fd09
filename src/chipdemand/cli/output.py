"""What a command prints on stdout: one JSON document (``--json``) or a table, and the
``--csv`` file beside it; and the up-front check of every file a command will write."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import StudyError

__all__ = ["emit", "finish", "check_csv", "distinct"]


def emit(doc: dict[str, Any]) -> None:
    json.dump(doc, sys.stdout, indent=1, allow_nan=False, ensure_ascii=False)
    sys.stdout.write("\n")


def finish(result: Any, args: argparse.Namespace) -> None:
    """Write ``--csv``, then print the JSON document or the result's table."""
    if getattr(args, "csv", None):
        path = result.to_csv(args.csv, force=args.force)
        if not args.json:
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        emit(result.to_dict())
    else:
        print(result.text())


def check_csv(args: argparse.Namespace) -> None:
    """Check the ``--csv`` target (if any) before any work."""
    if args.csv:
        from ..io import check_target

        check_target(args.csv, force=args.force)


def distinct(targets: Iterable[tuple[str, str | None]]) -> None:
    """Refuse two flags that name one file (the second write would fail after the first)."""
    seen: dict[str, str] = {}
    for flag, path in targets:
        if not path:
            continue
        real = os.path.realpath(Path(path))
        if real in seen:
            raise StudyError(f"names the same file as {seen[real]}", key=flag)
        seen[real] = flag
