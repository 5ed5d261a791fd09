"""What every inference fleet model declares alike: provisioning for peak load and utilization,
servers and their price, and the fleet's size and cost as outputs.

A fleet model lists these beside its own inputs and outputs, so the words a study file's reader
sees for ``utilization`` or ``capex`` are the same whichever fleet model runs.
"""

from __future__ import annotations

from .base import Input, Output

__all__ = [
    "PEAK_TO_AVERAGE",
    "SERVING_UTILIZATION",
    "GPUS_PER_SERVER",
    "SERVER_PRICE",
    "PROVISIONING",
    "SERVERS_AND_PRICE",
    "QUERIES_PER_DAY",
    "CHIPS",
    "SERVERS",
    "CAPEX",
]

PEAK_TO_AVERAGE = Input(
    "peak_to_average", "1", "fleet sized for peak load: peak ÷ average demand", domain="at_least_one"
)
SERVING_UTILIZATION = Input("utilization", "1", "share of provisioned GPU time spent serving", domain="share")
GPUS_PER_SERVER = Input("gpus_per_server", "GPU/server", "accelerators per server", domain="count")
SERVER_PRICE = Input("server_price", "USD/server", "price of one server", domain="positive")

#: a fleet sized for its peak load at a utilization
PROVISIONING = (PEAK_TO_AVERAGE, SERVING_UTILIZATION)
#: the fleet bought as servers
SERVERS_AND_PRICE = (GPUS_PER_SERVER, SERVER_PRICE)

QUERIES_PER_DAY = Output("queries_per_day", "query/day", "questions asked per day")
CHIPS = Output("chips", "GPU", "GPUs provisioned")
SERVERS = Output("servers", "server", "servers (rounded up)")
CAPEX = Output("capex", "USD", "capital expenditure on servers")
