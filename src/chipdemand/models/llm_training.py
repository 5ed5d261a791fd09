"""Language-model training: the cost of a training cluster, and training compute by 6·N·D.

``llm_training_cluster`` follows Ping An (2023-02-28): Microsoft's 10,000-V100 supercomputer for
OpenAI converted to A100s by performance, in DGX A100 servers at list price; with GPT-3's training
compute (6·N·D), the days that fleet takes at a given MFU, and the cloud bill of one run.
``training_compute_table`` replays the report's table of training compute (from Brown et al.
2020, table D.1) row by row with 6·N·D.
"""

from __future__ import annotations

from ..formulas import hardware, llm
from .base import Input, Model, Output, register

__all__ = ["llm_training_cluster", "training_compute_table", "TABLE_ROWS"]


def _llm_training_cluster(
    cluster_gpus,
    v100_per_a100,
    gpus_per_server,
    server_price,
    model_parameters,
    training_tokens,
    training_cost_factor,
    peak_flops,
    utilization,
    cloud_sustained_flops,
    cloud_price_per_gpu_hour,
):
    a100s = cluster_gpus / v100_per_a100
    servers = hardware.servers_needed(a100s, gpus_per_server)
    flop = llm.training_flops(model_parameters, training_tokens) * training_cost_factor
    days = hardware.compute_seconds(flop, a100s, peak_flops, utilization) / hardware.SECONDS_PER_DAY
    cloud_hours = hardware.gpu_hours(flop, cloud_sustained_flops)
    return {
        "capex": hardware.capex(servers, server_price),
        "a100_equivalents": a100s,
        "servers": servers,
        "training_compute": llm.pf_days(flop),
        "training_days": days,
        "cloud_cost": cloud_hours * cloud_price_per_gpu_hour,
    }


llm_training_cluster = register(
    Model(
        name="llm_training_cluster",
        description="A training cluster rebuilt in A100 servers (V100s ÷ V100 per A100, servers, "
        "capex), and one model's training: 6·N·D FLOPs, days on that cluster at an MFU, cloud cost",
        inputs=(
            Input("cluster_gpus", "GPU", "GPUs of the reference cluster (V100)", domain="positive"),
            Input("v100_per_a100", "1", "V100s one A100 replaces", domain="positive"),
            Input("gpus_per_server", "GPU/server", "A100s per server", domain="count"),
            Input("server_price", "USD/server", "price of one server", domain="positive"),
            Input("model_parameters", "parameter", "parameters of the model trained", domain="positive"),
            Input("training_tokens", "token", "tokens seen in training", domain="positive"),
            Input(
                "training_cost_factor",
                "1",
                "compute relative to a dense 6·N·D run (efficiency gains < 1)",
                domain="positive",
            ),
            Input("peak_flops", "FLOPS", "peak dense FP16 throughput of one A100", domain="positive"),
            Input("utilization", "1", "model FLOPs utilization of the training run", domain="share"),
            Input(
                "cloud_sustained_flops",
                "FLOPS",
                "FLOP/s one rented GPU sustains (cloud estimate)",
                domain="positive",
            ),
            Input("cloud_price_per_gpu_hour", "USD/hour", "price of one rented GPU-hour", domain="positive"),
        ),
        outputs=(
            Output("capex", "USD", "capital expenditure on the A100 servers"),
            Output("a100_equivalents", "GPU", "A100s with the cluster's performance"),
            Output("servers", "server", "A100 servers (rounded up)"),
            Output("training_compute", "PF_day", "compute of one training run"),
            Output("training_days", "day", "days one run takes on the A100 cluster"),
            Output("cloud_cost", "USD", "cost of one run on rented GPUs"),
        ),
        function=_llm_training_cluster,
    )
)


#: The rows of Ping An's table 各个模型所需计算量及参数量 (Brown et al. 2020, table D.1), in order.
TABLE_ROWS = (
    "gpt3_175b",
    "t5_small",
    "t5_base",
    "t5_large",
    "t5_3b",
    "t5_11b",
    "bert_base",
    "bert_large",
    "roberta_base",
    "roberta_large",
    "gpt3_small",
    "gpt3_medium",
    "gpt3_large",
    "gpt3_xl",
    "gpt3_2_7b",
    "gpt3_6_7b",
    "gpt3_13b",
)


def _training_compute_table(flops_per_param_token, encoder_decoder_share, **rows):
    out = {}
    for row in TABLE_ROWS:
        share = encoder_decoder_share if row.startswith("t5_") else 1.0
        flop = (flops_per_param_token / 6.0) * llm.training_flops(
            rows[f"params_{row}"] * share, rows[f"tokens_{row}"]
        )
        out[f"compute_{row}"] = llm.pf_days(flop)
    return out


training_compute_table = register(
    Model(
        name="training_compute_table",
        description="Training compute of each model of a table by C = 6·N·D (× FLOPs per "
        "parameter-token ÷ 6; T5 rows × the share of parameters each token passes through)",
        inputs=(
            Input(
                "flops_per_param_token",
                "FLOP/parameter/token",
                "training FLOPs per parameter per token (6)",
                domain="positive",
            ),
            Input(
                "encoder_decoder_share",
                "1",
                "share of an encoder-decoder's parameters each token uses (T5 rows)",
                domain="share",
            ),
            *(
                Input(f"{kind}_{row}", unit, f"{what} of {row}", domain="positive")
                for row in TABLE_ROWS
                for kind, unit, what in (
                    ("params", "parameter", "parameters"),
                    ("tokens", "token", "training tokens"),
                )
            ),
        ),
        outputs=tuple(Output(f"compute_{row}", "PF_day", f"training compute of {row}") for row in TABLE_ROWS),
        function=_training_compute_table,
    )
)
