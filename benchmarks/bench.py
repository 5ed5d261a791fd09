"""Speed and memory of chipdemand against baselines timed in the same run (issue 6).

Run on demand, not in the test suite (numbers go to benchmarks/README.md):

    python benchmarks/bench.py                 # everything (~6-12 minutes; the 1e8 run alone ~2)
    python benchmarks/bench.py --quick         # small sizes, no 1e8 run (~1 minute)
    python benchmarks/bench.py --only e2e squigglepy

Every speed figure is a ratio against a baseline timed in the same process, interleaved with it
round by round (the order rotates each round), quoted as the median of the per-round ratios with
their range: these machines are shared and noisy, so single absolute times mean little. The
baselines are written out below so that what they do can be checked:

* ``numpy_chain``: the chain a careful user writes by hand in plain NumPy, single-threaded;
* ``squigglepy_chain``: the same chain in squigglepy's distribution arithmetic;
* ``python_chain``: plain Python loops over draws with the ``random`` module.

All three draw the same distributions as the study (parameters read from it), evaluate the same
formulas per scenario and compute the same summaries as :func:`chipdemand.summarize`: the mean and
the quantiles at low / median / high and at ±1 sd of each one's rank (its MCSE), per scenario and
output. Memory is the peak resident set of a child process (``wait4``'s ``ru_maxrss``, the
figure GNU time prints as ``%M``), started from a small parent (see :func:`_peak`).
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import chipdemand as cd
from chipdemand.kernels.stats import mcse_probabilities

STUDY = "chatgpt_inference"
#: the chain the hand-written baselines implement (a frozen copy, used if the shipped study changes)
LATENCY_MODEL = "inference_latency"
FROZEN = Path(__file__).with_name("chatgpt_inference_latency.toml")
SEED = 0
CI = 0.9


def bench_study():
    """The shipped study when it is still the latency chain, else the frozen copy; and a note."""
    study = cd.load_study(STUDY)
    if study.model.name == LATENCY_MODEL:
        return study, f"{STUDY} (shipped, model {LATENCY_MODEL})"
    frozen = cd.load_study(FROZEN)
    return frozen, (
        f"{FROZEN.name} (the shipped {STUDY} now uses model {study.model.name!r}; the "
        f"baselines implement {LATENCY_MODEL!r}, so speed is measured on the frozen copy)"
    )


# ----------------------------------------------------------------------------- parameters
def _parameters(dist) -> tuple:
    """``("lognormal", mu, sigma)``, ``("pert", lo, mode, hi, lam)``, ``("beta", a, b, lo, hi)``
    or ``("point", value)`` of a study input, in the model's unit."""
    factor = 1.0
    while hasattr(dist, "base") and hasattr(dist, "factor"):  # a unit conversion (ms -> s)
        factor *= dist.factor
        dist = dist.base
    name = type(dist).__name__
    if name == "LogNormal":
        return ("lognormal", dist.mu + math.log(factor), dist.sigma)
    if name == "PERT":
        return ("pert", factor * dist.lo, factor * dist.mode, factor * dist.hi, dist.lam)
    if name == "Beta":
        return ("beta", dist.alpha, dist.beta, factor * dist.low, factor * dist.high)
    if name == "Point":
        return ("point", factor * dist.value)
    raise NotImplementedError(f"no baseline for {name}")


def chain_parameters(study) -> dict[str, dict[str, tuple]]:
    """scenario → input → parameters (see :func:`_parameters`)."""
    return {s: {n: _parameters(study.spec(s, n).dist) for n in study.inputs} for s in study.scenario_names}


def summary_probabilities(n: int, ci: float = CI) -> np.ndarray:
    """The nine probabilities chipdemand.summarize reports: low, median, high, then ±1 sd."""
    centre = np.array([(1 - ci) / 2, 0.5, (1 + ci) / 2])
    below, above = mcse_probabilities(centre, n)
    return np.concatenate([centre, below, above])


OUTPUTS = ("queries_per_day", "gpu_hours_per_day", "chips", "servers", "capex")


# ----------------------------------------------------------------------------- baselines
def numpy_chain(params: dict, n: int, seed: int = SEED) -> dict:
    """The chain by hand in plain NumPy, one thread: what chipdemand has to beat.

    A careful user shares draws across scenarios as chipdemand does (common random numbers):
    each lognormal input is one standard-normal array, turned into the base and the override
    values by ``exp(mu + sigma z)``; PERT and beta inputs (not overridden here) are drawn once
    with ``Generator.beta``, the fastest plain-NumPy route. Quantiles by ``np.quantile``.
    """
    rng = np.random.default_rng(seed)
    base = params["base"]
    probs = summary_probabilities(n)
    z = {k: rng.standard_normal(n) for k, p in base.items() if p[0] == "lognormal"}
    drawn = {}
    for k, p in base.items():
        if p[0] == "pert":
            lo, mode, hi, lam = p[1:]
            a, b = 1 + lam * (mode - lo) / (hi - lo), 1 + lam * (hi - mode) / (hi - lo)
            drawn[k] = lo + (hi - lo) * rng.beta(a, b, n)
        elif p[0] == "beta":
            a, b, lo, hi = p[1:]
            drawn[k] = rng.beta(a, b, n) if (lo, hi) == (0.0, 1.0) else lo + (hi - lo) * rng.beta(a, b, n)
        elif p[0] == "point":
            drawn[k] = p[1]
    lognormal = {}  # (input, mu, sigma) -> values, so the base values serve every scenario

    def value(k, p):
        if p[0] != "lognormal":
            if p != base[k]:
                raise NotImplementedError("this baseline overrides lognormal inputs only")
            return drawn[k]
        if p not in lognormal.setdefault(k, {}):
            lognormal[k][p] = np.exp(p[1] + p[2] * z[k])
        return lognormal[k][p]

    out = {}
    for s, ps in params.items():
        v = {k: value(k, p) for k, p in ps.items()}
        queries_per_day = v["daily_active_users"] * v["questions_per_user"]
        gpu_seconds = queries_per_day * v["chars_per_answer"] * v["seconds_per_char"]
        chips = gpu_seconds / 86400 * v["peak_to_average"] / v["utilization"]
        servers = np.ceil(chips / v["gpus_per_server"])
        series = {
            "queries_per_day": queries_per_day,
            "gpu_hours_per_day": gpu_seconds / 3600,
            "chips": chips,
            "servers": servers,
            "capex": servers * v["server_price"],
        }
        for name, x in series.items():
            out[s, name] = (float(x.mean()), np.quantile(x, probs))
    return out


def squigglepy_chain(params: dict, n: int, seed: int = SEED, outputs=OUTPUTS) -> dict:
    """The chain in squigglepy's distribution arithmetic, as its users write it.

    Each ``sq.sample`` of an output samples the leaves of its tree afresh, so the five outputs of
    a scenario cost 25 leaf draws (chipdemand draws 7 streams for all four scenarios). With
    ``outputs=("capex",)``, only the deepest tree per scenario: a lower bound on any squigglepy
    version, and not the same output (one series instead of five).
    """
    import squigglepy as sq

    sq.set_seed(seed)
    probs = summary_probabilities(n)

    def leaf(p):
        if p[0] == "lognormal":
            return sq.lognorm(norm_mean=p[1], norm_sd=p[2])
        if p[0] == "pert":
            return sq.pert(p[1], p[2], p[3], lam=p[4])
        if p[0] == "beta":
            d = sq.beta(p[1], p[2])
            return d if (p[3], p[4]) == (0.0, 1.0) else p[3] + (p[4] - p[3]) * d
        return p[1]

    out = {}
    for s, ps in params.items():
        v = {k: leaf(p) for k, p in ps.items()}
        queries_per_day = v["daily_active_users"] * v["questions_per_user"]
        gpu_seconds = queries_per_day * v["chars_per_answer"] * v["seconds_per_char"]
        chips = gpu_seconds / 86400 * v["peak_to_average"] / v["utilization"]
        servers = sq.dist_ceil(chips / v["gpus_per_server"])
        trees = {
            "queries_per_day": queries_per_day,
            "gpu_hours_per_day": gpu_seconds / 3600,
            "chips": chips,
            "servers": servers,
            "capex": servers * v["server_price"],
        }
        for name in outputs:
            x = np.asarray(sq.sample(trees[name], n=n))
            out[s, name] = (float(x.mean()), np.quantile(x, probs))
    return out


def python_chain(params: dict, n: int, seed: int = SEED) -> dict:
    """The chain in plain Python: a loop over draws with ``random``, sorted lists for quantiles."""
    rnd = random.Random(seed)
    base = params["base"]
    probs = summary_probabilities(n)
    lognormal = [k for k, p in base.items() if p[0] == "lognormal"]
    betas = {}
    for k, p in base.items():
        if p[0] == "pert":
            lo, mode, hi, lam = p[1:]
            betas[k] = (1 + lam * (mode - lo) / (hi - lo), 1 + lam * (hi - mode) / (hi - lo), lo, hi - lo)
        elif p[0] == "beta":
            betas[k] = (p[1], p[2], p[3], p[4] - p[3])
    points = {k: p[1] for k, p in base.items() if p[0] == "point"}
    scen = [(s, [(k, ps[k][1], ps[k][2]) for k in lognormal]) for s, ps in params.items()]
    series = {(s, o): [] for s, _ in scen for o in OUTPUTS}
    exp, gauss, betavariate = math.exp, rnd.gauss, rnd.betavariate
    for _ in range(n):
        z = {k: gauss(0.0, 1.0) for k in lognormal}  # shared by the scenarios
        v = dict(points)
        for k, (a, b, lo, width) in betas.items():
            v[k] = lo + width * betavariate(a, b)
        for s, logs in scen:
            for k, mu, sigma in logs:
                v[k] = exp(mu + sigma * z[k])
            queries = v["daily_active_users"] * v["questions_per_user"]
            gpu_seconds = queries * v["chars_per_answer"] * v["seconds_per_char"]
            chips = gpu_seconds / 86400 * v["peak_to_average"] / v["utilization"]
            servers = math.ceil(chips / v["gpus_per_server"])
            series[s, "queries_per_day"].append(queries)
            series[s, "gpu_hours_per_day"].append(gpu_seconds / 3600)
            series[s, "chips"].append(chips)
            series[s, "servers"].append(servers)
            series[s, "capex"].append(servers * v["server_price"])
    out = {}
    for key, xs in series.items():
        xs.sort()
        q = []
        for p in probs:  # NumPy's "linear" rule
            h = (n - 1) * p
            k = math.floor(h)
            hi = xs[min(k + 1, n - 1)]
            q.append(xs[k] + (h - k) * (hi - xs[k]))
        out[key] = (math.fsum(xs) / n, np.array(q))
    return out


def chipdemand_chain(study, n: int, threads: int | None, method: str = "mc", seed: int = SEED):
    """chipdemand end to end: draw, model and summaries (the in-memory Dataset and its table)."""
    res = cd.simulate(study, draws=n, seed=seed, method=method, threads=threads)
    return cd.summarize(res, ci=CI, threads=threads)


# ----------------------------------------------------------------------------- timing
def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - t0
    del result
    return elapsed


def rounds(
    configs: dict[str, Callable[[], object]], repeats: int, warmup: bool = True
) -> dict[str, list[float]]:
    """Seconds of each config per round, interleaved; the order rotates every round."""
    names = list(configs)
    if warmup:
        for name in names:
            timed(configs[name])
    times = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            times[name].append(timed(configs[name]))
    return times


def ratio(times: dict[str, list[float]], a: str, b: str) -> tuple[float, float, float]:
    """Median, min and max of the per-round ratios a / b."""
    r = [x / y for x, y in zip(times[a], times[b], strict=True)]
    return statistics.median(r), min(r), max(r)


class Table:
    def __init__(self):
        self.rows: list[list[str]] = []

    def add(self, what, draws, time_a, baseline, time_b, r, goal=""):
        self.rows.append([what, draws, time_a, baseline, time_b, r, goal])

    def markdown(self) -> str:
        head = [
            "benchmark",
            "draws",
            "chipdemand (s)",
            "against",
            "baseline (s)",
            "ratio: median [min–max]",
            "goal",
        ]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(lines)


def fmt_n(n: int) -> str:
    e = int(math.log10(n))
    return f"1e{e}" if n == 10**e else f"{n / 10**e:g}e{e}"


def fmt_s(xs: list[float]) -> str:
    return f"{statistics.median(xs):.3g}"


def fmt_r(r) -> str:
    return f"{r[0]:.2f} [{r[1]:.2f}–{r[2]:.2f}]"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- sections
def bench_e2e(table: Table, quick: bool, study, params) -> dict:
    sizes = [(10**5, 5), (10**6, 5)] + ([] if quick else [(10**7, 3)])
    per_draw = {}
    for n, repeats in sizes:
        log(f"e2e: {fmt_n(n)} draws, {repeats} rounds")
        times = rounds(
            {
                "cd1": lambda n=n: chipdemand_chain(study, n, threads=1),
                "cdall": lambda n=n: chipdemand_chain(study, n, threads=None),
                "numpy": lambda n=n: numpy_chain(params, n),
            },
            repeats,
        )
        table.add(
            "chipdemand, 1 thread",
            fmt_n(n),
            fmt_s(times["cd1"]),
            "hand-written NumPy, 1 thread",
            fmt_s(times["numpy"]),
            fmt_r(ratio(times, "cd1", "numpy")),
            "≤ 1.3",
        )
        table.add(
            f"chipdemand, all cores ({_cores()})",
            fmt_n(n),
            fmt_s(times["cdall"]),
            "hand-written NumPy, 1 thread",
            fmt_s(times["numpy"]),
            fmt_r(ratio(times, "cdall", "numpy")),
            "< 0.7",
        )
        per_draw[n] = {k: min(v) / n for k, v in times.items()}
    return per_draw


def check_baselines(study, params, n: int = 200_000) -> list[str]:
    """Each baseline's medians against chipdemand's, in units of their joint MCSE."""
    table = chipdemand_chain(study, n, threads=None)
    mine = {(r.scenario, r.variable): (r.median, r.mcse_median) for r in table.itertuples()}
    lines = []
    chains = {
        "NumPy": lambda: numpy_chain(params, n, seed=1),
        "plain Python": lambda: python_chain(params, 20_000, seed=1),
    }
    if _has_squigglepy():
        chains["squigglepy"] = lambda: squigglepy_chain(params, n, seed=1)
    for name, fn in chains.items():
        out = fn()
        worst = 0.0
        for key, (_, q) in out.items():
            med, se = mine[key]
            se_b = (q[7] - q[4]) / 2
            worst = max(worst, abs(q[1] - med) / math.hypot(se, se_b) if se or se_b else 0.0)
        lines.append(f"{name}: medians of all {len(out)} series within {worst:.1f} MCSE of chipdemand's")
    return lines


def bench_squigglepy(table: Table, quick: bool, study, params) -> None:
    if not _has_squigglepy():
        table.add("squigglepy", "—", "—", "not installed: pip install squigglepy", "—", "—", "")
        return
    sizes = [(10**5, 5)] + ([] if quick else [(10**6, 5)])
    for n, repeats in sizes:
        log(f"squigglepy: {fmt_n(n)} draws, {repeats} rounds")
        times = rounds(
            {
                "cd1": lambda n=n: chipdemand_chain(study, n, threads=1),
                "cdall": lambda n=n: chipdemand_chain(study, n, threads=None),
                "sq": lambda n=n: squigglepy_chain(params, n),
                "sq_capex": lambda n=n: squigglepy_chain(params, n, outputs=("capex",)),
            },
            repeats,
        )
        table.add(
            "chipdemand, 1 thread",
            fmt_n(n),
            fmt_s(times["cd1"]),
            "squigglepy (5 outputs × 4 scenarios)",
            fmt_s(times["sq"]),
            fmt_r(ratio(times, "cd1", "sq")),
            "< 1",
        )
        table.add(
            f"chipdemand, all cores ({_cores()})",
            fmt_n(n),
            fmt_s(times["cdall"]),
            "squigglepy (5 outputs × 4 scenarios)",
            fmt_s(times["sq"]),
            fmt_r(ratio(times, "cdall", "sq")),
            "< 1",
        )
        table.add(
            "chipdemand, 1 thread",
            fmt_n(n),
            fmt_s(times["cd1"]),
            "squigglepy, capex only (lower bound)",
            fmt_s(times["sq_capex"]),
            fmt_r(ratio(times, "cd1", "sq_capex")),
            "",
        )


def bench_python(table: Table, quick: bool, study, params, per_draw: dict) -> None:
    n = 20_000 if quick else 100_000
    m = 10**6
    log(f"plain Python: {fmt_n(n)} draws; chipdemand at {fmt_n(m)}")
    t_py = min(timed(lambda: python_chain(params, n)) for _ in range(2))
    if m in per_draw:
        cd1 = per_draw[m]["cd1"]
    else:
        chipdemand_chain(study, m, threads=1)
        cd1 = min(timed(lambda: chipdemand_chain(study, m, threads=1)) for _ in range(3)) / m
    py = t_py / n
    table.add(
        "chipdemand, 1 thread (per draw)",
        f"{fmt_n(m)} vs {fmt_n(n)}",
        f"{cd1 * 1e9:.0f} ns/draw",
        "plain Python loop (per draw, extrapolated)",
        f"{py * 1e9:,.0f} ns/draw",
        f"{cd1 / py:.3f} ({py / cd1:.0f}× faster)",
        "",
    )


def bench_methods(table: Table, quick: bool, study) -> None:
    n = 200_000 if quick else 10**6
    log(f"methods: {fmt_n(n)} draws")
    for threads, label in ((1, "1 thread"), (None, f"all cores ({_cores()})")):
        times = rounds(
            {
                m: lambda m=m, th=threads: chipdemand_chain(study, n, threads=th, method=m)
                for m in ("mc", "lhs", "sobol")
            },
            3 if quick else 5,
        )
        for m in ("lhs", "sobol"):
            table.add(
                f"{m.upper()} end to end, {label}",
                fmt_n(n),
                fmt_s(times[m]),
                f"MC, {label}",
                fmt_s(times["mc"]),
                fmt_r(ratio(times, m, "mc")),
                "",
            )


def _register_product_model():
    """A synthetic model of 10 inputs (their product), for the Iman–Conover benchmark only."""
    from chipdemand.models import MODELS, Input, Model, Output, register

    if "bench_product10" not in MODELS:
        names = [f"x{i}" for i in range(10)]

        def product(**x):
            out = x[names[0]].copy()
            for k in names[1:]:
                out *= x[k]
            return {"product": out}

        register(
            Model(
                "bench_product10",
                "product of ten factors (benchmarks only)",
                tuple(Input(k, "1", f"factor {k}") for k in names),
                (Output("product", "1", "product of the factors"),),
                product,
            )
        )
    return [f"x{i}" for i in range(10)]


def _product_study(folder: Path, correlated: bool) -> Path:
    names = _register_product_model()
    lines = [
        "[study]",
        'name = "bench_product10"',
        'title = "ten correlated lognormal factors"',
        'model = "bench_product10"',
        'source = "synthetic (benchmarks/bench.py)"',
        "",
    ]
    for k in names:
        lines += [
            f"[inputs.{k}]",
            'unit = "1"',
            'dist = "lognormal"',
            "ci = [0.5, 2.0]",
            'source = "synthetic"',
            "",
        ]
    if correlated:
        lines.append("[correlations]")
        lines += [f"{a}.{b} = 0.3" for i, a in enumerate(names) for b in names[i + 1 :]]
    path = folder / f"product10{'_corr' if correlated else ''}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _correlated_chatgpt(folder: Path, study) -> tuple[Path, list[str]]:
    """chatgpt_inference with its non-point inputs correlated pairwise at 0.3."""
    names = [k for k in study.inputs if not all(study.spec(s, k).dist.is_point for s in study.scenario_names)]
    text = Path(study.path).read_text()
    if "[correlations]" in text:
        raise NotImplementedError("the study already has correlations")
    text += "\n[correlations]\n" + "".join(
        f"{a}.{b} = 0.3\n" for i, a in enumerate(names) for b in names[i + 1 :]
    )
    path = folder / "chatgpt_correlated.toml"
    path.write_text(text)
    return path, names


def bench_correlation(table: Table, quick: bool, study) -> None:
    from chipdemand.kernels.sampling import BLOCK, block_generator, block_uniforms, iman_conover

    n = 200_000 if quick else 10**6
    repeats = 3 if quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plain, corr = (cd.load_study(_product_study(folder, c)) for c in (False, True))
        path, names = _correlated_chatgpt(folder, study)
        chat_corr = cd.load_study(path)
    log(f"correlation: {fmt_n(n)} draws")
    for threads, label in ((1, "1 thread"), (None, f"all cores ({_cores()})")):
        times = rounds(
            {
                "plain": lambda th=threads: chipdemand_chain(plain, n, threads=th),
                "corr": lambda th=threads: chipdemand_chain(corr, n, threads=th),
                "chat": lambda th=threads: chipdemand_chain(study, n, threads=th),
                "chat_corr": lambda th=threads: chipdemand_chain(chat_corr, n, threads=th),
            },
            repeats,
        )
        table.add(
            f"10 lognormal inputs, 45 pairs at 0.3 (Iman–Conover), {label}",
            fmt_n(n),
            fmt_s(times["corr"]),
            "same study uncorrelated",
            fmt_s(times["plain"]),
            fmt_r(ratio(times, "corr", "plain")),
            "",
        )
        table.add(
            f"{study.name}, its {len(names)} non-point inputs at 0.3, {label}",
            fmt_n(n),
            fmt_s(times["chat_corr"]),
            f"{study.name} uncorrelated",
            fmt_s(times["chat"]),
            fmt_r(ratio(times, "chat_corr", "chat")),
            "",
        )
    # Iman–Conover alone on one fixed block of 10 inputs, against drawing those uniforms
    streams = [f"x{i}" for i in range(10)]
    pairs = {(a, b): 0.3 for i, a in enumerate(streams) for b in streams[i + 1 :]}
    u = block_uniforms("mc", SEED, streams, 0, BLOCK)
    rng = block_generator(SEED, "", 0)
    t_ic = [timed(lambda: iman_conover(u, pairs, rng)) for _ in range(10 if quick else 30)]
    t_u = [timed(lambda: block_uniforms("mc", SEED, streams, 0, BLOCK)) for _ in range(10 if quick else 30)]
    table.add(
        f"iman_conover alone, ({BLOCK} × 10) block",
        str(BLOCK),
        f"{min(t_ic) * 1e3:.1f} ms ({min(t_ic) / (BLOCK * 10) * 1e9:.0f} ns/value)",
        "drawing the block's 10 uniform streams",
        f"{min(t_u) * 1e3:.2f} ms",
        f"{min(t_ic) / min(t_u):.1f}",
        "",
    )


_PEAK = """
import os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(p.pid, 0)
print(usage.ru_maxrss, time.perf_counter() - t, os.waitstatus_to_exitcode(status))
"""


def _peak(cmd: list[str]) -> tuple[float, float, int, str]:
    """Peak RSS (MB) and wall seconds of ``cmd``, its exit status and the last line of its stderr.

    ``cmd`` runs under a small Python parent that reads its ``wait4`` usage: Linux keeps a
    process's peak RSS across exec, so a child forked straight from this (large) process
    would report this process's size.
    """
    with tempfile.TemporaryFile() as err:
        p = subprocess.run([sys.executable, "-c", _PEAK, *cmd], stdout=subprocess.PIPE, stderr=err, text=True)
        err.seek(0)
        tail = err.read().decode(errors="replace").strip().splitlines()[-1:] or [""]
    kb, wall, code = p.stdout.split()
    return int(kb) / 1024, float(wall), int(code), tail[0]


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("chipdemand")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "chipdemand.cli"]


def bench_memory(quick: bool, study) -> list[list[str]]:
    """The CLI on the shipped study (streamed past its memory budget), and the API in memory."""
    rows = []
    path = Path(study.path)
    name = STUDY if study.name == STUDY else path.name
    for n in [10**7] if quick else [10**7, 10**8]:
        log(f"memory: chipdemand run {STUDY} --draws {fmt_n(n)} --json")
        cmd = [*_cli(), "run", STUDY, "--draws", fmt_n(n), "--json"]
        mb, wall, code, tail = _peak(cmd)
        shown = "chipdemand " + " ".join(cmd[len(_cli()) :])
        rows.append(
            [
                f"`{shown}` (streamed)",
                fmt_n(n),
                f"{mb:,.0f}",
                f"{wall:.1f}",
                "exit 0" if code == 0 else f"exit {code}: {tail}",
            ]
        )
    for n in [10**6] + ([] if quick else [10**7]):
        log(f"memory: simulate + summarize in memory, {fmt_n(n)} draws")
        code_text = f"import chipdemand as cd; cd.summarize(cd.simulate({str(path)!r}, draws={n}, seed=0))"
        mb, wall, code, tail = _peak([sys.executable, "-c", code_text])
        rows.append(
            [
                f"`cd.summarize(cd.simulate({name!r}, draws={fmt_n(n)}))` (in memory)",
                fmt_n(n),
                f"{mb:,.0f}",
                f"{wall:.1f}",
                "exit 0" if code == 0 else f"exit {code}: {tail}",
            ]
        )
    return rows


# ----------------------------------------------------------------------------- environment
def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _has_squigglepy() -> bool:
    try:
        import squigglepy  # noqa: F401
    except Exception:
        return False
    return True


def environment() -> list[str]:
    from importlib import metadata

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = float("nan")

    def version(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    commit = "unknown"
    if shutil.which("git"):
        p = subprocess.run(
            ["git", "-C", str(Path(cd.__file__).parent), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        )
        dirty = subprocess.run(
            ["git", "-C", str(Path(cd.__file__).parent), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
        ).stdout.strip()
        commit = (p.stdout.strip() or "unknown") + (" (with uncommitted changes)" if dirty else "")
    return [
        f"machine: {_cores()} cores ({os.cpu_count()} CPUs), {cpu}, {mem:.1f} GiB memory, "
        f"{platform.system()} {platform.release()}; load average at start {os.getloadavg()[0]:.2f}",
        f"versions: Python {platform.python_version()}, numpy {np.__version__}, scipy {version('scipy')}, "
        f"xarray {version('xarray')}, chipdemand {cd.version()} at {commit} ({Path(cd.__file__).parent}), "
        f"squigglepy {version('squigglepy')}",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, no 1e8 run")
    sections = ["e2e", "squigglepy", "python", "methods", "correlation", "memory"]
    parser.add_argument("--only", nargs="+", choices=sections, default=sections)
    args = parser.parse_args(argv)

    study, which = bench_study()
    params = chain_parameters(study)
    header = environment()
    table, notes, per_draw = Table(), [], {}
    t0 = time.perf_counter()
    if {"e2e", "squigglepy", "python"} & set(args.only):
        notes += check_baselines(study, params)
    if "e2e" in args.only:
        per_draw = bench_e2e(table, args.quick, study, params)
    if "squigglepy" in args.only:
        bench_squigglepy(table, args.quick, study, params)
    if "python" in args.only:
        bench_python(table, args.quick, study, params, per_draw)
    if "methods" in args.only:
        bench_methods(table, args.quick, study)
    if "correlation" in args.only:
        bench_correlation(table, args.quick, study)
    memory = bench_memory(args.quick, study) if "memory" in args.only else []

    print("\n".join(f"- {line}" for line in header))
    given = " ".join(argv if argv is not None else sys.argv[1:])
    print(f"- command: python benchmarks/bench.py {given}".rstrip())
    print(
        f"- study: {which}, {len(study.scenario_names)} scenarios, seed {SEED}, {CI:.0%} intervals; "
        f"times are medians of interleaved rounds after a warm-up; load average at end "
        f"{os.getloadavg()[0]:.2f}; {time.perf_counter() - t0:.0f} s in all\n"
    )
    if table.rows:
        print(table.markdown())
    if notes:
        print("\nBaselines checked against chipdemand (same distributions, formulas and summaries):")
        print("\n".join(f"- {line}" for line in notes))
    if memory:
        print("\n| peak memory | draws | peak RSS (MB) | wall (s) | status |\n|---|---|---|---|---|")
        print("\n".join("| " + " | ".join(r) + " |" for r in memory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
