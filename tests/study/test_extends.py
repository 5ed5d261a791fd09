"""Studies that extend another: what is inherited, overridden, added and dropped; cycles; the
resolved study is what runs, what `show` prints and what a saved result keeps."""

import textwrap

import numpy as np
import pytest

import chipdemand as cd
from chipdemand.study.authoring import show
from chipdemand.study.loader import parse_study, priors_dir


def write(path, text):
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


CHILD = """
[study]
name = "chatgpt_longer"
extends = "chatgpt_inference"
title = "ChatGPT with longer answers and no heavy-use scenario"
drop = ["heavy_use"]

[inputs.chars_per_answer]
unit = "char/query"
dist = "lognormal"
ci = [200, 1000]
point = 20
source = "test: answers of a few hundred characters"

[scenarios.fewer_users]
daily_active_users = { dist = "lognormal", ci = [5e6, 2e7] }
"""


@pytest.fixture
def child(tmp_path):
    return cd.load_study(write(tmp_path / "child.toml", CHILD))


def test_a_child_inherits_overrides_adds_and_drops(child):
    parent = cd.load_study("chatgpt_inference")
    assert child.name == "chatgpt_longer" and child.title.startswith("ChatGPT with longer")
    assert (
        child.model.name == parent.model.name and child.source == parent.source and child.headline == "chips"
    )
    assert set(child.inputs) == set(parent.inputs)
    assert child.inputs["chars_per_answer"].dist.describe() == "lognormal(ci=[200, 1000])"
    assert child.inputs["chars_per_answer"].source == "test: answers of a few hundred characters"
    assert child.inputs["questions_per_user"].source == parent.inputs["questions_per_user"].source
    assert child.scenario_names == ["base", "longer_answers", "usage_2024", "fewer_users"]
    assert child.outputs["chips"].reported == 16204  # Ping An 2023-02-28: 16204 A100
    assert child.parents[0].endswith("chatgpt_inference.toml")


def test_a_child_and_its_parent_share_the_draws_of_the_inputs_they_share(child):
    a = cd.simulate("chatgpt_inference", draws=20_000, seed=5, scenarios=["base"])
    b = cd.simulate(child, draws=20_000, seed=5, scenarios=["base"])
    for name in child.inputs:
        if name != "chars_per_answer":
            np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    # the answers' uniforms are the same too: only their distribution changed
    ranks = [np.argsort(np.argsort(r.chars_per_answer.values[0])) for r in (a, b)]
    np.testing.assert_array_equal(ranks[0], ranks[1])


def test_the_resolved_study_is_shown_and_saved_and_reruns_without_its_parent(tmp_path):
    parent = write(tmp_path / "parent.toml", (priors_dir() / "chatgpt_inference.toml").read_text())
    (tmp_path / "sub").mkdir()
    path = write(tmp_path / "sub" / "child.toml", CHILD.replace('"chatgpt_inference"', '"../parent.toml"'))
    study = cd.load_study(path)
    text = show(path)
    assert text == study.text and "extends" not in text.split("\n", 1)[1] and "heavy_use" not in text
    assert text.startswith("# chatgpt_longer resolved: it extends parent.toml")
    res = cd.simulate(study, draws=2_000, seed=1)
    assert res.attrs["study_toml"] == text
    saved = cd.save_results(res, tmp_path / "run.nc")
    parent.unlink()
    assert cd.rerun(saved).identical
    again = parse_study(text, "again.toml")
    assert again.scenario_names == study.scenario_names


def test_a_parent_may_extend_another(tmp_path):
    write(tmp_path / "a.toml", CHILD)
    write(
        tmp_path / "b.toml",
        """
        [study]
        name = "grandchild"
        extends = "a.toml"
        drop = ["usage_2024", "outputs.capex"]
        """,
    )
    study = cd.load_study(tmp_path / "b.toml")
    assert study.scenario_names == ["base", "longer_answers", "fewer_users"]
    assert study.outputs["capex"].reported is None  # its table (the reported value) is dropped
    assert study.inputs["chars_per_answer"].source.startswith("test:")
    assert [p.rsplit("/", 1)[-1] for p in study.parents] == ["a.toml", "chatgpt_inference.toml"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {
                "a.toml": '[study]\nname = "a"\nextends = "b.toml"\n',
                "b.toml": '[study]\nname = "b"\nextends = "a.toml"\n',
            },
            "study.extends: a cycle of extends: a.toml -> b.toml -> a.toml",
        ),
        ({"a.toml": '[study]\nname = "a"\nextends = "a.toml"\n'}, "a cycle of extends: a.toml -> a.toml"),
        (
            {"a.toml": '[study]\nname = "a"\nextends = "chatgpt_inferense"\n'},
            "study.extends: unknown study 'chatgpt_inferense' (did you mean 'chatgpt_inference'?)",
        ),
        ({"a.toml": '[study]\nname = "a"\nextends = "nowhere.toml"\n'}, "study.extends: no such study file"),
        (
            {"a.toml": '[study]\nextends = "chatgpt_inference"\n'},
            "study.name: a study that extends another needs a name of its own",
        ),
        (
            {"a.toml": '[study]\nname = "a"\nextends = "chatgpt_inference"\ndrop = ["heavy"]\n'},
            "study.drop: the parent study has no scenario 'heavy' to drop (did you mean 'heavy_use'?)",
        ),
        (
            {"a.toml": '[study]\nname = "a"\nextends = "chatgpt_inference"\ndrop = ["observations.dau"]\n'},
            "study.drop: the parent study has no observation 'dau' to drop",
        ),
        (
            {"a.toml": '[study]\nname = "a"\nextends = "chatgpt_inference"\ndrop = ["study.name"]\n'},
            "study.drop: cannot drop 'study.name'",
        ),
        (
            {
                "a.toml": '[study]\nname = "a"\nextends = "b.toml"\n',
                "b.toml": '[study]\nname = "b"\n[inputs\n',
            },
            "b.toml: not valid TOML",
        ),
    ],
)
def test_extends_mistakes_are_one_clear_error(tmp_path, files, message):
    for name, text in files.items():
        write(tmp_path / name, text)
    with pytest.raises(cd.StudyError) as err:
        cd.load_study(tmp_path / "a.toml")
    assert message in str(err.value)


def test_a_childs_own_mistakes_are_reported_at_once_with_its_file(tmp_path):
    path = write(
        tmp_path / "a.toml",
        """
        [study]
        name = "a"
        extends = "chatgpt_inference"
        [inputs.utilization]
        unit = "1"
        dist = "normal"
        mean = 0.5
        sd = 0.3
        source = "test"
        [inputs.chars_per_answer]
        unit = "kilogram"
        dist = "point"
        value = 3
        source = "test"
        """,
    )
    with pytest.raises(cd.StudyError) as err:
        cd.load_study(path)
    text = str(err.value)
    assert text.startswith(f"{path}: 2 problems: inputs.chars_per_answer.unit: unit 'kilogram'")
    assert "inputs.utilization: normal(mean=0.5, sd=0.3) puts probability 0.096 outside" in text


def test_correlations_merge_pair_by_pair(tmp_path):
    parent = write(
        tmp_path / "parent.toml",
        (priors_dir() / "chatgpt_inference.toml").read_text()
        + "\n[correlations]\ndaily_active_users.questions_per_user = -0.3\n"
        + "model_parameters.prompt_tokens = 0.4\n",
    )
    assert cd.load_study(parent).correlations[("daily_active_users", "questions_per_user")] == -0.3
    child = write(
        tmp_path / "child.toml",
        """
        [study]
        name = "child"
        extends = "parent.toml"
        drop = ["correlations.prompt_tokens.model_parameters"]
        [correlations]
        questions_per_user.daily_active_users = 0.2
        chars_per_answer.questions_per_user = 0.1
        """,
    )
    study = cd.load_study(child)
    assert study.correlations == {
        ("daily_active_users", "questions_per_user"): 0.2,
        ("chars_per_answer", "questions_per_user"): 0.1,
    }


def test_a_formula_study_can_be_extended_with_new_formulas(tmp_path):
    path = write(
        tmp_path / "a.toml",
        """
        [study]
        name = "sora_energy"
        extends = "sora_inference"
        title = "Sora at Douyin scale, and its power"

        [inputs.chip_power]
        unit = "kW/chip"
        dist = "uniform"
        low = 0.3
        high = 0.4
        source = "test"

        [outputs.power]
        formula = "chips * chip_power"
        unit = "GW"
        description = "power of the fleet"
        """,
    )
    study = cd.load_study(path)
    res = cd.simulate(study, draws=3_000, seed=2)
    parent = cd.simulate("sora_inference", draws=3_000, seed=2)
    np.testing.assert_array_equal(res.chips.values, parent.chips.values)
    np.testing.assert_allclose(res.power.values, res.chips.values * res.chip_power.values / 1e6, rtol=1e-15)


def test_observations_are_inherited_overridden_and_dropped_with_their_scenarios(tmp_path):
    parent = cd.load_study("chatgpt_inference")
    # heavy_use is dropped: it leaves the 2023 observation's scenarios; usage_2024 too, and with
    # it the 2024 observation, made of it alone (a study keeps no observation of nothing)
    path = write(
        tmp_path / "a.toml",
        """
        [study]
        name = "a"
        extends = "chatgpt_inference"
        drop = ["heavy_use", "usage_2024"]
        """,
    )
    study = cd.load_study(path)
    assert set(parent.observations) == {"dau_feb_2023", "dau_feb_2024"}
    assert list(study.observations) == ["dau_feb_2023"]
    assert study.observations["dau_feb_2023"].scenarios == ("base", "longer_answers")
    assert parent.observations["dau_feb_2023"].scenarios == ("base", "heavy_use", "longer_answers")
    # an observation given again replaces the parent's; one named in drop goes
    path = write(
        tmp_path / "b.toml",
        """
        [study]
        name = "b"
        extends = "chatgpt_inference"
        drop = ["observations.dau_feb_2024"]
        [observations.dau_feb_2023]
        target = "daily_active_users"
        value = 3e7
        ci = [2e7, 4.5e7]
        source = "test: a different reading of the same month"
        """,
    )
    study = cd.load_study(path)
    assert list(study.observations) == ["dau_feb_2023"]
    assert study.observations["dau_feb_2023"].value == 3e7
    assert study.observations["dau_feb_2023"].scenarios is None  # the whole table was replaced
    # and the resolved study reads back with them (what a saved result keeps)
    again = parse_study(study.text, "again.toml")
    assert again.observations == study.observations


def test_a_child_that_breaks_an_observed_input_hears_of_the_input_only(tmp_path):
    path = write(
        tmp_path / "a.toml",
        """
        [study]
        name = "a"
        extends = "chatgpt_inference"
        [inputs.daily_active_users]
        unit = "user"
        dist = "lognormal"
        ci = [3e7, 1e7]
        source = "test"
        """,
    )
    with pytest.raises(cd.StudyError) as err:
        cd.load_study(path)
    text = str(err.value)
    assert text.startswith(f"{path}: inputs.daily_active_users.ci:"), text
    assert "observations" not in text and "problems" not in text


# ----------------------------------------------------------------------------- errors in a parent
def _parent_with(tmp_path, name="parent.toml", **lines):
    """chatgpt_inference with some of its lines replaced (line number → new text)."""
    text = (priors_dir() / "chatgpt_inference.toml").read_text().splitlines()
    for number, line in lines.items():
        text[int(number[1:]) - 1] = line
    return write(tmp_path / name, "\n".join(text) + "\n")


def _units_at(tmp_path, name="parent.toml"):
    # line 30: questions_per_user's unit, line 37: chars_per_answer's
    return _parent_with(tmp_path, name, l30='unit = "kilogram"', l37="unit = 5")


def test_problems_inside_a_parent_name_the_parents_file(tmp_path):
    parent = _units_at(tmp_path)
    child = write(tmp_path / "child.toml", '[study]\nname = "child"\nextends = "parent.toml"\n')
    with pytest.raises(cd.StudyError) as err:
        cd.load_study(child)
    assert {p.file for p in err.value.problems} == {str(parent)}
    assert str(err.value).startswith(f"{parent}: 2 problems: inputs.questions_per_user.unit: unit 'kilogram'")
    assert "child.toml" not in str(err.value)


def test_one_problem_inside_a_parent_names_the_parents_file(tmp_path):
    parent = _parent_with(tmp_path, l30='unit = "kilogram"')
    child = write(tmp_path / "child.toml", '[study]\nname = "child"\nextends = "parent.toml"\n')
    with pytest.raises(cd.StudyError) as err:
        cd.load_study(child)
    assert err.value.file == str(parent) and err.value.key == "inputs.questions_per_user.unit"


def test_a_childs_and_its_parents_problems_each_name_their_own_file(tmp_path):
    parent = _units_at(tmp_path)
    child = write(
        tmp_path / "child.toml",
        '[study]\nname = "child"\nextends = "parent.toml"\n'
        '[inputs.utilization]\nunit = "kilogram"\ndist = "point"\nvalue = 0.5\nsource = "test"\n',
    )
    with pytest.raises(cd.StudyError) as err:
        cd.load_study(child)
    files = {p.key: p.file for p in err.value.problems}
    assert files == {
        "inputs.questions_per_user.unit": str(parent),
        "inputs.chars_per_answer.unit": str(parent),
        "inputs.utilization.unit": str(child),
    }
    text = str(err.value)
    assert text.startswith(f"{child}: 3 problems: {parent}: inputs.questions_per_user.unit: unit 'kilogram'")
    assert f"; {parent}: inputs.chars_per_answer.unit: " in text
    assert "; inputs.utilization.unit: unit 'kilogram'" in text


def test_a_problem_two_parents_up_names_the_grandparents_file(tmp_path):
    grandparent = _parent_with(tmp_path, "grandparent.toml", l30='unit = "kilogram"')
    write(tmp_path / "parent.toml", '[study]\nname = "parent"\nextends = "grandparent.toml"\n')
    child = write(tmp_path / "child.toml", '[study]\nname = "child"\nextends = "parent.toml"\n')
    with pytest.raises(cd.StudyError) as err:
        cd.load_study(child)
    assert err.value.file == str(grandparent)
    # the parent's own mistake in its extends names the parent
    parent = write(tmp_path / "parent.toml", '[study]\nname = "parent"\nextends = "nowhere.toml"\n')
    with pytest.raises(cd.StudyError) as err:
        cd.load_study(child)
    assert err.value.file == str(parent) and err.value.key == "study.extends"


def test_an_entry_the_child_gives_again_is_the_childs(tmp_path):
    _parent_with(tmp_path, l30='unit = "kilogram"')
    child = write(
        tmp_path / "child.toml",
        '[study]\nname = "child"\nextends = "parent.toml"\n'
        '[inputs.questions_per_user]\nunit = "kilogram"\ndist = "point"\nvalue = 5\nsource = "test"\n',
    )
    with pytest.raises(cd.StudyError) as err:
        cd.load_study(child)
    assert err.value.file == str(child)


def test_the_cli_names_the_parents_file_for_its_problems(tmp_path, cli):
    parent = _units_at(tmp_path)
    child = write(
        tmp_path / "child.toml",
        '[study]\nname = "child"\nextends = "parent.toml"\n'
        '[inputs.utilization]\nunit = "kilogram"\ndist = "point"\nvalue = 0.5\nsource = "test"\n',
    )
    result = cli("show", child)
    assert result.code == 2 and "Traceback" not in result.err
    (line,) = result.err.splitlines()
    assert line.startswith(f"error: {child}: 3 problems: {parent}: inputs.questions_per_user.unit: ")
    assert f"; {parent}: inputs.chars_per_answer.unit: expected " in line
    result = cli("show", write(tmp_path / "only.toml", '[study]\nname = "only"\nextends = "parent.toml"\n'))
    assert result.err.startswith(f"error: {parent}: 2 problems: inputs.questions_per_user.unit: ")
