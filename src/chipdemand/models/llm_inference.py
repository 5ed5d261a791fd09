"""Chat-assistant inference fleets, sized by response latency or by a roofline, as a choice.

``method = "latency"`` is the Ping An (2023-02-28) chain: every character of every answer costs
its single-stream GPU time. ``method = "roofline"`` counts tokens instead: decoding runs at the
lower of the memory-bandwidth rate (weights and KV cache read once per step for the whole batch)
and the compute rate (2·N FLOPs per token), and reading the prompt (prefill) is compute-bound.
Two of the report's silent assumptions are inputs of both methods: one answer per GPU at a time
(``batch_size`` = 1) and a model that fits in one GPU's memory (``memory_check = "one_gpu"``).
"""

from __future__ import annotations

import numpy as np

from ..formulas import hardware, llm
from .base import Input, Model, Output, register
from .fleet import CAPEX, CHIPS, PROVISIONING, QUERIES_PER_DAY, SERVERS, SERVERS_AND_PRICE

__all__ = ["llm_inference", "METHODS", "MEMORY_CHECKS"]

METHODS = ("latency", "roofline")
MEMORY_CHECKS = ("one_gpu", "by_memory")

# which alternative of a structural choice uses an input (see Input.used_when)
LATENCY = ("method", "latency")
ROOFLINE = ("method", "roofline")
BY_MEMORY = ("memory_check", "by_memory")
SIZED = (ROOFLINE, BY_MEMORY)  # the model's size and cache matter to the roofline and to memory


def _llm_inference(
    daily_active_users,
    questions_per_user,
    chars_per_answer,
    method,
    seconds_per_char,
    batch_size,
    memory_check,
    model_parameters,
    bytes_per_parameter,
    gpu_memory,
    memory_bandwidth,
    peak_flops,
    kernel_efficiency,
    tokens_per_char,
    prompt_tokens,
    kv_bytes_per_token,
    peak_to_average,
    utilization,
    gpus_per_server,
    server_price,
):
    queries_per_day = daily_active_users * questions_per_user
    answer_tokens = chars_per_answer * tokens_per_char
    weights = llm.weight_bytes(model_parameters, bytes_per_parameter)
    # cache of a whole sequence (prompt and answer) for every answer in the batch
    batch_cache = batch_size * (prompt_tokens + answer_tokens) * kv_bytes_per_token
    replica = llm.gpus_per_replica(weights, batch_cache, gpu_memory, memory_check == 1)

    # latency: each character holds a whole replica for its latency, shared by the batch
    latency_seconds = (
        llm.latency_gpu_seconds(queries_per_day, chars_per_answer, seconds_per_char) * replica / batch_size
    )

    # roofline: decode at the lower of the bandwidth and compute rates, prefill compute-bound
    flops_per_token = llm.inference_flops_per_token(model_parameters)
    mean_context = prompt_tokens + 0.5 * answer_tokens
    decode_rate = kernel_efficiency * np.minimum(
        llm.memory_bound_tokens_per_second(
            memory_bandwidth, weights, kv_bytes_per_token, mean_context, batch_size
        ),
        llm.compute_bound_tokens_per_second(peak_flops, 1.0, flops_per_token),
    )
    prefill_rate = llm.compute_bound_tokens_per_second(peak_flops, kernel_efficiency, flops_per_token)
    roofline_seconds = queries_per_day * (answer_tokens / decode_rate + prompt_tokens / prefill_rate)

    gpu_seconds = np.where(method == 0, latency_seconds, roofline_seconds)
    chips = hardware.provisioned_chips(hardware.chips_busy(gpu_seconds), peak_to_average, utilization)
    servers = hardware.servers_needed(chips, gpus_per_server)
    return {
        "queries_per_day": queries_per_day,
        "gpu_hours_per_day": gpu_seconds / hardware.SECONDS_PER_HOUR,
        "chips": chips,
        "servers": servers,
        "capex": hardware.capex(servers, server_price),
        "gpus_per_replica": replica,
    }


llm_inference = register(
    Model(
        name="llm_inference",
        description="GPUs for a chat assistant: latency method (queries × characters × s/char) or "
        "roofline (tokens at min(bandwidth, compute) rate + compute-bound prefill), with batching "
        "and model size; × peak-to-average ÷ utilization; servers; capex",
        inputs=(
            Input("daily_active_users", "user", "daily active users", domain="positive"),
            Input(
                "questions_per_user", "query/user/day", "questions each user asks per day", domain="positive"
            ),
            Input("chars_per_answer", "char/query", "characters generated per answer", domain="positive"),
            Input("method", "1", "how GPU time is counted", choices=METHODS),
            Input(
                "seconds_per_char",
                "s/char",
                "latency method: single-stream time per character",
                domain="positive",
                used_when=LATENCY,
            ),
            Input(
                "batch_size",
                "query",
                "answers a model replica generates at the same time",
                domain="at_least_one",
            ),
            Input(
                "memory_check",
                "1",
                "one GPU per replica, or as many as the model's memory needs",
                choices=MEMORY_CHECKS,
            ),
            Input(
                "model_parameters",
                "parameter",
                "parameters of the served model",
                domain="positive",
                used_when=SIZED,
            ),
            Input(
                "bytes_per_parameter",
                "byte/parameter",
                "bytes per stored weight (2 FP16, 1 INT8)",
                domain="positive",
                used_when=SIZED,
            ),
            Input("gpu_memory", "byte/GPU", "memory of one GPU", domain="positive", used_when=BY_MEMORY),
            Input(
                "memory_bandwidth",
                "byte/s",
                "memory bandwidth of one GPU",
                domain="positive",
                used_when=ROOFLINE,
            ),
            Input(
                "peak_flops",
                "FLOPS",
                "peak dense FP16 throughput of one GPU",
                domain="positive",
                used_when=ROOFLINE,
            ),
            Input(
                "kernel_efficiency",
                "1",
                "roofline: share of peak bandwidth or FLOP/s achieved",
                domain="share",
                used_when=ROOFLINE,
            ),
            Input(
                "tokens_per_char",
                "token/char",
                "tokens per generated character (roofline, and the KV cache of a replica sized by memory)",
                domain="positive",
                used_when=SIZED,
            ),
            Input(
                "prompt_tokens",
                "token/query",
                "tokens read before answering (prompt, history; roofline and KV cache)",
                domain="positive",
                used_when=SIZED,
            ),
            Input(
                "kv_bytes_per_token",
                "byte/token",
                "KV cache per token of context (roofline and a replica sized by memory)",
                domain="positive",
                used_when=SIZED,
            ),
            *PROVISIONING,
            *SERVERS_AND_PRICE,
        ),
        outputs=(
            QUERIES_PER_DAY,
            Output("gpu_hours_per_day", "hour/day", "GPU-hours of serving per day"),
            CHIPS,
            SERVERS,
            CAPEX,
            Output("gpus_per_replica", "GPU", "GPUs one copy of the model spans"),
        ),
        function=_llm_inference,
    )
)
