"""The formula language's grammar: every construct outside it refused at its column, the text
never compiled to code, and formulas nested or chained to any length answered without recursion."""

import ast
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipdemand.errors import StudyError
from chipdemand.language.parse import MAX_DEPTH, chain, nesting_depth, parse_formula

# ----------------------------------------------------------------------------- refusals
REFUSED = [
    ("users.count", "column 1: attribute access is not allowed"),
    ("share * users.real", "column 9: attribute access is not allowed"),
    ("users[0]", "column 1: subscripts ([...]) are not allowed"),
    ("(lambda: 1)()", "column 1: only functions called by name are allowed"),
    ("np.log(x)", "column 1: attribute access is not allowed; call functions by name (log(...))"),
    ("sum(lambda: 1)", "unknown function 'sum'"),
    ("x + (lambda q: q)", "column 6: lambda is not allowed"),
    ("[u for u in users]", "column 1: comprehensions are not allowed"),
    ("max(u for u in users)", "column 4: comprehensions are not allowed"),
    ("{u: 1 for u in users}", "column 1: comprehensions are not allowed"),
    ("f'{users}'", "column 1: f-strings are not allowed"),
    ("max(*users)", "column 5: starred arguments (*x) are not allowed"),
    ("(y := 2) + x", "column 2: assignment expressions (:=) are not allowed"),
    ("__import__", "column 1: names starting with '__' are not allowed"),
    ("x + __builtins__", "column 5: names starting with '__' are not allowed"),
    ("__import__('os').system('ls')", "column 1: attribute access is not allowed"),
    ("open('/etc/passwd')", "column 1: unknown function 'open'"),
    ("evil(x)", "column 1: unknown function 'evil'"),
    ("provisioned_chips(gpus)", "column 19: library functions take keyword arguments only"),
    ("provisioned_chips(**x)", "column 21: ** arguments are not allowed"),
    ("where(cond=x > 1, a=x, b=y)", "where() takes its arguments by position"),
    ("x // 2", "column 1: // is not allowed; use floor(a / b)"),
    ("x % 2", "column 1: % is not allowed"),
    ("x @ y", "column 1: @ is not allowed"),
    ("x & y", "column 1: & is not allowed; use 'and'"),
    ("x | y", "column 1: | is not allowed; use 'or'"),
    ("x ^ y", "column 1: ^ is not allowed; use ** for a power"),
    ("x << 2", "column 1: << is not allowed"),
    ("~x", "column 1: ~ is not allowed; use 'not'"),
    ("x if y > 0 else z", "column 1: conditional expressions are not allowed; use where(cond, a, b)"),
    ("[x, y]", "column 1: lists are not allowed"),
    ("(x, y)", "column 1: tuples are not allowed"),
    ("{x, y}", "column 1: sets are not allowed"),
    ("{'a': x}", "column 1: dicts are not allowed"),
    ("x is y", "column 1: 'is' is not allowed; use =="),
    ("x is not y", "column 1: 'is not' is not allowed"),
    ("x in y", "column 1: 'in' is not allowed"),
    ("x not in y", "column 1: 'not in' is not allowed"),
    ("'roofline'", "column 1: a string is only allowed compared with a structural choice"),
    ("x + 'a'", "column 5: a string is only allowed compared with a structural choice"),
    ("method < 'roofline'", "column 10: a string is only allowed compared with a structural choice"),
    ("x + 1j", "column 5: complex constants are not allowed"),
    ("x + b'a'", "column 5: bytes constants are not allowed"),
    ("x + ...", "column 5: ellipsis constants are not allowed"),
    ("import os", "column 1: bad syntax"),
    ("x = 1", "bad syntax"),
    ("x +", "bad syntax"),
    ("(x + 1", "bad syntax ('(' was never closed)"),
    ("", "empty formula"),
    ("x" + " + x" * 3000, "at most 10000"),
]


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_constructs_outside_the_grammar_are_refused_at_their_column(text, message):
    with pytest.raises(StudyError) as err:
        parse_formula(text)
    assert message in str(err.value)


def test_a_formula_must_be_text():
    with pytest.raises(StudyError, match="expected a formula as text, got 3"):
        parse_formula(3)


def test_columns_count_characters_not_bytes():
    with pytest.raises(StudyError, match="column 11: attribute"):
        parse_formula("ünïcödé + x.y")


# ----------------------------------------------------------------------------- depth
def test_a_flat_sum_or_product_of_any_length_within_the_limit_parses():
    for op in ("+", "-", "*", "/"):
        text = op.join(["a"] * 4961)  # 9,921 characters: a left-deep tree 4,961 levels deep
        assert parse_formula(text).names == {"a"}


@pytest.mark.parametrize(
    "text",
    [
        "-" * 400 + "a",
        "where(" + "not " * 500 + "(a > 1), a, a)",
        "-" * 9_999 + "a",  # deeper than CPython's own parser goes
        "**".join(["a"] * 3_000),  # a power is no chain: each one nests
        "abs(" * 101 + "a" + ")" * 101,
    ],
)
def test_a_formula_nested_too_deeply_is_one_study_error(text):
    with pytest.raises(StudyError, match=f"nested more than {MAX_DEPTH} levels deep"):
        parse_formula(text)


def test_the_depth_counts_a_chain_as_one_level():
    # a name is two levels: the name and its context (Load)
    assert nesting_depth(parse_formula("+".join(["a"] * 4000)).tree.body) == 3
    assert nesting_depth(parse_formula("-(-(a * b))").tree.body) == 5
    assert nesting_depth(parse_formula("a - (b - c)").tree.body) == 4
    assert nesting_depth(ast.parse("a < b < c and d", mode="eval").body) == 4
    with pytest.raises(StudyError, match="nested more than"):
        parse_formula("abs(" * (MAX_DEPTH - 1) + "a" + ")" * (MAX_DEPTH - 1))
    parse_formula("abs(" * (MAX_DEPTH - 2) + "a" + ")" * (MAX_DEPTH - 2))


@given(st.lists(st.sampled_from(["+", "-", "*", "/"]), min_size=1, max_size=4_000))
@settings(max_examples=30, deadline=None)
def test_chains_are_read_left_to_right_without_recursion(ops):
    text = "a" + "".join(f" {op} a" for op in ops)
    tree = ast.parse(text, mode="eval").body
    links = chain(tree)
    if ops[-1] in "+-":
        # the last sum's operands: everything before it (a product chain) and the last a
        assert links is not None and [type(op) for op in links[1]][-1] in (ast.Add, ast.Sub)
    assert parse_formula(text).names == {"a"}


def test_a_formula_pickles_as_its_text():
    formula = parse_formula("+".join(["a"] * 4961))
    again = pickle.loads(pickle.dumps(formula))
    assert again.text == formula.text and again.names == formula.names


# ----------------------------------------------------------------------------- constants
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x * 1e400", "column 5: number too large (not a finite number)"),
        ("x * 1" + "0" * 400, "column 5: number too large"),
    ],
)
def test_a_number_that_is_no_float_is_refused_at_its_column(text, message):
    with pytest.raises(StudyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_formula(text)
