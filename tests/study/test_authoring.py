"""Writing studies: `show` prints what runs, `describe` what a model or study needs and computes,
`new_study` a starting file that is refused until every source is filled in."""

import tomllib

import pytest

import chipdemand as cd
from chipdemand.models import get_model
from chipdemand.study.authoring import describe, new_study, show
from chipdemand.study.loader import load_study, parse_study, priors_dir


def test_show_prints_a_study_without_parents_as_its_own_file():
    text = show("chatgpt_inference")
    assert text == (priors_dir() / "chatgpt_inference.toml").read_text(encoding="utf-8")


def test_describe_a_model_lists_units_domains_and_the_choice_that_uses_each_input():
    d = describe("llm_inference")
    assert d["kind"] == "model" and d["model"] == "llm_inference"
    inputs = {i["name"]: i for i in d["inputs"]}
    assert inputs["seconds_per_char"] == {
        "name": "seconds_per_char",
        "unit": "s/char",
        "description": "latency method: single-stream time per character",
        "domain": "positive",
        "choices": None,
        "used_when": [{"choice": "method", "labels": ["latency"]}],
    }
    assert inputs["method"]["choices"] == ["latency", "roofline"]
    assert (
        inputs["peak_to_average"]["domain"] == "at_least_one" and inputs["utilization"]["domain"] == "share"
    )
    assert inputs["gpu_memory"]["used_when"] == [{"choice": "memory_check", "labels": ["by_memory"]}]
    assert [o["name"] for o in d["outputs"]][:3] == ["queries_per_day", "gpu_hours_per_day", "chips"]


def test_describe_a_formula_study_lists_its_formulas():
    d = describe("sora_inference")
    assert d["kind"] == "study" and d["model"] == "sora_inference"
    outputs = {o["name"]: o for o in d["outputs"]}
    assert outputs["video_hours_per_day"]["formula"] == (
        'where(question == "creator_uploads", generated_upload_hours_per_day,\n'
        "    daily_active_users * watch_hours_per_user * generated_share)"
    )
    assert outputs["chips"]["reported"] == 1.846e7  # Minsheng 2024-02-25: 1846万 A100
    assert [x["name"] for x in d["derived"]] == ["clip_patches", "layers", "forward_flop_per_day"]
    assert {c["name"] for c in d["constants"]} == {
        "video_minute",
        "minutes_per_hour",
        "seconds_per_day",
        "tdp_watts",
        "hours_per_year",
    }
    inputs = {i["name"]: i for i in d["inputs"]}
    assert inputs["hidden_size"]["used_when"] == [{"choice": "attention", "labels": ["full_clip"]}]
    assert inputs["watch_hours_per_user"]["written_unit"] == "hour/user/day"
    assert {s["name"] for s in d["scenarios"]} == {
        "as_printed",
        "partly_generated",
        "distilled",
        "creator_uploads",
        "generated_720p",
        "minute_long_clips",
    }


def test_describe_prefers_the_study_of_a_name_that_is_both_unless_told():
    assert describe("ai_server_market")["kind"] == "study"
    assert describe("ai_server_market", kind="model")["kind"] == "model"
    with pytest.raises(cd.StudyError, match=r"no study or model called 'llm_inferense' \(did you mean"):
        describe("llm_inferense")


@pytest.mark.parametrize("model", ["llm_inference", "video_generation_inference", "compute_supply_race"])
def test_a_new_study_on_a_model_has_every_input_and_is_refused_until_sourced(tmp_path, model):
    text = new_study("my_study", model=model)
    doc = tomllib.loads(text)
    assert doc["study"]["model"] == model and doc["study"]["name"] == "my_study"
    assert set(doc["inputs"]) == {i.name for i in get_model(model).inputs}
    assert all(spec["source"] == "TODO" for spec in doc["inputs"].values())
    path = tmp_path / "my_study.toml"
    path.write_text(text, encoding="utf-8")
    draft = load_study(path, drafts=True)
    assert show(path) == text and draft.name == "my_study"
    with pytest.raises(cd.StudyError) as err:
        load_study(path)
    message = str(err.value)
    assert f'inputs: source still "TODO" for {len(doc["inputs"])} inputs: ' in message
    assert all(name in message for name in doc["inputs"])


def test_a_new_study_from_a_study_keeps_its_distributions_and_asks_for_sources(tmp_path):
    text = new_study("chatgpt_again", from_study="chatgpt_inference")
    assert "# was: Ping An 2023-02-28: 以ChatGPT日活用户2000万估算" in text
    doc = tomllib.loads(text)
    original = tomllib.loads(show("chatgpt_inference"))
    assert doc["study"]["name"] == "chatgpt_again"
    for name, spec in original["inputs"].items():
        expected = {**spec, "source": "TODO"} if spec.get("dist") != "catalog" or "source" in spec else spec
        assert doc["inputs"][name] == expected, name
    assert doc["scenarios"]["usage_2024"]["daily_active_users"]["source"] == "TODO"
    study = parse_study(text, "again.toml", drafts=True)
    assert study.scenario_names == cd.load_study("chatgpt_inference").scenario_names
    with pytest.raises(cd.StudyError, match='source still "TODO" for'):
        parse_study(text, "again.toml")


def test_a_new_formula_study_runs_once_its_sources_are_filled_in():
    text = new_study("fresh")
    with pytest.raises(cd.StudyError, match='source still "TODO" for 3 inputs'):
        parse_study(text, "fresh.toml")
    study = parse_study(text.replace('source = "TODO"', 'source = "my notes"'), "fresh.toml")
    res = cd.simulate(study, draws=1_000, seed=1)
    assert res.gpus.attrs["unit"] == "GPU" and float(res.gpus.median()) > 0


def test_new_study_checks_its_arguments():
    with pytest.raises(cd.StudyError, match="give a model or a study to start from, not both"):
        new_study("x", model="llm_inference", from_study="chatgpt_inference")
    with pytest.raises(cd.StudyError, match="name: expected a study name"):
        new_study("bad name")
    with pytest.raises(cd.StudyError, match="unknown model 'llm_inferense'"):
        new_study("x", model="llm_inferense")


# ----------------------------------------------------------------------------- the quick describe
def _without_dist(d):
    """A description less each input's distribution text (as written on the quick path, as
    built on the compiled one: ``lognormal(quantiles=...)`` against the fitted ``ci``)."""
    return {**d, "inputs": [{k: v for k, v in i.items() if k != "dist"} for i in d["inputs"]]}


def _study_files():
    from pathlib import Path

    from chipdemand.study.shipped import resolve, study_paths

    examples = sorted((Path(__file__).parents[2] / "examples").glob("*.toml"))
    return [resolve(name) for name in study_paths()] + examples


@pytest.mark.parametrize("path", _study_files(), ids=lambda p: p.stem)
def test_the_quick_description_is_the_compiled_one(path):
    """``describe`` reads a study from its file without compiling it when it can; it must say
    what the compiled study says, input by input and formula by formula."""
    from chipdemand.study.authoring import _describe_file, _describe_study

    quick = _describe_file(path)
    if quick is None:
        pytest.skip("compiled to be described")
    assert _without_dist(quick) == _without_dist(_describe_study(load_study(path)))


def test_the_quick_description_answers_models_hybrids_and_formulas_without_where():
    from chipdemand.study.authoring import _describe_file
    from chipdemand.study.shipped import resolve

    for name in ("china_compute_supply", "chatgpt_inference", "chatgpt_training", "ai_server_market"):
        assert _describe_file(resolve(name)) is not None, name
    # a formula study whose formulas decide when an input is read is compiled to be described
    assert _describe_file(resolve("sora_inference")) is None
