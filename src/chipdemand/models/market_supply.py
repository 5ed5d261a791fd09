"""Markets and supply: the AI-server market of Ping An, and China's compute against training demand.

``ai_server_market`` follows Ping An (2023-02-28): firms ÷ a region's share × the share that
builds its own capacity × spend per firm, then ÷ China's share of the world. ``compute_supply_race``
follows Caitong (2023-02-12): IDC's supply of intelligent compute in China growing at a CAGR,
against the compute to train a number of GPT-class models a year growing 750× every two years,
or doubling every 3.43 or 9.9 months (a structural choice), and the first year demand passes
the supply left for training.
"""

from __future__ import annotations

import numpy as np

from ..formulas import market
from .base import Input, Model, Output, register

__all__ = ["ai_server_market", "compute_supply_race", "GROWTH_LAWS", "YEARS"]


def _ai_server_market(
    beijing_ai_firms,
    beijing_share_of_firms,
    self_build_share,
    inference_capex_per_firm,
    training_capex_per_firm,
    china_share_of_global,
):
    firms = beijing_ai_firms / beijing_share_of_firms
    builders = market.firms_building_own(beijing_ai_firms, beijing_share_of_firms, self_build_share)
    spend = inference_capex_per_firm + training_capex_per_firm
    china = market.market_size(builders, spend)
    return {
        "china_market": china,
        "global_market": market.global_from_share(china, china_share_of_global),
        "china_ai_firms": firms,
        "firms_building": builders,
        "spend_per_firm": spend,
    }


ai_server_market = register(
    Model(
        name="ai_server_market",
        description="AI-server market from firms that build their own large-model capacity: "
        "Beijing's firms ÷ its share × share building × (inference + training capex), ÷ China's "
        "share of the world",
        inputs=(
            Input("beijing_ai_firms", "firm", "core AI firms in Beijing", domain="positive"),
            Input("beijing_share_of_firms", "1", "Beijing's share of China's core AI firms", domain="share"),
            Input(
                "self_build_share",
                "1",
                "share of firms building their own data centre for large models",
                domain="share",
            ),
            Input("inference_capex_per_firm", "USD/firm", "inference servers per firm", domain="positive"),
            Input("training_capex_per_firm", "USD/firm", "training servers per firm", domain="positive"),
            Input(
                "china_share_of_global", "1", "China's share of the global AI-server market", domain="share"
            ),
        ),
        outputs=(
            Output("china_market", "USD", "China's AI-server market from large models"),
            Output("global_market", "USD", "the global one"),
            Output("china_ai_firms", "firm", "core AI firms in China"),
            Output("firms_building", "firm", "firms building their own capacity"),
            Output("spend_per_firm", "USD/firm", "server spend per building firm"),
        ),
        function=_ai_server_market,
    )
)


GROWTH_LAWS = ("x750_per_2_years", "doubling_3_43_months", "doubling_9_9_months")
YEARS = tuple(range(2022, 2031))
SECONDS_PER_YEAR = 365.25 * 86_400.0


def _compute_supply_race(
    supply_2022,
    supply_cagr,
    training_share_of_supply,
    anchor_training_flop,
    anchor_year,
    growth_law,
    models_per_year,
    utilization,
):
    years = np.asarray(YEARS, dtype=float)
    supply = market.project(supply_2022, supply_cagr, years, base_year=years[0])
    factor = np.select(
        [growth_law == 0, growth_law == 1],
        [market.annual_factor_from_growth(750.0, 2.0), market.annual_factor_from_doubling_months(3.43)],
        market.annual_factor_from_doubling_months(9.9),
    )
    # compute to train one frontier model, grown from the anchor year
    flop_2022 = anchor_training_flop * factor ** (years[0] - anchor_year)
    per_model = market.project(flop_2022, factor - 1.0, years, base_year=years[0])
    # sustained FLOP/s to train models_per_year of them within the year at the utilization
    demand = per_model * (models_per_year / (SECONDS_PER_YEAR * utilization))[..., np.newaxis]
    available = supply * training_share_of_supply[..., np.newaxis]
    first = market.crossing_year(demand[..., 0], factor, available[..., 0], 1.0 + supply_cagr, years[0])
    return {
        "crossing_year": first,
        "supply_2026": supply[..., YEARS.index(2026)],
        "supply": supply,
        "training_demand": demand,
        "demand_to_supply": demand / available,
    }


compute_supply_race = register(
    Model(
        name="compute_supply_race",
        description="China's intelligent-compute supply (IDC, CAGR) against the sustained FLOP/s "
        "to train N frontier models a year whose compute grows by a chosen law; the first year "
        "demand passes the supply left for training",
        inputs=(
            Input(
                "supply_2022", "FLOPS", "China's server-side intelligent compute in 2022", domain="positive"
            ),
            Input("supply_cagr", "1", "compound annual growth of the supply", domain="any"),
            Input("training_share_of_supply", "1", "share of the supply that trains models", domain="share"),
            Input(
                "anchor_training_flop",
                "FLOP",
                "compute to train a frontier model in the anchor year",
                domain="positive",
            ),
            Input("anchor_year", "1", "calendar year of that model", domain="any"),
            Input("growth_law", "1", "how frontier training compute grows", choices=GROWTH_LAWS),
            Input("models_per_year", "model", "frontier models trained in China per year", domain="positive"),
            Input("utilization", "1", "model FLOPs utilization of training", domain="share"),
        ),
        outputs=(
            Output("crossing_year", "year", "first year training demand passes the supply for training"),
            Output("supply_2026", "FLOPS", "supply in 2026"),
            Output("supply", "FLOPS", "supply by year", dims=("year",)),
            Output("training_demand", "FLOPS", "sustained FLOP/s to train the year's models", dims=("year",)),
            Output("demand_to_supply", "1", "training demand ÷ supply for training", dims=("year",)),
        ),
        function=_compute_supply_race,
        coords={"year": list(YEARS)},
    )
)
