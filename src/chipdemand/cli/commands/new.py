"""``chipdemand new``: a starting study file with every input present."""

from __future__ import annotations

import argparse

HELP = "write a starting study file with every input present"
DESCRIPTION = (
    "Write a starting study file: every input of a model (--model), or of a study to "
    'vary (--from), present with source = "TODO", or a formula-study skeleton. A study runs '
    "only once every input it uses says where its number comes from."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="the new study's name")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--model", help="start from this model's inputs")
    what.add_argument("--from", dest="from_study", metavar="STUDY", help="start from a copy of this study")
    p.add_argument("--out", metavar="FILE", help="the file to write (default: NAME.toml here)")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")


def handle(args: argparse.Namespace) -> None:
    from pathlib import Path

    from ...io import atomic_write, check_target
    from ...study.authoring import new_study

    target = check_target(args.out or f"{args.name}.toml", force=args.force)
    text = new_study(args.name, model=args.model, from_study=args.from_study)

    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")

    atomic_write(target, write, force=args.force)
    print(f'wrote {target}: fill in every source = "TODO", then `chipdemand run {target}`')
