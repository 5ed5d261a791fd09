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
# # Chapter 2: the world's AI accelerators, 2024-2030
#
# The question an AI-compute analyst is asked first: how many accelerators (in H100-equivalents,
# H100e: dense BF16 FLOP/s ÷ the H100's) do training and inference need each year to 2030; can
# advanced packaging and HBM deliver them; what that means in gigawatts, terawatt-hours and
# capital spending; and when demand outruns supply. The shipped study `world_accelerators`
# answers it with every input sourced and uncertain. This chapter runs it, draws the fan chart
# over years, finds what drives the first shortfall year, shows what the observations change,
# and asks how well calibrated its intervals are.
#
# It runs top to bottom as a script (`python docs/world_tutorial.py`) in a few seconds; use
# 100,000 draws or more for numbers you quote.

# %%
import tempfile
from pathlib import Path

import numpy as np

import chipdemand as cd
from chipdemand.display import plots

DRAWS = 20_000
SEED = 0
out = Path(tempfile.mkdtemp(prefix="chipdemand-world-"))

# %% [markdown]
# ## 1. The question and the run
#
# Years 2024-2030 are a dimension of the study: every output that depends on the year has one
# value per year. `demand` is the H100e that training, inference and other AI need installed;
# `shipments` what CoWoS-class packaging and HBM can ship; `installed_base` the fleet at the
# year's end after retirements. `demand_exceeds_supply` is 1 in a draw-year of shortfall: its
# mean over draws is P(demand > supply).

# %%
study = cd.load_study("world_accelerators")
print(study.title)
print("years:", list(study.model.coords["year"]))
print("scenarios:", study.scenario_names)

run = cd.run(study, draws=DRAWS, seed=SEED)
base = run.dataset.sel(scenario="base")
years = [int(y) for y in base["year"].values]
p_shortfall = base["demand_exceeds_supply"].mean("draw").values
for name in ("demand", "shipments", "installed_base", "facility_power", "capex"):
    q = base[name].quantile([0.05, 0.5, 0.95], dim="draw").values
    unit = base[name].attrs.get("unit", "")
    print(f"{name:15s} 2030 median {q[1, -1]:.3g} {unit} (90%: {q[0, -1]:.3g} – {q[2, -1]:.3g})")
print("P(demand > supply):", {y: round(float(p), 2) for y, p in zip(years, p_shortfall, strict=True)})

# %% [markdown]
# ## 2. The fan chart over years
#
# Median and 50% and 90% bands of demand and of the installed base: the bands widen with the
# years as the uncertain growth rates compound.

# %%
for name in ("demand", "installed_base"):
    fig = plots.fan_chart(run.dataset, name, scenarios=["base"])
    fig.savefig(out / f"fan_{name}.png")
print("fan charts in", out)

# %% [markdown]
# ## 3. What drives the first shortfall year
#
# Rank correlations of each input with `first_shortfall_year` (2031 means none to 2030): the
# demand side (how much training there is beside the largest run, the other AI work, growth)
# pulls it earlier; packaging capacity and fleet utilization push it later.

# %%
drivers = cd.sensitivity(run, "first_shortfall_year", method="rank")
print(drivers.table.head(8).to_string(index=False))

# %% [markdown]
# ## 4. What the observations change
#
# Three measurements condition the study: 2024 accelerator revenue (NVIDIA's 10-K, AMD, Broadcom),
# the installed H100e at the end of 2024 (Epoch AI) and 2024's CoWoS wafers (TrendForce). They
# weight the prior draws by their likelihood (importance sampling, Pareto-smoothed); a Pareto k̂
# below 0.7 says the weights can be trusted. They tighten supply, not demand: nothing observed
# yet measures the demand of 2027.

# %%
observed = cd.run(study, draws=DRAWS, seed=SEED, observed=True)
conditioned = observed.conditioned
khat = {
    str(s): round(float(k), 2)
    for s, k in zip(conditioned.pareto_k["scenario"].values, conditioned.pareto_k.values, strict=True)
}
print("Pareto k̂:", khat)
w = np.exp(conditioned.log_weight.sel(scenario="base").values)
w /= w.sum()
installed_2025 = base["installed_base"].sel(year=2025).values
order = np.argsort(installed_2025)
posterior_median_2025 = float(installed_2025[order][np.searchsorted(np.cumsum(w[order]), 0.5)])
print(
    f"installed base 2025: prior median {np.median(installed_2025):.3g}, "
    f"posterior {posterior_median_2025:.3g}"
)

# %% [markdown]
# ## 5. Calibration: how often do our intervals hold what others published?
#
# `check` places each independent estimate in our draws; `coverage` counts how many fall inside
# our 90% intervals, with an exact binomial interval for the share. Were the intervals
# calibrated, about 90% would, and the percentiles would spread evenly (a flat PIT histogram).

# %%
check = cd.check(study, draws=DRAWS, seed=SEED)
coverage = check.coverage["overall"]
print(
    f"{coverage.inside} of {coverage.n} inside ({coverage.share:.0%}; "
    f"90% interval {coverage.low:.0%} – {coverage.high:.0%}): {coverage.verdict}"
)
plots.pit_histogram(coverage.pit).savefig(out / "pit.png")
