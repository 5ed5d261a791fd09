"""The one seam where blocks run: map_ordered over any executor, in order, with a bounded window."""

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import chipdemand as cd
from chipdemand.errors import StudyError, WorkerLost
from chipdemand.execution import (
    SERIAL,
    DaskCollections,
    ForkedProcesses,
    can_fork,
    executor_for,
    map_ordered,
    workers_of,
)

forking = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork")


class Counting:
    """A block function that records how many calls are in flight at once."""

    def __init__(self, pause=0.002):
        self.lock = threading.Lock()
        self.now = self.most = self.calls = 0
        self.pause = pause

    def __call__(self, x):
        with self.lock:
            self.now += 1
            self.calls += 1
            self.most = max(self.most, self.now)
        time.sleep(self.pause)
        with self.lock:
            self.now -= 1
        return x * x


class MapOnly:
    """An executor with nothing but ``map`` (as a multiprocessing pool or MPI pool has)."""

    def __init__(self):
        self.batches = []

    def map(self, fn, items):
        items = list(items)
        self.batches.append(len(items))
        return [fn(x) for x in items]


class Gathering(MapOnly):
    """An executor whose ``map`` returns handles that ``gather`` turns into results (dask.distributed)."""

    def map(self, fn, items):
        return [("handle", r) for r in super().map(fn, items)]

    def gather(self, handles):
        return [r for _, r in handles]


@pytest.mark.parametrize("executor", [None, SERIAL])
def test_serial_runs_in_order(executor):
    assert list(map_ordered(lambda x: x + 1, range(5), executor)) == [1, 2, 3, 4, 5]


def test_a_thread_pool_keeps_order_and_a_bounded_window():
    fn = Counting()
    with ThreadPoolExecutor(4) as pool:
        out = list(map_ordered(fn, range(200), pool, window=6))
    assert out == [x * x for x in range(200)]
    assert 1 < fn.most <= 6  # ran in parallel, never more than the window in flight


def test_executors_with_only_map_get_the_items_a_window_at_a_time():
    ex = MapOnly()
    assert list(map_ordered(lambda x: -x, range(10), ex, window=4)) == [-x for x in range(10)]
    assert ex.batches == [4, 4, 2]


def test_executors_that_return_handles_are_gathered():
    ex = Gathering()
    assert list(map_ordered(lambda x: 2 * x, range(7), ex, window=3)) == [2 * x for x in range(7)]


def test_a_billion_blocks_cost_nothing_until_consumed():
    fn = Counting(pause=0)
    with ThreadPoolExecutor(2) as pool:
        results = map_ordered(fn, range(10**9), pool, window=4)
        first = [next(results) for _ in range(3)]
        results.close()
    assert first == [0, 1, 4] and fn.calls <= 3 + 4


def test_an_error_in_a_block_stops_the_rest():
    started = []

    def fail_at_three(x):
        started.append(x)
        if x == 3:
            raise ValueError("block 3")
        time.sleep(0.01)
        return x

    with ThreadPoolExecutor(2) as pool, pytest.raises(ValueError, match="block 3"):
        list(map_ordered(fail_at_three, range(1000), pool, window=4))
    assert len(started) < 20  # the pending blocks were cancelled, not run


def test_executor_for_owns_only_what_it_makes():
    with executor_for(1) as ex:
        assert ex is SERIAL
    with executor_for(3) as ex:
        assert isinstance(ex, ThreadPoolExecutor) and workers_of(ex) == 3
    given = MapOnly()
    with executor_for(8, given) as ex:
        assert ex is given


def test_dask_collections_compute_dask_blocks():
    da = pytest.importorskip("dask.array")
    x = da.arange(12, chunks=4)
    blocks = [x.blocks[i] for i in range(3)]
    sums = list(map_ordered(lambda b: int(np.sum(b)), blocks, DaskCollections()))
    assert sums == [6, 22, 38]


@pytest.mark.parametrize(
    "make", [lambda: SERIAL, lambda: MapOnly(), lambda: ThreadPoolExecutor(2), lambda: ForkedProcesses(2)]
)
def test_simulation_and_summaries_give_the_same_numbers_on_any_executor(chatgpt, make):
    reference = cd.summarize(cd.simulate(chatgpt, draws=70_000, seed=3, threads=1))
    ex = make()
    res = cd.simulate(chatgpt, draws=70_000, seed=3, executor=ex)
    assert cd.summarize(res, executor=ex).equals(reference)
    streamed = cd.run(chatgpt, 70_000, seed=3, executor=ex, keep=False, memory_budget=1)
    assert streamed.table.equals(reference)
    if isinstance(ex, ThreadPoolExecutor):
        ex.shutdown()


# ----------------------------------------------------------------------------- forked processes
@forking
def test_forked_processes_run_closures_that_do_not_pickle_in_order_in_other_processes():
    """The function reaches the workers by fork (a closure over a lock: no pickle), only items
    and results cross; the workers are other processes and ignore Ctrl-C (the parent stops them)."""
    lock = threading.Lock()

    def block(i):
        with lock:
            return i * i, os.getpid(), signal.getsignal(signal.SIGINT) is signal.SIG_IGN

    done = list(map_ordered(block, range(40), ForkedProcesses(2)))
    assert [d[0] for d in done] == [i * i for i in range(40)]
    assert os.getpid() not in {d[1] for d in done}
    assert all(d[2] for d in done)


@forking
def test_an_error_in_a_forked_worker_reaches_the_caller_whole():
    def block(i):
        if i == 5:
            raise StudyError("leaves its domain", file="s.toml", key="outputs.chips")
        return i

    with pytest.raises(StudyError, match=r"^s\.toml: outputs\.chips: leaves its domain$"):
        list(ForkedProcesses(2).map(block, range(20)))


@forking
def test_a_worker_that_dies_is_reported_not_hung_on():
    def block(i):
        if i == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return i

    with pytest.raises(WorkerLost, match="ended abruptly"):
        list(ForkedProcesses(2).map(block, range(10)))


@forking
def test_processes_only_by_default_on_linux_in_a_process_with_no_other_thread(monkeypatch):
    """executor_for(processes=True) forks only when no thread count is given, the machine has
    two cores, no other thread runs (a child forked beside a thread holding a lock can hang) and
    the system is Linux (macOS's system libraries are not safe in a forked child)."""
    import chipdemand.execution as execution

    monkeypatch.setattr(sys, "platform", "darwin")
    assert not can_fork()
    monkeypatch.setattr(sys, "platform", "linux")

    monkeypatch.setattr(execution, "cores", lambda: 2)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert can_fork()
    with executor_for(None, processes=True) as ex:
        assert isinstance(ex, ForkedProcesses) and ex.workers == 2
    with executor_for(2, processes=True) as ex:
        assert isinstance(ex, ThreadPoolExecutor)
    with executor_for(None) as ex:
        assert isinstance(ex, ThreadPoolExecutor)
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert not can_fork()
    with executor_for(None, processes=True) as ex:
        assert isinstance(ex, ThreadPoolExecutor)


@forking
def test_a_large_streamed_run_forks_and_gives_the_numbers_of_one_thread(chatgpt, monkeypatch):
    """A streamed run of PROCESSES_FROM draws × scenarios or more runs in forked processes (here
    the threshold is lowered to a small run); summary and references are those of one thread."""
    import chipdemand.engine as engine
    import chipdemand.execution as execution

    made = []
    real = execution.ForkedProcesses

    class Recorded(real):
        def __init__(self, workers):
            made.append(workers)
            super().__init__(workers)

    monkeypatch.setattr(execution, "ForkedProcesses", Recorded)
    monkeypatch.setattr(execution, "can_fork", lambda: True)
    monkeypatch.setattr(execution, "cores", lambda: 2)
    monkeypatch.setattr(engine, "PROCESSES_FROM", 1000)
    one = cd.run(chatgpt, 300_000, seed=4, threads=1, memory_budget=1)
    assert not made
    forked = cd.run(chatgpt, 300_000, seed=4, memory_budget=1)
    assert made == [2]
    assert forked.summary.identical(one.summary)
    assert forked.to_dict()["references"] == one.to_dict()["references"]


@forking
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_die_with_a_parent_killed_outright(tmp_path):
    """A parent killed by SIGKILL (the OOM killer) runs no clean-up; its workers must not wait
    for work forever."""
    import subprocess

    script = tmp_path / "parent.py"
    script.write_text(
        "import sys, time\n"
        "from chipdemand.execution import ForkedProcesses\n"
        "def slow(i):\n"
        "    time.sleep(60)\n"
        "for _ in ForkedProcesses(2).map(slow, range(4)):\n"
        "    pass\n",
        encoding="utf-8",
    )
    p = subprocess.Popen([sys.executable, str(script)])
    deadline = time.monotonic() + 60
    workers = []
    while len(workers) < 2:
        assert p.poll() is None and time.monotonic() < deadline, "no workers were forked"
        try:
            with open(f"/proc/{p.pid}/task/{p.pid}/children", encoding="ascii") as f:
                workers = [int(w) for w in f.read().split()]
        except OSError:
            workers = []
        time.sleep(0.02)
    p.kill()
    p.wait()
    deadline = time.monotonic() + 10
    while alive := [w for w in workers if _running(w)]:
        assert time.monotonic() < deadline, f"workers {alive} outlived their parent"
        time.sleep(0.05)


def _running(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@forking
def test_a_worker_error_that_does_not_pickle_is_named_and_sys_exit_exits_the_caller():
    """A model's exception of a local class cannot cross to the parent: it is a RuntimeError
    naming it (not a lost worker); ``sys.exit`` in a worker ends the caller as it would on a thread."""

    class LocalError(Exception):
        pass

    def broken(i):
        if i == 2:
            raise LocalError("local boom")
        return i

    with pytest.raises(RuntimeError, match=r"LocalError: local boom"):
        list(ForkedProcesses(2).map(broken, range(8)))

    def leaving(i):
        if i == 1:
            sys.exit("bye from the model")
        return i

    with pytest.raises(SystemExit, match="bye from the model"):
        list(ForkedProcesses(2).map(leaving, range(8)))


@forking
def test_forked_map_gives_every_result_in_order_whatever_the_timing():
    """Many short maps: once every task given had come back and been yielded, the dispatcher
    waited for a result that would never come (a hang found by stress, one map in a few hundred)."""

    def hung(*_):
        raise TimeoutError("a forked map hung")

    before = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        for _ in range(200):
            assert list(ForkedProcesses(2).map(abs, range(-20, 20))) == [abs(i) for i in range(-20, 20)]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)
