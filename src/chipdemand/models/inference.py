"""Inference fleets sized from response latency (the Ping An 2023-02-28 method).

GPU-seconds per day = queries × characters per answer × seconds per character; the GPUs busy
around the clock follow, scaled by the peak-to-average load and the utilization the report left
out (both 1 in the report), then servers and capital expenditure.
"""

from __future__ import annotations

from ..formulas import hardware, llm
from .base import Input, Model, Output, register
from .fleet import CAPEX, CHIPS, PROVISIONING, QUERIES_PER_DAY, SERVERS, SERVERS_AND_PRICE

__all__ = ["inference_latency"]

SECONDS_PER_HOUR = 3600.0


def _inference_latency(
    daily_active_users,
    questions_per_user,
    chars_per_answer,
    seconds_per_char,
    peak_to_average,
    utilization,
    gpus_per_server,
    server_price,
):
    queries_per_day = daily_active_users * questions_per_user
    gpu_seconds_per_day = llm.latency_gpu_seconds(queries_per_day, chars_per_answer, seconds_per_char)
    chips = hardware.chips_busy(gpu_seconds_per_day) * peak_to_average / utilization
    servers = hardware.servers_needed(chips, gpus_per_server)
    return {
        "queries_per_day": queries_per_day,
        "gpu_hours_per_day": gpu_seconds_per_day / SECONDS_PER_HOUR,
        "chips": chips,
        "servers": servers,
        "capex": hardware.capex(servers, server_price),
    }


inference_latency = register(
    Model(
        name="inference_latency",
        description="GPUs from response latency: users × queries × characters × s/char, "
        "÷ 86,400 s, × peak-to-average ÷ utilization; servers; capex",
        inputs=(
            Input("daily_active_users", "user", "daily active users", domain="positive"),
            Input(
                "questions_per_user", "query/user/day", "questions each user asks per day", domain="positive"
            ),
            Input("chars_per_answer", "char/query", "characters generated per answer", domain="positive"),
            Input("seconds_per_char", "s/char", "GPU time to generate one character", domain="positive"),
            *PROVISIONING,
            *SERVERS_AND_PRICE,
        ),
        outputs=(
            QUERIES_PER_DAY,
            Output("gpu_hours_per_day", "hour/day", "GPU-hours of generation per day"),
            CHIPS,
            SERVERS,
            CAPEX,
        ),
        function=_inference_latency,
    )
)
