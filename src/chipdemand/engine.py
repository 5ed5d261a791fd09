"""Simulate a study: draw every input, evaluate the model, return one labelled Dataset.

A :class:`Plan` is a validated run (study, scenarios, draws, seed, method). Work is split on the
fixed blocks of :mod:`chipdemand.kernels.sampling` and run through :func:`chipdemand.execution.map_ordered`
(threads by default; NumPy releases the GIL and each block has its own generators, so the
executor changes no number), or handed to dask as one task per chunk (:func:`simulate` with
``chunks=``). Every block's outputs are checked as they are made: a negative, NaN or infinite
output is an error naming the output and one offending draw's inputs, never a table of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import xarray as xr
from scipy import special

from . import validate
from ._version import version
from .errors import StudyError
from .execution import Executor, executor_for, in_this_process, map_ordered
from .kernels.sampling import (
    BLOCK,
    block_generator,
    block_uniforms,
    iman_conover,
    sobol_dimensions,
    sobol_draws,
)
from .study.loader import InputSpec, Study, load_study

__all__ = [
    "Plan",
    "make_plan",
    "simulate",
    "simulate_plan",
    "simulate_outputs",
    "release_scratch",
    "threads_for",
    "SERIAL_BELOW",
    "PROCESSES_FROM",
    "PROCESSES_MAX_SERIES",
    "processes_for",
    "to_dataset",
    "memory_available",
    "SIMULATE_HEADROOM",
]

#: an in-memory run is refused when its Dataset would take more than this share of the memory
#: the system has available
SIMULATE_HEADROOM = 0.8

#: a run of fewer draws than this (four fixed blocks) runs in the calling thread when no thread
#: count is given: UNU.RAN's Hermite inversion holds the GIL, and on so few blocks two threads
#: were slower than one (benchmarks/README.md)
SERIAL_BELOW = 1 << 18

Arrays = dict[str, np.ndarray]


def threads_for(plan: Plan, threads: int | None) -> int | None:
    """The threads to run ``plan`` with: one for a small run when none were asked for."""
    if threads is None and plan.draws < SERIAL_BELOW:
        return 1
    return threads


#: a streamed run of at least this many draws × scenarios runs its blocks in forked processes
#: when no thread count is given and the process runs no other thread
#: (:class:`chipdemand.execution.ForkedProcesses`): two threads gave 1.4x one, two processes 1.6-1.8x
PROCESSES_FROM = 1 << 22

#: ... and when it has at most this many output series (scenarios × outputs × years): each task
#: sends back a 512 KB histogram per series, so world_accelerators' 488 series made 250 MB a
#: task, and forked processes were slower than threads there (17.3 s against 14.8 s at 1e6
#: draws) and held 3.4 GB against 2.5
PROCESSES_MAX_SERIES = 64


def processes_for(plan: Plan, threads: int | None) -> bool:
    """Whether a streamed run of ``plan`` may use forked processes (see :data:`PROCESSES_FROM`
    and :data:`PROCESSES_MAX_SERIES`)."""
    return (
        threads is None
        and plan.draws * len(plan.scenarios) >= PROCESSES_FROM
        and plan.output_series() <= PROCESSES_MAX_SERIES
    )


def memory_available() -> int | None:
    """Bytes of memory the system can give without swapping (``MemAvailable``), if known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


@dataclass(frozen=True)
class Plan:
    """What to compute: a validated study, the scenarios, draws, seed and sampling method."""

    study: Study
    scenarios: tuple[str, ...]
    draws: int
    seed: int
    method: str
    #: the draws the caller asked for (``draws`` is rounded up under Sobol)
    asked: int | None = field(default=None, compare=False)

    # ------------------------------------------------------------------------- inputs
    @cached_property
    def specs(self) -> dict[str, dict[str, InputSpec]]:
        """scenario → input → spec."""
        return {s: {n: self.study.spec(s, n) for n in self.study.inputs} for s in self.scenarios}

    @cached_property
    def shared(self) -> frozenset[str]:
        """Inputs whose spec is the same in every scenario of the run (drawn once)."""
        base = self.study.inputs
        return frozenset(n for n in base if all(self.specs[s][n] is base[n] for s in self.scenarios))

    @cached_property
    def constants(self) -> dict[str, float]:
        """Shared inputs that are a point value: stored as a broadcast scalar, never drawn."""
        return {
            n: float(self.study.inputs[n].dist.ppf(np.array([0.5]))[0])
            for n in self.shared
            if self.study.inputs[n].dist.is_point
        }

    @cached_property
    def streams(self) -> tuple[str, ...]:
        """The random streams the run needs (inputs that are not a point in some scenario)."""
        names = {
            spec.stream for per in self.specs.values() for spec in per.values() if not spec.dist.is_point
        }
        return tuple(sorted(names))

    @cached_property
    def sobol_dimensions(self) -> dict[str, int]:
        """Sobol' dimension of each stream, from every input and stream name of the study."""
        study = self.study
        names = set(study.inputs) | {spec.stream for spec in study.inputs.values()}
        names |= {spec.stream for table in study.scenarios.values() for spec in table.values()}
        return sobol_dimensions(names)

    @cached_property
    def correlations(self) -> dict[tuple[str, str], float]:
        """Rank correlations between streams."""
        inputs = self.study.inputs
        return {
            (inputs[a].stream, inputs[b].stream): rho
            for (a, b), rho in self.study.correlations.items()
            if inputs[a].stream in self.streams and inputs[b].stream in self.streams
        }

    # ------------------------------------------------------------------------- blocks
    @property
    def n_blocks(self) -> int:
        return -(-self.draws // BLOCK)

    @property
    def blocks(self) -> range:
        """The run's fixed blocks (a ``range``: no list of every block is ever made)."""
        return range(self.n_blocks)

    def block_size(self, block: int) -> int:
        return min(BLOCK, self.draws - block * BLOCK)

    def block_range(self, block: int) -> tuple[int, int]:
        """``(start, stop)`` draws of a block."""
        return block * BLOCK, block * BLOCK + self.block_size(block)

    def chunks(self, chunk: int) -> Iterator[tuple[int, int]]:
        """``(start, stop)`` of consecutive chunks of ``chunk`` draws, lazily."""
        for start in range(0, self.draws, chunk):
            yield start, min(start + chunk, self.draws)

    def extra_shape(self, output: str) -> tuple[int, ...]:
        """The shape of an output's dims beyond the draws (``(len(years),)`` or ``()``)."""
        coords = self.study.model.coords
        return tuple(len(coords[d]) for d in self.study.outputs[output].dims)

    def nbytes(self) -> int:
        """Bytes of the run's Dataset in memory (shared inputs stored once, constants never)."""
        S, n = len(self.scenarios), self.draws
        per_draw = sum(
            0 if name in self.constants else 1 if name in self.shared else S for name in self.study.inputs
        )
        per_draw += sum(S * int(np.prod(self.extra_shape(o), dtype=np.int64)) for o in self.study.outputs)
        return 8 * n * per_draw

    def output_series(self) -> int:
        """Series of draws the outputs make: scenarios × outputs × their years (or other dims)."""
        per_scenario = sum(int(np.prod(self.extra_shape(o), dtype=np.int64)) for o in self.study.outputs)
        return len(self.scenarios) * per_scenario

    def outputs_nbytes(self) -> int:
        """Bytes of the run's outputs alone (what a summary needs), every scenario."""
        return 8 * self.draws * self.output_series()

    def with_draws(self, draws: int) -> Plan:
        """The same run with ``draws`` draws (already valid for the method)."""
        return Plan(self.study, self.scenarios, int(draws), self.seed, self.method, int(draws))

    def saved_nbytes(self) -> int:
        """Bytes of the run written to netCDF (every variable in full, as it is stored)."""
        S, n = len(self.scenarios), self.draws
        per_draw = len(self.study.inputs) + sum(
            int(np.prod(self.extra_shape(o), dtype=np.int64)) for o in self.study.outputs
        )
        return 8 * n * S * per_draw

    # ------------------------------------------------------------------------- evaluation
    def uniforms(self, block: int, start: int, stop: int) -> dict[str, np.ndarray]:
        """Uniforms of every stream for draws ``start:stop`` within ``block`` (block offsets)."""
        size = self.block_size(block)
        whole = bool(self.correlations)
        u = block_uniforms(
            self.method, self.seed, self.streams, block, size, size if whole else stop, self.sobol_dimensions
        )
        if whole:
            u = iman_conover(u, self.correlations, block_generator(self.seed, "", block, self.method))
        return {k: v[start:stop] for k, v in u.items()}

    def evaluate(self, start: int, stop: int) -> dict[str, Arrays]:
        """Inputs and outputs of draws ``start:stop``: ``{scenario: {variable: array}}``.

        Shared inputs are the same array object in every scenario. Raises
        :class:`~chipdemand.errors.StudyError` when an output leaves its domain.
        """
        pieces = []
        for block in range(start // BLOCK, -(-stop // BLOCK)):
            lo, hi = max(start - block * BLOCK, 0), min(stop - block * BLOCK, self.block_size(block))
            pieces.append(self._evaluate_block(block, lo, hi))
        if len(pieces) == 1:
            return pieces[0]
        joined: dict[str, Arrays] = {}
        first = self.scenarios[0]
        for s in self.scenarios:
            joined[s] = {}
            for var in pieces[0][s]:
                if var in self.shared and s != first:
                    joined[s][var] = joined[first][var]
                else:
                    joined[s][var] = np.concatenate([p[s][var] for p in pieces])
        return joined

    def evaluate_block(self, block: int) -> dict[str, Arrays]:
        """Inputs and outputs of one whole fixed block."""
        return self._evaluate_block(block, 0, self.block_size(block))

    def _evaluate_block(self, block: int, start: int, stop: int) -> dict[str, Arrays]:
        u = self.uniforms(block, start, stop)
        n = stop - start
        cache: dict[int, np.ndarray] = {}
        normals: dict[str, np.ndarray] = {}  # a stream's standard-normal quantiles, for via_normal
        out = {}
        for s in self.scenarios:
            values = {}
            for name, spec in self.specs[s].items():
                if id(spec) not in cache:
                    dist = spec.dist
                    if dist.is_point:  # a read-only view: no memory, no copy
                        cache[id(spec)] = np.broadcast_to(dist.ppf(np.array([0.5]))[0], (n,))
                    elif dist.via_normal:  # scenarios overriding it share one ndtri of the stream
                        z = normals.get(spec.stream)
                        if z is None:
                            z = normals[spec.stream] = special.ndtri(u[spec.stream])
                        cache[id(spec)] = dist.from_normal(z)
                    else:
                        cache[id(spec)] = dist.ppf(u[spec.stream])
                values[name] = cache[id(spec)]
            model = self.study.model
            try:
                outputs = model.evaluate(values, check=False)
                model.check_outputs(
                    outputs, values, first_draw=block * BLOCK + start, where=f" of scenario {s!r}"
                )
            except StudyError as err:
                raise err.located(file=self.study.path or self.study.name) from None
            out[s] = {**values, **outputs}
        return out

    # ------------------------------------------------------------------------- labels
    def coords(self) -> dict[str, Any]:
        """The run's coordinates but ``draw``: scenario and the outputs' extra dims (years as
        integers)."""
        coords: dict[str, Any] = {"scenario": list(self.scenarios)}
        model = self.study.model
        for out in self.study.outputs.values():
            for dim in out.dims:
                values = np.asarray(model.coords[dim])
                integral = values.dtype.kind == "f" and np.all(values == np.round(values))
                coords[dim] = values.astype(np.int64) if integral else values  # years print as 2026
        return coords

    def variable_attrs(self) -> dict[str, tuple[tuple[str, ...], dict[str, Any]]]:
        """``name → (dims, attrs)`` of every input and output variable."""
        study, model = self.study, self.study.model
        out: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {}
        for name, spec in study.inputs.items():
            attrs: dict[str, Any] = {
                "role": "input",
                "unit": spec.unit,
                "source": spec.source,
                "dist": spec.dist.describe(),
                "written_unit": spec.written_unit,
            }
            if spec.point is not None:
                attrs["point"] = spec.point
            if spec.labels:
                attrs["choices"] = "|".join(spec.labels)
            if model.input(name).description:
                attrs["description"] = model.input(name).description
            out[name] = (("scenario", "draw"), attrs)
        for name, o in study.outputs.items():
            attrs = {"role": "output", "unit": o.unit, "description": o.description, "domain": o.domain}
            if o.reported is not None:
                attrs["reported"] = o.reported
            if o.source:
                attrs["source"] = o.source
            out[name] = (("scenario", "draw", *o.dims), attrs)
        return out

    def attrs(self) -> dict[str, Any]:
        """The run's provenance: study, its hash and text, seed, draws, method, version."""
        study = self.study
        return {
            "study": study.name,
            "title": study.title,
            "study_source": study.source,
            "study_path": study.path,
            "study_sha256": study.sha256,
            "study_toml": study.text,
            "model": study.model.name,
            "seed": self.seed,
            "draws": self.draws,
            "method": self.method,
            "chipdemand_version": version(),
        }


def make_plan(
    study: Study | str,
    draws: int | str,
    seed: int = 0,
    method: str = "mc",
    scenarios: Sequence[str] | str | None = None,
) -> Plan:
    """Validate the arguments of a run.

    Under Sobol the draws are rounded up so that every block holds a power of two
    (:func:`chipdemand.kernels.sampling.sobol_draws`: 100,000 become 131,072); a Sobol' net is balanced
    only then.
    """
    study = load_study(study)
    asked = validate.draws(draws)
    seed = validate.seed(seed)
    method = validate.method(method)
    draws = sobol_draws(asked) if method == "sobol" else asked
    names = validate.scenarios(
        study.scenario_names, scenarios, key="scenarios", file=study.path or study.name
    )
    return Plan(study, tuple(names), int(draws), int(seed), method, int(asked))


def to_dataset(plan: Plan, arrays: Mapping[str, Any]) -> xr.Dataset:
    """The labelled Dataset of a run from its arrays (numpy or dask), shapes ``(S, n[, year])``."""
    data_vars = {name: (dims, arrays[name], attrs) for name, (dims, attrs) in plan.variable_attrs().items()}
    coords = {**plan.coords(), "draw": np.arange(plan.draws)}
    return xr.Dataset(data_vars, coords=coords, attrs=plan.attrs())


def simulate(
    study: Study | str,
    draws: int = 100_000,
    seed: int = 0,
    method: str = "mc",
    scenarios: Sequence[str] | str | None = None,
    *,
    chunks: int | None = None,
    threads: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> xr.Dataset:
    """Draw every input of ``study`` and evaluate its model, for each scenario.

    The low-level entry point: it always holds the draws in memory (or, with ``chunks``,
    returns a lazy dask-backed Dataset). :func:`chipdemand.run` decides between this and a
    streamed run, and sizes ``draws="auto"``.

    Parameters
    ----------
    study : Study, str or path
        A loaded study, the name of a shipped one, or a path to a TOML file.
    draws : int
        Number of draws per scenario.
    seed : int
        Seed of the run; each input's stream derives from (seed, input name, block).
    method : {"mc", "lhs", "sobol"}
        Plain Monte Carlo, Latin hypercube, or scrambled Sobol (stratified per fixed block).
    scenarios : list of str, optional
        Scenarios to run (default: all, ``"base"`` first).
    chunks : int, optional
        Return a dask-backed Dataset with chunks of this many draws (needs ``chipdemand[dask]``).
    threads : int, optional
        Worker threads over fixed blocks (default: the machine's cores). Numbers do not change.
    executor : Executor, optional
        Run blocks with this in-process executor instead (see :mod:`chipdemand.execution`).
    progress : callable, optional
        Called with the number of draws of each finished block (e.g. a tqdm bar's ``update``).

    Returns
    -------
    xarray.Dataset
        Inputs and outputs with dims ``(scenario, draw[, year])``; variable attrs ``unit``,
        ``role``, ``source``, ``reported``; provenance in the Dataset's attrs.

    Raises
    ------
    StudyError
        For bad arguments, an output that leaves its domain, or a run whose draws would not fit
        in the memory the system has available (the message gives the size it needs).

    Examples
    --------
    >>> res = simulate("chatgpt_inference", draws=10_000, seed=1)
    >>> res["chips"].dims
    ('scenario', 'draw')
    """
    plan = make_plan(study, draws, seed, method, scenarios)
    threads = validate.threads(threads)
    if chunks is not None:
        chunks = validate.positive_int(chunks, key="chunks")
    return simulate_plan(plan, chunks=chunks, threads=threads, executor=executor, progress=progress)


def simulate_plan(
    plan: Plan,
    *,
    chunks: int | None = None,
    threads: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> xr.Dataset:
    """:func:`simulate` of a validated :class:`Plan` (its arguments checked by the caller)."""
    if chunks is not None:
        return to_dataset(plan, _dask_arrays(plan, chunks))
    check_fits_in_memory(plan)
    return to_dataset(plan, _in_memory(plan, threads_for(plan, threads), executor, progress))


def check_fits_in_memory(plan: Plan, available: int | None = None, *, saving: bool = False) -> None:
    """Refuse a run whose draws would not fit in the memory the system has available.

    ``saving``: the run is also written to netCDF, which holds a copy of every variable as it is
    stored (shared inputs in full, :meth:`Plan.saved_nbytes`) beside the draws: 2e6 draws of
    chatgpt_inference (1.06 GiB of draws) peaked 2.5 GiB above the process's start, and 2e7 were
    killed by the OOM killer with no message when only the draws were counted."""
    available = memory_available() if available is None else available
    need = plan.nbytes() + (plan.saved_nbytes() if saving else 0)
    if available is not None and need > SIMULATE_HEADROOM * available:
        raise StudyError(
            f"{plan.draws:,} draws of {len(plan.scenarios)} scenario(s) need {need / 2**30:.3g} GiB in "
            f"memory{' to be saved' if saving else ''} and {available / 2**30:.3g} GiB is available: "
            "give fewer --draws, leave out --save "
            "(a run that is not kept is summarized block by block in bounded memory), or use "
            "chunks= with dask",
            key="draws",
        )


def _carved(shapes: Mapping[str, tuple[int, ...]], buffer: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Float arrays of these shapes, carved from ``buffer`` (default: one new allocation).

    A run's draws are one buffer rather than one per variable: many separate arrays of a few MB
    are mapped afresh and faulted in page by page on every run (glibc maps blocks from 128 KB
    to its dynamic threshold and trims its heap above twice that), which cost a run of 1e5 draws
    a quarter of its time; one buffer is one mapping (NumPy asks for huge pages for it), and once
    freed it raises the allocator's threshold so that later runs reuse the memory."""
    sizes = [int(np.prod(shape, dtype=np.int64)) for shape in shapes.values()]
    buffer = np.empty(sum(sizes)) if buffer is None else buffer
    out, at = {}, 0
    for (name, shape), size in zip(shapes.items(), sizes, strict=True):
        out[name] = buffer[at : at + size].reshape(shape)
        at += size
    return out


def _in_memory(
    plan: Plan, threads: int | None, executor: Executor | None, progress: Callable[[int], None] | None
) -> dict[str, np.ndarray]:
    S, n = len(plan.scenarios), plan.draws
    study = plan.study
    shapes: dict[str, tuple[int, ...]] = {
        name: (n,) if name in plan.shared else (S, n) for name in study.inputs if name not in plan.constants
    }
    shapes.update({name: (S, n, *plan.extra_shape(name)) for name in study.outputs})
    arrays = _carved(shapes)

    def fill(block: int) -> int:
        a, b = plan.block_range(block)
        chunk = plan.evaluate_block(block)
        for i, s in enumerate(plan.scenarios):
            for var, values in chunk[s].items():
                if var in plan.constants:
                    continue
                if var in plan.shared:
                    if i == 0:
                        arrays[var][a:b] = values
                else:
                    arrays[var][i, a:b] = values
        return b - a

    with executor_for(*in_this_process(threads, executor)) as ex:
        for done in map_ordered(fill, plan.blocks, ex):
            if progress is not None:
                progress(done)
    for name in plan.shared:
        if name in plan.constants:
            arrays[name] = np.broadcast_to(plan.constants[name], (S, n))
        else:
            arrays[name] = np.broadcast_to(arrays[name], (S, n))
    return arrays


#: one buffer the outputs of a run that keeps them alone are written into, kept between runs:
#: fresh pages cost up to 0.5 s per 160 MB on first touch on a loaded VM, a reused buffer 0.02 s
#: (benchmarks/README.md). It holds at most one run's outputs (within its memory budget);
#: :func:`release_scratch` frees it.
_SCRATCH: list[np.ndarray] = []
_SCRATCH_LOCK = threading.Lock()


def release_scratch() -> None:
    """Free the buffer kept for the outputs of runs that do not keep their draws."""
    with _SCRATCH_LOCK:
        _SCRATCH.clear()


@contextmanager
def _scratch(size: int) -> Iterator[np.ndarray]:
    """A float buffer of ``size`` values: the kept one when free and large enough (else a fresh
    one, which is kept instead when no other run holds the kept one)."""
    if not _SCRATCH_LOCK.acquire(blocking=False):  # another run (thread) is using it
        yield np.empty(size)
        return
    try:
        if not _SCRATCH or _SCRATCH[0].size < size:
            _SCRATCH[:] = [np.empty(size)]
        yield _SCRATCH[0][:size]
    finally:
        _SCRATCH_LOCK.release()


@contextmanager
def simulate_outputs(
    plan: Plan,
    *,
    threads: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[dict[str, np.ndarray]]:
    """The outputs of a run alone, draws last: ``name → array (scenario, *extra, draw)``, valid
    inside the ``with`` block only (they are written into a buffer the next run reuses).

    What a summary needs when the inputs need not be kept: each block's outputs are written in
    place into arrays allocated once (the inputs are dropped with the block), so a run whose
    outputs fit in memory is summarized exactly in one pass (see
    :func:`chipdemand.analysis.streaming.summarize_plan`). Same numbers as :func:`simulate`.

    >>> with simulate_outputs(make_plan("chatgpt_inference", 1000)) as outputs:  # doctest: +SKIP
    ...     chips = outputs["chips"].mean(axis=-1)
    """
    with _scratch(plan.outputs_nbytes() // 8) as flat:
        yield _fill_outputs(plan, flat, threads, executor, progress)


def _fill_outputs(
    plan: Plan,
    flat: np.ndarray,
    threads: int | None,
    executor: Executor | None,
    progress: Callable[[int], None] | None,
) -> dict[str, np.ndarray]:
    S, n = len(plan.scenarios), plan.draws
    outputs = list(plan.study.outputs)
    arrays = _carved({name: (S, *plan.extra_shape(name), n) for name in outputs}, flat)

    def fill(block: int) -> int:
        a, b = plan.block_range(block)
        chunk = plan.evaluate_block(block)
        for i, s in enumerate(plan.scenarios):
            for var in outputs:
                values = chunk[s][var]  # (draws, *extra)
                arrays[var][i, ..., a:b] = values if values.ndim == 1 else np.moveaxis(values, 0, -1)
        return b - a

    with executor_for(*in_this_process(threads_for(plan, threads), executor)) as ex:
        for done in map_ordered(fill, plan.blocks, ex):
            if progress is not None:
                progress(done)
    return arrays


def _pick(result: dict[str, Arrays], scenario: str, var: str) -> np.ndarray:
    return result[scenario][var]


def _dask_arrays(plan: Plan, chunk: int) -> dict[str, Any]:
    """Dask arrays of every variable, shape ``(scenario, draw[, year])``, ``chunk`` draws each.

    Each chunk is one task computing its draws from the fixed blocks it covers, so the numbers
    equal an in-memory run of the same seed whatever the chunk size or the number of workers.
    """
    try:
        import dask
        import dask.array as da
    except ImportError:
        raise StudyError("dask is not installed: pip install 'chipdemand[dask]'", key="chunks") from None
    ranges = list(plan.chunks(chunk))
    tasks = [dask.delayed(plan.evaluate, pure=True)(a, b) for a, b in ranges]
    study = plan.study
    arrays = {}
    for var in [*study.inputs, *study.outputs]:
        extra = plan.extra_shape(var) if var in study.outputs else ()
        per_scenario = []
        for s in plan.scenarios:
            parts = [
                da.from_delayed(dask.delayed(_pick)(t, s, var), shape=(b - a, *extra), dtype=float)
                for t, (a, b) in zip(tasks, ranges, strict=True)
            ]
            per_scenario.append(da.concatenate(parts))
        arrays[var] = da.stack(per_scenario)
    return arrays
