"""The chatgpt_inference chain as a formula study against the Python model it restates (issue 11).

Run on demand, not in the test suite (the figure goes to benchmarks/README.md):

    python benchmarks/formula_vs_python.py                  # 2**20 draws, 15 rounds
    python benchmarks/formula_vs_python.py --draws 1e6 --rounds 31

The formula study is ``priors/chatgpt_inference.toml`` with ``model = "llm_inference"`` replaced
by :data:`FORMULAS` (the model's code, line for line, as study formulas) and each input written
in the unit the Python model takes, so both evaluate exactly the same arithmetic. The inputs are
drawn once (from the Python study, base scenario) and both models evaluate the same arrays:

* ``evaluate``: ``Model.evaluate`` of each, the part that differs (the formulas are compiled
  into closures over NumPy functions once, when the study is loaded);
* ``simulate``: ``cd.simulate`` of each whole study (drawing included), one thread, for scale.

Each round times both (the least CPU time of three calls each), in an order that alternates round
by round; the figure is the median of the per-round ratios (formula ÷ Python) with their range.
The outputs are checked to be equal, draw for draw, before any timing.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tomllib

import numpy as np

import chipdemand as cd
from chipdemand.engine import make_plan
from chipdemand.study.extends import dump_document
from chipdemand.study.loader import parse_study, priors_dir
from chipdemand.units import conversion_factor

#: llm_inference (src/chipdemand/models/llm_inference.py) as study formulas
FORMULAS = {
    "derived": {
        "answer_tokens": ("chars_per_answer * tokens_per_char", "token/query"),
        "weights": ("weight_bytes(params=model_parameters, bytes_per_param=bytes_per_parameter)", "byte"),
        "batch_cache": ("batch_size * (prompt_tokens + answer_tokens) * kv_bytes_per_token", "byte"),
        "latency_seconds": (
            "latency_gpu_seconds(queries=queries_per_day, chars_per_answer=chars_per_answer, "
            "seconds_per_char=seconds_per_char) * gpus_per_replica / batch_size",
            "s/day",
        ),
        "flops_per_token": ("inference_flops_per_token(active_params=model_parameters)", "FLOP/token"),
        "mean_context": ("prompt_tokens + 0.5 * answer_tokens", "token/query"),
        "decode_rate": (
            "kernel_efficiency * min(memory_bound_tokens_per_second(mem_bandwidth=memory_bandwidth, "
            "weight_bytes=weights, kv_bytes_per_token=kv_bytes_per_token, context=mean_context, "
            "batch=batch_size), compute_bound_tokens_per_second(peak_flops=peak_flops, utilization=1, "
            "flops_per_token=flops_per_token))",
            "token/s",
        ),
        "prefill_rate": (
            "compute_bound_tokens_per_second(peak_flops=peak_flops, utilization=kernel_efficiency, "
            "flops_per_token=flops_per_token)",
            "token/s",
        ),
        "roofline_seconds": (
            "queries_per_day * (answer_tokens / decode_rate + prompt_tokens / prefill_rate)",
            "s/day",
        ),
        "gpu_seconds": ('where(method == "latency", latency_seconds, roofline_seconds)', "s/day"),
    },
    "outputs": {
        "queries_per_day": ("daily_active_users * questions_per_user", "query/day"),
        "gpu_hours_per_day": ("gpu_seconds", "hour/day"),
        "chips": (
            "provisioned_chips(average_chips=chips_busy(gpu_seconds_per_day=gpu_seconds), "
            "peak_to_average=peak_to_average, utilization=utilization)",
            "GPU",
        ),
        "servers": ("servers_needed(chips=chips, chips_per_server=gpus_per_server)", "server"),
        "capex": ("capex(units=servers, unit_price=server_price)", "USD"),
        "gpus_per_replica": (
            "gpus_per_replica(weight_bytes=weights, kv_bytes=batch_cache, gpu_memory=gpu_memory, "
            'by_memory=memory_check == "by_memory")',
            "GPU",
        ),
    },
}
SCALED = ("value", "point", "corrected", "min", "mode", "max", "low", "high", "lower", "upper", "median")


def formula_study():
    """``chatgpt_inference`` restated: no model, inputs in the model's units, the formulas above."""
    python = cd.load_study("chatgpt_inference")
    doc = tomllib.loads((priors_dir() / "chatgpt_inference.toml").read_text(encoding="utf-8"))
    doc["study"].pop("model")
    doc["study"]["name"] = "chatgpt_inference_formulas"
    model = python.model
    for name, spec in doc["inputs"].items():
        declared = model.input(name)
        if declared.choices is not None:
            spec["choices"] = list(declared.choices)
            continue
        if spec.get("dist") == "catalog":
            continue
        factor = conversion_factor(spec["unit"], declared.unit)
        for key in SCALED:
            if isinstance(spec.get(key), int | float):
                spec[key] = spec[key] * factor
        if "ci" in spec:
            spec["ci"] = [v * factor for v in spec["ci"]]
        spec["unit"] = declared.unit
        spec["domain"] = declared.domain
    for scenario in doc.get("scenarios", {}).values():
        for name, spec in scenario.items():
            if isinstance(spec, dict) and "ci" in spec and name in doc["inputs"]:
                assert doc["inputs"][name]["unit"] == model.input(name).unit or "unit" not in spec
    for table in ("derived", "outputs"):
        entries = doc.setdefault(table, {})
        for name, (formula, unit) in FORMULAS[table].items():
            entries[name] = {**entries.get(name, {}), "formula": formula, "unit": unit}
    doc["outputs"] = {o.name: doc["outputs"][o.name] for o in model.outputs}  # the model's order
    return parse_study(dump_document(doc), "chatgpt_inference_formulas.toml"), python


def _time(fn, repeat: int = 3) -> float:
    """The least CPU time of ``repeat`` calls (CPU time of this process: other processes on a
    shared machine do not count; NumPy runs these operations on one thread)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def rounds(a, b, n: int) -> list[float]:
    """Per-round ratios time(a) ÷ time(b), the order alternating round by round, after a warm-up."""
    a(), b()
    ratios = []
    for i in range(n):
        if i % 2:
            tb, ta = _time(b), _time(a)
        else:
            ta, tb = _time(a), _time(b)
        ratios.append(ta / tb)
    return ratios


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=float, default=2**20, help="draws per evaluation (default 2**20)")
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (default 15)")
    args = parser.parse_args(argv)
    n = int(args.draws)

    formulas, python = formula_study()
    plan = make_plan(python, draws=n, seed=0, scenarios=["base"])
    inputs = {k: v for k, v in plan.evaluate(0, n)["base"].items() if k in python.inputs}
    inputs = {k: np.ascontiguousarray(np.broadcast_to(v, (n,))) for k, v in inputs.items()}
    a, b = formulas.model.evaluate(inputs), python.model.evaluate(inputs)
    for name in b:
        assert np.array_equal(a[name], b[name]), f"{name} differs"
    print(f"{len(b)} outputs of {n:,} draws equal, draw for draw; {len(inputs)} inputs")

    evaluate = rounds(
        lambda: formulas.model.evaluate(inputs), lambda: python.model.evaluate(inputs), args.rounds
    )
    sim_draws = max(n // 4, 1)
    simulate = rounds(
        lambda: cd.simulate(formulas, draws=sim_draws, seed=0, threads=1),
        lambda: cd.simulate(python, draws=sim_draws, seed=0, threads=1),
        max(args.rounds // 3, 3),
    )
    print("\n| what | draws | formula ÷ Python, median | range | rounds |")
    print("|---|---:|---:|---:|---:|")
    for what, draws, ratios in (
        ("`Model.evaluate` (same input arrays)", n, evaluate),
        ("`simulate`, 4 scenarios, 1 thread", sim_draws, simulate),
    ):
        print(
            f"| {what} | {draws:,} | {statistics.median(ratios):.3f} | "
            f"{min(ratios):.3f}–{max(ratios):.3f} | {len(ratios)} |"
        )


if __name__ == "__main__":
    main()
