"""Argument checks: each written once (chipdemand.validate), the same for the API and the CLI."""

import pytest

import chipdemand as cd
from chipdemand import validate
from chipdemand.errors import StudyError


@pytest.mark.parametrize(
    ("given", "expected"),
    [(100_000, 100_000), ("100000", 100_000), ("1e5", 100_000), (1e5, 100_000), ("1_000", 1000)],
)
def test_draws_accepts_whole_numbers_in_any_spelling(given, expected):
    assert validate.draws(given) == expected


@pytest.mark.parametrize("given", [0, -5, 1.5, "1.5", "lots", None, True, float("inf"), float("nan")])
def test_draws_refuses_what_is_not_a_positive_whole_number(given):
    with pytest.raises(StudyError, match="positive whole number") as err:
        validate.draws(given, key="--draws")
    assert err.value.key == "--draws"


def test_draws_auto_only_where_allowed():
    assert validate.draws("auto", auto=True) == "auto"
    with pytest.raises(StudyError, match="whole number, got 'auto'"):
        validate.draws("auto")


def test_draws_has_an_upper_bound_the_engine_honours():
    assert validate.draws(validate.MAX_DRAWS) == 2**40
    with pytest.raises(StudyError, match="more than the engine runs"):
        validate.draws(validate.MAX_DRAWS + 1)


def test_seed_is_a_storable_whole_number():
    assert validate.seed("7") == 7 and validate.seed(0) == 0
    with pytest.raises(StudyError, match="non-negative"):
        validate.seed(-1)
    with pytest.raises(StudyError, match="below 2\\*\\*63"):
        validate.seed(2**63)


@pytest.mark.parametrize("given", [0, 1, 1.2, -0.1, "x", True])
def test_ci_is_strictly_between_0_and_1(given):
    with pytest.raises(StudyError, match="between 0 and 1"):
        validate.ci(given)


def test_method_and_interval_suggest_the_nearest():
    assert validate.method("sobol") == "sobol" and validate.interval("hdi") == "hdi"
    with pytest.raises(StudyError, match="unknown method 'sobl' .did you mean 'sobol'"):
        validate.method("sobl")
    with pytest.raises(StudyError, match="unknown interval 'hpd'"):
        validate.interval("hpd")


@pytest.mark.parametrize("given", [0, -1, "0", "two"])
def test_threads_must_be_at_least_one(given):
    with pytest.raises(StudyError, match="at least 1"):
        validate.threads(given)
    assert validate.threads(None) is None and validate.threads("2") == 2


def test_scenarios_are_checked_and_deduplicated():
    known = ["base", "heavy_use"]
    assert validate.scenarios(known, None) == known
    assert validate.scenarios(known, "heavy_use") == ["heavy_use"]
    assert validate.scenarios(known, ["heavy_use", "base", "heavy_use"]) == ["heavy_use", "base"]
    with pytest.raises(StudyError, match="unknown scenario 'heavy' .did you mean 'heavy_use'") as err:
        validate.scenarios(known, ["heavy"], file="x.toml")
    assert err.value.file == "x.toml"
    with pytest.raises(StudyError, match="at least one scenario"):
        validate.scenarios(known, [])


def test_output_names_the_kind_of_name():
    assert validate.output(["chips"], "chips") == "chips"
    with pytest.raises(StudyError, match="no output 'chps' .did you mean 'chips'"):
        validate.output(["chips"], "chps")
    with pytest.raises(StudyError, match="no variable 'x'"):
        validate.output(["chips"], "x", what="variable")


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: cd.run("chatgpt_inference", draws=0), "draws: expected a positive whole number"),
        (lambda: cd.run("chatgpt_inference", draws=100, seed=-1), "seed: expected a non-negative"),
        (lambda: cd.run("chatgpt_inference", draws=100, method="qmc"), "method: unknown method 'qmc'"),
        (lambda: cd.run("chatgpt_inference", draws=100, ci=2), "ci: expected a number between 0 and 1"),
        (lambda: cd.run("chatgpt_inference", draws=100, interval="x"), "interval: unknown interval"),
        (lambda: cd.run("chatgpt_inference", draws=100, threads=0), "threads: expected a whole number"),
        (lambda: cd.simulate("chatgpt_inference", draws=100, scenarios=["nope"]), "unknown scenario 'nope'"),
        (lambda: cd.simulate("chatgpt_inference", draws=100, chunks=0), "chunks: expected a whole number"),
    ],
)
def test_the_api_uses_the_same_checks(call, text):
    with pytest.raises(StudyError) as err:
        call()
    assert text in str(err.value)


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--draws", "0"], "error: argument --draws: expected a positive whole number"),
        (["--seed", "-3"], "error: argument --seed: expected a non-negative whole number"),
        (["--ci", "1"], "error: argument --ci: expected a number between 0 and 1"),
        (["--threads", "0"], "error: argument --threads: expected a whole number of at least 1"),
        (["--rel-tol", "0.01"], "error: --rel-tol: applies to --draws auto only"),
    ],
)
def test_the_cli_uses_the_same_checks(cli, args, text):
    r = cli("run", "chatgpt_inference", *args)
    assert r.code == 2 and r.err.strip() == r.err.strip().splitlines()[0] and r.err.startswith(text), r.err
