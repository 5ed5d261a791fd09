"""`chipdemand compare`: two scenarios of a study, or two studies."""

import json

import pytest


def test_compare_json_shape(cli):
    r = cli(
        "compare",
        "chatgpt_inference",
        "--scenario",
        "base",
        "--scenario",
        "heavy_use",
        "--draws",
        "5000",
        "--json",
    )
    assert r.code == 0, r.err
    rows = json.loads(r.out)["results"]
    assert {"variable", "a", "b", "ratio_median", "ratio_low", "ratio_high", "p_b_greater"} <= set(rows[0])
    chips = next(r for r in rows if r["variable"] == "chips")
    assert chips["ratio_median"] > 1 and 0.5 < chips["p_b_greater"] <= 1


@pytest.mark.parametrize("scenarios", [["heavy_use"], ["base", "heavy_use"]])
def test_compare_two_studies_with_one_scenario_or_two(cli, scenarios):
    """One --scenario applies to both studies; two are A's then B's (README and --help)."""
    flags = [x for s in scenarios for x in ("--scenario", s)]
    r = cli("compare", "chatgpt_inference", "chatgpt_inference", *flags, "--draws", "2000", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    chips = next(row for row in doc["results"] if row["variable"] == "chips")
    a, b = (scenarios * 2)[:2]
    assert doc["a"] == f"chatgpt_inference [{a}]" and doc["b"] == f"chatgpt_inference [{b}]"
    if a == b:  # the same study and scenario, paired draw by draw: a ratio of exactly one
        assert chips["ratio_low"] == chips["ratio_high"] == 1.0
    else:
        assert chips["ratio_median"] > 1


def test_compare_checks_its_csv_before_simulating(cli, tmp_path, monkeypatch):
    import chipdemand.engine

    def refuse(*args, **kwargs):
        raise AssertionError("simulated before --csv was checked")

    monkeypatch.setattr(chipdemand.engine.Plan, "_evaluate_block", refuse)
    (tmp_path / "c.csv").write_text("mine")
    scenarios = ["chatgpt_inference", "--scenario", "base", "--scenario", "heavy_use"]
    for args in (scenarios, ["chatgpt_inference"] * 2):
        r = cli("compare", *args, "--csv", tmp_path / "c.csv")
        assert r.code == 2 and "c.csv: already exists (use --force to overwrite)" in r.err, r.err
    assert (tmp_path / "c.csv").read_text() == "mine"
