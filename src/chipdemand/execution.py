"""The one seam where blocks of work run: :func:`map_ordered` over an executor.

Simulation, summaries, streamed runs and dask-backed Datasets all hand a block function and
their blocks to :func:`map_ordered`; which executor runs them is the caller's choice (after
emcee's ``pool=``): anything with ``.map`` works (the built-in serial :data:`SERIAL`, a
:class:`concurrent.futures.ThreadPoolExecutor`, a ``dask.distributed.Client``, or
:class:`DaskCollections` for blocks that are dask arrays). At most a window of blocks is in flight,
so memory stays bounded whatever the number of blocks. Every block has its own generators (see
:mod:`chipdemand.kernels.sampling`), so the executor changes no number.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

__all__ = [
    "Executor",
    "SERIAL",
    "DaskCollections",
    "cores",
    "executor_for",
    "map_ordered",
    "workers_of",
]

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Anything with a ``map(fn, items)`` returning results (or futures) in order."""

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any], /) -> Iterable[Any]: ...


class _Serial:
    """Runs blocks one after another in the calling thread."""

    workers = 1

    def map(self, fn: Callable[[T], R], items: Iterable[T], /) -> Iterator[R]:
        return map(fn, items)

    def __repr__(self) -> str:
        return "SERIAL"


#: The serial executor.
SERIAL = _Serial()


class DaskCollections:
    """An executor for blocks that are dask collections (or need dask to run).

    ``map(fn, items)`` builds one ``dask.delayed(fn)(item)`` per item (dask arrays among the
    arguments are computed first) and computes them together with the active dask scheduler:
    a ``dask.distributed.Client`` if one is running, else dask's threads.
    """

    workers = 8

    def map(self, fn: Callable[[Any], R], items: Iterable[Any], /) -> list[R]:
        import dask

        return list(dask.compute(*[dask.delayed(fn, pure=False)(item) for item in items]))


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - every Linux has sched_getaffinity


def workers_of(executor: Any) -> int:
    """How many blocks ``executor`` runs at once (its ``workers`` or ``_max_workers``; else 4)."""
    for name in ("workers", "_max_workers"):
        n = getattr(executor, name, None)
        if isinstance(n, int) and n > 0:
            return n
    nthreads = getattr(executor, "nthreads", None)  # dask.distributed.Client: {worker: threads}
    if callable(nthreads):
        try:
            return max(1, sum(nthreads().values()))
        except Exception:  # noqa: BLE001 - a client that cannot answer still runs blocks
            return 4
    return 4


@contextmanager
def executor_for(threads: int | None = None, executor: Executor | None = None) -> Iterator[Executor]:
    """The executor to run blocks with: ``executor`` if given (not shut down here), else
    :data:`SERIAL` for one thread, else a thread pool of ``threads`` (default: every core) that
    is shut down on exit."""
    if executor is not None:
        yield executor
        return
    n = cores() if threads is None else int(threads)
    if n <= 1:
        yield SERIAL
        return
    with ThreadPoolExecutor(n, thread_name_prefix="chipdemand") as pool:
        yield pool


def map_ordered(
    fn: Callable[[T], R],
    items: Iterable[T],
    executor: Executor | None = None,
    *,
    window: int | None = None,
) -> Iterator[R]:
    """``fn(item)`` for every item, yielded in the items' order, at most ``window`` in flight.

    Parameters
    ----------
    fn : callable
        The block function. It runs wherever the executor runs it (threads share memory with
        the caller; a dask client pickles it).
    items : iterable
        Blocks, consumed lazily (a ``range`` of a billion blocks costs nothing).
    executor : Executor, optional
        Anything with ``.map`` (default :data:`SERIAL`). Executors that also have ``.submit``
        (thread pools, dask clients) keep a sliding window of futures; others are given the
        items ``window`` at a time. A ``dask.distributed.Client``'s futures are gathered.
    window : int, optional
        Blocks in flight at once (default: twice the executor's workers).

    Yields
    ------
    The results, in order.
    """
    executor = SERIAL if executor is None else executor
    if executor is SERIAL:
        yield from map(fn, items)
        return
    window = window or 2 * workers_of(executor)
    iterator = iter(items)
    submit = getattr(executor, "submit", None)
    if callable(submit):
        pending: deque = deque(submit(fn, item) for item in itertools.islice(iterator, window))
        try:
            while pending:
                done = pending.popleft().result()
                for item in itertools.islice(iterator, 1):
                    pending.append(submit(fn, item))
                yield done
        finally:  # an error, Ctrl-C or an abandoned generator: start nothing more
            for future in pending:
                future.cancel()
        return
    gather = getattr(executor, "gather", None)
    while batch := list(itertools.islice(iterator, window)):
        results = list(executor.map(fn, batch))
        yield from (gather(results) if callable(gather) else results)
