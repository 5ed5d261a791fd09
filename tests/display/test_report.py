"""Figures (headless, no pyplot state) and the HTML report: what they show and how they are written."""

import re
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest
import xarray as xr
from matplotlib.figure import Figure

import chipdemand as cd
from chipdemand.api import report
from chipdemand.display import format as fmt
from chipdemand.display import plots
from chipdemand.errors import StudyError


@pytest.fixture(scope="module")
def run(chatgpt):
    return cd.simulate(chatgpt, draws=5000, seed=1)


@pytest.fixture(scope="module")
def growth_run(growth_study):
    """A run of a model over years, so the fan chart and year columns are exercised."""
    return cd.simulate(growth_study, draws=4000, seed=2)


def lines(ax):
    return [np.asarray(line.get_xdata(), dtype=float) for line in ax.get_lines()]


# ----------------------------------------------------------------------------- plots
def test_figures_are_headless_and_leave_no_pyplot_state(run, growth_run):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    figs = [
        plots.density(run, "chips"),
        plots.forest(run),
        plots.exceedance_curve(run, "chips"),
        plots.tornado_chart(cd.sensitivity(run, "chips", "tornado").table),
        plots.fan_chart(growth_run, "market"),
    ]
    assert all(isinstance(f, Figure) for f in figs)
    assert plt.get_fignums() == before  # nothing registered with pyplot
    png = plots.to_png(figs[0])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert plots.to_data_uri(figs[0]).startswith("data:image/png;base64,iVBOR")


def test_plotting_does_not_import_pyplot():
    code = (
        "import sys, chipdemand.display.plots, chipdemand.display.report; "
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_density_marks_interval_median_and_the_reported_value(run):
    fig = plots.density(run, "chips")
    ax = fig.axes[0]
    table = cd.summarize(run, variables=["chips"])
    xs = lines(ax)
    for _, row in table.iterrows():  # each scenario's interval, then its median
        assert any(np.allclose(x, [row["low"], row["high"]]) for x in xs)
        assert any(np.allclose(x, [row["median"]]) for x in xs)
    reported = run["chips"].attrs["reported"]
    assert any(np.allclose(x, [reported, reported]) for x in xs)  # 16,204 A100 (Ping An 2023-02-28)
    assert ax.get_xscale() == "log"  # chips span more than two decades
    assert {t.get_text() for t in ax.get_legend().get_texts()} >= {
        *run["scenario"].values.tolist(),
        "reported 16,204",
    }


def test_linear_axis_for_a_narrow_output():
    x = np.random.default_rng(0).normal(100, 5, size=(1, 4000))
    ds = xr.Dataset(
        {"y": (("scenario", "draw"), x, {"role": "output", "unit": "GPU"})},
        coords={"scenario": ["base"], "draw": np.arange(4000)},
    )
    assert plots.density(ds, "y").axes[0].get_xscale() == "linear"
    assert plots.exceedance_curve(ds, "y").axes[0].get_xscale() == "linear"


def test_forest_has_a_panel_per_output_with_the_summary_numbers(run):
    fig = plots.forest(run)
    outputs = run.chipdemand.outputs
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == len(outputs)
    table = cd.summarize(run)
    ax = visible[outputs.index("chips")]
    for _, row in table[table["variable"] == "chips"].iterrows():
        assert any(np.allclose(x, [row["low"], row["high"]]) for x in lines(ax))


def test_tornado_chart_bars_span_low_to_high(run):
    table = cd.sensitivity(run, "chips", "tornado").table
    fig = plots.tornado_chart(table)
    ax = fig.axes[0]
    moving = table[table["swing"] > 0]
    spans = sorted(
        (
            round(min(p.get_x(), p.get_x() + p.get_width()), 6),
            round(max(p.get_x(), p.get_x() + p.get_width()), 6),
        )
        for p in ax.patches
    )
    assert len(ax.patches) == 2 * len(moving)
    centre = table["centre"].iloc[0]
    for _, row in moving.iterrows():
        for end in (row["low"], row["high"]):
            assert (round(min(centre, end), 6), round(max(centre, end), 6)) in spans
    # the largest swing on top
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1].startswith(moving["input"].iloc[0])
    # a structural choice is labelled by its alternatives, not its codes (0 → 1)
    assert "method  (latency → roofline)" in labels
    # the inputs that move nothing are named in the legend's note, inside the figure
    still = table[~(table["swing"] > 0)]
    if len(still):
        note = fig.legends[0].get_title().get_text()
        assert note.startswith("no effect:") and all(n in note.replace("\n", " ") for n in still["input"])
    with pytest.raises(StudyError, match="tornado table"):
        plots.tornado_chart(cd.sensitivity(run, "chips", "rank").table)


def test_exceedance_curve_is_the_api_exceedance(run):
    fig = plots.exceedance_curve(run, "chips")
    ax = fig.axes[0]
    curve = ax.get_lines()[0]  # base
    x, p = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
    assert np.all(np.diff(p) <= 0) and p[0] > 0.99 and p[-1] < 0.01
    expected = cd.exceedance(run, "chips", x[[50, 150]]).sel(scenario="base").values
    assert np.allclose(p[[50, 150]], expected)


def test_fan_chart_over_years(growth_run):
    fig = plots.fan_chart(growth_run, "market", levels=(0.5, 0.9))
    ax = fig.axes[0]
    base = growth_run["market"].sel(scenario="base")
    years = [int(y) for y in growth_run["year"].values]
    median = next(line for line in ax.get_lines() if list(line.get_xdata()) == years)
    assert np.allclose(median.get_ydata(), base.median("draw").values)
    assert len(ax.collections) == 2 * 2  # two bands per scenario, two scenarios
    with pytest.raises(StudyError, match="no 'year' dimension"):
        plots.fan_chart(cd.simulate("chatgpt_inference", draws=100, scenarios=["base"]), "chips")


def test_plots_of_outputs_over_years_show_the_last_year(growth_run):
    ax = plots.density(growth_run, "market").axes[0]
    assert "2030" in ax.get_title()
    assert "2024" in plots.density(growth_run, "market", at={"year": 2024}).axes[0].get_title()


# ----------------------------------------------------------------------------- report
class Page(HTMLParser):
    """Headings, images and table cells of a page; fails on unbalanced table tags."""

    def __init__(self, text):
        super().__init__()
        self.headings, self.images, self.cells, self.stack, self._in = [], [], [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag in ("table", "tr", "td", "th", "section", "details"):
            self.stack.append(tag)
        if tag in ("h1", "h2", "h3", "td", "th"):
            self._in, self._text = tag, ""
        if tag == "img":
            self.images.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag in ("table", "tr", "td", "th", "section", "details"):
            assert self.stack.pop() == tag
        if tag == self._in:
            (self.headings if tag.startswith("h") else self.cells).append((tag, self._text.strip()))
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._text += data


@pytest.fixture(scope="module")
def chatgpt_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    path = report("chatgpt_inference", out, draws=20_000, seed=3)
    return path, path.read_text(encoding="utf-8")


def test_report_page_has_every_part(chatgpt_page, chatgpt):
    path, text = chatgpt_page
    assert path.name == "index.html" and [p.name for p in path.parent.iterdir()] == ["index.html"]
    page = Page(text)
    assert not page.stack
    h2 = [t for tag, t in page.headings if tag == "h2"]
    assert h2[:2] == ["Outputs", "Scenarios at a glance"]
    assert {"What drives the answer", "Inputs", "Provenance"} <= set(h2)
    assert any(t.startswith("Scenarios compared with base") for t in h2)
    assert page.headings[0] == ("h1", chatgpt.title)
    # figures: embedded, one forest plus density, exceedance and tornado per output
    assert len(page.images) >= 1 + 3 * len(chatgpt.outputs) - 1
    assert all(img["src"].startswith("data:image/png;base64,") and img.get("alt") for img in page.images)
    cells = [t for _, t in page.cells]
    assert "16,204" in cells  # the report's own number beside ours (Ping An 2023-02-28)
    assert chatgpt.inputs["daily_active_users"].dist.describe() in text.replace("&#x27;", "'")
    assert chatgpt.sha256 in cells and "seed" in [t for tag, t in page.cells if tag == "th"]
    assert re.search(r"20,000 draws per scenario, seed 3", text)


def test_report_numbers_are_the_api_numbers(chatgpt_page, chatgpt):
    _, text = chatgpt_page
    res = cd.simulate(chatgpt, draws=20_000, seed=3)
    chips = cd.summarize(res).query("scenario == 'base' and variable == 'chips'").iloc[0]
    assert f"{fmt.number(chips['low'])} – {fmt.number(chips['high'])}" in text
    ranking = cd.sensitivity(res, "chips", "rank").table
    top = ranking.iloc[0]
    assert f"{round(top['rho'], 2):+.2f}" in text


def test_report_of_a_run_over_years(growth_run, tmp_path):
    path = report(growth_run, tmp_path / "growth")
    page = Page(path.read_text(encoding="utf-8"))
    alts = [img["alt"] for img in page.images]
    assert "fan chart of market over years" in alts and "tornado chart of market" in alts
    header = [t for tag, t in page.cells if tag == "th"]
    assert "year" in header and fmt.number(5e9) in [t for _, t in page.cells]


def test_report_is_written_atomically(growth_run, tmp_path, monkeypatch):
    out = tmp_path / "rep"
    before = report(growth_run, out).read_text(encoding="utf-8")
    import chipdemand.io

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(chipdemand.io.os, "replace", fail)
    with pytest.raises(StudyError, match="disk full"):
        report(growth_run, out, force=True)
    assert [p.name for p in out.iterdir()] == ["index.html"]  # no temporary file left behind
    assert (out / "index.html").read_text(encoding="utf-8") == before


def test_report_into_a_file_is_a_user_error(growth_run, tmp_path, cli):
    (tmp_path / "f").write_text("x")
    with pytest.raises(StudyError, match="not a folder"):
        report(growth_run, tmp_path / "f")
    r = cli("report", "no_such_study", "--out", tmp_path / "r")
    assert r.code == 2 and r.err.startswith("error: unknown study")
