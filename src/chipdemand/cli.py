"""The ``chipdemand`` command: a thin shell over the Python API.

Each subcommand parses its flags, calls the API function of the same name and prints the
result as a table, or its ``to_dict()`` as one JSON document with ``--json`` (``--csv FILE``
writes the same rows for spreadsheets). A user error exits 2 with one ``error:`` line on stderr.
What a command needs is imported when it runs, so ``--help`` and ``list`` answer at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from . import validate
from .errors import StudyError

__all__ = ["main", "build_parser"]

DEFAULT_DRAWS = 100_000  # the API's default (chipdemand.api.DEFAULT_DRAWS), without importing it


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override] # one line, exit 2
        raise StudyError(message)


def _typed(check: Callable[..., Any], flag: str, **kw: Any) -> Callable[[str], Any]:
    """An argparse ``type`` running a check of :mod:`chipdemand.validate` on the flag's text."""

    def parse(text: str) -> Any:
        try:
            return check(text, key=flag, **kw)
        except StudyError as err:  # argparse puts "argument --flag: " before it
            raise argparse.ArgumentTypeError(err.message) from None

    parse.__name__ = flag  # argparse names the type in its messages
    return parse


def _draws_flag(p: argparse.ArgumentParser, *, auto: bool, default: Any, help: str) -> None:
    p.add_argument("--draws", type=_typed(validate.draws, "--draws", auto=auto), default=default, help=help)


def _seed_flag(p: argparse.ArgumentParser, help: str = "seed of the random streams (default 0)") -> None:
    p.add_argument("--seed", type=_typed(validate.seed, "--seed"), default=None, help=help)


def _ci_flag(p: argparse.ArgumentParser, help: str = "mass of the credible intervals (default 0.9)") -> None:
    p.add_argument("--ci", type=_typed(validate.ci, "--ci"), default=0.9, help=help)


def _common_run(p: argparse.ArgumentParser, *, auto: bool) -> None:
    _draws_flag(
        p,
        auto=auto,
        default=DEFAULT_DRAWS,
        help="draws per scenario: 100000, 1e5"
        + (", or auto (until every quantile's MCSE is under --rel-tol)" if auto else "")
        + " (default 1e5)",
    )
    _seed_flag(p)
    p.add_argument(
        "--method",
        choices=validate.METHODS,
        default="mc",
        help="sampling: mc, lhs (Latin hypercube) or sobol (default mc)",
    )
    p.add_argument(
        "--threads",
        type=_typed(validate.positive_int, "--threads"),
        default=None,
        help="worker threads (default: every core); the numbers do not change",
    )


def _json_flag(p: argparse.ArgumentParser, instead_of: str = "a table") -> None:
    p.add_argument(
        "--json", action="store_true", help=f"print one JSON document on stdout instead of {instead_of}"
    )


def _out_flags(p: argparse.ArgumentParser, force: str = "overwrite the --csv file if it exists") -> None:
    _json_flag(p)
    p.add_argument("--csv", metavar="FILE", help="also write the rows of --json to this CSV file")
    p.add_argument("--force", action="store_true", help=force)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chipdemand",
        description="Monte Carlo uncertainty studies of AI compute demand: chips, servers, FLOPs, "
        "energy and money, with credible intervals and the inputs that drive them.",
        epilog="`chipdemand COMMAND --help` describes each command and its flags.",
    )
    parser.add_argument(
        "--version", action="version", version=f"chipdemand {_version()}", help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    p = sub.add_parser("list", help="list the shipped studies", description="List the shipped studies.")
    _json_flag(p)

    p = sub.add_parser(
        "run",
        help="simulate a study and summarize its outputs",
        description="Simulate a study and summarize every output per scenario.",
    )
    p.add_argument("study", help="a study name (see `chipdemand list`) or a path to a TOML file")
    _common_run(p, auto=True)
    p.add_argument(
        "--rel-tol",
        type=_typed(validate.probability, "--rel-tol"),
        default=0.005,
        help="with --draws auto: the largest relative MCSE of any reported quantile (default 0.005)",
    )
    p.add_argument("--scenario", action="append", help="a scenario to run (repeatable; default: all)")
    _ci_flag(p)
    p.add_argument(
        "--interval",
        choices=validate.INTERVALS,
        default="eti",
        help="eti (equal-tailed, default) or hdi (highest density)",
    )
    p.add_argument(
        "--save", metavar="FILE.nc", help="keep the draws in this netCDF file (for report and rerun)"
    )
    p.add_argument(
        "--observed",
        action="store_true",
        help="condition on the study's [observations] (importance weights, Pareto-smoothed): "
        "posterior beside prior; refused when Pareto k-hat says the weights cannot be trusted",
    )
    p.add_argument(
        "--save-draws",
        metavar="FILE",
        help="export the draws of the outputs to FILE.csv (or FILE.parquet, with chipdemand[parquet])",
    )
    p.add_argument(
        "--output",
        action="append",
        help="with --save-draws: an output to export (repeatable; default: every output without years)",
    )
    _out_flags(p, force="overwrite the --save, --save-draws and --csv files if they exist")

    p = sub.add_parser(
        "compare",
        help="compare two scenarios draw by draw, or two studies",
        description="Compare two scenarios of a study draw by draw "
        "(`compare STUDY --scenario A --scenario B`), or the outputs two studies share "
        "(`compare STUDY_A STUDY_B`: names, .toml paths or saved .nc runs).",
    )
    p.add_argument("study", help="a study (name, .toml path or saved .nc run)")
    p.add_argument("other", nargs="?", help="a second study to compare with the first")
    p.add_argument(
        "--scenario",
        action="append",
        help="twice: scenarios A then B of one study; with two studies, once (the scenario of both) "
        "or twice (A's then B's; default base)",
    )
    _common_run(p, auto=False)
    _ci_flag(p, "mass of the ratio intervals (default 0.9)")
    _out_flags(p)

    p = sub.add_parser(
        "replay",
        help="reproduce the reports' own numbers and audit their arithmetic",
        description="Evaluate each study at its report's point values, compare with the numbers the "
        "report printed, and price each slip.",
    )
    p.add_argument("study", nargs="?", help="a study name or path (default: every shipped study)")
    _out_flags(p)

    p = sub.add_parser(
        "sensitivity",
        help="rank the inputs that drive an output",
        description="Rank the inputs that drive an output: rank correlation, tornado swings or "
        "Sobol indices.",
    )
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
    p.add_argument("--year", default=None, help="for an output over years: the year (default: the last)")
    _draws_flag(
        p,
        auto=False,
        default=None,
        help="rank: draws of the run (default 1e5); sobol: base samples, a power of two (default 8192)",
    )
    _seed_flag(p)
    p.add_argument(
        "--ci",
        type=_typed(validate.ci, "--ci"),
        default=None,
        help="tornado: inputs at the (1-ci)/2 and (1+ci)/2 quantiles; sobol: interval level (default 0.9)",
    )
    p.add_argument(
        "--scale",
        choices=["auto", "linear", "log"],
        default=None,
        help="sobol: indices of the output or of its log (auto: log when it spans over two decades)",
    )
    _out_flags(p)

    p = sub.add_parser(
        "report",
        help="write an HTML report of a study or a saved run",
        description="Write DIR/index.html, a self-contained report of a study (simulated here) or of "
        "a saved run (not re-simulated).",
    )
    p.add_argument("source", help="a study name or path, or a saved FILE.nc run")
    p.add_argument(
        "--out", required=True, metavar="DIR", help="a new or empty folder, or one holding an earlier report"
    )
    _draws_flag(p, auto=False, default=None, help="for a study: draws per scenario (default 1e5)")
    _seed_flag(p, "for a study: the seed (default 0)")
    _ci_flag(p)
    p.add_argument("--force", action="store_true", help="replace an earlier report in DIR")

    p = sub.add_parser(
        "show",
        help="print a study as it runs (an extending study with its parents merged in)",
        description="Print a study as TOML, exactly as it runs: a study that extends another is "
        "shown resolved, which is also the text a saved run keeps.",
    )
    p.add_argument("study", help="a study name or path")

    p = sub.add_parser(
        "describe",
        help="list what a model or a study needs and computes",
        description="List a model's or a study's inputs (unit, domain, the structural choice that "
        "uses each), outputs and formulas.",
    )
    p.add_argument("name", help="a model name, a study name or a path to a study file")
    p.add_argument("--model", action="store_true", help="describe the model of this name, not the study")
    _json_flag(p)

    p = sub.add_parser(
        "new",
        help="write a starting study file with every input present",
        description="Write a starting study file: every input of a model (--model), or of a study to "
        'vary (--from), present with source = "TODO", or a formula-study skeleton. A study runs '
        "only once every input it uses says where its number comes from.",
    )
    p.add_argument("name", help="the new study's name")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--model", help="start from this model's inputs")
    what.add_argument("--from", dest="from_study", metavar="STUDY", help="start from a copy of this study")
    p.add_argument("--out", metavar="FILE", help="the file to write (default: NAME.toml here)")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")

    p = sub.add_parser(
        "check",
        help="place every independent published estimate in our distributions",
        description="Run the studies (every shipped one by default) and place each independent "
        "reference of their outputs in our distribution: its percentile, inside or outside our "
        "interval, and whether a median passes a physical bound. It reports; it exits 0.",
    )
    p.add_argument("study", nargs="*", help="study names or paths (default: every shipped study)")
    _draws_flag(p, auto=False, default=DEFAULT_DRAWS, help="draws per scenario (default 1e5)")
    _seed_flag(p)
    _ci_flag(p)
    _out_flags(p)

    p = sub.add_parser(
        "fit",
        help="fit a distribution to an expert's percentiles",
        description="Fit distribution families to an expert's 5th, 50th and 95th percentiles (or any "
        "quantiles) and print the best as a study-file spec.",
    )
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
    _json_flag(p)

    p = sub.add_parser(
        "rerun",
        help="re-run a saved run from its own provenance and check it",
        description="Simulate a saved run again from the study text, seed and draws saved with it, "
        "and check every draw is reproduced.",
    )
    p.add_argument("file", help="a FILE.nc saved by `run --save`")
    _json_flag(p, "a message")

    p = sub.add_parser(
        "serve",
        help="a local page to edit a study and watch its answers move",
        description="Serve a page (on 127.0.0.1) that edits a study and re-runs it on every edit. "
        "The first line printed is the page's URL with its session token.",
    )
    from .serve.cli import add_arguments as serve_arguments  # argparse only: no web library

    serve_arguments(p)
    return parser


def _version() -> str:
    from ._version import version

    return version()


# ----------------------------------------------------------------------------- output
def _emit(doc: dict[str, Any]) -> None:
    json.dump(doc, sys.stdout, indent=1, allow_nan=False, ensure_ascii=False)
    sys.stdout.write("\n")


def _finish(result: Any, args: argparse.Namespace) -> None:
    """Write ``--csv``, then print the JSON document or the result's table."""
    if getattr(args, "csv", None):
        path = result.to_csv(args.csv, force=args.force)
        if not args.json:
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        _emit(result.to_dict())
    else:
        print(result.text())


def _terminal() -> bool:
    return sys.stderr.isatty()


class _Progress:
    """Progress bars on stderr (tqdm): shown only when a stage lasts more than two seconds and
    stderr is a terminal (never in a pipe or a log, so an error stays the one line), cleared when
    done."""

    def __init__(self, delay: float = 2.0, enabled: bool | None = None) -> None:
        self.bars: dict[str, Any] = {}
        self.delay = delay
        self.enabled = _terminal() if enabled is None else enabled

    def __call__(self, done: int, total: int, stage: str) -> None:
        if not self.enabled:
            return
        bar = self.bars.get(stage)
        if bar is None:
            from tqdm import tqdm

            bar = self.bars[stage] = tqdm(
                total=total,
                unit="draw",
                unit_scale=True,
                file=sys.stderr,
                desc=stage,
                leave=False,
                delay=self.delay,
            )
        bar.update(done)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@contextmanager
def _slow(what: str, after: float = 2.0) -> Iterator[None]:
    """Say on a terminal's stderr what is happening when it takes more than ``after`` seconds
    (a line erased when done; nothing in a pipe or a log)."""
    if not _terminal():
        yield
        return
    shown = threading.Event()

    def say() -> None:
        shown.set()
        print(f"{what} ...", end="", file=sys.stderr, flush=True)

    timer = threading.Timer(after, say)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if shown.is_set():
            print("\r\x1b[K", end="", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- commands
def cmd_list(args: argparse.Namespace) -> None:
    from .study.shipped import list_studies

    studies = list_studies()
    if args.json:
        _emit({"studies": studies})
        return
    from .display import text

    print(text.studies(studies))


def _refuse(args: argparse.Namespace, flags: Sequence[str], why: str) -> None:
    for flag in flags:
        if getattr(args, flag.lstrip("-").replace("-", "_"), None) not in (None, False):
            raise StudyError(f"does not apply {why}", key=flag)


def cmd_run(args: argparse.Namespace) -> None:
    from .api import run

    if args.output and not args.save_draws:
        raise StudyError("--output chooses what --save-draws exports; give --save-draws FILE", key="--output")
    if args.draws != "auto" and args.rel_tol != 0.005:
        raise StudyError("applies to --draws auto only", key="--rel-tol")
    draws_target = None
    if args.save_draws:
        from .io import check_target

        draws_target = check_target(args.save_draws, force=args.force)
    if args.csv:
        from .io import check_target

        check_target(args.csv, force=args.force)
    progress = _Progress()
    try:
        result = run(
            args.study,
            args.draws,
            0 if args.seed is None else args.seed,
            args.method,
            args.scenario,
            ci=args.ci,
            interval=args.interval,
            rel_tol=args.rel_tol,
            save=args.save,
            force=args.force,
            keep=True if args.save_draws else None,
            observed=args.observed,
            threads=args.threads,
            progress=progress,
        )
    finally:
        progress.close()
    if draws_target is not None:
        from .io import save_draws

        outputs = args.output or [o for o, spec in result.study.outputs.items() if not spec.dims]
        for o in outputs:
            validate.output(result.study.outputs, o, key="--output")
        if result.dataset is None:  # keep=True keeps the draws
            raise RuntimeError("the run kept no draws to save")
        save_draws(result.dataset, draws_target, outputs, force=args.force)
    for line in result.warnings():
        print(f"warning: {line}", file=sys.stderr)
    _finish(result, args)
    if not args.json:
        for path in (result.saved, draws_target):
            if path is not None:
                print(f"\nsaved {path}")


def cmd_compare(args: argparse.Namespace) -> None:
    from .api import compare

    seed = 0 if args.seed is None else args.seed
    scenarios = args.scenario or []
    if args.other is None:
        if len(scenarios) != 2:
            raise StudyError(
                f"give exactly two --scenario (A then B), got {len(scenarios)}", key="--scenario"
            )
        result = compare(
            args.study,
            scenarios[0],
            scenarios[1],
            draws=args.draws,
            seed=seed,
            method=args.method,
            ci=args.ci,
            threads=args.threads,
        )
    else:
        if len(scenarios) > 2:
            raise StudyError(
                "with two studies give one --scenario (of both) or two (A's then B's)", key="--scenario"
            )
        result = compare(
            args.study,
            args.other,
            scenario=scenarios or None,
            draws=args.draws,
            seed=seed,
            method=args.method,
            ci=args.ci,
            threads=args.threads,
        )
    if args.csv:
        from .io import check_target

        check_target(args.csv, force=args.force)
    _finish(result, args)


def cmd_replay(args: argparse.Namespace) -> None:
    from .api import replay

    if args.csv:
        from .io import check_target

        check_target(args.csv, force=args.force)
    _finish(replay(args.study), args)


def cmd_sensitivity(args: argparse.Namespace) -> None:
    from .api import sensitivity

    if args.method != "sobol":
        _refuse(args, ["--scale"], "to --method " + args.method + " (only to sobol)")
    if args.method == "tornado":
        _refuse(args, ["--draws", "--seed"], "to --method tornado (it evaluates the model, draws nothing)")
    if args.method in ("rank", "prior"):
        _refuse(args, ["--ci"], f"to --method {args.method}")
    at = None
    if args.year is not None:
        at = {"year": int(args.year) if args.year.lstrip("-").isdigit() else args.year}
    if args.csv:
        from .io import check_target

        check_target(args.csv, force=args.force)
    with _slow(
        "computing Sobol' indices (the model is evaluated many times)"
        if args.method == "sobol"
        else "ranking the inputs"
    ):
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
    _finish(result, args)


def cmd_report(args: argparse.Namespace) -> None:
    from .api import report

    saved = args.source.lower().endswith((".nc", ".nc4", ".h5"))
    if saved:
        _refuse(args, ["--draws", "--seed"], "to a saved run (it is reported as it was run)")
    with _slow("simulating and drawing the figures" if not saved else "drawing the figures"):
        path = report(
            args.source,
            args.out,
            draws=DEFAULT_DRAWS if args.draws is None else args.draws,
            seed=0 if args.seed is None else args.seed,
            ci=args.ci,
            force=args.force,
        )
    print(f"wrote {path}")


def cmd_rerun(args: argparse.Namespace) -> None:
    from .api import rerun

    with _slow(f"re-running {args.file}"):
        result = rerun(args.file)
    if args.json:
        _emit(result.to_dict())
    elif result.identical:
        print(result.text())
    if not result.identical:
        raise StudyError(
            f"the re-run does not reproduce the saved draws of {', '.join(result.differs)}", file=args.file
        )


def cmd_show(args: argparse.Namespace) -> None:
    from .study.authoring import show

    sys.stdout.write(show(args.study).rstrip("\n") + "\n")


def cmd_describe(args: argparse.Namespace) -> None:
    from .study.authoring import describe

    d = describe(args.name, kind="model" if args.model else None)
    if args.json:
        _emit(d)
        return
    from .display import text

    print(text.description(d))


def cmd_new(args: argparse.Namespace) -> None:
    from pathlib import Path

    from .io import atomic_write, check_target
    from .study.authoring import new_study

    target = check_target(args.out or f"{args.name}.toml", force=args.force)
    text = new_study(args.name, model=args.model, from_study=args.from_study)

    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")

    atomic_write(target, write, force=args.force)
    print(f'wrote {target}: fill in every source = "TODO", then `chipdemand run {target}`')


def cmd_check(args: argparse.Namespace) -> None:
    from .api import check

    if args.csv:
        from .io import check_target

        check_target(args.csv, force=args.force)
    with _slow("running the studies"):
        result = check(
            args.study or None, draws=args.draws, seed=0 if args.seed is None else args.seed, ci=args.ci
        )

    _finish(result, args)


def cmd_fit(args: argparse.Namespace) -> None:
    from .api import fit

    three = [args.p5, args.p50, args.p95]
    if args.quantile:
        if any(x is not None for x in three):
            raise StudyError("give either --quantile P=V or --p5, --p50 and --p95", key="--quantile")
        pairs = []
        for text in args.quantile:
            p, sep, v = text.partition("=")
            try:
                pairs.append([float(p), float(v)])
            except ValueError:
                raise StudyError(f"expected P=V such as 0.1=2e7, got {text!r}", key="--quantile") from None
            if not sep:
                raise StudyError(f"expected P=V such as 0.1=2e7, got {text!r}", key="--quantile")
        result = fit(pairs, family=args.family)
    else:
        if any(x is None for x in three):
            raise StudyError("give --p5, --p50 and --p95 (or --quantile P=V, repeated)", key="--p50")
        result = fit(*three, family=args.family)
    if args.json:
        _emit(result.to_dict())
    else:
        print(result.text())


def cmd_serve(args: argparse.Namespace) -> None:
    from .serve.cli import run  # starlette and uvicorn are imported when the command runs

    run(args)


COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "list": cmd_list,
    "run": cmd_run,
    "compare": cmd_compare,
    "replay": cmd_replay,
    "sensitivity": cmd_sensitivity,
    "report": cmd_report,
    "rerun": cmd_rerun,
    "fit": cmd_fit,
    "check": cmd_check,
    "show": cmd_show,
    "describe": cmd_describe,
    "new": cmd_new,
    "serve": cmd_serve,
}


#: seconds a command may take to wind down after Ctrl-C before it is ended at once
GRACE = 5.0
_said = threading.Event()  # the one "error: interrupted" line is out


def _say_interrupted() -> None:
    if not _said.is_set():
        _said.set()
        print("error: interrupted", file=sys.stderr, flush=True)


def _give_up() -> None:
    """Ctrl-C was pressed GRACE seconds ago and the process is still winding down (a worker
    stuck in C code, a lock taken mid-interrupt): remove the temporary files being written and
    end now. The user's files are whole either way (a file is renamed into place or not at all)."""
    from .io import remove_temporaries

    remove_temporaries()
    _say_interrupted()
    os._exit(130)


def _interrupt_once() -> None:
    """Ctrl-C raises KeyboardInterrupt once (the command unwinds: workers finish their block,
    temporary files are removed, one line is printed); later ones are ignored, and if winding
    down takes more than GRACE seconds the process ends anyway, with the same one line and 130."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        timer = threading.Timer(GRACE, _give_up)
        timer.daemon = True
        timer.start()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chipdemand`` command; returns the exit status.

    Warnings raised while a command runs are held back: printed as ``warning:`` lines when it
    succeeds, dropped when it fails (the one ``error:`` line says what went wrong).
    """
    _interrupt_once()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            args = build_parser().parse_args(argv)
            COMMANDS[args.command](args)
        except StudyError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            _say_interrupted()
            return 130
        except MemoryError:
            print("error: out of memory: give fewer --draws (or none of --save)", file=sys.stderr)
            return 2
        except BrokenPipeError:
            return 0
    for w in caught:
        if not issubclass(w.category, (FutureWarning, DeprecationWarning)):
            print(f"warning: {w.message}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
