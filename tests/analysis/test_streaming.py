"""Same numbers whatever the chunking: threads, dask chunks and workers, and streamed summaries."""

import json

import numpy as np
import pytest

import chipdemand as cd
from chipdemand.analysis.streaming import share_below
from chipdemand.engine import Plan, make_plan
from chipdemand.kernels.sampling import BLOCK

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

#: three fixed blocks, the last one partial, in two scenarios (a chunk crosses a block's edge and a
#: scenario's): enough to hold every chunking to the in-memory draws, at half the cost of 300,000
DRAWS = 150_000
SCENARIOS = ["base", "usage_2024"]


@pytest.fixture(scope="module")
def reference(chatgpt):
    res = cd.simulate(chatgpt, draws=DRAWS, seed=5, scenarios=SCENARIOS)
    return res, cd.summarize(res)


@pytest.mark.parametrize("chunks", [30_000, 100_000, BLOCK, DRAWS])
def test_dask_chunks_give_the_in_memory_draws(chatgpt, reference, chunks):
    res, table = reference
    lazy = cd.simulate(chatgpt, draws=DRAWS, seed=5, scenarios=SCENARIOS, chunks=chunks)
    assert lazy["chips"].chunks is not None
    # summaries compute with dask (two passes over fixed blocks) and equal the in-memory ones
    assert cd.summarize(lazy).equals(table)
    assert lazy.compute().identical(res)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 4])
def test_dask_distributed_workers_give_the_same_numbers(chatgpt, reference, workers):
    res, table = reference
    with (
        distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster),
    ):
        lazy = cd.simulate(chatgpt, draws=DRAWS, seed=5, scenarios=SCENARIOS, chunks=40_000)
        assert cd.summarize(lazy).equals(table)
        assert np.array_equal(lazy["chips"].values, res["chips"].values)


@pytest.mark.slow
def test_dask_worker_processes_unpickle_the_plan(chatgpt):
    """Worker processes receive the study by pickling (UNU.RAN generators are rebuilt there)."""
    res = cd.simulate(chatgpt, draws=100_000, seed=6, scenarios=["base"])
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster),
    ):
        lazy = cd.simulate(chatgpt, draws=100_000, seed=6, scenarios=["base"], chunks=50_000)
        assert np.array_equal(lazy["server_price"].values, res["server_price"].values)


@pytest.mark.parametrize("threads", [1, 2])
def test_streamed_summary_equals_in_memory(chatgpt, threads):
    n = 1_000_000  # 16 fixed blocks, each generated, summarized and dropped, twice
    table = cd.summarize(cd.simulate(chatgpt, draws=n, seed=8))
    run = cd.run(chatgpt, n, seed=8, threads=threads, memory_budget=1)  # too big to hold: streamed
    assert run.dataset is None and run.table.equals(table)


def test_streamed_quantiles_survive_ties():
    """servers is a whole number with many ties: exact order statistics still match."""
    study = cd.load_study("chatgpt_inference")
    n = 3 * BLOCK + 11
    table = cd.summarize(cd.simulate(study, draws=n, seed=1, scenarios=["base"]), variables=["servers"])
    streamed = cd.run(study, n, seed=1, scenarios=["base"], keep=False, memory_budget=1).table
    row = streamed[streamed["variable"] == "servers"].reset_index(drop=True)
    assert row.equals(table)


def test_cli_streams_large_runs_with_the_same_answer(cli, monkeypatch):
    args = ["run", "chatgpt_inference", "--draws", "200000", "--seed", "4", "--json"]
    in_memory = json.loads(cli(*args).out)
    monkeypatch.setenv("CHIPDEMAND_MEMORY_MB", "1")  # every run is now too big to hold
    streamed = json.loads(cli(*args).out)
    assert streamed == in_memory


# ----------------------------------------------------------------------------- outputs kept, references
def _outputs_budget(study, draws, scenarios=None):
    """A memory budget the run's outputs fit but its draws do not (the one-pass path)."""
    plan = make_plan(study, draws, scenarios=scenarios)
    assert plan.outputs_nbytes() < 2 * plan.nbytes()
    return plan.outputs_nbytes()


@pytest.mark.parametrize("threads", [1, 2])
def test_one_pass_over_kept_outputs_equals_in_memory(chatgpt, threads):
    """Outputs held (not the inputs): one pass, the same summary and references as the draws."""
    n = 3 * BLOCK + 11
    in_memory = cd.run(chatgpt, n, seed=4, threads=threads)
    one_pass = cd.run(chatgpt, n, seed=4, threads=threads, memory_budget=_outputs_budget(chatgpt, n))
    assert in_memory.dataset is not None and one_pass.dataset is None
    assert one_pass.table.equals(in_memory.table)
    assert one_pass.references and one_pass.references == in_memory.references
    assert json.dumps(one_pass.to_dict()) == json.dumps(in_memory.to_dict())


def test_one_pass_gives_hdi_and_years(growth_study):
    """HDI needs the outputs only; an output with years is kept draws-last and summarized alike."""
    study = growth_study
    n = 2 * BLOCK + 5
    budget = _outputs_budget(study, n)
    for interval in ("eti", "hdi"):
        a = cd.run(study, n, seed=2, interval=interval)
        b = cd.run(study, n, seed=2, interval=interval, memory_budget=budget)
        assert b.dataset is None and b.summary.equals(a.summary)


def test_streamed_run_places_references_in_its_passes(chatgpt, monkeypatch):
    """References of a run too large for its outputs are counted in the summary's first pass:
    every block is evaluated twice (and block 0 once more, for the bins), never a third time."""
    n = 3 * BLOCK + 11
    in_memory = cd.run(chatgpt, n, seed=3, threads=1)
    evaluated = []
    original = Plan.evaluate_block
    monkeypatch.setattr(Plan, "evaluate_block", lambda self, b: evaluated.append(b) or original(self, b))
    streamed = cd.run(chatgpt, n, seed=3, threads=1, memory_budget=1)
    assert streamed.references and streamed.references == in_memory.references
    assert streamed.table.equals(in_memory.table)
    assert sorted(evaluated) == sorted([0, *range(4), *range(4)])


def test_streamed_run_of_a_scenario_without_references():
    """Issue 20 item 9: a streamed run of one scenario no reference is answered in counted nothing
    into an integer array (``_UFuncOutputCastingError``)."""
    study = cd.load_study("frontier_training")
    n = BLOCK + 7
    in_memory = cd.run(study, n, seed=1, scenarios=["blackwell_fp8"])
    streamed = cd.run(study, n, seed=1, scenarios=["blackwell_fp8"], memory_budget=1)
    assert streamed.dataset is None and streamed.table.equals(in_memory.table)
    assert streamed.references == in_memory.references
    assert share_below(make_plan(study, n, scenarios=["blackwell_fp8"]), []) == []


def test_cli_run_with_a_one_megabyte_budget(cli, monkeypatch):
    """The command of issue 20 item 9, at a size that streams under CHIPDEMAND_MEMORY_MB=1."""
    monkeypatch.setenv("CHIPDEMAND_MEMORY_MB", "1")
    done = cli("run", "frontier_training", "--draws", "70000", "--scenario", "blackwell_fp8", "--json")
    assert done.code == 0 and json.loads(done.out)["draws"] == 70_000


def test_one_pass_runs_reuse_one_buffer_and_run_side_by_side(chatgpt):
    """The outputs' buffer is kept for the next run (no fresh pages to fault in); two runs at once
    in two threads do not share it, and every run gives its own numbers."""
    from concurrent.futures import ThreadPoolExecutor

    from chipdemand import engine

    n = BLOCK + 3
    budget = _outputs_budget(chatgpt, n)
    engine.release_scratch()
    a = cd.run(chatgpt, n, seed=1, memory_budget=budget)
    kept = engine._SCRATCH[0]
    b = cd.run(chatgpt, n, seed=2, memory_budget=budget)
    assert engine._SCRATCH[0] is kept and not a.table.equals(b.table)
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda seed: cd.run(chatgpt, n, seed=seed, memory_budget=budget), [1, 2, 1, 2]))
    assert all(r.table.equals(x.table) for r, x in zip(runs, [a, b, a, b], strict=True))
    engine.release_scratch()
    assert engine._SCRATCH == []
