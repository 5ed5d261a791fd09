"""How much balance each way of giving Sobol streams their numbers keeps (issue 10).

Run on demand, not in the test suite (numbers go to benchmarks/README.md):

    python benchmarks/sobol_streams.py               # 200 seeds of one block (2**16 draws), ~5 minutes
    python benchmarks/sobol_streams.py --seeds 50    # a quick look

For each design, the same estimates (mean and the 5%, 50% and 95% quantiles) are made from one
block of 2**16 draws with ``--seeds`` independent seeds; the table gives the variance of plain
Monte Carlo's estimates divided by the design's (larger is better; 1 is no better than MC).
A ratio of two variances from R seeds each has a relative standard error of about 2/sqrt(R)
(14% at 200 seeds) when the estimates are close to normal; heavier-tailed ones scatter more.

Designs:

* ``lhs``: Latin hypercube per stream (``method="lhs"``).
* ``one sequence``: the package before issue 10: the first dimensions of one scrambled Sobol'
  sequence (scipy, 30 bits, one scramble for all), given to the run's streams in sorted order
  (a stream's numbers change when another stream joins the run).
* ``study dims``: the package now: each stream the dimension of its place among the study's
  inputs sorted (:func:`chipdemand.kernels.sampling.sobol_dimensions`; here the function's inputs, and
  for chatgpt_inference its 20 inputs, of which the run draws 17), scrambled by its own
  generator, 53 bits.
* ``hashed dims``: each stream the Joe & Kuo (2008) dimension ``stream_key(name) % 21201``,
  scrambled by its own generator: independent of every other stream, but two names hashing to
  one dimension are coupled (their first digits agree: rank correlation about ±0.75). Names
  differ per seed, so the figure is the average over names.
* ``net per stream``: a random generator matrix per stream and block (upper unit-triangular, as
  a Sobol' dimension's, with random free entries), scrambled likewise: independent of every other
  stream with no collisions, but its pairs are random two-dimensional nets.

Test functions: a product of lognormals (sigma 0.5; 5 and 10 inputs), the Ishigami function
(Ishigami & Homma 1990, a = 7, b = 0.1) and the ``chips`` output of the shipped
``chatgpt_inference`` study (base scenario, through :func:`chipdemand.simulate`).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import scipy
from scipy import special
from scipy.stats import qmc

import chipdemand as cd
from chipdemand import engine
from chipdemand.kernels.sampling import (
    BLOCK,
    block_generator,
    block_uniforms,
    scrambled_net,
    sobol_columns,
    stream,
    stream_key,
)

PROBS = [0.05, 0.5, 0.95]
DIGITS = 16


def one_sequence(method, seed, streams, block, size, stop=None):
    """``block_uniforms`` as it was: dims of one Sobol' sequence in the sorted order of streams."""
    if method != "sobol":
        return block_uniforms(method, seed, streams, block, size, stop)
    names = sorted(streams)
    stop = size if stop is None else stop
    engine_ = qmc.Sobol(d=len(names), scramble=True, rng=block_generator(seed, "", block, "sobol"))
    points = engine_.random_base2(max(0, math.ceil(math.log2(size))))[:stop]
    return {name: np.maximum(np.ascontiguousarray(points[:, j]), 2.0**-54) for j, name in enumerate(names)}


def hashed_dims(seed: int, names: list[str], digits: int, block: int = 0) -> dict[str, np.ndarray]:
    out = {}
    for name in names:
        columns = sobol_columns(stream_key(name) % qmc.Sobol.MAXDIM)
        out[name] = np.maximum(scrambled_net(columns, stream(seed, name, block, 2), digits), 2.0**-54)
    return out


def random_columns(rng: np.random.Generator, bits: int = 53) -> np.ndarray:
    """A random upper unit-triangular generator matrix: column k is m_k 2**(52-k), m_k odd < 2**(k+1)."""
    k = np.arange(DIGITS)
    odd = [
        (int(w) & ((1 << int(j)) - 1)) << 1 | 1
        for w, j in zip(rng.integers(0, 1 << 62, DIGITS), k, strict=True)
    ]
    return np.array([m << (bits - 1 - int(j)) for m, j in zip(odd, k, strict=True)], dtype=np.uint64)


def net_per_stream(seed: int, names: list[str], digits: int, block: int = 0) -> dict[str, np.ndarray]:
    out = {}
    for name in names:
        rng = stream(seed, name, block, 2)
        out[name] = np.maximum(scrambled_net(random_columns(rng), rng, digits), 2.0**-54)
    return out


def design(kind: str, seed: int, names: list[str], digits: int = DIGITS) -> dict[str, np.ndarray]:
    if kind in ("mc", "lhs"):
        return block_uniforms(kind, seed, names, 0, 1 << digits)
    if kind == "one sequence":
        return one_sequence("sobol", seed, names, 0, 1 << digits)
    if kind == "study dims":
        return block_uniforms("sobol", seed, names, 0, 1 << digits)
    if kind == "hashed dims":
        renamed = hashed_dims(seed, [f"{n}#{seed}" for n in names], digits)
        return dict(zip(names, renamed.values(), strict=True))
    if kind == "net per stream":
        return net_per_stream(seed, names, digits)
    raise ValueError(kind)


def lognormal_product(u, names):
    return np.exp(sum(0.5 * special.ndtri(u[n]) for n in names))


def ishigami(u, names):
    x = [np.pi * (2 * u[n] - 1) for n in names[:3]]
    return np.sin(x[0]) + 7 * np.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * np.sin(x[0])


NAMES10 = [
    "daily_active_users",
    "questions_per_user",
    "chars_per_answer",
    "seconds_per_char",
    "utilization",
    "peak_to_average",
    "model_parameters",
    "tokens_per_char",
    "prompt_tokens",
    "server_price",
]
FUNCTIONS = {
    "product of 5 lognormals": (lognormal_product, NAMES10[:5]),
    "product of 10 lognormals": (lognormal_product, NAMES10),
    "Ishigami (3 inputs)": (ishigami, ["x1", "x2", "x3"]),
}
KINDS = ["mc", "lhs", "one sequence", "study dims", "hashed dims", "net per stream"]


def estimates(y: np.ndarray) -> list[float]:
    return [float(np.mean(y)), *np.quantile(y, PROBS)]


def study_estimates(kind: str, seed: int) -> list[float]:
    """chips of chatgpt_inference (base) from one block, under the design ``kind``."""
    method = {"mc": "mc", "lhs": "lhs"}.get(kind, "sobol")
    original = engine.block_uniforms
    others = {"one sequence": one_sequence, "hashed dims": hashed_dims, "net per stream": net_per_stream}
    if kind in ("one sequence", "hashed dims", "net per stream"):

        def patched(method, seed, streams, block, size, stop=None, dimensions=None):
            if kind == "one sequence":
                return one_sequence(method, seed, streams, block, size, stop)
            u = others[kind](seed, list(streams), math.ceil(math.log2(size)), block)
            return {k: v[:stop] for k, v in u.items()}

        engine.block_uniforms = patched
    try:
        res = cd.simulate("chatgpt_inference", draws=BLOCK, seed=seed, method=method, scenarios=["base"])
    finally:
        engine.block_uniforms = original
    return estimates(res["chips"].values[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--no-study", action="store_true", help="skip the chatgpt_inference rows")
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"MC variance / design variance, one block of 2**{DIGITS} draws, {args.seeds} seeds")
    print("(mean, 5%, 50%, 95% quantiles; larger is better)\n")
    print("| test function | design | mean | q05 | q50 | q95 |")
    print("|---|---|---|---|---|---|")
    cases = {
        label: (lambda kind, seed, f=f, names=names: estimates(f(design(kind, seed, names), names)))
        for label, (f, names) in FUNCTIONS.items()
    }
    if not args.no_study:
        cases["chatgpt_inference chips"] = study_estimates
    for label, estimate in cases.items():
        var = {}
        for kind in KINDS:
            var[kind] = np.var([estimate(kind, seed) for seed in range(args.seeds)], axis=0, ddof=1)
        for kind in KINDS[1:]:
            ratio = var["mc"] / var[kind]
            print(f"| {label} | {kind} | " + " | ".join(f"{r:.3g}" for r in ratio) + " |", flush=True)
    print(f"\n{time.perf_counter() - started:.0f} s; numpy {np.__version__}, scipy {scipy.__version__}")


if __name__ == "__main__":
    main()
