"""Same numbers whatever the chunking: threads, dask chunks and workers, and streamed summaries."""

import json

import numpy as np
import pytest

import chipdemand as cd
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
