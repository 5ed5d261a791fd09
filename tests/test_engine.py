"""The engine: reproducibility, common random numbers, fixed blocks, sampling methods, labels."""

import numpy as np
import pytest
from scipy import stats

import chipdemand as cd
from chipdemand.errors import StudyError
from chipdemand.kernels.sampling import BLOCK, block_uniforms


def point_outputs(study):
    """The model at every input's `point` (the report's own values)."""
    values = {name: np.array([spec.point]) for name, spec in study.inputs.items()}
    return {k: float(v[0]) for k, v in study.model.evaluate(values).items()}


@pytest.mark.parametrize(
    ("output", "reported"),
    # Ping An 2023-02-28, table 自建IDC的推理成本估算: 388889 chip-hours/day, 16204 A100,
    # 2026 DGX A100, 4.03亿美元
    [("gpu_hours_per_day", 388_889), ("chips", 16_204), ("servers", 2_026), ("capex", 4.03e8)],
)
def test_chatgpt_point_values_reproduce_the_report(chatgpt, output, reported):
    assert point_outputs(chatgpt)[output] == pytest.approx(reported, rel=1e-3)
    assert chatgpt.outputs[output].reported == reported


def test_same_seed_same_draws_other_seed_other_draws(chatgpt):
    a = cd.simulate(chatgpt, draws=5000, seed=7)
    b = cd.simulate(chatgpt, draws=5000, seed=7)
    c = cd.simulate(chatgpt, draws=5000, seed=8)
    assert a.identical(b)
    assert not np.array_equal(a["chips"].values, c["chips"].values)


def test_threads_and_block_boundaries_do_not_change_numbers(chatgpt):
    n = 2 * BLOCK + 123
    one = cd.simulate(chatgpt, draws=n, seed=3, threads=1)
    two = cd.simulate(chatgpt, draws=n, seed=3, threads=2)
    assert one.identical(two)
    # a shorter run is a prefix of a longer one: draws live on fixed blocks
    short = cd.simulate(chatgpt, draws=BLOCK + 5, seed=3)
    assert short["chips"].equals(one["chips"].isel(draw=slice(0, BLOCK + 5)))


def test_doubling_users_doubles_gpus_draw_by_draw(study_doc, write_study):
    spec = dict(study_doc["inputs"]["daily_active_users"])
    spec["ci"] = [2 * x for x in spec["ci"]]
    study_doc["scenarios"]["doubled"] = {"daily_active_users": {"dist": "lognormal", "ci": spec["ci"]}}
    study = cd.load_study(write_study(study_doc))
    res = cd.simulate(study, draws=20_000, seed=1, scenarios=["base", "doubled"])
    table = cd.compare(res, "base", "doubled").table.set_index("variable")
    for var in ("gpu_hours_per_day", "chips", "queries_per_day"):
        assert table.loc[var, "ratio_low"] == pytest.approx(2, rel=1e-12)
        assert table.loc[var, "ratio_high"] == pytest.approx(2, rel=1e-12)
        assert table.loc[var, "p_b_greater"] == 1.0
    # inputs the scenario does not override are shared draw for draw
    base, doubled = res.sel(scenario="base"), res.sel(scenario="doubled")
    assert np.array_equal(base["chars_per_answer"], doubled["chars_per_answer"])


def test_scenario_inherits_unit_and_source(chatgpt):
    heavy = chatgpt.spec("heavy_use", "questions_per_user")
    assert heavy.written_unit == chatgpt.inputs["questions_per_user"].written_unit
    assert heavy.source == chatgpt.inputs["questions_per_user"].source


def test_units_are_converted_at_load_time(chatgpt):
    # seconds_per_char is written in ms (PERT 50/350/600) and used in seconds
    spec = chatgpt.inputs["seconds_per_char"]
    assert spec.written_unit == "ms" and spec.unit == "s/char"
    assert spec.point == pytest.approx(0.35)
    assert spec.dist.support == pytest.approx((0.05, 0.6))


def test_adding_an_input_does_not_reshuffle_the_others():
    a = block_uniforms("mc", 5, ["x", "y"], 0, 1000)
    b = block_uniforms("mc", 5, ["x", "y", "new"], 0, 1000)
    assert np.array_equal(a["x"], b["x"]) and np.array_equal(a["y"], b["y"])
    assert not np.array_equal(a["x"], a["y"])


def test_lhs_puts_one_draw_in_each_stratum():
    n = 4096
    u = block_uniforms("lhs", 2, ["x", "y"], 0, n)
    for v in u.values():
        assert np.array_equal(np.sort(np.floor(v * n)), np.arange(n))


def test_sobol_is_balanced_in_every_dimension():
    n = 4096  # a power of two: each dyadic interval of width 1/n holds one point
    u = block_uniforms("sobol", 2, ["a", "b", "c"], 0, n)
    for v in u.values():
        assert np.array_equal(np.sort(np.floor(v * n)), np.arange(n))


@pytest.mark.parametrize("method", ["lhs", "sobol"])
def test_lhs_and_sobol_runs_agree_with_mc(chatgpt, method):
    n = 1 << 15
    mc = cd.summarize(cd.simulate(chatgpt, draws=n, seed=11)).set_index(["scenario", "variable"])
    qmc = cd.summarize(cd.simulate(chatgpt, draws=n, seed=11, method=method)).set_index(
        ["scenario", "variable"]
    )
    assert np.all(np.isfinite(qmc[["low", "median", "high"]].to_numpy()))
    # medians agree within 4 combined MC standard errors (MC's error bounds both sides); a
    # discrete output (GPUs per replica) has a median on a tie, whose error is unknown (NaN), which
    # must then agree exactly
    diff = (qmc["median"] - mc["median"]).abs()
    assert ((diff <= 4 * np.hypot(mc["mcse_median"], qmc["mcse_median"])) | (diff == 0)).all()


def test_lhs_reduces_the_error_of_the_mean(chatgpt):
    """Over 20 seeds, the LHS mean of chips scatters less than the MC mean (McKay et al. 1979)."""

    def spread(method):
        means = [
            cd.simulate(chatgpt, draws=2048, seed=s, method=method, scenarios=["base"])["chips"].mean()
            for s in range(20)
        ]
        return float(np.std(means))

    assert spread("lhs") < spread("mc")


def test_results_carry_units_roles_sources_and_provenance(chatgpt):
    res = cd.simulate(chatgpt, draws=1000, seed=4, method="lhs")
    assert res["chips"].dims == ("scenario", "draw")
    assert list(res["scenario"].values) == ["base", "heavy_use", "longer_answers", "usage_2024"]
    assert res["chips"].attrs["role"] == "output" and res["chips"].attrs["reported"] == 16204
    assert res["seconds_per_char"].attrs["unit"] == "s/char"
    assert "Ping An" in res["daily_active_users"].attrs["source"]
    for key, value in {"seed": 4, "draws": 1000, "method": "lhs", "study": "chatgpt_inference"}.items():
        assert res.attrs[key] == value
    assert len(res.attrs["study_sha256"]) == 64 and res.attrs["chipdemand_version"]


def test_input_draws_follow_their_distribution(chatgpt):
    res = cd.simulate(chatgpt, draws=50_000, seed=2, scenarios=["base"])
    lo, hi = chatgpt.inputs["daily_active_users"].dist.ppf(np.array([0.05, 0.95]))
    assert (lo, hi) == pytest.approx((1.0e7, 4.5e7))
    x = res["daily_active_users"].values.ravel()
    exact = stats.lognorm(
        chatgpt.inputs["daily_active_users"].dist.sigma,
        scale=np.exp(chatgpt.inputs["daily_active_users"].dist.mu),
    )
    assert stats.kstest(x, exact.cdf).pvalue > 0.001


def test_only_the_scenarios_asked_for(chatgpt):
    res = cd.simulate(chatgpt, draws=100, scenarios=["heavy_use"])
    assert list(res["scenario"].values) == ["heavy_use"]
    with pytest.raises(cd.StudyError, match="did you mean 'heavy_use'"):
        cd.simulate(chatgpt, draws=100, scenarios=["heavy_usee"])


@pytest.mark.parametrize("draws", [0, -5, 1.5, "many", True])
def test_bad_draws_are_refused(chatgpt, draws):
    with pytest.raises(cd.StudyError, match="positive whole number"):
        cd.simulate(chatgpt, draws=draws)


# ----------------------------------------------------------------------------- bounds
def test_draws_that_cannot_fit_in_memory_are_refused_with_the_size(monkeypatch):
    import chipdemand.engine

    monkeypatch.setattr(chipdemand.engine, "memory_available", lambda: 50 * 2**20)
    # chatgpt_inference with its power and energy inputs and outputs (issue 12)
    with pytest.raises(StudyError, match=r"need 5.29 GiB in memory and 0.0488 GiB is available"):
        cd.simulate("chatgpt_inference", draws=10_000_000)
    with pytest.raises(StudyError, match="leave out --save"):
        cd.run("chatgpt_inference", 10_000_000, keep=True)
    # not kept: the same run is summarized block by block instead
    plan = chipdemand.engine.make_plan("chatgpt_inference", 10_000_000)
    assert plan.nbytes() > 50 * 2**20


def test_a_run_to_be_saved_counts_the_files_copy_too(monkeypatch, tmp_path):
    """Saving holds the draws and the file's copy of them (shared inputs in full): 2e7 draws of
    chatgpt_inference with --save were killed by the OOM killer, with no message, when only the
    draws were counted. Refused before the first draw, naming the need."""
    import chipdemand.engine
    from chipdemand.engine import check_fits_in_memory, make_plan

    plan = make_plan("chatgpt_inference", 2_000_000)
    available = 2.5 * 2**30  # the draws (1.06 GiB) fit; draws and their saved copy (3.08 GiB) do not
    check_fits_in_memory(plan, available)
    with pytest.raises(StudyError, match=r"need 3.08 GiB in memory to be saved and 2.5 GiB is available"):
        check_fits_in_memory(plan, available, saving=True)
    monkeypatch.setattr(chipdemand.engine, "memory_available", lambda: available)
    with pytest.raises(StudyError, match="to be saved"):
        cd.run("chatgpt_inference", 2_000_000, save=tmp_path / "run.nc")
    assert list(tmp_path.iterdir()) == []


def test_a_huge_run_is_bounded_and_lazy():
    """--draws up to 2**40: no list of every block is made (the plan's blocks are a range)."""
    from chipdemand.engine import make_plan

    plan = make_plan("chatgpt_inference", 2**40)
    assert isinstance(plan.blocks, range) and len(plan.blocks) == 2**24
    chunks = plan.chunks(10**9)
    assert next(chunks) == (0, 10**9)
    with pytest.raises(StudyError, match="more than the engine runs"):
        make_plan("chatgpt_inference", 2**40 + 1)


def test_small_runs_are_serial_unless_threads_are_asked_for(chatgpt):
    """Below SERIAL_BELOW draws a default run uses one thread (two were slower there); asked-for
    threads are honoured, and the numbers are the same either way."""
    from chipdemand.engine import SERIAL_BELOW, make_plan, threads_for

    small, large = make_plan(chatgpt, SERIAL_BELOW - 1), make_plan(chatgpt, SERIAL_BELOW)
    assert threads_for(small, None) == 1 and threads_for(small, 2) == 2 and threads_for(large, None) is None
    a = cd.simulate(chatgpt, 70_000, seed=3)
    assert a.identical(cd.simulate(chatgpt, 70_000, seed=3, threads=2))


def test_every_draw_is_its_distributions_ppf_of_its_streams_uniforms(study_doc, write_study):
    """Scenarios that override an input on the same stream (here a log-normal twice, one share
    of ``ndtri`` per block) get exactly ``ppf`` of the stream's uniforms, across a block boundary."""
    from chipdemand.engine import make_plan

    study_doc["scenarios"]["heavy"] = {"questions_per_user": {"dist": "lognormal", "ci": [20, 80]}}
    study_doc["scenarios"]["light"] = {"questions_per_user": {"dist": "lognormal", "ci": [1, 4]}}
    study = cd.load_study(write_study(study_doc))
    n = BLOCK + 1000
    plan = make_plan(study, n, seed=2)
    res = cd.simulate(study, draws=n, seed=2)
    u = {}
    for block in plan.blocks:
        for stream, values in plan.uniforms(block, 0, plan.block_size(block)).items():
            u.setdefault(stream, []).append(values)
    u = {k: np.concatenate(v) for k, v in u.items()}
    for s in plan.scenarios:
        for name, spec in plan.specs[s].items():
            if not spec.dist.is_point:
                drawn = res[name].sel(scenario=s).values
                np.testing.assert_array_equal(drawn, spec.dist.ppf(u[spec.stream]), err_msg=f"{s}: {name}")


def test_the_draws_of_a_run_are_one_buffer_carved_without_overlap(chatgpt):
    """One allocation for all of a run's draws (fewer page faults), no two variables' memory shared."""
    res = cd.simulate(chatgpt, draws=3000, seed=1)
    held = [v.values for v in res.data_vars.values() if v.values.base is not None and v.values.strides[0]]
    bases = {id(a.base if a.base.base is None else a.base.base) for a in held}
    assert len(bases) == 1
    for i, a in enumerate(held):
        for b in held[i + 1 :]:
            assert not np.shares_memory(a, b)


def test_processes_only_for_large_streamed_runs_of_few_series():
    """Forked processes send back a histogram per output series: a run forks only from
    PROCESSES_FROM draws × scenarios, with no thread count given, and at most
    PROCESSES_MAX_SERIES series (world_accelerators' 488 stay on threads)."""
    from chipdemand.engine import PROCESSES_FROM, PROCESSES_MAX_SERIES, make_plan, processes_for

    big = make_plan("chatgpt_inference", 10**7)
    series = len(big.scenarios) * len(big.study.outputs)
    assert series <= PROCESSES_MAX_SERIES and processes_for(big, None)
    assert not processes_for(big, 2) and not processes_for(big, 1)
    small = make_plan("chatgpt_inference", PROCESSES_FROM // len(big.scenarios) - 1)
    assert not processes_for(small, None)
    world = make_plan("world_accelerators", 10**7)
    assert not processes_for(world, None)
