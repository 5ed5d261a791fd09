"""Random streams, per-stream Sobol nets and Sobol run sizes (issue 10).

Every input's draws depend on (seed, its stream's name, block, method) and, under Sobol, on its
dimension, fixed by the study's list of inputs: a scenario joining a run, or an input turning from
a point into a distribution, never changes another input's draws under MC, LHS or Sobol.
"""

import math

import numpy as np
import pytest
from scipy import special, stats
from scipy.stats import qmc

import chipdemand as cd
from chipdemand.errors import StudyError
from chipdemand.kernels.sampling import (
    BLOCK,
    METHODS,
    block_generator,
    block_uniforms,
    next_draws,
    scrambled_net,
    sobol_columns,
    sobol_dimensions,
    sobol_draws,
    stream,
    stream_key,
)


# ----------------------------------------------------------------------------- stream
def test_stream_is_the_seed_sequence_of_the_seed_and_hashed_keys():
    expected = np.random.Generator(np.random.PCG64(np.random.SeedSequence([7, stream_key("x"), 3, 2])))
    assert np.array_equal(stream(7, "x", 3, 2).random(5), expected.random(5))


def test_block_generator_is_a_stream_and_keeps_the_numbers_of_mc_and_lhs():
    for method, code in METHODS.items():
        assert np.array_equal(
            block_generator(5, "users", 4, method).random(3), stream(5, "users", 4, code).random(3)
        )
    # the entropy block_generator has always used: MC draws of saved runs are reproduced
    old = np.random.Generator(np.random.PCG64(np.random.SeedSequence([5, stream_key("users"), 4, 0])))
    assert np.array_equal(block_uniforms("mc", 5, ["users"], 4, 100)["users"], old.random(100))


def test_distinct_keys_give_distinct_streams():
    # SeedSequence pads short entropy with zeros: ("a",) and ("a", 0) must still differ
    tuples = [(), ("a",), ("b",), ("a", 0), ("a", 0, 0), ("a", 1), ("a", "b"), ("sensitivity", "pilot")]
    tuples += [("sensitivity", "sobol", r) for r in range(3)] + [("a", 0, 0, 0), ("a", 2**32 - 2)]
    draws = {stream(0, *keys).random(4).tobytes() for keys in tuples}
    assert len(draws) == len(tuples)
    assert not np.array_equal(stream(0, "a").random(4), stream(1, "a").random(4))
    assert not np.array_equal(stream(0).random(4), stream(2**32 + 0).random(4))


@pytest.mark.parametrize("bad", [-1, True, 1.5, None, 2**32 - 1])
def test_stream_refuses_keys_that_are_not_whole_numbers_or_names(bad):
    with pytest.raises(TypeError, match="non-negative whole number"):
        stream(0, "x", bad)
    with pytest.raises(TypeError, match="first key is a name"):
        stream(0, 3)
    if bad != 2**32 - 1:
        with pytest.raises(TypeError, match="non-negative whole number"):
            stream(bad)


# ----------------------------------------------------------------------------- invariance
STUDY_STREAMS = sorted(["users", "queries", "a", "zz", "b"] + [f"x{i}" for i in range(40)])


@pytest.mark.parametrize("method", ["mc", "lhs", "sobol"])
def test_a_streams_uniforms_do_not_depend_on_the_other_streams(method):
    n = 4096
    dims = sobol_dimensions(STUDY_STREAMS)  # the study's streams fix each one's Sobol' dimension
    alone = block_uniforms(method, 3, ["users"], 1, n, dimensions=dims)["users"]
    for others in (["queries"], ["a", "zz", "queries", "b"], [f"x{i}" for i in range(40)]):
        together = block_uniforms(method, 3, [*others, "users"], 1, n, dimensions=dims)
        assert np.array_equal(together["users"], alone)


def test_without_the_studys_dimensions_sobol_takes_the_streams_sorted():
    u = block_uniforms("sobol", 3, ["b", "a"], 0, 64)
    v = block_uniforms("sobol", 3, ["b", "a"], 0, 64, dimensions={"a": 0, "b": 1})
    assert all(np.array_equal(u[k], v[k]) for k in "ab")
    assert sobol_dimensions(["b", "a", "b", "c"]) == {"a": 0, "b": 1, "c": 2}


def _draws(study, method, scenarios):
    res = cd.simulate(study, draws=2048, seed=3, method=method, scenarios=scenarios)
    return res.sel(scenario="base")


@pytest.mark.parametrize("method", ["mc", "lhs", "sobol"])
def test_a_scenario_that_randomizes_a_point_input_changes_no_other_draws(study_doc, write_study, method):
    # gpus_per_server is a point (8) in the base case; the new scenario draws it
    study_doc["scenarios"]["denser_servers"] = {"gpus_per_server": {"dist": "choice", "values": [8, 16]}}
    study = cd.load_study(write_study(study_doc))
    alone = _draws(study, method, ["base"])
    joined = _draws(study, method, ["base", "denser_servers", "heavy_use"])
    for name in study.inputs:
        assert np.array_equal(alone[name].values, joined[name].values), name


@pytest.mark.parametrize("method", ["mc", "lhs", "sobol"])
def test_randomizing_an_input_changes_no_other_inputs_draws(study_doc, write_study, method):
    before = cd.load_study(write_study(study_doc, "before.toml"))
    study_doc["inputs"]["gpus_per_server"].update(dist="choice", values=[8, 16])  # a count
    del study_doc["inputs"]["gpus_per_server"]["value"]
    after = cd.load_study(write_study(study_doc, "after.toml"))
    a, b = _draws(before, method, ["base"]), _draws(after, method, ["base"])
    assert not np.array_equal(a["gpus_per_server"].values, b["gpus_per_server"].values)
    for name in before.inputs:
        if name != "gpus_per_server":
            assert np.array_equal(a[name].values, b[name].values), name


# ----------------------------------------------------------------------------- Sobol nets
def test_sobol_columns_are_scipys_direction_numbers():
    # unscrambled, our points are scipy.stats.qmc.Sobol's (Joe & Kuo 2008), which come in Gray-code order
    m = 10
    ref = qmc.Sobol(70, scramble=False, bits=53).random_base2(m)
    gray = np.arange(1 << m) ^ (np.arange(1 << m) >> 1)
    for dim in (0, 1, 2, 7, 63, 64, 69):
        x = np.zeros(1 << m, dtype=np.uint64)
        for k, column in enumerate(sobol_columns(dim)[:m]):
            x[1 << k : 2 << k] = x[: 1 << k] ^ column
        assert np.array_equal(x[gray] * 2.0**-53, ref[:, dim]), dim
    with pytest.raises(ValueError, match="dimensions run from 0"):
        sobol_columns(-1)


@pytest.mark.parametrize("dim", [0, 1, 5, 39, 130])
def test_every_power_of_two_prefix_of_a_scrambled_net_is_balanced(dim):
    u = scrambled_net(sobol_columns(dim), stream(1, "x"), 16)
    for k in range(17):
        cells = np.floor(u[: 1 << k] * (1 << k))
        assert np.array_equal(np.sort(cells), np.arange(1 << k)), k


def test_a_smaller_net_is_the_start_of_a_larger_one():
    columns = sobol_columns(3)
    assert np.array_equal(
        scrambled_net(columns, stream(1, "x"), 10), scrambled_net(columns, stream(1, "x"), 16)[:1024]
    )
    assert scrambled_net(columns, stream(1, "x"), 0).shape == (1,)
    with pytest.raises(ValueError, match="0 to 16"):
        scrambled_net(columns, stream(1, "x"), 17)


def test_net_points_are_uniform_on_a_fine_grid_not_on_two_to_the_minus_30():
    # one point over independent scrambles: KS against the uniform, and digits far below 2**-30
    u = np.array([scrambled_net(sobol_columns(2), stream(s, "x"), 4)[5] for s in range(2000)])
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert np.mean(u * 2.0**30 % 1 != 0) > 0.99


def test_the_streams_of_a_study_are_pairwise_balanced():
    # Joe & Kuo's first 24 dimensions form, pair by pair, (t, 16, 2)-nets with t <= 7 (computed
    # from their generator matrices); the per-stream scrambles keep that: every 2**a x 2**b grid
    # with a + b = 16 - 7 holds exactly 2**7 points of a block in each cell
    names = [f"input_{i:02d}" for i in range(24)]
    u = block_uniforms("sobol", 11, names, 0, BLOCK)
    level = 16 - 7
    digits = {k: [np.floor(v * 2**a).astype(np.int64) for a in range(level + 1)] for k, v in u.items()}
    for i, p in enumerate(names):
        for q in names[i + 1 :]:
            for a in range(level + 1):
                cells = digits[p][a] * 2 ** (level - a) + digits[q][level - a]
                assert np.all(np.bincount(cells, minlength=2**level) == 2**7), (p, q, a)
    rho = stats.spearmanr(np.column_stack(list(u.values()))).statistic[np.triu_indices(24, 1)]
    assert np.max(np.abs(rho)) < 4 / math.sqrt(BLOCK)  # the standard error of independent draws


def test_sobol_beats_lhs_and_mc_on_a_smooth_function():
    # the mean of the Ishigami function (Ishigami & Homma 1990) from 40 seeds of 2**12 draws; an
    # F test on 39 and 39 degrees of freedom puts a variance ratio of 4 far beyond chance (p < 1e-4)
    def ishigami_mean(method, seed):
        u = block_uniforms(method, seed, ["x1", "x2", "x3"], 0, 4096)
        x = [np.pi * (2 * u[k] - 1) for k in ("x1", "x2", "x3")]
        return np.mean(np.sin(x[0]) + 7 * np.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * np.sin(x[0]))

    var = {m: np.var([ishigami_mean(m, s) for s in range(40)], ddof=1) for m in ("mc", "lhs", "sobol")}
    assert var["sobol"] < var["lhs"] / 4 and var["lhs"] < var["mc"] / 2


def test_a_sobol_run_of_a_lognormal_product_has_the_exact_mean():
    # E[exp(sum of 3 independent N(0, 0.5^2))] = exp(3 * 0.125); one block of 2**16 draws
    u = block_uniforms("sobol", 2, ["a", "b", "c"], 0, BLOCK)
    y = np.exp(sum(0.5 * special.ndtri(v) for v in u.values()))
    mc_se = math.sqrt(math.expm1(0.75) * math.exp(0.75) / BLOCK)
    assert abs(np.mean(y) - math.exp(0.375)) < 3 * mc_se


# ----------------------------------------------------------------------------- run sizes
@pytest.mark.parametrize(
    ("asked", "taken"),
    [
        (1, 1),
        (3, 4),
        (10_000, 16_384),
        (BLOCK, BLOCK),
        (BLOCK + 1, BLOCK + 1),
        (70_000, BLOCK + 8192),
        (100_000, 2 * BLOCK),  # the CLI's default
        (3 * BLOCK, 3 * BLOCK),
        (10**7, 152 * BLOCK + 65536),
    ],
)
def test_sobol_draws_round_the_last_block_up_to_a_power_of_two(asked, taken):
    assert sobol_draws(asked) == taken
    rest = taken % BLOCK
    assert rest & (rest - 1) == 0 and asked <= taken < 2 * asked + (asked == 1)


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "100"])
def test_sobol_draws_refuses_what_is_not_a_positive_whole_number(bad):
    with pytest.raises(StudyError, match="positive whole number") as info:
        sobol_draws(bad)
    assert info.value.key == "draws"


def _old_auto_rule(n, grow, max_draws):
    """The --draws auto step of api.py before issue 10."""
    return int(min(max_draws, -(-int(n * grow) // BLOCK) * BLOCK if n * grow > BLOCK else n * grow))


@pytest.mark.parametrize("method", ["mc", "lhs", "sobol"])
def test_auto_steps_by_valid_sizes(method):
    for n in (1 << 14, 40_000, BLOCK, 3 * BLOCK):
        for grow in (2.0, 2.7, 10.0, 123.4):
            got = next_draws(n, n * grow, method, 1 << 24)
            assert got >= min(2 * n, 1 << 24)
            if method == "sobol":
                assert got == sobol_draws(got) and got < 2 * n * grow
            else:
                assert got == _old_auto_rule(n, grow, 1 << 24)


def test_auto_never_passes_its_cap():
    assert next_draws(1 << 14, 1e12, "sobol", 100_000) == BLOCK  # the largest valid size under the cap
    assert next_draws(1 << 14, 1e12, "mc", 100_000) == 100_000
    assert next_draws(3 * BLOCK, 1e12, "sobol", 3 * BLOCK + 5) == 3 * BLOCK
