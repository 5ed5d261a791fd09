# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # chipdemand in twenty minutes
#
# A compute-demand estimate is a chain of guesses: users × questions × tokens × FLOPs per token
# ÷ (peak FLOP/s × utilization) = GPUs. chipdemand makes every guess a distribution with a
# written source, runs them all at once, and answers with intervals. This tutorial loads a
# shipped study, runs it, reads the answer, compares scenarios, finds what drives it, plots it,
# turns an expert's three percentiles into a prior, places published estimates in our answer,
# and ends with a study of your own: the power and the annual energy of a million Blackwell GPUs
# in 2026.
#
# It runs top to bottom as a plain script (`python docs/tutorial.py`) or, opened with jupytext,
# as a notebook. Draws are kept small so that it all takes a few seconds; use 100,000 or more
# (the default) for numbers you quote.

# %%
# ruff: noqa: E501 (the study file written in section 8 has long source lines)
import tempfile
from pathlib import Path

import pandas as pd

import chipdemand as cd
from chipdemand.display import plots

pd.set_option("display.width", 120)
pd.set_option("display.float_format", "{:,.4g}".format)  # 1.878e+08, 1.03e+04, 0.4219

DRAWS = 20_000  # per scenario; small, for speed
SEED = 1
out = Path(tempfile.mkdtemp(prefix="chipdemand-tutorial-"))  # where the figures and files go

# %% [markdown]
# ## 1. Load a study
#
# A study is a TOML file of data: each input's distribution, unit and source, the outputs, and
# scenarios that change some inputs. `chatgpt_inference` restates Ping An Securities' February
# 2023 sizing of ChatGPT's fleet (16,204 A100s) with every assumption made uncertain.
# `chipdemand list` (or `cd.list_studies()`) shows the shipped studies; a path to your own file
# works wherever a name does.

# %%
study = cd.load_study("chatgpt_inference")
print(study.title)
print("scenarios:", study.scenario_names)
print("outputs:  ", list(study.outputs))
print("an input: ", study.inputs["daily_active_users"].source[:100], "...")

# %% [markdown]
# `cd.describe` lists what the study needs and computes: each input's unit, its domain and the
# structural choice that uses it (the roofline's inputs are read only when `method` is
# "roofline").

# %%
described = cd.describe(study)
for row in described["inputs"][:6]:
    print(f"{row['name']:<20} {row['unit']:<16} {row['description']}")

# %% [markdown]
# ## 2. Run it
#
# `cd.run` draws every input, evaluates the model for every scenario on the same random
# numbers (common random numbers), and summarizes. `run.table` is the table `chipdemand run`
# prints (a pandas DataFrame); `run.summary` the same numbers as an xarray Dataset; and
# `run.dataset` holds the draws themselves.

# %%
run = cd.run(study, draws=DRAWS, seed=SEED)
table = run.table
print(table[table["scenario"] == "base"][["variable", "median", "low", "high", "reported", "unit"]])

# %%
chips_median = float(run.summary["chips"].sel(scenario="base", stat="median"))
chips_low = float(run.summary["chips"].sel(scenario="base", stat="low"))
chips_high = float(run.summary["chips"].sel(scenario="base", stat="high"))
print(f"GPUs: median {chips_median:,.0f}, 90% interval {chips_low:,.0f} to {chips_high:,.0f}")
print("Ping An printed", study.outputs["chips"].reported)

# %% [markdown]
# The report's single number sits inside a wide interval. Part of the width is the method
# itself: `method` is a structural choice (latency as in the report, or a roofline), an input
# like any other.

# %% [markdown]
# ## 3. Compare scenarios
#
# `heavy_use` has users asking two to four times as many questions. Because both scenarios share
# the draws of every input they do not override, their ratio is taken draw by draw: the
# interval is the scenario's effect, not sampling noise. (`cd.compare(run, "base",
# "heavy_use")` compares the draws already in `run`; a study, as here, is simulated again.)

# %%
comparison = cd.compare(study, "base", "heavy_use", draws=DRAWS, seed=SEED)
print(comparison.table[["variable", "ratio_median", "ratio_low", "ratio_high", "p_b_greater"]])
heavy_use_ratio = float(comparison.table.set_index("variable").loc["chips", "ratio_median"])

# the same seed and draws give the same numbers: comparing the run's own draws agrees exactly
same = cd.compare(run, "base", "heavy_use")
print("identical to comparing run:", same.table["ratio_median"].equals(comparison.table["ratio_median"]))

# %% [markdown]
# ## 4. Find the drivers
#
# `cd.sensitivity` ranks the inputs. The rank method reads the run's own draws (the Spearman
# correlation of each input with the output); the tornado method moves one input at a time
# from its 5th to its 95th percentile with the others at their medians.

# %%
ranking = cd.sensitivity(run, output="chips", method="rank")
print(ranking.table.head(6))
top_driver = ranking.table["input"].iloc[0]

tornado = cd.sensitivity(study, output="chips", method="tornado")
print(tornado.table[["input", "low", "high", "swing"]].head(6))

# %% [markdown]
# ## 5. Plot
#
# `chipdemand.display.plots` builds matplotlib figures without pyplot: the density of an output per
# scenario (the report's value dashed), the chance of exceeding each value, and the tornado
# chart. Each is a `Figure`; `fig.savefig` writes it (the Agg canvas works headless).

# %%
figures = {
    "density.png": plots.density(run.dataset, "chips", scenarios=["base", "heavy_use"]),
    "exceedance.png": plots.exceedance_curve(run.dataset, "chips", scenarios=["base", "heavy_use"]),
    "tornado.png": plots.tornado_chart(tornado.table),
}
for name, fig in figures.items():
    fig.savefig(out / name)
print(sorted(p.name for p in out.glob("*.png")), "in", out)

# %% [markdown]
# ## 6. Elicit a prior
#
# An expert thinks ChatGPT-scale daily users in some market are "most likely 20 million, surely
# above 10 million, and I'd be surprised by more than 40 million". Read as a 5th, 50th and 95th
# percentile, `cd.fit` tries every family and lists them best first; `best` is None when none
# reproduces the three numbers within 5%. The spec it gives goes straight into a study file.

# %%
fits = cd.fit(1.0e7, 2.0e7, 4.0e7)
print(fits.table)
prior = fits.best.spec
print("as a study input:", prior)
lognormal = cd.fit(1.0e7, 2.0e7, 4.0e7, family="lognormal").best
print("or a lognormal:", lognormal.spec, "quantiles", [f"{q:.3g}" for q in lognormal.quantiles])

# %% [markdown]
# The same can be written in the study file itself: `quantiles = [[0.05, 1e7], [0.5, 2e7],
# [0.95, 4e7]]` once that lands (issue 12); until then, paste the spec.

# %% [markdown]
# ## 7. Place published estimates in our answer
#
# A study may list, per output, independent estimates by others
# (`[[outputs.NAME.references]]`, each with its source and date). `cd.check` runs the study
# and says where each falls in our distribution. A study with none yet gives an empty table.

# %%
has_references = any(spec.references for spec in study.outputs.values())
if has_references:
    checked = cd.check("chatgpt_inference", draws=DRAWS, seed=SEED)
    print(checked.table[["output", "scenario", "source", "ref_value", "median", "percentile", "inside"]])
else:
    print("chatgpt_inference lists no references yet; the study below has one")

# %% [markdown]
# ## 8. Your own question: a 2026 fleet's power and energy
#
# How much power would a million Blackwell GPUs draw, and how much energy in a year? No shipped
# study asks this, so we write one. `cd.new_study("fleet_2026")` prints a skeleton to start
# from; below it is filled in. The chain is the energy library's (`chipdemand.formulas.energy`):
#
#     it_power       = GPUs × TDP × average draw share × (1 + the server's overhead share)
#     facility_power = it_power × PUE
#     annual_energy  = facility_power × 8,760 hours
#
# The TDP comes from the accelerator catalogue (`[constants]` with `chip` and `field`); which
# system the GPUs sit in (HGX B200 servers or GB200 NVL72 racks) is a structural choice that
# picks both the TDP and the overhead. Every number says where it comes from.

# %%
print(cd.new_study("fleet_2026")[:400], "...")

# %%
FLEET_2026 = """
[study]
name = "fleet_2026"
title = "Power and annual energy of one million Blackwell GPUs in 2026"
headline = "annual_energy"
source = "chipdemand tutorial: the energy library (chipdemand.formulas.energy) with the sources below"

[inputs.accelerators]
unit = "GPU"
dist = "point"
value = 1e6
source = "The question asked: one million GPUs, the scale Sam Altman gave for OpenAI ('well over 1 million GPUs online by end of this year', on X, 2025-07-20)"

[inputs.system]
description = "the servers the GPUs sit in"
dist = "choice"
values = ["hgx_b200", "gb200_nvl72"]
probs = [0.4, 0.6]
source = "Assumption: no public split of 2025-26 Blackwell shipments between 8-GPU HGX B200 servers and GB200 NVL72 racks; racks weighted higher"

[inputs.average_draw_share]
description = "average GPU draw as a share of its TDP over the year, idle time included"
unit = "1"
domain = "share"
dist = "beta"
ci = [0.5, 0.9]
source = "Between inference fleets (Epoch AI 2025-02-07: 0.7, 'average consumption found by Microsoft') and training (Meta's Llama 3.1 card, 2024-07, counts 100% of TDP, an upper bound); Meta provisions a GB200 cluster at 960 W, 80% of TDP (Provisioning to Runtime Optimization of a 100 MW-Scale AI Cluster, arXiv 2605.24461, 2026-05). Interval: an assumption"

[inputs.overhead_hgx]
description = "host, network and storage power of an HGX B200 server, as a share of its GPUs'"
unit = "1"
domain = "nonnegative"
dist = "lognormal"
ci = [0.35, 0.95]
source = "NVIDIA DGX B200 datasheet (2024): ~14.3 kW for 8 x 1,000 W of GPUs, 0.79 at nameplate; Google 2025-08-21 (Measuring the environmental impact of delivering AI at Google scale): host and idle machines 0.43-0.60 of the accelerators' energy. Interval: an assumption"

[inputs.overhead_nvl72]
description = "Grace CPUs, NVLink switches and the rest of a GB200 NVL72 rack, as a share of its GPUs'"
unit = "1"
domain = "nonnegative"
dist = "lognormal"
ci = [0.25, 0.65]
source = "GB200 NVL72 rack ~120-132 kW for 72 x 1,200 W = 86.4 kW of GPUs (press, 2025): 0.39-0.53. Interval: an assumption"

[inputs.pue]
description = "power usage effectiveness of the data centres"
unit = "1"
domain = "at_least_one"
dist = "pert"
min = 1.08
mode = 1.15
max = 1.35
source = "Google fleet 1.09 in 2024 (Google 2025 Environmental Report); Meta 1.08 in 2023 (Meta 2024 sustainability report); new large sites 1.3 or better (Uptime Institute survey 2024). Shape: an assumption"

[constants.b200_tdp]
chip = "B200"
field = "tdp_watts"

[constants.gb200_tdp]
chip = "GB200"
field = "tdp_watts"

[constants.hours_per_year]
value = 8760
unit = "hour"
source = "A year of 365 days, the year of annual energy figures (IEA, LBNL)"

[derived.tdp]
formula = 'where(system == "hgx_b200", b200_tdp, gb200_tdp)'
unit = "W/GPU"
description = "rated power of one GPU in the chosen system"

[derived.overhead_share]
formula = 'where(system == "hgx_b200", overhead_hgx, overhead_nvl72)'
unit = "1"

[outputs.it_power]
formula = "it_power(chips=accelerators, tdp_watts=tdp, average_draw_share=average_draw_share, overhead_share=overhead_share)"
unit = "MW"
description = "average IT power of the fleet"

[outputs.facility_power]
formula = "facility_power(it_power=it_power, pue=pue)"
unit = "MW"
description = "average power drawn from the grid"

[outputs.annual_energy]
formula = "energy_over_period(power=facility_power, period=hours_per_year)"
unit = "TWh"
description = "energy drawn from the grid in a year"

[outputs.power_per_gpu]
formula = "facility_power / accelerators"
unit = "kW/GPU"
description = "grid power per GPU, all in"

[[outputs.power_per_gpu.references]]
value = 1.807
source = "Meta, Provisioning to Runtime Optimization of a 100 MW-Scale AI Cluster (arXiv 2605.24461)"
date = "2026-05"
note = "a 150 MW facility for about 83,000 GB200: 150 MW / 83,000 = 1.81 kW per GPU, as provisioned (a ceiling, not the average draw)"

[scenarios.all_nvl72]
description = "Every GPU in a GB200 NVL72 rack"
system = "gb200_nvl72"
"""
path = out / "fleet_2026.toml"
path.write_text(FLEET_2026, encoding="utf-8")
fleet = cd.run(path, draws=DRAWS, seed=SEED)
print(fleet.table[["scenario", "variable", "median", "low", "high", "unit"]])

# %%
energy = fleet.summary["annual_energy"].sel(scenario="base")
power = fleet.summary["facility_power"].sel(scenario="base")
fleet_twh = float(energy.sel(stat="median"))
fleet_gw = float(power.sel(stat="median")) / 1e3
print(
    f"One million Blackwell GPUs draw about {fleet_gw:.2f} GW from the grid "
    f"(90%: {float(power.sel(stat='low')) / 1e3:.2f}-{float(power.sel(stat='high')) / 1e3:.2f} GW) "
    f"and use about {fleet_twh:.1f} TWh a year "
    f"(90%: {float(energy.sel(stat='low')):.1f}-{float(energy.sel(stat='high')):.1f} TWh)."
)
print(cd.check(path, draws=DRAWS, seed=SEED).table[["output", "ref_value", "median", "percentile", "inside"]])

# %% [markdown]
# For scale: US data centres used 176 TWh in 2023 (LBNL for the DOE, 2024 United States Data
# Center Energy Usage Report, 2024-12), and all the world's about 415 TWh in 2024 (IEA, Energy
# and AI, 2025-04). Meta's 1.81 kW per GB200 is what it provisions, a ceiling: our median all-in
# draw lies below it. What moves the answer:

# %%
fleet_drivers = cd.sensitivity(fleet, output="annual_energy")
print(fleet_drivers.table[["input", "index"]])

# %% [markdown]
# ## Where next
#
# - Copy `examples/energy_per_chat_query.toml` (a formula study from scratch) or
#   `examples/chatgpt_heavy_reasoning.toml` (a study that extends a shipped one); the README's
#   "Write your own study" walks through both.
# - `chipdemand show FILE` prints a study exactly as it runs; `chipdemand describe FILE` lists its
#   inputs, outputs and formulas; `chipdemand report FILE --out DIR` writes an HTML page.
# - `cd.run(..., save="run.nc")` keeps the draws with their provenance; `cd.rerun("run.nc")`
#   checks that they come back identical.
