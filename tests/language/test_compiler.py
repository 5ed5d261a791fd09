"""Formulas compiled to NumPy: names and labels, units checked and converted, years, library calls,
and NumPy's own arithmetic reproduced exactly (random formulas against NumPy itself)."""

import ast
import builtins

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chipdemand.errors import StudyError
from chipdemand.language.compiler import Compiler, Symbol
from chipdemand.language.formula_units import parse_unit
from chipdemand.language.parse import parse_formula

UNITS = {
    "users": "user",
    "queries": "query/user/day",
    "latency": "ms/query",
    "hours": "hour",
    "gpus": "GPU",
    "peak": "FLOPS/GPU",
    "flops": "FLOP",
    "daily_energy": "kWh/day",
    "share": "1",
    "growth": "1",
    "x": "1",
    "y": "1",
    "z": "1",
}
YEARS = [2024, 2025, 2026, 2027]


def symbols(labels=None):
    out = {name: Symbol(name, parse_unit(unit)) for name, unit in UNITS.items()}
    out["method"] = Symbol("method", None, labels=("latency", "roofline"))
    out["year"] = Symbol("year", parse_unit("1"), kind="year", yearly=True)
    return out


def compile_(text, unit="1", years=YEARS, zero_check=None):
    return Compiler(symbols(), years=years, zero_check=zero_check).compile(
        parse_formula(text), parse_unit(unit), allow_calendar=True
    )


ENV = {
    "users": np.array([1e6, 2e6, 4e6]),
    "queries": np.array([10.0, 20.0, 5.0]),
    "latency": np.array([350.0, 100.0, 50.0]),
    "hours": np.array([1.0, 2.0, 3.0]),
    "gpus": np.array([8.0, 16.0, 3.0]),
    "peak": np.array([3.12e14, 3.12e14, 9.89e14]),
    "flops": np.array([1e20, 2e20, 3e20]),
    "daily_energy": np.array([2.4, 10.0, 1e3]),
    "share": np.array([0.5, 0.25, 1.0]),
    "growth": np.array([0.1, 0.5, -0.2]),
    "x": np.array([1.5, -2.0, 0.25]),
    "y": np.array([3.0, 0.5, -1.0]),
    "z": np.array([-0.5, 2.0, 7.0]),
    "method": np.array([0.0, 1.0, 1.0]),
    "year": np.array(YEARS, dtype=float),
}


def value(text, unit="1"):
    return compile_(text, unit).fn(ENV)


def test_the_text_never_reaches_eval_exec_or_compile(monkeypatch):
    """ast.parse compiles to a tree only (PyCF_ONLY_AST); nothing else compiles or runs text."""
    real_compile = builtins.compile

    def only_ast(source, filename, mode, flags=0, *args, **kwargs):
        assert flags & ast.PyCF_ONLY_AST, "text compiled to code"
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("eval or exec called")

    monkeypatch.setattr(builtins, "compile", only_ast)
    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    out = value("where(method == 'latency', users * queries * latency, 0)", "GPU")
    np.testing.assert_allclose(out, [1e6 * 10 * 0.35 / 86_400, 0.0, 0.0])


# ----------------------------------------------------------------------------- names and labels
def test_an_unknown_name_suggests_the_nearest():
    with pytest.raises(StudyError, match=r"column 9: unknown name 'querys' \(did you mean 'queries'\?\)"):
        compile_("users * querys", "1")


def test_year_without_years_says_how_to_declare_them():
    with pytest.raises(StudyError, match=r"declare the years in \[study\] years"):
        Compiler({"x": Symbol("x", parse_unit("1"))}).compile(parse_formula("x * year"), parse_unit("1"))


def test_a_choice_is_compared_with_its_labels():
    np.testing.assert_array_equal(value("where(method == 'roofline', 1, 0)"), [0, 1, 1])
    np.testing.assert_array_equal(value("where('latency' != method, 1, 0)"), [0, 1, 1])
    with pytest.raises(StudyError, match=r"column 11: method has no alternative 'rofline' \(did you mean"):
        compile_("method == 'rofline'")
    with pytest.raises(StudyError, match="method is a structural choice; compare it with one of its labels"):
        compile_("method * 2")
    with pytest.raises(StudyError, match="share is a number .*, not a structural choice"):
        compile_("share == 'roofline'")


def test_a_condition_is_not_a_number_and_a_number_not_a_condition():
    with pytest.raises(StudyError, match="a condition \\(true/false\\) where a number is expected"):
        compile_("(x > 1) + 1")
    with pytest.raises(StudyError, match="where a condition is expected"):
        compile_("where(x, 1, 2)")
    with pytest.raises(StudyError, match="this formula is a condition"):
        compile_("x > 1")


# ----------------------------------------------------------------------------- units
def test_adding_users_to_hours_names_both_units():
    with pytest.raises(StudyError, match=r"column 9: cannot add user and hour \(dimensionless vs \[time\]\)"):
        compile_("users + hours")


def test_values_of_one_dimension_are_converted_where_they_meet():
    out = compile_("latency + hours / users", "s/query")  # ms/query + hour/user
    np.testing.assert_allclose(out.fn(ENV), ENV["latency"] / 1000 + ENV["hours"] * 3600 / ENV["users"])


def test_an_output_in_a_convertible_unit_is_converted():
    # ms → s, and FLOP/s × day → FLOP (86,400 s a day)
    np.testing.assert_allclose(value("latency", "s/query"), ENV["latency"] / 1000)
    np.testing.assert_allclose(
        value("peak * gpus * hours", "FLOP"), ENV["peak"] * ENV["gpus"] * ENV["hours"] * 3600
    )
    gpus = value("users * queries * latency", "GPU")  # query-ms a day, as GPUs busy all day
    np.testing.assert_allclose(gpus, ENV["users"] * ENV["queries"] * ENV["latency"] / 1000 / 86_400)


@pytest.mark.parametrize(
    ("text", "unit", "message"),
    [
        (
            "gpus * hours",
            "GPU",
            "GPU·hour is not GPU: the formula has an extra [time]; divide by a duration?",
        ),
        ("gpus", "GPU*hour", "GPU is not GPU·hour: the formula lacks a [time]; multiply by a duration?"),
        (
            "flops / hours",
            "FLOP",
            "FLOP/hour is not FLOP: the formula lacks a [time]; multiply by a duration?",
        ),
        ("users", "USD", "user is not USD: the formula lacks a [currency]; multiply by an amount of money?"),
    ],
)
def test_an_output_in_another_dimension_says_what_is_missing(text, unit, message):
    with pytest.raises(StudyError) as err:
        compile_(text, unit)
    assert str(err.value) == message


def test_zero_takes_any_unit_and_other_numbers_none():
    np.testing.assert_allclose(value("max(hours, 0)", "hour"), ENV["hours"])
    np.testing.assert_array_equal(value("where(hours > 0, 1, 0)"), [1, 1, 1])
    with pytest.raises(
        StudyError, match=r"column 9: cannot compare hour and 1 \(\[time\] vs dimensionless\)"
    ):
        compile_("hours > 2")
    with pytest.raises(StudyError, match="cannot add hour and 1"):
        compile_("hours + 1", "hour")


def test_functions_of_plain_numbers_refuse_units():
    with pytest.raises(StudyError, match="column 5: log\\(\\) needs a plain number, got hour"):
        compile_("log(hours)")
    with pytest.raises(StudyError, match="an exponent needs a plain number, got hour"):
        compile_("x ** hours")
    with pytest.raises(
        StudyError, match="a power with a non-constant exponent needs a plain number, got hour"
    ):
        compile_("hours ** x")
    np.testing.assert_allclose(
        value("exp(latency / (1 s/query))".replace(" (1 s/query)", " latency"), "1"), np.e
    )


def test_powers_and_roots_carry_their_units():
    assert compile_("sqrt(hours * hours)", "hour").unit == "hour"
    np.testing.assert_allclose(value("sqrt(hours ** 2)", "minute"), ENV["hours"] * 60)
    np.testing.assert_allclose(value("hours ** -1", "1/s"), 1 / (ENV["hours"] * 3600))


def test_rounding_acts_on_a_plain_number_or_in_the_values_own_unit():
    np.testing.assert_array_equal(value("ceil(users / 1e6 * share)"), [1, 1, 4])
    np.testing.assert_array_equal(value("floor(latency)", "ms/query"), np.floor(ENV["latency"]))
    np.testing.assert_array_equal(value("round(x)"), np.round(ENV["x"]))


def test_where_min_max_clip_convert_to_the_first_unit():
    np.testing.assert_allclose(
        value("min(latency, hours / users)", "ms/query"),
        np.minimum(ENV["latency"], ENV["hours"] * 3.6e6 / ENV["users"]),
    )
    np.testing.assert_allclose(value("clip(x, -1, 1)"), np.clip(ENV["x"], -1, 1))
    with pytest.raises(StudyError, match="cannot choose between user and hour"):
        compile_("where(x > 0, users, hours)")
    with pytest.raises(StudyError, match="min\\(\\) needs two or more values"):
        compile_("min(x)")
    with pytest.raises(StudyError, match="clip\\(\\) takes 3 values, got 2"):
        compile_("clip(x, 1)")


# ----------------------------------------------------------------------------- the formula library
def test_library_functions_take_keywords_in_their_units():
    out = value("provisioned_chips(average_chips=gpus, peak_to_average=1.5, utilization=share)", "GPU")
    np.testing.assert_allclose(out, ENV["gpus"] * 1.5 / ENV["share"])
    with pytest.raises(
        StudyError, match=r"unknown keyword 'utilisation' for provisioned_chips \(did you mean"
    ):
        compile_("provisioned_chips(average_chips=gpus, utilisation=share)", "GPU")
    with pytest.raises(StudyError, match="provisioned_chips\\(\\) needs average_chips"):
        compile_("provisioned_chips(peak_to_average=2)", "GPU")
    with pytest.raises(
        StudyError, match=r"compute_seconds\(flops=...\) takes FLOP \(dimensionless\), got hour"
    ):
        compile_("compute_seconds(flops=hours, chips=gpus, peak_flops=peak)", "s")


def test_a_number_given_to_a_library_keyword_is_in_the_parameters_unit():
    # duration_s = 60 is 60 s; one 1920 × 1280 minute at 30 fps in 60 × 80 patches (Minsheng
    # 2024-02-25: 92.16万 patches a minute)
    out = value(
        "patches_per_video(width_px=1920, height_px=1280, patch_w_px=60, patch_h_px=80, frame_rate=30, "
        "duration_s=60)",
        "patch",
    )
    assert float(out) == 921_600


def test_placeholders_follow_the_argument_and_flags_take_conditions():
    # queries a day in, GPU-seconds a day out (Ping An 2023-02-28: 2亿 × 20 × 0.35 s = 1.4e9 s/day)
    out = compile_(
        "latency_gpu_seconds(queries=users * queries, chars_per_answer=20, seconds_per_char=0.35)", "s/day"
    )
    np.testing.assert_allclose(out.fn(ENV), ENV["users"] * ENV["queries"] * 20 * 0.35)
    replica = value(
        "gpus_per_replica(weight_bytes=350e9, kv_bytes=0, gpu_memory=40e9, by_memory=method == 'roofline')",
        "GPU",
    )
    np.testing.assert_array_equal(replica, [1, 9, 9])
    assert (
        float(
            value("gpus_per_replica(weight_bytes=350e9, kv_bytes=0, gpu_memory=40e9, by_memory=True)", "GPU")
        )
        == 9
    )
    with pytest.raises(StudyError, match="where a condition is expected"):
        compile_("gpus_per_replica(weight_bytes=1, kv_bytes=0, gpu_memory=1, by_memory=x)", "GPU")


def test_a_placeholder_times_a_unit_takes_what_the_argument_has_beyond_it():
    # a day's energy over a day's queries (energy="J * {P}", queries="query * {P}": P is 1/day)
    out = value("energy_per_query(energy=daily_energy, queries=users * queries)", "Wh/query")
    np.testing.assert_allclose(out, ENV["daily_energy"] * 1000 / (ENV["users"] * ENV["queries"]), rtol=1e-14)
    with pytest.raises(
        StudyError,
        match=r"energy_per_query\(queries=...\) takes kilowatt_hour·query/day/joule \(1 / \[time\]\), "
        r"got user",
    ):
        compile_("energy_per_query(energy=daily_energy, queries=users)", "J/query")


def test_functions_that_add_an_axis_are_not_callable():
    with pytest.raises(StudyError, match="project adds or removes an axis"):
        compile_("project(start=x, rate=growth, years=1, base_year=2024)")


# ----------------------------------------------------------------------------- years
def test_values_that_depend_on_year_carry_a_year_axis():
    grown = compile_("users * (1 + growth) ** (year - 2024)", "user")
    assert grown.yearly
    out = grown.fn(ENV)
    assert out.shape == (3, 4)
    np.testing.assert_allclose(
        out, ENV["users"][:, None] * (1 + ENV["growth"][:, None]) ** (np.array(YEARS) - 2024)
    )
    total = compile_("sum_over_years(users * (1 + growth) ** (year - 2024))", "user")
    assert not total.yearly
    np.testing.assert_allclose(total.fn(ENV), out.sum(axis=-1))
    assert float(value("sum_over_years(1)")) == 4  # a value without years, once per year


def test_first_year_is_nan_free_with_the_year_after_the_last_for_never():
    out = value("first_year(users * (1 + growth) ** (year - 2024) > 2.5e6)", "year")
    # 1e6 × 1.1^t never passes 2.5e6 by 2027; 2e6 × 1.5 passes in 2025; 4e6 × 0.8^0 in 2024
    np.testing.assert_array_equal(out, [2028, 2025, 2024])
    with pytest.raises(StudyError, match="first_year\\(\\) needs a condition that depends on year"):
        compile_("first_year(x > 0)", "year")
    with pytest.raises(StudyError, match="needs \\[study\\] years"):
        Compiler(symbols(), years=None).compile(parse_formula("sum_over_years(x)"), parse_unit("1"))


# ----------------------------------------------------------------------------- division by zero
def test_dividing_by_an_input_that_may_be_zero_is_refused():
    def zero_check(name):
        return "whose distribution reaches zero" if name == "share" else None

    with pytest.raises(StudyError, match="column 9: divides by share, whose distribution reaches zero"):
        compile_("users / share", "user", zero_check=zero_check)
    with pytest.raises(StudyError, match="column 17: divides by share"):
        compile_("users / (gpus * share)", "user/GPU", zero_check=zero_check)
    with pytest.raises(StudyError, match="divides by share"):
        compile_("users * share ** -1", "user", zero_check=zero_check)
    compile_("users / (gpus + share)", "user/GPU", zero_check=zero_check)  # a sum is not checked


# ----------------------------------------------------------------------------- property tests
# Expressions are drawn as trees of tuples; text() writes one as a formula and numpy_value()
# evaluates it with NumPy directly, without the compiler.
UNARY = ("abs", "ceil", "floor", "round", "logabs", "sqrtabs")
COMPARE = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


LEAVES = st.one_of(
    st.tuples(st.just("name"), st.sampled_from(["x", "y", "z"])),
    st.tuples(st.just("num"), st.floats(min_value=0.125, max_value=8.0)),
)
# deferred strategies (not st.recursive) keep hypothesis's reprs of them small
EXPRESSIONS = st.deferred(
    lambda: st.one_of(
        *[LEAVES] * 8,  # mostly leaves: trees of a few dozen nodes at most
        st.tuples(st.sampled_from(["+", "-", "*", "/"]), EXPRESSIONS, EXPRESSIONS),
        st.tuples(st.just("pow"), EXPRESSIONS, st.integers(-3, 3)),
        st.tuples(st.just("freepow"), EXPRESSIONS, EXPRESSIONS),
        st.tuples(st.just("neg"), EXPRESSIONS),
        st.tuples(st.sampled_from(UNARY), EXPRESSIONS),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(EXPRESSIONS, min_size=2, max_size=3)),
        st.tuples(st.just("clip"), EXPRESSIONS, EXPRESSIONS, EXPRESSIONS),
        st.tuples(st.just("where"), CONDITIONS, EXPRESSIONS, EXPRESSIONS),
    )
)
CONDITIONS = st.deferred(
    lambda: st.one_of(
        st.tuples(st.just("cmp"), st.sampled_from(sorted(COMPARE)), EXPRESSIONS, EXPRESSIONS),
        st.tuples(st.just("cmp"), st.sampled_from(sorted(COMPARE)), EXPRESSIONS, EXPRESSIONS),
        st.tuples(st.sampled_from(["and", "or"]), CONDITIONS, CONDITIONS),
        st.tuples(st.just("not"), CONDITIONS),
    )
)


def text(t) -> str:
    kind = t[0]
    if kind == "name":
        return t[1]
    if kind == "num":
        return repr(t[1])
    if kind in ("+", "-", "*", "/"):
        return f"({text(t[1])}) {kind} ({text(t[2])})"
    if kind == "pow":
        return f"({text(t[1])}) ** {t[2]}"
    if kind == "freepow":
        return f"abs({text(t[1])}) ** ({text(t[2])})"
    if kind == "neg":
        return f"-({text(t[1])})"
    if kind == "logabs":
        return f"log(abs({text(t[1])}) + 1)"
    if kind == "sqrtabs":
        return f"sqrt(abs({text(t[1])}))"
    if kind in UNARY:
        return f"{kind}({text(t[1])})"
    if kind in ("min", "max"):
        return f"{kind}({', '.join(text(c) for c in t[1])})"
    if kind == "clip":
        return f"clip({text(t[1])}, {text(t[2])}, {text(t[3])})"
    if kind == "where":
        return f"where({text(t[1])}, {text(t[2])}, {text(t[3])})"
    if kind == "cmp":
        return f"({text(t[2])}) {t[1]} ({text(t[3])})"
    if kind in ("and", "or"):
        return f"({text(t[1])}) {kind} ({text(t[2])})"
    if kind == "not":
        return f"not ({text(t[1])})"
    raise AssertionError(kind)


def numpy_value(t, env):
    kind, v = t[0], lambda c: numpy_value(c, env)
    if kind == "name":
        return env[t[1]]
    if kind == "num":
        return t[1]
    if kind in ("+", "-", "*", "/"):
        a, b = v(t[1]), v(t[2])
        return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[kind](a, b)
    if kind == "pow":
        return v(t[1]) ** float(t[2])
    if kind == "freepow":
        return np.abs(v(t[1])) ** v(t[2])
    if kind == "neg":
        return -v(t[1])
    if kind == "logabs":
        return np.log(np.abs(v(t[1])) + 1)
    if kind == "sqrtabs":
        return np.sqrt(np.abs(v(t[1])))
    if kind in UNARY:
        return getattr(np, kind)(v(t[1]))
    if kind in ("min", "max"):
        ufunc, out = (np.minimum if kind == "min" else np.maximum), v(t[1][0])
        for c in t[1][1:]:
            out = ufunc(out, v(c))
        return out
    if kind == "clip":
        return np.clip(v(t[1]), v(t[2]), v(t[3]))
    if kind == "where":
        return np.where(v(t[1]), v(t[2]), v(t[3]))
    if kind == "cmp":
        return COMPARE[t[1]](v(t[2]), v(t[3]))
    if kind in ("and", "or"):
        return (np.logical_and if kind == "and" else np.logical_or)(v(t[1]), v(t[2]))
    if kind == "not":
        return np.logical_not(v(t[1]))
    raise AssertionError(kind)


def _children(t):
    for item in t[1:]:
        if isinstance(item, tuple):
            yield item
        elif isinstance(item, list):
            yield from item


def _reads_a_name(t) -> bool:
    return t[0] == "name" or any(_reads_a_name(c) for c in _children(t))


def constants_are_finite(t) -> bool:
    """Whether every part of ``t`` that reads no name (the compiler folds it) is a finite number,
    each sum, difference, product and quotient read left to right as a chain whose constant start
    is folded too (as the compiler does)."""
    if t[0] not in ("cmp", "and", "or", "not") and not _reads_a_name(t):
        with np.errstate(all="ignore"):
            try:
                if not np.all(np.isfinite(numpy_value(t, {}))):
                    return False
            except ZeroDivisionError:
                return False
    if t[0] == "/" and not _reads_a_name(t[2]):
        with np.errstate(all="ignore"):
            if np.all(numpy_value(t[2], {}) == 0):
                return False
    if t[0] == "pow" and t[2] < 0 and not _reads_a_name(t[1]):
        with np.errstate(all="ignore"):
            if np.all(numpy_value(t[1], {}) == 0):
                return False
    return all(constants_are_finite(c) for c in _children(t))


PLAIN_ENV = {
    "x": np.array([1.5, -2.0, 0.25, 0.0, 3.0e3]),
    "y": np.array([3.0, 0.5, -1.0, 2.0, -0.125]),
    "z": np.array([-0.5, 2.0, 7.0, 0.0, 1e-3]),
}
PLAIN = {n: Symbol(n, parse_unit("1")) for n in PLAIN_ENV}


@given(EXPRESSIONS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_expressions_evaluate_as_numpy_does(tree):
    formula = text(tree)
    if not constants_are_finite(tree):
        with pytest.raises(StudyError, match="the constant|divides by zero"):
            Compiler(PLAIN).compile(parse_formula(formula), parse_unit("1"))
        return
    compiled = Compiler(PLAIN).compile(parse_formula(formula), parse_unit("1"))
    with np.errstate(all="ignore"):
        got = np.broadcast_to(compiled.fn(PLAIN_ENV), (5,))
        want = np.broadcast_to(numpy_value(tree, PLAIN_ENV), (5,))
    np.testing.assert_array_equal(got, want, err_msg=formula)


DISALLOWED = [
    "x.real",
    "x[0]",
    "(lambda: 1)()",
    "[i for i in x]",
    "{i for i in x}",
    "f'{x}'",
    "max(*x, 1)",
    "(w := 2)",
    "__x",
    "foo(x)",
    "provisioned_chips(x)",
    "provisioned_chips(**x)",
    "x // 2",
    "x % 2",
    "x if y else z",
    "[x]",
    "(x, y)",
    "{x}",
    "{'a': x}",
    "x @ y",
    "x & y",
    "~x",
    "x is y",
    "x in y",
    "'label'",
    "1j",
    "b'x'",
    "...",
    "where(cond=x, a=y, b=z)",
]


@given(EXPRESSIONS, st.sampled_from(DISALLOWED), st.integers(0, 10_000))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_disallowed_syntax_is_always_refused(tree, bad, position):
    """A construct outside the grammar put in place of any name of a valid formula is refused."""
    formula = text(tree)
    names = [i for i, c in enumerate(formula) if c in "xyz"]
    if names:
        at = names[position % len(names)]
        mutated = formula[:at] + f"({bad})" + formula[at + 1 :]
    else:
        mutated = f"({bad}) + {formula}"
    with pytest.raises(StudyError):
        Compiler(PLAIN).compile(parse_formula(mutated), parse_unit("1"))


@given(st.text(alphabet="xyz0123456789+-*/()., _abcdefghijklmnopqrstuvw'[]{}:=<>!@%&|^~\"#\\", max_size=40))
@settings(max_examples=300, deadline=None)
def test_any_text_parses_or_is_refused_as_a_study_error(junk):
    try:
        formula = parse_formula(junk)
        Compiler(PLAIN).compile(formula, parse_unit("1"))
    except StudyError:
        pass


# ----------------------------------------------------------------------------- constants and chains
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "x * 10**10**10",
            "column 5: the constant 10**10**10 is not a finite number (too large for a float)",
        ),
        ("x * 10**400", "column 5: the constant 10**400 is not a finite number (too large for a float)"),
        ("x / 0", "column 5: divides by zero (the constant 0)"),
        ("x / (2 - 2)", "column 6: divides by zero (the constant 2 - 2)"),
        ("x * 0.0 ** -1", "column 5: divides by zero (the constant 0.0)"),
        ("x + 1e308 * 10 * y", "column 5: the constant 1e308 * 10 is not a finite number (it is inf)"),
        ("x + log(0)", "column 5: the constant log(0) is not a finite number (it is -inf)"),
        ("x * sqrt(-1)", "column 5: the constant sqrt(-1) is not a finite number (it is nan)"),
        ("x * (1 / (1 - 1))", "column 11: divides by zero (the constant 1 - 1)"),
        ("x * exp(1000)", "column 5: the constant exp(1000) is not a finite number (it is inf)"),
    ],
)
def test_a_constant_that_is_not_a_finite_number_is_refused_when_compiled(text, message):
    with pytest.raises(StudyError) as err:
        compile_(text)
    assert str(err.value) == message


def test_constants_are_folded_to_the_value_the_arithmetic_gives():
    assert value("2 ** 10 * x / 4") == pytest.approx(2**10 * ENV["x"] / 4)
    assert value("x * 10 ** -300 * 1e300") == pytest.approx(ENV["x"])


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_a_flat_chain_of_any_length_within_the_limit_compiles_and_runs(op):
    n = 4961  # 9,921 characters
    text = op.join(["x"] * n)
    compiled = Compiler(PLAIN).compile(parse_formula(text), parse_unit("1"))
    x = PLAIN_ENV["x"]
    want = x.copy()
    with np.errstate(all="ignore"):
        for _ in range(n - 1):
            want = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[op](want, x)
        got = compiled.fn(PLAIN_ENV)
    np.testing.assert_array_equal(got, want)


def test_a_long_chain_converts_each_term_to_the_first_ones_unit():
    # hours + ms/query * query/user/day * user ... in hours; a sum of 300 alternating terms
    out = value(" + ".join(["hours", "hours * 60 / 60"] * 150), "hour")
    np.testing.assert_allclose(out, ENV["hours"] * 300)
    with pytest.raises(StudyError, match="cannot subtract hour and user"):
        value("hours + hours - users", "hour")


def test_a_long_product_of_inputs_that_may_be_zero_is_checked_factor_by_factor():
    def zero_check(name):
        return "whose distribution reaches zero" if name == "share" else None

    with pytest.raises(StudyError, match="divides by share"):
        compile_("users / (" + " * ".join(["growth"] * 1000) + " * share)", "user", zero_check=zero_check)
