"""The one seam where blocks of work run: :func:`map_ordered` over an executor.

Simulation, summaries, streamed runs and dask-backed Datasets all hand a block function and
their blocks to :func:`map_ordered`; which executor runs them is the caller's choice (after
emcee's ``pool=``): anything with ``.map`` works (the built-in serial :data:`SERIAL`, a
:class:`concurrent.futures.ThreadPoolExecutor`, :class:`ForkedProcesses`, a
``dask.distributed.Client``, or :class:`DaskCollections` for blocks that are dask arrays). At most
a window of blocks is in flight, so memory stays bounded whatever the number of blocks. Every
block has its own generators (see :mod:`chipdemand.kernels.sampling`), so the executor changes no
number.
"""

from __future__ import annotations

import ctypes
import itertools
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from .errors import WorkerLost

__all__ = [
    "Executor",
    "SERIAL",
    "DaskCollections",
    "ForkedProcesses",
    "can_fork",
    "cores",
    "executor_for",
    "in_this_process",
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


class ForkedProcesses:
    """An executor of worker processes forked from this one, for each :meth:`map`.

    For block functions that hold the GIL (UNU.RAN's Hermite inversion does), which threads
    cannot overlap. The function, and all it refers to (the study, its Hermite inversions
    already set up), reach the workers by ``fork`` and are never pickled; only the items (block
    numbers) and the results (e.g. a streamed pass's histograms) are, each worker on a pipe of
    its own. Use it where the results are small beside the work, and from a process with no
    other threads (:func:`can_fork`): a child forked while another thread holds a lock can hang.

    Not :class:`concurrent.futures.ProcessPoolExecutor`: its workers share one result queue
    behind a lock, so a worker killed while sending (the OOM killer, ``kill -9``) hung the
    parent for good, and on an error or Ctrl-C it finishes the tasks under way first (tens of
    seconds on a large study). Here a worker that dies is :class:`~chipdemand.errors.WorkerLost`
    at once; on an error, Ctrl-C or SIGTERM the parent kills its workers and returns; workers
    ignore both signals (their parent stops them) and die with their parent (on Linux, even one
    killed outright). A worker's exception is raised in the parent (as a RuntimeError naming it
    when it does not pickle; ``sys.exit`` in a worker exits the parent).
    """

    #: blocks a streamed pass gives each task (:func:`chipdemand.analysis.summaries.two_passes`):
    #: a task's result is its blocks' merged histograms, shipped back once
    blocks_per_task = 8

    def __init__(self, workers: int) -> None:
        self.workers = int(workers)

    def map(self, fn: Callable[[T], R], items: Iterable[T], /) -> Iterator[R]:
        """``fn(item)`` for each item in forked workers, in order, at most two a worker in flight."""
        key = next(_FORKED_KEYS)
        _FORKED[key] = fn  # inherited by the workers forked below
        context = multiprocessing.get_context("fork")
        workers: list[tuple[Any, Any]] = []  # (process, the parent's end of its pipe)
        try:
            with _stop_signals_held():
                for _ in range(self.workers):
                    mine, theirs = context.Pipe()
                    process = context.Process(
                        target=_work_forked,
                        args=(key, theirs, [c for _, c in workers], os.getpid()),
                        daemon=True,
                        name="chipdemand-worker",
                    )
                    process.start()
                    theirs.close()
                    workers.append((process, mine))
            yield from _dispatch(workers, iter(items), 2 * self.workers)
        finally:
            for process, conn in workers:
                if process.is_alive():
                    process.kill()
                conn.close()
            for process, _ in workers:
                process.join()
            _FORKED.pop(key, None)

    def __repr__(self) -> str:
        return f"ForkedProcesses({self.workers})"


#: the functions of the forked maps under way, by key: workers find theirs here
_FORKED: dict[int, Callable[[Any], Any]] = {}
_FORKED_KEYS = itertools.count()

_LOST = (
    "a worker process ended abruptly (killed, or out of memory): run again with fewer --draws, "
    "or on one thread (--threads 1 where the command takes it)"
)


def _dispatch(workers: list[tuple[Any, Any]], items: Iterator[Any], window: int) -> Iterator[Any]:
    """Hand items to the workers (an idle one first), yield their results in the items' order,
    at most ``window`` given and not yet yielded."""
    from multiprocessing.connection import wait

    conns = [conn for _, conn in workers]
    sentinels = {process.sentinel: conn for process, conn in workers}
    busy = dict.fromkeys(conns, 0)
    done: dict[int, Any] = {}
    given = following = 0
    exhausted = False
    while True:
        while not exhausted and given - following < window:
            conn = min(conns, key=busy.__getitem__)
            if busy[conn] >= 2:
                break
            item = next(items, _END)
            if item is _END:
                exhausted = True
                break
            conn.send((given, item))
            busy[conn] += 1
            given += 1
        while following in done:
            yield done.pop(following)
            following += 1
        if following == given:  # nothing in flight: more to give, or the end
            if exhausted:
                return
            continue
        for ready in wait([*conns, *sentinels]):
            conn = sentinels.get(ready, ready)  # a worker that ended: read what it sent, if any
            if not conn.poll():
                raise WorkerLost(_LOST)
            try:
                index, ok, value = conn.recv()
            except (EOFError, OSError):  # it died while sending
                raise WorkerLost(_LOST) from None
            if not ok:
                raise value
            done[index] = value
            busy[conn] -= 1


_END = object()


def _work_forked(key: int, conn: Any, others: list[Any], parent: int) -> None:
    """A worker: set up, then ``(index, item)`` in, ``(index, ok, result or error)`` out."""
    for other in others:  # the parent's ends of earlier workers' pipes: not this worker's
        other.close()
    _forked_child(parent)
    fn = _FORKED[key]
    while True:
        try:
            index, item = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        try:
            message = (index, True, fn(item))
        except BaseException as err:  # noqa: BLE001 - sent to the parent, raised there
            message = (index, False, _sendable(err))
        try:
            conn.send(message)
        except Exception as err:  # noqa: BLE001 - a result that does not pickle
            conn.send((index, False, RuntimeError(f"a worker's result could not be sent back: {err}")))


def _sendable(err: BaseException) -> BaseException:
    """``err`` if it survives pickling, else a RuntimeError naming it and its message."""
    import pickle

    try:
        pickle.loads(pickle.dumps(err))
    except Exception:  # noqa: BLE001 - a local class, unpicklable arguments
        return RuntimeError(f"{type(err).__qualname__}: {err}")
    return err


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def _stop_signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM held back (delivered on exit) while workers are forked: arriving
    mid-fork, the parent's handler ran inside the fork's hooks (its KeyboardInterrupt was lost
    there and a half-started pool hung the exit), or in a child before it set its own."""
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def _forked_child(parent: int) -> None:
    for stop in _STOP_SIGNALS:  # the parent stops its workers
        signal.signal(stop, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # held since the fork
    _die_with(parent)
    _keep_freed_memory()


def _die_with(parent: int) -> None:
    """End this worker when the process that forked it ends, however it ends: a parent killed
    outright (``kill -9``, the OOM killer) runs no clean-up, and its workers, holding their own
    ends of the pool's pipes, would wait for work forever (Linux's ``PR_SET_PDEATHSIG``)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if os.getppid() != parent:  # it died before the line above: no signal will come
        os._exit(1)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _keep_freed_memory() -> None:
    """Let glibc's malloc keep what a worker frees for its next block (a worker is ours, and
    ends with its map): by default a block's arrays above 128 KB are mapped afresh and the heap
    trimmed above 2× that, so every block faulted its arrays in again, page by page (350,000
    faults in 5e6 draws of chatgpt_inference, ~1 s of CPU); here the heap keeps up to 64 MB
    free. No-op where mallopt is missing."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)  # glibc's largest on 64-bit
        libc.mallopt(_M_TRIM_THRESHOLD, 64 << 20)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h


def in_this_process(threads: int | None, executor: Executor | None) -> tuple[int | None, Executor | None]:
    """``(threads, executor)`` for block functions that write into this process's arrays: a
    :class:`ForkedProcesses` would write into its children's copies, so its workers become
    threads."""
    if isinstance(executor, ForkedProcesses):
        return executor.workers, None
    return threads, executor


def can_fork() -> bool:
    """Whether a run may choose :class:`ForkedProcesses` by itself: on Linux (macOS has ``fork``
    but its system libraries, Accelerate among them, are not safe in a forked child), from a
    process that runs no other thread (a notebook's kernel, a server or a caller's pool do: they
    get threads)."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


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
def executor_for(
    threads: int | None = None, executor: Executor | None = None, *, processes: bool = False
) -> Iterator[Executor]:
    """The executor to run blocks with: ``executor`` if given (not shut down here), else
    :data:`SERIAL` for one thread, else (``processes`` and :func:`can_fork`, no thread count
    given) :class:`ForkedProcesses` on every core, else a thread pool of ``threads`` (default:
    every core) that is shut down on exit."""
    if executor is not None:
        yield executor
        return
    n = cores() if threads is None else int(threads)
    if n <= 1:
        yield SERIAL
        return
    if processes and threads is None and can_fork():
        yield ForkedProcesses(n)
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
    if executor is SERIAL or isinstance(executor, ForkedProcesses):  # in order, windowed already
        yield from executor.map(fn, items)
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
