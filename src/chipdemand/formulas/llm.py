"""Compute, memory and time formulas for transformer language models.

Training and inference FLOPs (Kaplan et al. 2020), mixture-of-experts active parameters, KV-cache
bytes, roofline token rates, the latency method of Ping An (2023-02-28) and PF-day conversions.
"""

from __future__ import annotations

import numpy as np

from .._typing import Flags, Values
from ._units import units

__all__ = [
    "SECONDS_PER_DAY",
    "FLOP_PER_PF_DAY",
    "training_flops",
    "training_flops_with_attention",
    "inference_flops_per_token",
    "moe_active_params",
    "weight_bytes",
    "kv_cache_bytes_per_token",
    "memory_bound_tokens_per_second",
    "compute_bound_tokens_per_second",
    "latency_gpu_seconds",
    "gpus_per_replica",
    "pf_days",
    "flops_from_pf_days",
]

SECONDS_PER_DAY = 86_400.0
#: One petaFLOP/s-day: 1e15 FLOP/s sustained for 86,400 s = 8.64e19 FLOP.
FLOP_PER_PF_DAY = 1e15 * SECONDS_PER_DAY


@units("FLOP", params="parameter", tokens="token")
def training_flops(params: Values, tokens: Values) -> Values:
    """FLOPs to train a dense transformer: C = 6·N·D (Kaplan et al. 2020, eq. 2.1).

    2·N per token for the forward pass and 4·N for the backward pass; attention over the
    context is left out (see :func:`training_flops_with_attention`).

    Parameters
    ----------
    params : float or ndarray
        Non-embedding parameters N (count).
    tokens : float or ndarray
        Training tokens D (count).

    Returns
    -------
    float or ndarray
        Training compute, FLOP.

    Examples
    --------
    GPT-3 175B on 300B tokens (Brown et al. 2020, table D.1: 3.14e23 FLOP):

    >>> f"{training_flops(174.6e9, 300e9):.3g}"
    '3.14e+23'
    """
    return 6.0 * params * tokens


@units("FLOP", params="parameter", tokens="token", n_layers="1", d_model="1", context="token", causal="bool")
def training_flops_with_attention(
    params: Values,
    tokens: Values,
    n_layers: Values,
    d_model: Values,
    context: Values,
    *,
    causal: bool = False,
) -> Values:
    """Training FLOPs with the attention over the context: 6·N·D + 12·L·d·ctx·D.

    Per token and layer the forward pass multiplies queries by keys (ctx·d multiply-accumulates)
    and scores by values (ctx·d): 4·ctx·d FLOPs, tripled for the backward pass. This is the
    count of Chowdhery et al. 2022 (PaLM, appendix B: 6N + 6·L·H·(2·Q·T)), which takes the
    whole ctx×ctx score matrix as computed. Kaplan et al. 2020 (table 1) count only the
    unmasked half of a causal sequence, C_forward = 2N + 2·L·ctx·d, i.e. 6·L·d·ctx per
    training token: ``causal=True``.

    Parameters
    ----------
    params : float or ndarray
        Non-embedding parameters N (count).
    tokens : float or ndarray
        Training tokens D (count).
    n_layers : float or ndarray
        Transformer layers L (count).
    d_model : float or ndarray
        Attention width d = heads × head dimension (Kaplan's d_attn; equal to the model width
        in most models, but not in PaLM: 48 × 256 = 12,288 against d_model 18,432).
    context : float or ndarray
        Sequence length ctx, tokens.
    causal : bool, optional
        Count only the unmasked half of the scores (Kaplan) instead of the whole matrix (PaLM).

    Returns
    -------
    float or ndarray
        Training compute, FLOP.
    """
    per_token_layer = 6.0 if causal else 12.0
    return 6.0 * params * tokens + per_token_layer * n_layers * d_model * context * tokens


@units("FLOP/token", active_params="parameter", n_layers="1", d_model="1", context="token", causal="bool")
def inference_flops_per_token(
    active_params: Values,
    n_layers: Values = 0,
    d_model: Values = 0,
    context: Values = 0,
    *,
    causal: bool = True,
) -> Values:
    """Forward FLOPs per generated token: 2·N_active + 2·L·ctx·d (Kaplan et al. 2020, table 1).

    With ``causal=True`` (the default, Kaplan's count) ``context`` is the length the sequence
    grows to and the attention term is the mean over its tokens: a token at position t
    attends to t cached tokens (4·L·t·d FLOPs), 2·L·ctx·d on average. With ``causal=False``
    every token attends to a full cache of ``context`` tokens: 4·L·ctx·d. Leave ``n_layers``,
    ``d_model`` and ``context`` at 0 for the bare 2·N rule.

    Parameters
    ----------
    active_params : float or ndarray
        Parameters used per token (all of them for a dense model; see
        :func:`moe_active_params`), count.
    n_layers : float or ndarray, optional
        Transformer layers L (count).
    d_model : float or ndarray, optional
        Attention width d = heads × head dimension.
    context : float or ndarray, optional
        Sequence length (``causal=True``) or cached tokens attended to (``causal=False``).
    causal : bool, optional
        Average the attention over a growing sequence (True) or charge the full cache (False).

    Returns
    -------
    float or ndarray
        Forward compute per token, FLOP/token.
    """
    per_layer = 2.0 if causal else 4.0
    return 2.0 * active_params + per_layer * n_layers * context * d_model


@units(
    "parameter", shared_params="parameter", expert_params="parameter", n_experts="1", experts_per_token="1"
)
def moe_active_params(
    shared_params: Values, expert_params: Values, n_experts: Values, experts_per_token: Values
) -> Values:
    """Parameters used per token by a mixture-of-experts model.

    N_active = shared + expert_params × k ÷ E, where ``expert_params`` is the parameter count
    of all E experts together (summed over layers) and k experts are routed per token.

    Parameters
    ----------
    shared_params : float or ndarray
        Parameters every token uses: embeddings, attention, norms, router (count).
    expert_params : float or ndarray
        Parameters of all experts together (count).
    n_experts : float or ndarray
        Experts per MoE layer, E (count).
    experts_per_token : float or ndarray
        Experts routed per token, k (count).

    Returns
    -------
    float or ndarray
        Active parameters per token (count). Total parameters are ``shared + expert_params``.
    """
    return shared_params + 1.0 * expert_params * experts_per_token / n_experts


@units("byte", params="parameter", bytes_per_param="byte/parameter")
def weight_bytes(params: Values, bytes_per_param: Values = 2.0) -> Values:
    """Bytes to hold the weights: params × bytes per parameter (2 for FP16/BF16, 1 for FP8).

    Parameters
    ----------
    params : float or ndarray
        Parameters stored (count; the total, not the active, for a mixture of experts).
    bytes_per_param : float or ndarray, optional
        Bytes per parameter, byte.

    Returns
    -------
    float or ndarray
        Weight memory, bytes.
    """
    return 1.0 * params * bytes_per_param


@units("byte/token", n_layers="1", n_kv_heads="1", head_dim="1", bytes_per_value="byte")
def kv_cache_bytes_per_token(
    n_layers: Values, n_kv_heads: Values, head_dim: Values, bytes_per_value: Values = 2.0
) -> Values:
    """Key-value cache per token: 2·L·h_kv·d_head·bytes (a key and a value per layer and head).

    Parameters
    ----------
    n_layers : float or ndarray
        Transformer layers L (count).
    n_kv_heads : float or ndarray
        Key-value heads h_kv (count; fewer than the query heads under grouped-query attention).
    head_dim : float or ndarray
        Dimension of one head (count).
    bytes_per_value : float or ndarray, optional
        Bytes per cached value (2 for FP16/BF16), byte.

    Returns
    -------
    float or ndarray
        Cache per token, bytes/token.
    """
    return 2.0 * n_layers * n_kv_heads * head_dim * bytes_per_value


@units(
    "token/s",
    mem_bandwidth="byte/s",
    weight_bytes="byte",
    kv_bytes_per_token="byte/token",
    context="token",
    batch="1",
)
def memory_bound_tokens_per_second(
    mem_bandwidth: Values, weight_bytes: Values, kv_bytes_per_token: Values, context: Values, batch: Values
) -> Values:
    """Decoding rate of one accelerator limited by memory bandwidth (roofline).

    Each decoding step reads the weights once and the KV cache of every sequence in the batch,
    and yields one token per sequence: tokens/s = batch × bandwidth ÷ (weights + batch ×
    context × KV bytes per token). Compute, launch overheads and prefill are ignored; take the
    minimum with :func:`compute_bound_tokens_per_second` for a roofline.

    Parameters
    ----------
    mem_bandwidth : float or ndarray
        Memory bandwidth, bytes/s.
    weight_bytes : float or ndarray
        Weights read per step, bytes (see :func:`weight_bytes`).
    kv_bytes_per_token : float or ndarray
        KV cache per cached token, bytes/token (see :func:`kv_cache_bytes_per_token`).
    context : float or ndarray
        Cached tokens per sequence, tokens.
    batch : float or ndarray
        Sequences decoded together (count).

    Returns
    -------
    float or ndarray
        Generated tokens per second, token/s.
    """
    bytes_per_step = weight_bytes + batch * context * kv_bytes_per_token
    return 1.0 * batch * mem_bandwidth / bytes_per_step


@units("token/s", peak_flops="FLOPS", utilization="1", flops_per_token="FLOP/token")
def compute_bound_tokens_per_second(
    peak_flops: Values, utilization: Values, flops_per_token: Values
) -> Values:
    """Token rate limited by arithmetic: peak × utilization ÷ FLOPs per token.

    Parameters
    ----------
    peak_flops : float or ndarray
        Peak throughput of the accelerator at the precision used, FLOP/s.
    utilization : float or ndarray
        Share of the peak achieved (model FLOPs utilization), dimensionless in (0, 1].
    flops_per_token : float or ndarray
        FLOPs per token, FLOP/token (see :func:`inference_flops_per_token`).

    Returns
    -------
    float or ndarray
        Tokens per second, token/s.
    """
    return 1.0 * peak_flops * utilization / flops_per_token


@units("s * {Q} / query", queries="{Q}", chars_per_answer="char/query", seconds_per_char="s/char")
def latency_gpu_seconds(queries: Values, chars_per_answer: Values, seconds_per_char: Values) -> Values:
    """GPU time from response latency: queries × characters × seconds per character.

    The Ping An (2023-02-28) method: each character costs its single-stream generation time
    on one GPU, with no batching.

    Parameters
    ----------
    queries : float or ndarray
        Queries in the period (count; per day gives GPU-seconds per day).
    chars_per_answer : float or ndarray
        Characters generated per answer, char/query.
    seconds_per_char : float or ndarray
        GPU time per generated character, s/char.

    Returns
    -------
    float or ndarray
        GPU-seconds in the period, s.
    """
    return 1.0 * queries * chars_per_answer * seconds_per_char


@units("PF_day", flops="FLOP")
def pf_days(flops: Values) -> Values:
    """FLOPs as petaFLOP/s-days: flops ÷ 8.64e19.

    Parameters
    ----------
    flops : float or ndarray
        Compute, FLOP.

    Returns
    -------
    float or ndarray
        Compute, PF-days.
    """
    return flops / FLOP_PER_PF_DAY


@units("FLOP", pf_days="PF_day")
def flops_from_pf_days(pf_days: Values) -> Values:
    """PetaFLOP/s-days as FLOPs: PF-days × 8.64e19.

    Parameters
    ----------
    pf_days : float or ndarray
        Compute, PF-days.

    Returns
    -------
    float or ndarray
        Compute, FLOP.
    """
    return pf_days * FLOP_PER_PF_DAY


@units("GPU", weight_bytes="byte", kv_bytes="byte", gpu_memory="byte/GPU", by_memory="bool")
def gpus_per_replica(weight_bytes: Values, kv_bytes: Values, gpu_memory: Values, by_memory: Flags) -> Values:
    """GPUs one model replica spans: ⌈(weights + KV cache) ÷ GPU memory⌉, or 1.

    Parameters
    ----------
    weight_bytes, kv_bytes : ndarray
        Weights, and the KV cache of the whole batch, bytes.
    gpu_memory : ndarray
        Memory of one GPU, bytes.
    by_memory : ndarray of bool
        Size the replica by memory (True), or take one GPU per replica as the report does.

    Returns
    -------
    ndarray
        GPUs per replica (count).
    """
    needed = np.ceil((weight_bytes + kv_bytes) / gpu_memory * (1.0 - 1e-9))
    return np.where(by_memory, np.maximum(needed, 1.0), 1.0)
