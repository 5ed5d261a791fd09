"""Study text read as TOML with its depth bounded (issue 20, item 1): a file nested thousands of
levels deep is one error line naming the file, never a RecursionError."""

import json
import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipdemand.errors import StudyError
from chipdemand.study import text as study_text
from chipdemand.study.text import MAX_DEPTH, nesting_depth, read_toml

DEEP = 3000
HEAD = '[study]\nname = "deep"\ntitle = "t"\nsource = "s"\n\n[inputs.x]\n'
NESTED = {
    "inline tables": "a = " + "{b = " * DEEP + "1" + "}" * DEEP,
    "arrays": "a = " + "[" * DEEP + "]" * DEEP,
    "a mix": "a = " + "[{b = " * (DEEP // 2) + "1" + "}]" * (DEEP // 2),
}


def one_error_line(r):
    lines = r.err.strip().splitlines()
    return r.code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.err


@pytest.mark.parametrize("what", NESTED)
@pytest.mark.parametrize("command", ["run", "show", "describe"])
def test_a_deeply_nested_study_is_one_error_line(cli, tmp_path, what, command):
    path = tmp_path / "deep.toml"
    path.write_text(HEAD + NESTED[what] + "\n", encoding="utf-8")
    r = cli(command, path)
    assert one_error_line(r), r.err
    assert f"error: {path}: nested more than {MAX_DEPTH} levels deep (tables or arrays): at line 7" in r.err


def test_a_deeply_nested_parent_names_the_parent(cli, tmp_path):
    parent = tmp_path / "parent.toml"
    parent.write_text(HEAD + NESTED["arrays"] + "\n", encoding="utf-8")
    child = tmp_path / "child.toml"
    child.write_text('[study]\nname = "child"\nextends = "parent.toml"\n', encoding="utf-8")
    r = cli("run", child)
    assert one_error_line(r), r.err
    assert f"error: {parent}: nested more than {MAX_DEPTH} levels deep" in r.err


def test_a_deeply_nested_file_is_left_out_of_the_shipped_list(tmp_path):
    from chipdemand.study.shipped import _head

    path = tmp_path / "deep.toml"
    path.write_text(HEAD + NESTED["inline tables"], encoding="utf-8")
    assert _head(path) is None


def test_nesting_up_to_the_bound_is_read():
    doc = read_toml("a = " + "[" * MAX_DEPTH + "]" * MAX_DEPTH, "f.toml")
    assert isinstance(doc["a"], list)
    with pytest.raises(StudyError, match="nested more than 64 levels deep"):
        read_toml("a = " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "f.toml")


def test_a_recursion_error_of_the_reader_is_a_study_error(monkeypatch):
    """The last resort: a reader that runs out of stack below the bound still gives one error."""
    monkeypatch.setattr(study_text, "MAX_DEPTH", 10**6)
    with pytest.raises(StudyError, match="f.toml: nested too deeply for the TOML reader"):
        read_toml("a = " + "[" * 100_000 + "]" * 100_000, "f.toml")


def test_invalid_toml_names_the_file():
    with pytest.raises(StudyError, match=r"^f.toml: not valid TOML: "):
        read_toml("a = [", "f.toml")


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("a = 1", 0),
        ("[study]\na = [[1, 2], {b = [3]}]", 3),
        ('a = "[[[[{{{{"  # ]]]]', 0),  # inside a string, after a comment
        ("a = '[[[['\nb = [1]", 1),
        ('a = """\n[[[\n"""\nb = [[1]]', 2),  # a multi-line basic string
        ("a = '''\n{{{\n'''", 0),  # a multi-line literal string
        ('a = "\\"[["', 0),  # an escaped quote inside a string
        ('a = """x""""\nb = [1]', 1),  # a multi-line string ending in a quote
        ("# [[[[\n[[t]]\nx = 1", 2),  # an array of tables' header
    ],
)
def test_the_depth_counts_brackets_outside_strings_and_comments(text, depth):
    assert nesting_depth(text)[0] == depth


#: text that looks like TOML's brackets, quotes and comments, inside strings
_TRICKY = st.text(alphabet="[]{}\"'#\\ab\n", max_size=6)


def _nested(children):
    tables = st.dictionaries(st.sampled_from("abc"), children, max_size=3)
    return st.one_of(st.lists(children, max_size=3), tables)


@given(st.recursive(st.one_of(st.integers(), _TRICKY), _nested, max_leaves=20))
def test_the_depth_of_written_toml_is_its_nesting(value):
    """Any value written inline, strings full of brackets, quotes and hashes included: the scan
    counts its arrays and tables exactly."""

    def depth(value):
        if isinstance(value, dict):
            return 1 + max(map(depth, value.values()), default=0)
        if isinstance(value, list):
            return 1 + max(map(depth, value), default=0)
        return 0

    def inline(value):
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k} = {inline(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(map(inline, value)) + "]"
        return json.dumps(value, ensure_ascii=False)  # a JSON string or integer is TOML's too

    text = f"v = {inline(value)}  # ]]"
    assert tomllib.loads(text) == {"v": value}
    assert nesting_depth(text)[0] == depth(value)
