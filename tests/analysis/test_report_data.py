"""What a report page shows is gathered once, and the page is laid out from it with no analysis."""

import numpy as np
import pytest

import chipdemand as cd
from chipdemand.analysis import report_data, sensitivity, summaries
from chipdemand.analysis.report_data import gather
from chipdemand.display import report


@pytest.fixture(scope="module")
def gathered(chatgpt):
    res = cd.simulate(chatgpt, draws=4000, seed=2)
    return gather(res, chatgpt, ci=0.9, origin="a test")


def test_gather_holds_every_analysis_of_the_page(gathered, chatgpt):
    g = gathered
    assert g.base == "base" and g.scenarios[0] == "base"
    assert set(g.comparisons) == set(g.scenarios) - {"base"}
    assert set(g.tornados) == set(g.ranks) == {o for o in g.outputs if o in chatgpt.outputs}
    assert g.placed and g.conditioned is not None  # the study's references and observations
    # the chance of exceeding the report's number, where it printed one
    row = g.table.set_index(["scenario", "variable"]).loc[("base", "chips")]
    chips = g.res["chips"].sel(scenario="base").values
    assert row["p_above_reported"] == pytest.approx(np.mean(chips > row["reported"]))
    assert np.isnan(g.table.loc[g.table["reported"].isna(), "p_above_reported"]).all()


def test_the_page_calls_no_analysis(gathered, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an analysis was called while rendering")

    for module, name in [
        (summaries, "summarize"),
        (summaries, "compare"),
        (summaries, "exceedance"),
        (sensitivity, "rank_inputs"),
        (report_data, "gather"),
        (report, "gather"),
    ]:
        monkeypatch.setattr(module, name, refuse)
    page = report.page(gathered)
    assert "<h2>What drives the answer</h2>" in page and "a test" in page
