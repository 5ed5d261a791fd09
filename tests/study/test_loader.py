"""The study loader's contract: every problem of a file at once, one error line naming the file
and the key, what was expected and what was given."""

import pytest
import tomli_w

import chipdemand as cd
from chipdemand.errors import StudyError
from chipdemand.study.shipped import priors_dir


def one_error_line(r):
    lines = r.err.strip().splitlines()
    return r.code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.err


@pytest.fixture(scope="module")
def chatgpt_text():
    return (priors_dir() / "chatgpt_inference.toml").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- required tables
def test_a_misspelt_study_table_is_named_with_the_missing_one(cli, tmp_path, chatgpt_text):
    path = tmp_path / "studdy.toml"
    path.write_text(chatgpt_text.replace("[study]", "[studdy]", 1), encoding="utf-8")
    r = cli("run", path)
    assert one_error_line(r), r.err
    assert r.err.strip() == (
        f"error: {path}: 2 problems: studdy: unknown key 'studdy' (did you mean 'study'?); "
        "study: missing table"
    )


def test_a_missing_inputs_table_keeps_the_problems_found_before_it():
    text = '[study]\nname = "x"\ntitle = "t"\nsource = "s"\nmodel = "llm_inference"\ncolour = 1\n'
    with pytest.raises(StudyError) as caught:
        cd.parse_study(text, "x.toml")
    assert [p.key for p in caught.value.problems] == ["study.colour", "inputs"]
    assert str(caught.value).endswith("inputs: missing table")


@pytest.mark.parametrize("table", ["outputs", "derived", "constants", "scenarios"])
def test_a_table_that_is_not_a_table_keeps_the_other_problems(study_doc, table):
    study_doc[table] = 5
    study_doc["study"]["colour"] = 1
    with pytest.raises(StudyError) as caught:
        cd.parse_study(tomli_w.dumps(study_doc), "x.toml")
    assert "study.colour: unknown key 'colour'" in str(caught.value)
    assert f"{table}: expected a table, got 5" in str(caught.value)
