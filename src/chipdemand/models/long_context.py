"""Long-context chat inference (Kimi): GPUs when every question carries a long document.

Reading the context (prefill) costs 2·N FLOPs per token plus attention that grows with the
square of the context (2·N·C + 2·L·d·C² for C tokens); generating the answer is bound by
memory bandwidth, since every step reads the weights and each sequence's KV cache, whose size
grows with the context and limits how many sequences fit in a replica's memory. GPUs follow
from the GPU-seconds per day, peak load and utilization, and a serving speed-up (KV-cache
reuse, scheduling) divides them.
"""

from __future__ import annotations

import numpy as np

from ..formulas import hardware, llm
from .base import Input, Model, Output, register
from .fleet import CHIPS, PROVISIONING

__all__ = ["long_context_inference"]


def _long_context_inference(
    daily_active_users,
    queries_per_user,
    context_chars,
    answer_chars,
    tokens_per_char,
    model_parameters,
    n_layers,
    bytes_per_parameter,
    kv_bytes_per_token,
    peak_flops,
    memory_bandwidth,
    gpu_memory,
    gpus_per_replica,
    batch_size,
    kernel_efficiency,
    serving_speedup,
    peak_to_average,
    utilization,
):
    queries = daily_active_users * queries_per_user
    context = context_chars * tokens_per_char
    answer = answer_chars * tokens_per_char
    width = np.sqrt(model_parameters / (12.0 * n_layers))  # N ≈ 12·L·d²

    # prefill: a causal sequence growing to C tokens, 4·L·t·d attention FLOPs at position t, so
    # 2N + 2·L·C·d per token on average and 2·N·C + 2·L·d·C² in all
    prefill_per_token = llm.inference_flops_per_token(model_parameters, n_layers, width, context)
    prefill_flop = context * prefill_per_token
    # decode: each answer token attends to the whole cache (context and half the answer)
    cached = context + 0.5 * answer
    decode_per_token = llm.inference_flops_per_token(model_parameters, n_layers, width, cached, causal=False)
    attention_flop = context * (prefill_per_token - 2.0 * model_parameters) + answer * (
        decode_per_token - 2.0 * model_parameters
    )

    weights = llm.weight_bytes(model_parameters, bytes_per_parameter)
    room = np.maximum(gpus_per_replica * gpu_memory - weights, 0.0)
    batch = np.clip(room / (cached * kv_bytes_per_token), 1.0, batch_size)  # what fits, at most the batch
    decode_rate = kernel_efficiency * np.minimum(
        llm.memory_bound_tokens_per_second(memory_bandwidth, weights, kv_bytes_per_token, cached, batch),
        llm.compute_bound_tokens_per_second(peak_flops, 1.0, decode_per_token),
    )
    prefill_seconds = prefill_flop / (peak_flops * kernel_efficiency)
    decode_seconds = answer / decode_rate
    gpu_seconds = queries * (prefill_seconds + decode_seconds) / serving_speedup
    chips = hardware.provisioned_chips(hardware.chips_busy(gpu_seconds), peak_to_average, utilization)
    total_flop = prefill_flop + answer * decode_per_token
    return {
        "chips": chips,
        "gpu_hours_per_day": gpu_seconds / hardware.SECONDS_PER_HOUR,
        "flop_per_query": total_flop,
        "attention_share": attention_flop / total_flop,
        "prefill_share": prefill_seconds / (prefill_seconds + decode_seconds),
        "answers_per_replica": batch,
        "queries_per_day": queries,
    }


long_context_inference = register(
    Model(
        name="long_context_inference",
        description="GPUs for long-context chat: compute-bound prefill with attention ∝ context², "
        "memory-bound decoding with a KV cache ∝ context that limits the batch; × peak-to-average "
        "÷ utilization ÷ serving speed-up",
        inputs=(
            Input("daily_active_users", "user", "daily active users", domain="positive"),
            Input(
                "queries_per_user", "query/user/day", "questions each user asks per day", domain="positive"
            ),
            Input(
                "context_chars",
                "char/query",
                "characters of context (documents, history) read per question",
                domain="positive",
            ),
            Input("answer_chars", "char/query", "characters generated per answer", domain="positive"),
            Input("tokens_per_char", "token/char", "tokens per character", domain="positive"),
            Input("model_parameters", "parameter", "parameters used per token", domain="positive"),
            Input(
                "n_layers", "1", "transformer layers (width follows from N ≈ 12·L·d²)", domain="at_least_one"
            ),
            Input("bytes_per_parameter", "byte/parameter", "bytes per stored weight", domain="positive"),
            Input("kv_bytes_per_token", "byte/token", "KV cache per token of context", domain="positive"),
            Input("peak_flops", "FLOPS", "peak dense FP16 throughput of one GPU", domain="positive"),
            Input("memory_bandwidth", "byte/s", "memory bandwidth of one GPU", domain="positive"),
            Input("gpu_memory", "byte/GPU", "memory of one GPU", domain="positive"),
            Input("gpus_per_replica", "GPU", "GPUs serving one copy of the model", domain="at_least_one"),
            Input(
                "batch_size", "query", "answers a replica decodes together, at most", domain="at_least_one"
            ),
            Input("kernel_efficiency", "1", "share of peak bandwidth or FLOP/s achieved", domain="share"),
            Input(
                "serving_speedup",
                "1",
                "throughput gain of the serving system (cache reuse, scheduling)",
                domain="positive",
            ),
            *PROVISIONING,
        ),
        outputs=(
            CHIPS,
            Output("gpu_hours_per_day", "hour/day", "GPU-hours of serving per day"),
            Output("flop_per_query", "FLOP/query", "compute per question (prefill and answer)"),
            Output("attention_share", "1", "share of the FLOPs spent in attention"),
            Output("prefill_share", "1", "share of GPU time spent reading the context"),
            Output("answers_per_replica", "query", "answers decoded together (memory permitting)"),
            Output("queries_per_day", "query/day", "questions per day"),
        ),
        function=_long_context_inference,
    )
)
