"""A default ``cd.run`` against the same chain written by hand in NumPy (issue 18 item 6).

    python benchmarks/default_vs_numpy.py                      # 1e5, 1e6, 1e7 draws (~5-10 minutes)
    python benchmarks/default_vs_numpy.py --sizes 1e5 1e6 --rounds 5
    python benchmarks/default_vs_numpy.py --stages 1e6         # where a default run's time goes
    python benchmarks/default_vs_numpy.py --profile 1e6        # the same under cProfile

The chain is the latency sizing of ChatGPT inference (``bench.py``'s :func:`numpy_chain`: 8
inputs, 5 outputs, 4 scenarios with common random numbers, ``np.quantile`` at the nine summary
probabilities and the mean of each series), on the study ``bench.py`` measures (the shipped one
while it is that chain, else its frozen copy). In one process, interleaved round by round (the
order rotates each round) after a warm-up, each round times:

* ``numpy``: the hand-written chain, one thread (the baseline of every ratio);
* ``run, 1 thread``: ``cd.run(study, n, threads=1)``, its default memory budget and everything
  else default (references placed, the table built);
* ``run, default``: ``cd.run(study, n)``: every core, serial below
  :data:`chipdemand.engine.SERIAL_BELOW` draws; a streamed run of
  :data:`chipdemand.engine.PROCESSES_FROM` draws × scenarios or more in forked processes;
* ``run, outputs held``: at 1e7 only, ``cd.run(study, n)`` with a memory budget its outputs fit
  (1.6 GB), so that it is summarized in one pass as the default is up to ~1.6e6 draws.

It prints the median of the per-round ratios to the baseline, with their range, and which path
each run took (draws kept, outputs kept in one pass, or streamed in two passes).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench import bench_study, chain_parameters, fmt_n, log, numpy_chain, rounds  # noqa: E402

import chipdemand as cd  # noqa: E402
from chipdemand.api import default_memory_budget  # noqa: E402
from chipdemand.engine import make_plan, processes_for  # noqa: E402
from chipdemand.execution import can_fork, cores  # noqa: E402


def path_of(study, n: int, budget: int, threads: int | None = None) -> str:
    """Which path a run of ``n`` draws takes under ``budget`` (as :func:`chipdemand.run` decides)."""
    plan = make_plan(study, n)
    if 2 * plan.nbytes() <= budget:
        return "draws kept"
    if plan.outputs_nbytes() <= budget:
        return "outputs kept, one pass"
    if processes_for(plan, threads) and can_fork() and cores() > 1:
        return "streamed, two passes, forked processes"
    return "streamed, two passes"


def stages(study, n: int, repeats: int = 3) -> None:
    """Seconds of each stage of a one-pass run (outputs kept) on one thread, timed by hand.

    cProfile cannot see into UNU.RAN's Cython ``ppf`` and charges page faults to whoever touches
    the pages first, so the run is taken apart: the same steps as ``Plan._evaluate_block``,
    ``simulate_outputs`` and ``summarize_plan``, each timed; the median of ``repeats`` runs.
    """
    import time

    import numpy as np
    import xarray as xr
    from scipy import special

    from chipdemand.analysis.summaries import summary
    from chipdemand.distributions.base import ScipyBacked
    from chipdemand.study.references import reference_queries

    plan = make_plan(study, n)
    rows: dict[str, list[float]] = {}
    for _ in range(repeats):
        spent = dict.fromkeys(
            ["uniforms", "ppf: Hermite inversion (HINV)", "ppf: closed forms", "model", "write outputs"], 0.0
        )
        arrays = {name: np.empty((len(plan.scenarios), n)) for name in study.outputs}
        for block in plan.blocks:
            a, b = plan.block_range(block)
            t0 = time.perf_counter()
            u = plan.uniforms(block, 0, b - a)
            spent["uniforms"] += time.perf_counter() - t0
            cache: dict[int, np.ndarray] = {}
            normals: dict[str, np.ndarray] = {}
            for i, s in enumerate(plan.scenarios):
                values = {}
                for name, spec in plan.specs[s].items():
                    if id(spec) not in cache:
                        t0 = time.perf_counter()
                        if spec.dist.is_point:
                            cache[id(spec)] = np.broadcast_to(spec.dist.ppf(np.array([0.5]))[0], (b - a,))
                        elif spec.dist.via_normal:  # as the engine: one ndtri per stream and block
                            if spec.stream not in normals:
                                normals[spec.stream] = special.ndtri(u[spec.stream])
                            cache[id(spec)] = spec.dist.from_normal(normals[spec.stream])
                        else:
                            cache[id(spec)] = spec.dist.ppf(u[spec.stream])
                        hinv = isinstance(getattr(spec.dist, "base", spec.dist), ScipyBacked)
                        spent["ppf: Hermite inversion (HINV)" if hinv else "ppf: closed forms"] += (
                            time.perf_counter() - t0
                        )
                    values[name] = cache[id(spec)]
                t0 = time.perf_counter()
                outputs = study.model.evaluate(values, check=False)
                study.model.check_outputs(outputs, values, first_draw=a, where="")
                spent["model"] += time.perf_counter() - t0
                t0 = time.perf_counter()
                for var in arrays:
                    arrays[var][i, a:b] = outputs[var]
                spent["write outputs"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        dims = ("scenario", "draw")
        layout = plan.variable_attrs()
        ds = xr.Dataset(
            {k: (dims, v, layout[k][1]) for k, v in arrays.items()}, coords=plan.coords(), attrs=plan.attrs()
        )
        summary(ds, threads=1)
        spent["summary (exact quantiles, means)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        index = {s: i for i, s in enumerate(plan.scenarios)}
        for s, var, at, value in reference_queries(study, plan.scenarios):
            np.count_nonzero(arrays[var][(index[s], *at)] <= value)
        spent["references (shares below)"] = time.perf_counter() - t0
        for k, v in spent.items():
            rows.setdefault(k, []).append(v)
    total = sum(statistics.median(v) for v in rows.values())
    print(
        f"one-pass run of {fmt_n(n)} draws × {len(plan.scenarios)} scenarios, one thread, "
        f"median of {repeats}:\n"
    )
    print("| stage | s | share | ns per draw × scenario |\n|---|---|---|---|")
    for k, v in sorted(rows.items(), key=lambda kv: -statistics.median(kv[1])):
        t = statistics.median(v)
        print(f"| {k} | {t:.3f} | {t / total:.0%} | {t / n / len(plan.scenarios) * 1e9:.1f} |")
    print(f"| total | {total:.3f} | 100% | {total / n / len(plan.scenarios) * 1e9:.1f} |")


def configs(study, params, n: int) -> dict:
    out = {
        "numpy": lambda: numpy_chain(params, n),
        "run, 1 thread": lambda: cd.run(study, n, threads=1),
        f"run, default ({cores()} cores)": lambda: cd.run(study, n),
    }
    if n >= 10**7:
        held = 2 * make_plan(study, n).outputs_nbytes()
        out["run, outputs held, default threads"] = lambda: cd.run(study, n, memory_budget=held)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=lambda s: int(float(s)), default=[10**5, 10**6, 10**7])
    parser.add_argument("--rounds", type=int, default=0, help="rounds per size (default 7, 5, 3)")
    parser.add_argument("--profile", type=lambda s: int(float(s)), default=0, help="profile one run")
    parser.add_argument("--stages", type=lambda s: int(float(s)), default=0, help="time a run's stages")
    args = parser.parse_args(argv)
    study, note = bench_study()
    params = chain_parameters(study)
    if args.stages:
        stages(study, args.stages)
        return 0
    if args.profile:
        cd.run(study, args.profile, threads=1)  # warm-up: set-up and first-touch pages
        prof = cProfile.Profile()
        prof.enable()
        cd.run(study, args.profile, threads=1)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(20)
        return 0
    budget = default_memory_budget()
    print(f"study: {note}; memory budget {budget / 2**20:.0f} MB; {cores()} cores\n")
    print("| draws | configuration | path | seconds (median) | ratio to numpy: median [min–max] |")
    print("|---|---|---|---|---|")
    for n in args.sizes:
        repeats = args.rounds or (7 if n <= 10**5 else 5 if n <= 10**6 else 3)
        log(f"{fmt_n(n)} draws, {repeats} rounds")
        times = rounds(configs(study, params, n), repeats)
        for name, ts in times.items():
            r = [t / b for t, b in zip(ts, times["numpy"], strict=True)]
            if name == "numpy":
                path = "hand-written, 1 thread"
            elif "outputs held" in name:
                path = path_of(study, n, 2 * make_plan(study, n).outputs_nbytes())
            else:
                path = path_of(study, n, budget, 1 if "1 thread" in name else None)
            print(
                f"| {fmt_n(n)} | {name} | {path} | {statistics.median(ts):.3g} | "
                f"{statistics.median(r):.2f} [{min(r):.2f}–{max(r):.2f}] |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
