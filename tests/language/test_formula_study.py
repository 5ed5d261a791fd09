"""Formula studies: shipped studies restated as formulas give their Python models' numbers draw
for draw; studies from scratch, hybrids, years, constants, and every mistake reported at once."""

import textwrap
from pathlib import Path

import numpy as np
import pytest

import chipdemand as cd
from chipdemand.analysis.replay import replay_study
from chipdemand.catalog import chip
from chipdemand.errors import StudyErrors
from chipdemand.formulas import hardware
from chipdemand.models import MODELS
from chipdemand.study.loader import load_study, parse_study

DATA = Path(__file__).parents[1] / "data"


# ----------------------------------------------------------------------------- restated studies
@pytest.mark.parametrize(
    ("study", "twin"),
    [("ai_server_market", "ai_server_market_python.toml"), ("sora_inference", "sora_inference_python.toml")],
)
@pytest.mark.parametrize("method", ["mc", "lhs", "sobol"])
def test_a_formula_study_equals_the_python_model_it_restates_draw_for_draw(study, twin, method):
    formulas = cd.load_study(study)
    python = cd.load_study(DATA / twin)
    # the twin runs the Python model (with the shipped study's power formulas over it, a hybrid)
    assert formulas.model is not MODELS.get(study) and python.model.name.removesuffix("+formulas") in MODELS
    # the shipped study may add outputs and scenarios (the references' questions) that the twin,
    # which carries its inputs, cannot ask: compare the twin's scenarios and variables
    scenarios = list(python.scenario_names)
    a = cd.simulate(formulas, draws=70_000, seed=11, method=method, scenarios=scenarios)  # two blocks
    b = cd.simulate(python, draws=70_000, seed=11, method=method)
    assert set(b.data_vars) <= set(a.data_vars)
    for var in b.data_vars:
        np.testing.assert_array_equal(a[var].values, b[var].values, err_msg=var)


@pytest.mark.parametrize(
    ("study", "twin"),
    [("ai_server_market", "ai_server_market_python.toml"), ("sora_inference", "sora_inference_python.toml")],
)
def test_the_replay_of_a_formula_study_is_unchanged(study, twin):
    rows_a, audit_a = replay_study(study)
    rows_b, audit_b = replay_study(cd.load_study(DATA / twin))
    np.testing.assert_array_equal(rows_a["computed"].to_numpy(float), rows_b["computed"].to_numpy(float))
    np.testing.assert_array_equal(audit_a["factor"].to_numpy(float), audit_b["factor"].to_numpy(float))
    # Ping An 2023-02-28: 345.50亿 and 910.44亿 USD; Minsheng 2024-02-25: 82944 T patches, 1846万 A100
    reported = rows_a.set_index("variable")["rel_error"].abs()
    assert (reported < 1e-3).all()


def test_inputs_read_only_in_one_branch_know_it():
    study = cd.load_study("sora_inference")
    used = {i.name: i.used_when for i in study.model.inputs}
    assert used["hidden_size"] == (("attention", ("full_clip",)),)
    assert used["clip_seconds"] == (("attention", ("full_clip",)),)
    assert used["model_parameters"] == ()  # read by both branches


# ----------------------------------------------------------------------------- from scratch
ENERGY = """
[study]
name = "energy_per_query"
title = "Energy per chat query"
source = "tests"

[inputs.gpu_seconds_per_query]
unit = "s/query"
dist = "lognormal"
ci = [0.5, 4.0]
source = "test"

[inputs.gpu_power]
unit = "W/GPU"
dist = "uniform"
low = 300
high = 700
source = "test"

[inputs.pue]
unit = "1"
domain = "at_least_one"
dist = "uniform"
low = 1.1
high = 1.5
source = "test"

[constants.grid_intensity]
value = 400
unit = "g/kWh"
source = "test: a grid of 400 gCO2/kWh"

[derived.it_energy]
formula = "gpu_seconds_per_query * gpu_power"
unit = "J/query"

[outputs.energy]
formula = "it_energy * pue"
unit = "Wh/query"
description = "energy drawn from the grid per query"

[outputs.emissions]
formula = "energy * grid_intensity"
unit = "g/query"
description = "CO2 per query"
"""


def test_a_study_written_from_scratch_computes_its_formulas_in_their_units():
    study = parse_study(ENERGY, "energy.toml")
    res = cd.simulate(study, draws=5_000, seed=2)
    base = res.sel(scenario="base")
    expected_wh = base.gpu_seconds_per_query * base.gpu_power * base.pue / 3600  # J → Wh
    np.testing.assert_allclose(base.energy.values, expected_wh.values, rtol=1e-15)
    np.testing.assert_allclose(base.emissions.values, base.energy.values * 400 / 1000, rtol=1e-15)
    assert res.energy.attrs["unit"] == "Wh/query" and res.energy.attrs["description"]
    assert study.model.input("pue").domain == "at_least_one"
    assert study.model.input("gpu_power").domain == "positive"  # the default of a formula study's input


def test_a_formula_study_reruns_from_its_saved_text(tmp_path):
    study = parse_study(ENERGY, str(tmp_path / "energy.toml"))
    res = cd.simulate(study, draws=3_000, seed=4)
    path = cd.save_results(res, tmp_path / "run.nc")
    assert cd.rerun(path).identical


def test_threads_and_chunks_change_no_number_of_a_formula_study():
    study = cd.load_study("sora_inference")
    one = cd.simulate(study, draws=140_000, seed=3, threads=1)
    two = cd.simulate(study, draws=140_000, seed=3, threads=2)
    lazy = cd.simulate(study, draws=140_000, seed=3, chunks=50_000)
    for var in ("chips", "flop_per_day"):
        np.testing.assert_array_equal(one[var].values, two[var].values)
        np.testing.assert_array_equal(one[var].values, lazy[var].values)


# ----------------------------------------------------------------------------- years
GROWTH = """
[study]
name = "supply_race"
title = "Supply against demand by year"
source = "tests"
years = [2024, 2025, 2026, 2027, 2028]

[inputs.supply_2024]
unit = "EFLOPS"
dist = "lognormal"
ci = [50, 150]
source = "test"

[inputs.supply_growth]
unit = "1"
dist = "uniform"
low = 0.2
high = 0.4
source = "test"

[inputs.demand_2024]
unit = "EFLOPS"
dist = "lognormal"
ci = [20, 60]
source = "test"

[inputs.demand_growth]
unit = "1"
dist = "uniform"
low = 0.3
high = 1.2
source = "test"

[derived.supply]
formula = "supply_2024 * (1 + supply_growth) ** (year - 2024)"
unit = "EFLOPS"

[outputs.demand]
formula = "demand_2024 * (1 + demand_growth) ** (year - 2024)"
unit = "EFLOPS"
description = "demand by year"

[outputs.shortfall_years]
formula = "sum_over_years(where(demand > supply, 1, 0))"
unit = "1"
description = "years in which demand exceeds supply"

[outputs.crossing]
formula = "first_year(demand > supply)"
unit = "year"
description = "first year demand exceeds supply"
"""


def test_years_give_outputs_a_year_dim_and_reductions_remove_it():
    study = parse_study(GROWTH, "growth.toml")
    assert study.outputs["demand"].dims == ("year",)
    assert study.outputs["crossing"].dims == () and study.outputs["shortfall_years"].dims == ()
    assert "2029 when the condition never holds by 2028" in study.outputs["crossing"].description
    res = cd.simulate(study, draws=4_000, seed=1)
    assert res.demand.dims == ("scenario", "draw", "year")
    assert list(res.year.values) == [2024, 2025, 2026, 2027, 2028]
    base = res.sel(scenario="base")
    years = np.arange(2024, 2029)
    demand = base.demand_2024.values[:, None] * (1 + base.demand_growth.values[:, None]) ** (years - 2024)
    supply = base.supply_2024.values[:, None] * (1 + base.supply_growth.values[:, None]) ** (years - 2024)
    np.testing.assert_allclose(base.demand.values, demand, rtol=1e-14)
    above = demand > supply
    np.testing.assert_array_equal(base.shortfall_years.values, above.sum(axis=1))
    first = np.where(above.any(axis=1), years[np.argmax(above, axis=1)], 2029)
    np.testing.assert_array_equal(base.crossing.values, first)
    assert np.isfinite(base.crossing.values).all() and (base.crossing.values == 2029).any()
    table = cd.summarize(res)
    assert {2024, 2028} <= set(table["year"].dropna().astype(int))


# ----------------------------------------------------------------------------- hybrids
POWER = """
[study]
name = "chatgpt_power"
extends = "chatgpt_inference"
title = "ChatGPT's inference fleet and its power"
drop = ["inputs.tdp_watts", "inputs.overhead_share"]  # the shipped study's own power inputs

[inputs.tdp]
dist = "catalog"
field = "tdp_watts"
chips = { A100_40GB = 0.5, A100 = 0.5 }
stream = "gpu_memory"

[inputs.average_draw_share]
unit = "1"
domain = "share"
dist = "beta"
ci = [0.5, 0.8]
source = "test"

[inputs.server_overhead]
unit = "1"
dist = "uniform"
low = 0.2
high = 0.5
source = "test"

[outputs.it_power]
formula = "chips * tdp * average_draw_share * (1 + server_overhead)"
unit = "MW"
description = "IT power of the fleet"

[outputs.energy_per_query]
formula = "it_power / queries_per_day"
unit = "Wh/query"
description = "IT energy per question"
"""


def test_a_hybrid_runs_the_model_then_its_formulas():
    study = parse_study(POWER, "power.toml")
    assert study.model.name == "llm_inference+formulas"
    res = cd.simulate(study, draws=6_000, seed=9)
    parent = cd.simulate("chatgpt_inference", draws=6_000, seed=9)
    model = MODELS["llm_inference"]
    for var in [*(i.name for i in model.inputs), *(o.name for o in model.outputs)]:
        # the model's own inputs and outputs do not move
        np.testing.assert_array_equal(res[var].values, parent[var].values, err_msg=var)
    watts = res.chips * res.tdp * res.average_draw_share * (1 + res.server_overhead)
    np.testing.assert_allclose(res.it_power.values, watts.values / 1e6, rtol=1e-14)
    per_query = res.it_power * 1e6 * 24 / res.queries_per_day  # W × 24 h/day ÷ query/day
    np.testing.assert_allclose(res.energy_per_query.values, per_query.values, rtol=1e-13)
    # both A100s of the catalogue are 400 W boards (NVIDIA A100 datasheets, 2020 and 2021)
    assert (res.tdp == chip("A100")["tdp_watts"]).all() and chip("A100_40GB")["tdp_watts"] == 400


def test_a_hybrid_formula_output_cannot_take_a_models_output_name():
    text = POWER.replace("[outputs.it_power]", "[outputs.chips]")
    with pytest.raises(
        cd.StudyError, match="outputs.chips.formula: the model 'llm_inference' computes chips"
    ):
        parse_study(text, "power.toml")


# ----------------------------------------------------------------------------- constants
def test_a_catalogue_field_is_a_constant_with_its_unit_and_source():
    text = ENERGY.replace(
        '[inputs.gpu_power]\nunit = "W/GPU"\ndist = "uniform"\nlow = 300\nhigh = 700\nsource = "test"\n',
        "",
    ).replace(
        "[constants.grid_intensity]",
        '[constants.gpu_power]\nchip = "H100"\nfield = "tdp_watts"\n\n[constants.grid_intensity]',
    )
    study = parse_study(text, "energy.toml")
    assert study.constants["gpu_power"].value == chip("H100")["tdp_watts"]
    assert study.constants["gpu_power"].unit == "W/GPU" and "H100" in study.constants["gpu_power"].source
    res = cd.simulate(study, draws=1_000, seed=1).sel(scenario="base")
    expected = res.gpu_seconds_per_query * chip("H100")["tdp_watts"] * res.pue / 3600
    np.testing.assert_allclose(res.energy.values, expected.values, rtol=1e-15)
    ranged = text.replace('field = "tdp_watts"', 'field = "price_usd"')
    with pytest.raises(
        cd.StudyError, match="constants.gpu_power.field: the catalogue gives price_usd of H100 as a range"
    ):
        parse_study(ranged, "energy.toml")


# ----------------------------------------------------------------------------- every mistake at once
def test_every_mistake_of_a_file_is_reported_at_once(cli, write_study):
    text = (
        ENERGY.replace('unit = "W/GPU"', 'unit = "W/GPU"\nsauce = "x"')
        .replace('formula = "it_energy * pue"', 'formula = "it_energy * pue.value"')
        .replace(
            'formula = "gpu_seconds_per_query * gpu_power"', 'formula = "gpu_seconds_per_query + gpu_power"'
        )
        .replace('unit = "1"\ndomain = "at_least_one"', 'unit = "1"\ndomain = "at_least_once"')
    )
    with pytest.raises(StudyErrors) as err:
        parse_study(text, "energy.toml")
    keys = [p.key for p in err.value.problems]
    # a formula that reads a broken one is not reported again (emissions reads energy)
    assert keys == [
        "outputs.energy.formula",
        "inputs.pue.domain",
        "inputs.gpu_power.sauce",
        "derived.it_energy.formula",
    ]
    message = str(err.value)
    assert message.startswith("energy.toml: 4 problems: outputs.energy.formula: column 13: attribute access")
    assert "derived.it_energy.formula: column 25: cannot add second/query and watt/GPU" in message
    assert "inputs.gpu_power.sauce: unknown key 'sauce'" in message
    assert "inputs.pue.domain: unknown domain 'at_least_once' (did you mean 'at_least_one'?)" in message
    # the CLI prints them on one line
    path = write_study(text)
    r = cli("run", path, "--draws", "100")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: 4 problems: ")


def test_all_missing_inputs_of_a_model_are_reported_at_once(study_doc, write_study):
    for name in ("daily_active_users", "utilization", "server_price"):
        study_doc["inputs"].pop(name)
    with pytest.raises(StudyErrors) as err:
        cd.load_study(write_study(study_doc))
    assert [p.key for p in err.value.problems] == [
        "inputs.daily_active_users",
        "inputs.utilization",
        "inputs.server_price",
    ]
    assert all("needs this input" in p.message for p in err.value.problems)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('formula = "it_energy * pue"', 'formula = "it_energy * pue * emissions / emissions"'),
            "outputs.energy.formula: a cycle: energy -> emissions -> energy",
        ),
        (
            ('formula = "it_energy * pue"', 'formula = "it_enrgy * pue"'),
            "column 1: unknown name 'it_enrgy' (did you mean 'it_energy'?)",
        ),
        (
            ('formula = "it_energy * pue"', 'formula = "provisioned_chips(average_chip=pue) * it_energy"'),
            "outputs.energy.formula: column 19: unknown keyword 'average_chip' for provisioned_chips "
            "(did you mean 'average_chips'?)",
        ),
        (
            ('unit = "Wh/query"', 'unit = "W/query"'),
            "outputs.energy.formula: joule/query is not watt/query: the formula has an extra [time]; "
            "divide by a duration?",
        ),
        (
            ('formula = "it_energy * pue"', 'formula = "it_energy + pue"'),
            "outputs.energy.formula: column 13: cannot add joule/query and 1",
        ),
        (
            ('formula = "it_energy * pue"', 'formula = "it_energy * pue * 10**10**10"'),
            "energy.toml: outputs.energy.formula: column 19: the constant 10**10**10 is not a finite "
            "number (too large for a float)",
        ),
        (
            ('formula = "it_energy * pue"', 'formula = "it_energy * pue / 0"'),
            "outputs.energy.formula: column 19: divides by zero (the constant 0)",
        ),
        (
            ('formula = "it_energy * pue"', 'formula = "it_energy * pue * 1e400"'),
            "outputs.energy.formula: column 19: number too large (not a finite number)",
        ),
        (
            ('formula = "it_energy * pue"', 'formula = "it_energy * pue * ' + "-" * 400 + 'pue"'),
            "outputs.energy.formula: formula nested more than 100 levels deep",
        ),
        (
            ('unit = "J/query"', 'unit = "J/query"\ndescription = 1\nformula_ = 2'),
            "derived.it_energy.formula_: unknown key 'formula_' (did you mean 'formula'?)",
        ),
    ],
)
def test_formula_mistakes_name_the_table_and_key(change, message):
    old, new = change
    assert old in ENERGY
    with pytest.raises(cd.StudyError) as err:
        parse_study(ENERGY.replace(old, new, 1), "energy.toml")
    assert message in str(err.value), str(err.value)


def test_a_cycle_among_derived_values_is_named():
    text = (
        ENERGY
        + '\n[derived.a]\nformula = "b * 2"\nunit = "1"\n\n[derived.b]\nformula = "a + 1"\nunit = "1"\n'
    )
    with pytest.raises(cd.StudyError, match=r"derived\.a\.formula: a cycle: a -> b -> a"):
        parse_study(text, "energy.toml")


def test_dividing_by_an_input_that_reaches_zero_is_refused():
    text = ENERGY.replace(
        '[inputs.pue]\nunit = "1"\ndomain = "at_least_one"\ndist = "uniform"\nlow = 1.1\nhigh = 1.5\n',
        '[inputs.pue]\nunit = "1"\ndomain = "any"\ndist = "normal"\nmean = 1.0\nsd = 0.5\n',
    ).replace('formula = "it_energy * pue"', 'formula = "it_energy / pue"')
    with pytest.raises(
        cd.StudyError,
        match=r"outputs\.energy\.formula: column 13: divides by pue, whose distribution reaches zero "
        r"\(P\(pue <= 0\) = 0\.023\)",
    ):
        parse_study(text, "energy.toml")


def test_an_input_no_formula_reads_is_refused():
    text = ENERGY + '\n[inputs.spare]\nunit = "1"\ndist = "point"\nvalue = 1\nsource = "test"\n'
    with pytest.raises(cd.StudyError, match="inputs.spare: no output's formula reads this input"):
        parse_study(text, "energy.toml")


def test_a_study_needs_a_model_or_formula_outputs():
    text = "[study]\nname = 'x'\ntitle = 'x'\nsource = 'x'\n"
    text += "[inputs.a]\nunit = '1'\ndist = 'point'\nvalue = 1\nsource = 'x'\n"
    with pytest.raises(cd.StudyError, match="study.model: no model and no formula outputs"):
        parse_study(text, "x.toml")


def test_outputs_out_of_their_domain_are_an_error_with_the_draws_inputs():
    text = ENERGY.replace(
        'formula = "energy * grid_intensity"',
        'formula = "energy * grid_intensity - energy * 1000 * grid_intensity"',
    )
    study = parse_study(text, "energy.toml")
    with pytest.raises(
        cd.StudyError,
        match=r"energy\.toml: outputs\.emissions: -\d.* in draw \d+ of scenario 'base', expected a number "
        r">= 0 \(g/query\); "
        r"that draw's inputs: gpu_seconds_per_query=",
    ):
        cd.simulate(study, draws=100, seed=1)
    allowed = parse_study(text.replace('unit = "g/query"', 'unit = "g/query"\ndomain = "any"'), "energy.toml")
    assert (cd.simulate(allowed, draws=100, seed=1).emissions < 0).all()


# ----------------------------------------------------------------------------- sources
def test_sources_still_todo_are_listed_at_once_and_refused(write_study):
    text = ENERGY.replace('source = "test"', 'source = "TODO"')
    path = write_study(text)
    with pytest.raises(cd.StudyError) as err:
        cd.load_study(path)
    assert str(err.value) == (
        f'{path}: inputs: source still "TODO" for 3 inputs: gpu_seconds_per_query, gpu_power, pue (say where '
        "each number comes from before the study runs)"
    )
    assert load_study(path, drafts=True).name == "energy_per_query"


def test_an_input_of_a_branch_never_taken_may_omit_its_source(study_doc, write_study):
    study_doc["inputs"]["method"] = {"dist": "point", "value": "roofline", "source": "test"}
    study_doc["inputs"]["seconds_per_char"].pop("source")
    study = cd.load_study(write_study(study_doc))  # the latency branch is never taken
    assert study.inputs["seconds_per_char"].source == ""
    study_doc["scenarios"]["latency_after_all"] = {"method": "latency"}
    with pytest.raises(cd.StudyError, match="inputs.seconds_per_char.source: missing 'source'"):
        cd.load_study(write_study(study_doc))


def test_a_formula_input_of_a_branch_never_taken_may_omit_its_source():
    text = textwrap.dedent(
        """
        [study]
        name = "branches"
        title = "branches"
        source = "tests"
        [inputs.method]
        dist = "point"
        value = "fast"
        source = "test"
        [inputs.fast_time]
        unit = "s"
        dist = "point"
        value = 1
        source = "test"
        [inputs.slow_time]
        unit = "s"
        dist = "point"
        value = 10
        [outputs.time]
        formula = "where(method == 'fast', fast_time, slow_time)"
        unit = "s"
        """
    )
    study = parse_study(text, "b.toml")  # the choice is always "fast": slow_time needs no source
    assert study.model.input("slow_time").used_when == (("method", ()),)
    assert study.model.input("fast_time").used_when == ()  # "fast" is every label there is
    # a formula may compare a label the distribution leaves out when `choices` declares it
    both = text.replace('value = "fast"', 'value = "fast"\nchoices = ["fast", "slow"]')
    both = both.replace("where(method == 'fast'", "where(method != 'slow'")
    study = parse_study(both, "b.toml")
    assert study.model.input("slow_time").used_when == (("method", ("slow",)),)
    res = cd.simulate(study, draws=10, seed=1)
    assert (res.time == 1).all()
    with pytest.raises(cd.StudyError, match="inputs.slow_time.source: missing 'source'"):
        parse_study(both + '[scenarios.slow]\nmethod = "slow"\n', "b.toml")


# ----------------------------------------------------------------------------- scenarios
def test_a_scenario_may_switch_an_input_to_the_catalogue(study_doc, write_study):
    study_doc["scenarios"]["h100"] = {
        "peak_flops": {"dist": "catalog", "chip": "H100", "field": "peak_fp16_flops"},
        "server_price": {"dist": "lognormal", "ci": [2.5e5, 4.5e5], "source": "test"},
    }
    study = cd.load_study(write_study(study_doc))
    spec = study.spec("h100", "peak_flops")
    assert spec.dist.is_point and spec.point == chip("H100")["peak_fp16_flops"]
    assert "H100" in spec.source
    res = cd.simulate(study, draws=2_000, seed=1, scenarios=["base", "h100"])
    assert (res.peak_flops.sel(scenario="h100") == chip("H100")["peak_fp16_flops"]).all()
    assert hardware.SECONDS_PER_DAY == 86_400  # the study's numbers are the library's


def test_a_hybrid_on_a_model_with_years_uses_its_years():
    text = textwrap.dedent(
        """
        [study]
        name = "supply_share"
        extends = "china_compute_supply"
        [outputs.supply_growth_since_2022]
        formula = "supply / supply_2022"
        unit = "1"
        description = "supply relative to 2022"
        [outputs.years_short]
        formula = "sum_over_years(where(demand_to_supply > 1, 1, 0))"
        unit = "1"
        description = "years in which training demand exceeds the supply for training"
        [outputs.first_short]
        formula = "first_year(demand_to_supply > 1)"
        unit = "year"
        description = "first year demand exceeds supply"
        """
    )
    study = parse_study(text, "supply_share.toml")
    assert study.outputs["supply_growth_since_2022"].dims == ("year",)
    res = cd.simulate(study, draws=2_000, seed=1).sel(scenario="base")
    years = res.year.values
    assert years[0] == 2022 and years[-1] == 2030
    np.testing.assert_allclose(res.supply_growth_since_2022.values[:, 0], 1.0, rtol=1e-15)
    short = res.demand_to_supply.values > 1
    np.testing.assert_array_equal(res.years_short.values, short.sum(axis=1))
    first = np.where(short.any(axis=1), years[np.argmax(short, axis=1)], 2031)
    np.testing.assert_array_equal(res.first_short.values, first)
    with pytest.raises(cd.StudyError, match="study.years: the model 'compute_supply_race' has its own years"):
        parse_study(
            text.replace(
                'extends = "china_compute_supply"', 'extends = "china_compute_supply"\nyears = [2024, 2025]'
            ),
            "x.toml",
        )


def test_a_formula_study_travels_to_a_worker_process():
    """dask workers in other processes receive the study pickled: no pint object may be in it."""
    cloudpickle = pytest.importorskip("cloudpickle")
    import pickle

    study = parse_study(POWER, "power.toml")
    copy = pickle.loads(cloudpickle.dumps(study))
    a, b = cd.simulate(study, draws=500, seed=1), cd.simulate(copy, draws=500, seed=1)
    np.testing.assert_array_equal(a.energy_per_query.values, b.energy_per_query.values)


def test_all_unknown_keys_are_reported_at_once(study_doc, write_study):
    study_doc["inputs"]["utilization"].update(pont=1, sauce="x")
    study_doc["inputs"]["batch_size"]["lowr"] = 1
    study_doc["study"]["titel"] = "x"
    with pytest.raises(StudyErrors) as err:
        cd.load_study(write_study(study_doc))
    assert [p.key for p in err.value.problems] == [
        "study.titel",
        "inputs.batch_size.lowr",
        "inputs.utilization.pont",
        "inputs.utilization.sauce",
    ]
    assert "inputs.utilization.sauce: unknown key 'sauce' for beta (did you mean 'source'?)" in str(err.value)


def test_an_extra_input_a_formula_misspells_is_suggested():
    text = POWER.replace(
        'formula = "chips * tdp * average_draw_share', 'formula = "chips * tdp_w * average_draw_share'
    )
    with pytest.raises(cd.StudyError) as err:
        parse_study(text, "power.toml")
    assert (
        str(err.value)
        == "power.toml: outputs.it_power.formula: column 9: unknown name 'tdp_w' (did you mean 'tdp'?)"
    )
    unread = POWER + '\n[inputs.spare_share]\nunit = "1"\ndist = "point"\nvalue = 0.5\nsource = "test"\n'
    with pytest.raises(
        cd.StudyError,
        match="inputs.spare_share: model 'llm_inference' has no input 'spare_share' and no formula reads it",
    ):
        parse_study(unread, "power.toml")


def test_outputs_may_list_references_formula_or_not():
    text = ENERGY + textwrap.dedent(
        """
        [[outputs.energy.references]]
        value = 0.3
        source = "Epoch AI, How much energy does ChatGPT use?"
        date = "2025-02"
        [[outputs.emissions.references]]
        low = 0.01
        high = 1
        unit = "kg/query"
        source = "test"
        date = "2024"
        """
    )
    study = parse_study(text, "energy.toml")
    (energy,) = study.outputs["energy"].references
    assert energy.value == 0.3 and energy.date == "2025-02"
    (emissions,) = study.outputs["emissions"].references
    assert (emissions.low, emissions.high) == (10.0, 1000.0)  # kg/query in the output's g/query
    with pytest.raises(cd.StudyError, match=r"outputs\.energy\.references\[0\]\.date: expected a date"):
        parse_study(text.replace('date = "2025-02"', 'date = "February"'), "energy.toml")


def test_a_catalogue_input_of_a_formula_study_takes_the_catalogues_unit():
    text = (
        '[study]\nname = "x"\ntitle = "x"\nsource = "x"\n[inputs.tdp]\ndist = "catalog"\nchip = "A100"\n'
        'field = "tdp_watts"\n[outputs.power]\nformula = "tdp"\nunit = "kW/GPU"\n'
    )
    study = parse_study(text, "x.toml")
    assert study.inputs["tdp"].unit == "W/GPU" and study.inputs["tdp"].point == chip("A100")["tdp_watts"]
    with pytest.raises(cd.StudyError) as err:
        parse_study(text.replace('"tdp_watts"', '"tdp"'), "x.toml")
    assert str(err.value).startswith("x.toml: inputs.tdp.field: unknown field 'tdp'")  # and nothing else
