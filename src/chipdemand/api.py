"""The API: one function per command, for notebooks and for the ``chipdemand`` command alike.

:func:`run` is the one entry point for a run: it decides whether the draws are held in memory
or summarized block by block in bounded memory, sizes ``draws="auto"``, saves, and returns a
:class:`~chipdemand.results.Run` that carries its summary, its draws (when kept) and the parsed
study. :func:`compare`, :func:`sensitivity`, :func:`replay`, :func:`report` and :func:`rerun` do
the same for their commands; each result's ``to_dict()`` is what ``--json`` prints.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from . import (
    accessors,  # noqa: F401 - registers the Dataset.chipdemand accessor
    validate,
)
from .analysis.comparison import compare_runs
from .analysis.replay import differing_draws, replay_study
from .analysis.sensitivity import RANK_DRAWS, rank_inputs
from .analysis.streaming import summarize_plan
from .analysis.summaries import compare as compare_scenarios
from .analysis.summaries import outputs_of, summary, table, worst_relative_mcse
from .engine import Plan, check_fits_in_memory, make_plan, simulate, simulate_plan, threads_for
from .errors import StudyError
from .execution import SERIAL, Executor
from .fitting import fit
from .io import altered, check_target, is_saved_run, load_results, save_results
from .kernels.sampling import next_draws
from .results import Check, Comparison, Replay, Rerun, Run, Sensitivity
from .study.loader import BASE, Study, load_study, study_of_run
from .study.references import place, reference_queries, shares_in_draws
from .study.shipped import list_studies

__all__ = [
    "DEFAULT_DRAWS",
    "Progress",
    "default_memory_budget",
    "run",
    "compare",
    "sensitivity",
    "replay",
    "report",
    "rerun",
    "fit",
    "check",
    "condition",
    "resolve_run",
    "FIT_TOLERANCE",
]

#: draws per scenario when none are given, and the fit's tolerance (defined once, in validate)
DEFAULT_DRAWS, FIT_TOLERANCE = validate.DEFAULT_DRAWS, validate.FIT_TOLERANCE
#: ``draws="auto"`` starts here and stops here at the latest
AUTO_START, AUTO_MAX = 1 << 14, 1 << 24

#: ``progress(done, total, stage)``: ``done`` draws more of ``total`` in ``stage`` (e.g. "drawing")
Progress = Callable[[int, int, str], None]


def default_memory_budget() -> int:
    """Bytes a run may hold in memory before it is summarized block by block instead:
    ``CHIPDEMAND_MEMORY_MB`` (default 256 MB, also when it is set but empty)."""
    text = os.environ.get("CHIPDEMAND_MEMORY_MB", "").strip() or "256"
    return validate.positive_int(text, key="CHIPDEMAND_MEMORY_MB") * 2**20


def _stage(progress: Progress | None, total: int, stage: str) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda done: progress(done, total, stage)


# ----------------------------------------------------------------------------- run
def run(
    study: Study | str | os.PathLike[str],
    draws: int | str = DEFAULT_DRAWS,
    seed: int = 0,
    method: str = "mc",
    scenarios: Sequence[str] | str | None = None,
    *,
    ci: float = 0.9,
    interval: str = "eti",
    rel_tol: float = 0.005,
    max_draws: int = AUTO_MAX,
    memory_budget: int | None = None,
    keep: bool | None = None,
    save: str | os.PathLike[str] | None = None,
    force: bool = False,
    observed: bool = False,
    threads: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> Run:
    """Run a study: draw, evaluate and summarize every scenario.

    Parameters
    ----------
    study : Study, str or path
        A loaded study, the name of a shipped one, or a path to a study file.
    draws : int or "auto"
        Draws per scenario; ``"auto"`` draws until every reported quantile's Monte Carlo
        standard error is under ``rel_tol`` of its value (from 16,384 draws, growing by the
        1/sqrt(n) rule, up to 2**24).
    seed, method, scenarios
        As :func:`chipdemand.simulate`.
    ci : float
        Mass of the credible intervals (0.9: the 5th to the 95th percentile).
    interval : {"eti", "hdi"}
        Equal-tailed or highest-density intervals (the latter needs the draws in memory).
    rel_tol : float
        The tolerance of ``draws="auto"``.
    max_draws : int
        Where ``draws="auto"`` stops at the latest (``run.converged`` is then False).
    memory_budget : int, optional
        Bytes the draws may take in memory (default :func:`default_memory_budget`). A larger run
        is summarized block by block in bounded memory (the same numbers) and its draws are not
        kept, unless ``keep=True``.
    keep : bool, optional
        ``True``: hold the draws (refused when they cannot fit in the memory available);
        ``False``: never return them; ``None``: keep them when they fit the budget.
    save : path, optional
        Save the draws to this netCDF file (implies ``keep``); the target is checked before
        anything is simulated, and written atomically.
    force : bool
        Overwrite ``save`` if it exists.
    observed : bool
        Condition the run on the study's ``[observations]`` (:func:`condition`: importance
        weights smoothed by PSIS, refused when Pareto k̂ says they cannot be trusted); implies
        ``keep``. ``run.conditioned`` holds the posterior, and a saved run keeps the weights.
    threads, executor
        Who runs the blocks (see :mod:`chipdemand.execution`); the numbers never change.
    progress : callable, optional
        ``progress(done, total, stage)`` as blocks finish.

    Returns
    -------
    Run
        ``run.table`` is the table of ``chipdemand run`` (``run.to_dict()`` its ``--json``),
        ``run.summary`` the same as an xarray Dataset, ``run.dataset`` the draws or ``None``.

    Examples
    --------
    >>> r = run("chatgpt_inference", draws=20_000, seed=1)  # doctest: +SKIP
    >>> r.summary["chips"].sel(scenario="base", stat="median")  # doctest: +SKIP
    """
    study = load_study(validate.study_source(study, study_type=Study))
    if executor is not None and not callable(getattr(executor, "map", None)):
        raise StudyError(
            f"expected an object with a .map(fn, items) method (an executor), got {executor!r}",
            key="executor",
        )
    auto = isinstance(draws, str) and draws == "auto"
    plan = make_plan(study, AUTO_START if auto else draws, seed, method, scenarios)  # validated here
    ci = validate.ci(ci)
    interval = validate.interval(interval)
    threads = validate.threads(threads)
    budget = (
        default_memory_budget()
        if memory_budget is None
        else validate.positive_int(memory_budget, key="memory_budget")
    )
    keep = _keep(plan, keep, observed=observed, save=save, force=force, auto=auto)
    shares: list[float] | None = None
    res: xr.Dataset | None
    if auto:
        rel_tol = validate.probability(rel_tol, key="rel_tol")
        max_draws = validate.draws(max_draws, key="max_draws")
        if max_draws < AUTO_START:
            raise StudyError(f"must be at least {AUTO_START:,}, where draws='auto' starts", key="max_draws")
        plan, res, summ, converged = _auto(
            plan, ci, interval, rel_tol, max_draws, threads, executor, progress
        )
    else:
        converged = True
        res, summ, shares = _simulate(plan, ci, interval, keep, budget, threads, executor, progress)
    conditioned, saved = _condition_and_save(res, study, ci, observed=observed, save=save, force=force)
    return Run(
        study=study,
        summary=summ,
        dataset=None if keep is False else res,
        draws=plan.draws,
        seed=plan.seed,
        method=plan.method,
        ci=ci,
        interval=interval,
        converged=converged,
        saved=saved,
        asked=None if auto else plan.asked,
        references=_references(plan, summ, res, shares),
        conditioned=conditioned,
    )


def _keep(
    plan: Plan, keep: bool | None, *, observed: bool, save: Any, force: bool, auto: bool
) -> bool | None:
    """Whether the draws are kept: always when conditioned or saved (the save target is checked
    here, before anything is simulated)."""
    if observed:
        if not plan.study.observations:
            raise StudyError(
                "the study states no [observations.NAME] to condition on",
                file=plan.study.path,
                key="observations",
            )
        keep = True
    if save is not None:
        keep = True
        check_target(save, force=force, size=None if auto else plan.saved_nbytes())
        if not auto:
            check_fits_in_memory(plan, saving=True)
    return keep


def _condition_and_save(
    res: xr.Dataset | None, study: Study, ci: float, *, observed: bool, save: Any, force: bool
) -> tuple[Any, Any]:
    """The run conditioned on the study's observations (when asked) and where it was saved."""
    conditioned = None
    if observed and res is not None:
        from .analysis.conditioning import condition as weigh

        conditioned = weigh(res, study.observations, ci=ci)
    saved = None
    if save is not None and res is not None:
        saved = save_results(res if conditioned is None else conditioned.dataset(), save, force=force)
    return conditioned, saved


def _simulate(
    plan: Plan,
    ci: float,
    interval: str,
    keep: bool | None,
    budget: int,
    threads: int | None,
    executor: Executor | None,
    progress: Progress | None,
) -> tuple[xr.Dataset | None, xr.Dataset, list[float] | None]:
    """Draws (when kept), summary and reference shares (when the draws are not kept) of a run.

    The draws are kept when asked, or when they fit ``budget`` (twice over). Otherwise only the
    outputs are kept when they fit it, and summarized in one pass; only when the outputs do not
    fit either is every block streamed twice. The numbers are the same on every path.
    """
    draws, S = plan.draws, len(plan.scenarios)
    if keep is True or 2 * plan.nbytes() <= budget:
        res = simulate_plan(
            plan, threads=threads, executor=executor, progress=_stage(progress, draws * S, "drawing")
        )
        return res, summary(res, ci, interval, threads=threads_for(plan, threads), executor=executor), None
    # the outputs are written in place by threads of this process (a dask client's workers
    # would write elsewhere: they stream, each block's results sent back)
    in_process = executor is None or executor is SERIAL or isinstance(executor, ThreadPoolExecutor)
    outputs_fit = in_process and plan.outputs_nbytes() <= budget
    if interval == "hdi" and not outputs_fit:
        raise StudyError(
            f"--interval hdi needs the outputs in memory and {draws:,} draws of them take "
            f"{plan.outputs_nbytes() / 2**20:,.0f} MB (budget {budget / 2**20:,.0f} MB): use eti, fewer "
            "draws, or a larger CHIPDEMAND_MEMORY_MB",
            key="interval",
        )
    done = summarize_plan(
        plan,
        ci,
        interval,
        outputs_in_memory=outputs_fit,
        queries=reference_queries(plan.study, plan.scenarios),
        threads=threads,
        executor=executor,
        progress=_stage(progress, draws * S, "drawing")
        if outputs_fit
        else _stage(progress, 2 * draws * S, "two passes"),
    )
    return None, done.summary, done.shares


def _auto(
    plan: Plan,
    ci: float,
    interval: str,
    rel_tol: float,
    max_draws: int,
    threads: int | None,
    executor: Executor | None,
    progress: Progress | None,
) -> tuple[Plan, xr.Dataset, xr.Dataset, bool]:
    """Draw until every reported quantile's MCSE is under ``rel_tol`` of its value.

    Starts at ``plan``'s draws (16,384) and grows the run (to the size the MCSE ∝ 1/√n rule
    predicts, at least doubling, in whole blocks above one block, through valid Sobol sizes under
    Sobol: :func:`chipdemand.kernels.sampling.next_draws`) until the worst relative MCSE of low,
    median and high of every output is below ``rel_tol``, or ``max_draws`` are reached.
    """
    while True:
        n, S = plan.draws, len(plan.scenarios)
        res = simulate_plan(
            plan, threads=threads, executor=executor, progress=_stage(progress, n * S, f"drawing {n:,}")
        )
        summ = summary(res, ci, interval, threads=threads_for(plan, threads), executor=executor)
        worst = worst_relative_mcse(summ)
        if worst <= rel_tol:
            return plan, res, summ, True
        if n >= max_draws:
            return plan, res, summ, False
        plan = plan.with_draws(next_draws(n, n * 1.1 * (worst / rel_tol) ** 2, plan.method, max_draws))


def _references(
    plan: Plan, summ: xr.Dataset, res: xr.Dataset | None, shares: list[float] | None
) -> list[dict[str, Any]]:
    """Every reference of the study placed in the run (see :func:`chipdemand.study.references.place`):
    counted in the draws when they are kept, else looked up among the shares the run's own pass
    counted (:func:`chipdemand.analysis.streaming.summarize_plan`)."""
    if res is not None:
        return place(plan.study, summ, list(plan.scenarios), shares_in_draws(res))
    found = dict(zip(reference_queries(plan.study, plan.scenarios), shares or [], strict=True))
    return place(plan.study, summ, list(plan.scenarios), lambda queries: [found[q] for q in queries])


# ----------------------------------------------------------------------------- sources
def resolve_run(
    source: Any,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    method: str = "mc",
    scenarios: Sequence[str] | None = None,
    threads: int | None = None,
) -> tuple[xr.Dataset, Study | None, str]:
    """A run's draws, its study and where they came from, from whatever the user gave:
    a :class:`Run` (its draws), a Dataset, a saved ``.nc`` file (read, not re-simulated), or a
    study (a :class:`Study`, name or ``.toml`` path: simulated here)."""
    if isinstance(source, Run):
        if source.dataset is None:
            raise StudyError("this run kept no draws (run it with keep=True)", key="run")
        return source.dataset, source.study, "a run in memory"
    if isinstance(source, xr.Dataset):
        return source, _study_or_none(source), "a run in memory"
    if is_saved_run(source):
        res = load_results(source)
        return res, _study_or_none(res), f"saved run {Path(str(source)).name} (not re-simulated)"
    study = load_study(source)
    res = simulate(study, draws, seed, method, scenarios, threads=threads)
    return res, study, "simulated for this report"


def _study_or_none(res: xr.Dataset) -> Study | None:
    try:
        return study_of_run(res.attrs)
    except StudyError:  # e.g. its model is no longer registered: use the draws alone
        return None


# ----------------------------------------------------------------------------- compare
def compare(
    source: Any,
    *positional: Any,
    a: str | None = None,
    b: str | None = None,
    other: Any = None,
    scenario: str | Sequence[str] | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    method: str = "mc",
    ci: float = 0.9,
    threads: int | None = None,
) -> Comparison:
    """Compare two scenarios of one study, or two studies, output by output.

    ``compare(source, "base", "heavy_use")`` (or ``a="base", b="heavy_use"``): scenario ``b``
    against ``a`` of one source, draw by draw (common random numbers make a pure scaling's ratio
    exact). ``compare(source_a, source_b)`` (or ``other=source_b``): the outputs two studies
    share (names, ``.toml`` paths, saved ``.nc`` runs, Runs or Datasets), in ``scenario`` of each
    (default base; one name applies to both; two names: A's then B's, e.g. a parent's base
    against its child's new scenario): draw by draw when both share the seed, method, draws and
    some of the inputs' random streams (an extending study and its parent do, input by input),
    otherwise as independent distributions; ``paired`` says which.

    Returns
    -------
    Comparison
        Per output (and year): the ratio b / a (median and ``ci`` interval) and P(b > a); for
        studies also each side's median and interval.
    """
    either = "give a second study (other=) or two scenarios (a=, b=)"
    if len(positional) > 2 or (positional and (a, b, other) != (None, None, None)):
        raise StudyError(f"{either}, not both", key="compare")
    if len(positional) == 2:
        a, b = positional
    elif positional:
        other = positional[0]
    if (a is None) != (b is None) or (a is not None and other is not None):
        raise StudyError(f"{either}, not both" if other is not None else "give both a= and b=", key="compare")
    ci = validate.ci(ci)
    run_args: dict[str, Any] = dict(draws=draws, seed=seed, method=method, threads=threads)
    if a is not None and b is not None:
        return _compare_scenarios(source, str(a), str(b), ci=ci, **run_args)
    if other is None:
        raise StudyError("give two studies, or a study and two scenarios", key="compare")
    pair = [BASE] if scenario is None else [scenario] if isinstance(scenario, str) else list(scenario)
    pair = pair * 2 if len(pair) == 1 else pair  # one name applies to both
    if len(pair) != 2:
        raise StudyError(f"give one scenario, or two (A's then B's), got {len(pair)}", key="scenario")
    return _compare_studies(source, other, [str(p) for p in pair], ci=ci, **run_args)


def _compare_scenarios(
    source: Any, a: str, b: str, *, ci: float, draws: int, seed: int, method: str, threads: int | None
) -> Comparison:
    names = [a, b]
    if isinstance(source, Run | xr.Dataset) or is_saved_run(source):
        res, study, _ = resolve_run(source)
        label = study.name if study is not None else str(res.attrs.get("study", ""))
    else:
        study = load_study(source)
        study.check_scenarios(names)
        res = simulate(study, draws, seed, method, names, threads=threads)
        label = study.name
    frame = compare_scenarios(res, a, b, ci=ci)
    return Comparison(
        frame,
        a=a,
        b=b,
        study=label,
        draws=res.sizes["draw"],
        seed=int(res.attrs.get("seed", seed)),
        ci=ci,
    )


def _compare_studies(
    source: Any,
    other: Any,
    pair: list[str],
    *,
    ci: float,
    draws: int,
    seed: int,
    method: str,
    threads: int | None,
) -> Comparison:
    sides = []
    for side, scen in zip((source, other), pair, strict=True):
        if isinstance(side, Run | xr.Dataset) or is_saved_run(side):
            res, study, _ = resolve_run(side)
        else:
            study = load_study(side)
            study.check_scenarios([scen])
            res = simulate(study, draws, seed, method, [scen], threads=threads)
        validate.scenario([str(s) for s in res["scenario"].values], scen)
        name = study.name if study is not None else str(res.attrs.get("study"))
        sides.append((res.sel(scenario=scen), study, name if pair == [BASE, BASE] else f"{name} [{scen}]"))
    (ra, sa, la), (rb, sb, lb) = sides
    frame, paired = compare_runs(ra, sa, rb, sb, ci=ci, names=(la, lb))
    return Comparison(
        frame,
        a=la,
        b=lb,
        study=f"{la} vs {lb}",
        draws=min(ra.sizes["draw"], rb.sizes["draw"]),
        seed=int(ra.attrs.get("seed", seed)),
        paired=paired,
        kind="studies",
        ci=ci,
    )


# ----------------------------------------------------------------------------- sensitivity
def sensitivity(
    source: Any,
    output: str | None = None,
    method: str = "rank",
    *,
    scenario: str | None = None,
    study: Study | str | None = None,
    draws: int | None = None,
    seed: int = 0,
    ci: float = 0.9,
    at: Mapping[str, Any] | None = None,
    scale: str = "auto",
) -> Sensitivity:
    """Rank the inputs that drive ``output``, largest first.

    ``source`` is a run (a :class:`Run`, a Dataset or a saved ``.nc``: the rank method reads its
    draws) or a study (name, path or :class:`Study`: the rank method simulates ``draws``
    draws, default 100,000, of the scenario; tornado and Sobol evaluate the model directly).
    The methods, ``at`` and ``scale`` are described in
    :func:`chipdemand.analysis.sensitivity.rank_inputs`.

    Returns
    -------
    Sensitivity
        ``table`` (columns ``input``, ``index`` and the method's own), ``output``, ``method``,
        ``scenario``, ``unit``.
    """
    res = None
    if isinstance(source, Run | xr.Dataset) or is_saved_run(source):
        res, found, _ = resolve_run(source)
        study = load_study(study) if study is not None else found
        if study is None:
            raise StudyError("the run carries no study text; pass study=", key="study")
    else:
        given = study if source is None else source
        if given is None:
            raise StudyError("give a run or a study (source=)", key="source")
        study = load_study(given)
    if draws is not None:
        draws = validate.draws(draws)
    if res is None and method in ("rank", "prior"):
        scen = validate.scenario(study.scenario_names, BASE if scenario is None else scenario)
        res = simulate(study, draws=RANK_DRAWS if draws is None else draws, seed=seed, scenarios=[scen])
    frame = rank_inputs(
        study, output, method, res=res, scenario=scenario, draws=draws, seed=seed, ci=ci, at=at, scale=scale
    )
    extra = {k: frame.attrs[k] for k in ("scale", "n", "conditioned") if k in frame.attrs}
    return Sensitivity(
        frame,
        output=frame.attrs["output"],
        method=frame.attrs["method"],
        scenario=frame.attrs["scenario"],
        unit=frame.attrs["unit"],
        extra=extra,
        ci=ci,
    )


# ----------------------------------------------------------------------------- replay, rerun
def replay(study: Study | str | None = None) -> Replay:
    """Reproduce the reports' own numbers and audit their arithmetic (every shipped study if
    ``study`` is None); see :mod:`chipdemand.analysis.replay`."""
    studies = [study] if study is not None else [s["path"] for s in list_studies()]
    frames = [replay_study(s) for s in studies]
    rows = _concat([f[0] for f in frames])
    audit = _concat([f[1] for f in frames])
    return Replay(rows=rows, audit=audit)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    kept = [f for f in frames if len(f)]
    return pd.concat(kept, ignore_index=True) if kept else frames[0].iloc[:0]


def rerun(path: str | os.PathLike[str]) -> Rerun:
    """Re-simulate a saved run from its own provenance and check that it is reproduced.

    The study is rebuilt from the text saved with the run (not from the study file, which may
    have changed since; a text that no longer matches its hash is refused, and a saved text is
    read alone, never following ``extends``) and simulated again with the saved seed, draws,
    method and scenarios.
    ``identical`` says whether every saved variable is reproduced bit for bit (and none is
    missing or new); ``differs`` names those that are not; ``table`` summarizes the re-run.
    """
    saved = load_results(path, verify=False)
    problem = altered(saved)
    if problem is not None and "study text" in problem:  # draws that differ are what it reports
        raise StudyError(problem, file=str(path))
    try:
        study = study_of_run(saved.attrs)
    except StudyError as err:
        raise err.located(file=str(path)) from None
    if study is None:
        raise StudyError("the saved run carries no study text to re-run", file=str(path))
    a = saved.attrs
    try:
        draws, seed, method = int(a["draws"]), int(a["seed"]), str(a["method"])
    except (KeyError, TypeError, ValueError):
        raise StudyError("the saved run lacks its seed, draws or method", file=str(path)) from None
    scenarios = [str(s) for s in saved["scenario"].values]
    again = simulate(study, draws=draws, seed=seed, method=method, scenarios=scenarios)
    differs = differing_draws(saved, again)
    return Rerun(file=str(path), identical=not differs, differs=differs, table=table(summary(again)))


# ----------------------------------------------------------------------------- report
def report(
    source: Any,
    out: str | os.PathLike[str],
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    ci: float = 0.9,
    force: bool = False,
) -> Path:
    """Write ``out/index.html``, a self-contained report of a study or a saved run.

    ``source`` is a study (name, ``.toml`` path or :class:`Study`: simulated here with ``draws``
    and ``seed``), a saved run ``FILE.nc`` (not re-simulated; its study is rebuilt from the text
    saved with it; draws that no longer match their saved digest are refused), a :class:`Run`
    or a Dataset. ``out`` must be a new or empty folder, or one holding an earlier report
    (replaced only with ``force``). Returns the page's path.
    """
    from .display.report import check_out_dir, render, write_page

    out = check_out_dir(out, force=force)
    if isinstance(source, Run | xr.Dataset) or is_saved_run(source):
        res, study, origin = resolve_run(source)
    else:
        draws = validate.draws(draws)
        seed = validate.seed(seed)
        res, study, origin = resolve_run(source, draws=draws, seed=seed)
    if not outputs_of(res):
        where = os.fspath(source) if is_saved_run(source) else None
        raise StudyError("holds no outputs to report (no variable with role output)", file=where, key=None)
    page = render(res, study, ci=validate.ci(ci), origin=origin)
    return write_page(page, out, force=force)


# ----------------------------------------------------------------------------- check
def check(
    studies: Sequence[Study | str] | Study | str | None = None,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    ci: float = 0.9,
    threads: int | None = None,
) -> Check:
    """Every independent reference of the studies (every shipped one by default) against our runs.

    Each study is run (``draws``, ``seed``, every scenario) and each of its references placed in
    our distribution: its percentile, and whether it is inside our ``ci`` interval; a physical
    bound is "passed" when our median is beyond it. It reports; it does not fail.
    """
    if studies is None:
        studies = [s["path"] for s in list_studies()]
    elif isinstance(studies, Study | str | os.PathLike):
        studies = [studies]
    rows: list[dict[str, Any]] = []
    for study in studies:
        rows += run(study, draws, seed, ci=ci, threads=threads, keep=False).references
    return Check(rows=rows, ci=ci)


# ----------------------------------------------------------------------------- observations
def condition(source: Any, observations: Any = None, *, ci: float = 0.9) -> Any:
    """Condition a run on observations by importance sampling, without simulating again.

    ``source`` is a :class:`Run`, a Dataset, a saved ``.nc`` run (which may carry weights from
    ``run --observed --save``), or a study (simulated here with 100,000 draws). ``observations``
    defaults to the weights a saved run carries, else the study's ``[observations]``. Returns a
    :class:`chipdemand.analysis.conditioning.Conditioned` (posterior table, Pareto k̂ and ESS per
    scenario, what moved); refused with a clear message when k̂ says the weights cannot be
    trusted (see :func:`chipdemand.analysis.conditioning.condition`).
    """
    from .analysis.conditioning import WEIGHT
    from .analysis.conditioning import condition as weigh

    res, study, _ = resolve_run(source)
    if observations is None and WEIGHT not in res:
        if study is None or not study.observations:
            raise StudyError("the study states no [observations.NAME] to condition on", key="observations")
        observations = study.observations
    return weigh(res, observations, ci=validate.ci(ci))
