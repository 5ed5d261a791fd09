"""`chipdemand compare`: two scenarios of a study, or two studies."""

import json


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
