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


# ----------------------------------------------------------------------------- wrong types
FORMULA_STUDY = """
[study]
name = "probe"
title = "t"
source = "s"
description = "d"
headline = "y"
years = [2024, 2025]

[inputs.x]
unit = "1"
dist = "lognormal"
ci = [1, 2]
source = "s"
point = 1.5
note = "n"

description = "d"
domain = "positive"

[inputs.k]
unit = "1"
choices = ["a", "b"]
dist = "choice"
values = ["a", "b"]
source = "s"

[constants.c]
value = 2.0
unit = "1"
source = "s"

[constants.tdp]
chip = "H100"
field = "tdp_watts"

[derived.d]
formula = "x * c"
unit = "1"
description = "dd"

[outputs.y]
formula = 'where(k == "a", d * 2, d)'
unit = "1"
description = "yy"
reported = 3.0
source = "s"

[observations.obs]
target = "x"
value = 1.5
ci = [1.4, 1.6]
level = 0.9
unit = "1"
source = "s"
"""

WRONG = "expected a unit's name (text), got"


def _parse_with(path, value):
    """FORMULA_STUDY (which parses) with the value at ``path`` set to ``value`` (``None``: taken out)."""
    import tomllib

    from chipdemand.study.extends import dump_document
    from chipdemand.study.loader import parse_study

    doc = tomllib.loads(FORMULA_STUDY)
    *head, last = path.split(".")
    table = doc
    for key in head:
        table = table[key]
    if value is None:
        del table[last]
    else:
        table[last] = value
    return parse_study(dump_document(doc), "probe.toml")


def test_the_formula_study_the_wrong_types_start_from_parses():
    assert _parse_with("study.title", "t").name == "probe"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("study.name", 5, "study.name: expected a text, got 5"),
        ("study.title", True, "study.title: expected a text, got True"),
        ("study.source", [1], "study.source: expected a text, got [1]"),
        ("study.description", 5, "study.description: expected text, got 5"),
        ("study.headline", 5, "study.headline: expected one of the outputs, got 5"),
        ("study.years", "2024", "study.years: expected a list of whole years"),
        ("study.extends", 5, "study.extends: expected a study's name or a path, got 5"),
        ("study.drop", "heavy", "study.drop: expected a list of names, got 'heavy'"),
        ("study.model", 5, "study.model: expected a model's name (text), got 5"),
        ("inputs.x.unit", 5, f"inputs.x.unit: {WRONG} 5"),
        ("inputs.x.unit", [1], f"inputs.x.unit: {WRONG} [1]"),
        ("inputs.x.source", 5, "inputs.x.source: expected a text, got 5"),
        ("inputs.x.point", "high", "inputs.x.point"),
        ("inputs.x.corrected", [1], "inputs.x.corrected"),
        ("inputs.x.audit", 5, "inputs.x.audit: expected text, got 5"),
        ("inputs.x.note", True, "inputs.x.note: expected text, got True"),
        ("inputs.x.stream", 5, "inputs.x.stream: expected an input's name, got 5"),
        ("inputs.x.description", [1], "inputs.x.description: expected text, got [1]"),
        ("inputs.x.domain", [1], "inputs.x.domain: expected a domain's name (text), got [1]"),
        ("inputs.k.choices", 5, "inputs.k.choices: expected a list of labels, got 5"),
        ("constants.c.value", "two", "constants.c.value"),
        ("constants.c.unit", 5, f"constants.c.unit: {WRONG} 5"),
        ("constants.c.source", 5, "constants.c.source: expected text (where this number comes from), got 5"),
        ("constants.c.description", 5, "constants.c.description: expected text, got 5"),
        ("constants.c.note", [1], "constants.c.note: expected text, got [1]"),
        ("constants.tdp.chip", 5, "constants.tdp.chip: expected a chip's name, got 5"),
        ("constants.tdp.field", 5, "constants.tdp.field: expected a field's name (text), got 5"),
        ("constants.tdp.description", 5, "constants.tdp.description: expected text, got 5"),
        ("derived.d.formula", 5, "derived.d.formula: expected a formula as text, got 5"),
        ("derived.d.unit", 5, f"derived.d.unit: {WRONG} 5"),
        ("derived.d.description", True, "derived.d.description: expected text, got True"),
        ("derived.d.note", 5, "derived.d.note: expected text, got 5"),
        ("outputs.y.formula", [1], "outputs.y.formula: expected a formula as text, got [1]"),
        ("outputs.y.unit", True, f"outputs.y.unit: {WRONG} True"),
        ("outputs.y.reported", "three", "outputs.y.reported"),
        ("outputs.y.source", 5, "outputs.y.source: expected text, got 5"),
        ("outputs.y.note", 5, "outputs.y.note: expected text, got 5"),
        ("outputs.y.description", 5, "outputs.y.description: expected text, got 5"),
        ("outputs.y.domain", [1], "outputs.y.domain: expected a domain's name (text), got [1]"),
        ("observations.obs.value", "x", "observations.obs.value"),
        ("observations.obs.ci", 5, "observations.obs.ci: expected two numbers [low, high], got 5"),
        ("observations.obs.level", "high", "observations.obs.level"),
        ("observations.obs.unit", 5, f"observations.obs.unit: {WRONG} 5"),
        ("observations.obs.source", 5, "observations.obs.source: expected text, got 5"),
        ("observations.obs.note", 5, "observations.obs.note: expected text, got 5"),
        ("observations.obs.target", 5, "observations.obs.target: expected a variable's name (text), got 5"),
    ],
)
def test_a_value_of_the_wrong_type_says_what_was_expected_and_given(path, value, message):
    with pytest.raises(StudyError) as err:
        _parse_with(path, value)
    text = str(err.value)
    assert text.startswith("probe.toml: ") and message in text, text
    assert "missing" not in text and "__missing__" not in text and "Traceback" not in text


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("inputs.x.unit", "probe.toml: inputs.x.unit: missing 'unit'"),
        ("derived.d.unit", "probe.toml: derived.d.unit: missing 'unit' (the unit of the result)"),
        ("outputs.y.unit", "probe.toml: outputs.y.unit: missing 'unit' (the unit of the result)"),
        ("constants.c.source", "probe.toml: constants.c.source: missing 'source'"),
        ("study.title", "probe.toml: study.title: missing (a text value)"),
    ],
)
def test_missing_is_said_of_an_absent_key_only_and_once(path, message):
    with pytest.raises(StudyError) as err:
        _parse_with(path, None)
    assert str(err.value).startswith(message), str(err.value)
