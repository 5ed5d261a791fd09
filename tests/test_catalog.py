"""The accelerator catalogue: every figure against its source, consistency, missing figures refused."""

import math

import pytest

import chipdemand as cd
from chipdemand import catalog
from chipdemand.errors import StudyError
from chipdemand.formulas import hardware

T, P, G = 1e12, 1e15, 1e9

# Every figure of the chips added for issue 12, as printed by its source (the catalogue cites the
# same reference per field). NVIDIA prints FLOP/s with 2:4 sparsity: the catalogue holds half.
SOURCE_VALUES = {
    "H800": {
        # NVIDIA H800 product brief (2023, from memory): the H100 SXM5's tensor peaks
        "peak_fp16_flops": 1978.9 * T / 2,
        "peak_fp8_flops": 3957.8 * T / 2,
        "memory_bytes": 80 * G,  # 80 GB HBM3
        "memory_bandwidth": 3.35 * T,  # 3.35 TB/s
        "tdp_watts": 700,
        "price_usd": [25_000, 35_000],  # Reuters 2024-01: 8-GPU servers ~CNY 2M (÷ 8 ÷ 7.15 = $35k)
    },
    "H20": {
        # zangshuxian.com (2024): "H20的FP16稠密算力为148TFLOPS"; FP8 296 TFLOPS (spec table)
        "peak_fp16_flops": 148 * T,
        "peak_fp8_flops": 296 * T,
        # TweakTown 2024-01: 96GB of HBM3, 4.0TB/sec, 400W TDP
        "memory_bytes": 96 * G,
        "memory_bandwidth": 4.0 * T,
        "tdp_watts": 400,
        # Reuters 2024-01: "$12,000 to $15,000 per card"
        "price_usd": [12_000, 15_000],
    },
    "H200": {
        # NVIDIA H200 datasheet (2024-11): BF16 1,979 and FP8 3,958 TFLOPS with sparsity
        "peak_fp16_flops": 1978.9 * T / 2,
        "peak_fp8_flops": 3957.8 * T / 2,
        "memory_bytes": 141 * G,  # 141 GB HBM3e
        "memory_bandwidth": 4.8 * T,  # 4.8 TB/s
        "tdp_watts": 700,  # up to 700 W (SXM)
        # Reuters 2026-01: "around $27,000 each"; press 2024: up to $40,000
        "price_usd": [27_000, 40_000],
    },
    "B200": {
        # NVIDIA HGX B200 (2025): FP16/BF16 4.5 PFLOPS and FP8 9 PFLOPS with sparsity
        "peak_fp16_flops": 4.5 * P / 2,
        "peak_fp8_flops": 9 * P / 2,
        "memory_bytes": 180 * G,  # 180 GB HBM3E per GPU
        "memory_bandwidth": 7.7 * T,  # 7.7 TB/s per GPU
        "tdp_watts": 1000,  # configurable up to 1,000 W
        # J. Huang to CNBC 2024-03 (from memory): $30,000-40,000
        "price_usd": [30_000, 40_000],
    },
    "GB200": {
        # NVIDIA GB200 NVL72 (2025), per GPU: FP16/BF16 5 and FP8 10 PFLOPS with sparsity
        "peak_fp16_flops": 5 * P / 2,
        "peak_fp8_flops": 10 * P / 2,
        "memory_bytes": 186 * G,  # 186 GB HBM3E
        "memory_bandwidth": 8 * T,  # 8 TB/s
        "tdp_watts": 1200,  # configurable up to 1,200 W
        "price_usd": [30_000, 42_000],  # HSBC 2024-05 (from memory): superchip $60-70k, NVL72 ~$3M
    },
    "MI300X": {
        # AMD Instinct MI300X data sheet (2023-12): 1,307.4 TFLOPS FP16/BF16, 2,614.9 FP8 dense
        "peak_fp16_flops": 1307.4 * T,
        "peak_fp8_flops": 2614.9 * T,
        "memory_bytes": 192 * G,  # 192 GB HBM3
        "memory_bandwidth": 5.3 * T,  # 5.3 TB/s
        "tdp_watts": 750,
        "price_usd": [10_000, 20_000],  # press 2024 (from memory): about $10-15k, widened
    },
    "MI325X": {
        # AMD Instinct MI325X (2024-10): FP16/BF16 1,307.4, FP8 2,614.9 TFLOPS (5,229.8 sparse)
        "peak_fp16_flops": 1307.4 * T,
        "peak_fp8_flops": 2614.9 * T,
        "memory_bytes": 256 * G,  # 256 GB HBM3e
        "memory_bandwidth": 6 * T,  # 6 TB/s
        "tdp_watts": 1000,  # about 1,000 W
    },
    "TPU_v5e": {
        # Google Cloud TPU v5e docs: 197 TFLOPs bf16; HBM2 16 GB, 819 GBps
        "peak_fp16_flops": 197 * T,
        "memory_bytes": 16 * G,
        "memory_bandwidth": 819 * G,
    },
    "TPU_v5p": {
        # Google Cloud TPU v5p docs: 459 TFLOPs bf16; HBM2e 95 GB, 2765 GBps
        "peak_fp16_flops": 459 * T,
        "memory_bytes": 95 * G,
        "memory_bandwidth": 2765 * G,
    },
    "TPU_v6e": {
        # Google Cloud TPU v6e docs: 918 TFLOPs bf16; HBM 32 GB; 1638 GBps
        "peak_fp16_flops": 918 * T,
        "memory_bytes": 32 * G,
        "memory_bandwidth": 1638 * G,
    },
    "Gaudi3": {
        # Intel Gaudi 3 launch (2024-04): 1,835 TFLOPS FP8 and BF16 matrix, 128 GB HBM2e, 3.7 TB/s, 900 W
        "peak_fp16_flops": 1835 * T,
        "peak_fp8_flops": 1835 * T,
        "memory_bytes": 128 * G,
        "memory_bandwidth": 3.7 * T,
        "tdp_watts": 900,
        # Intel Computex 2024-06: a kit of 8 with baseboard for $125,000
        "price_usd": [125_000 / 8, 125_000 / 8],
    },
    "Ascend_910B": {
        # press 2023-2024 (second-hand): about 320 TFLOPS FP16, 64 GB HBM2e, up to 1.6 TB/s, up to 400 W
        "peak_fp16_flops": 320 * T,
        "memory_bytes": 64 * G,
        "memory_bandwidth": 1.6 * T,
        "tdp_watts": 400,
        # Reuters 2024-01: "around 120,000 yuan"; at 7.15 CNY/USD = $16,783, +-10%
        "price_usd": [15_000, 18_500],
    },
    "Ascend_910C": {
        # SemiAnalysis 2025-04-16 (via TechPowerUp): 780 TFLOPS BF16 dense, 128 GB, 3.2 TB/s
        "peak_fp16_flops": 780 * T,
        "memory_bytes": 128 * G,
        "memory_bandwidth": 3.2 * T,
    },
}

# The chips the reports already used keep their figures (NVIDIA datasheets).
KEPT = ["V100", "A100_40GB", "A100", "H100", "L40S"]


@pytest.fixture(scope="module")
def shipped():
    return catalog.load_catalog()


def test_shipped_catalogue_has_every_chip(shipped):
    assert set(SOURCE_VALUES) | set(KEPT) <= set(shipped["chips"])
    assert {"DGX_A100", "DGX_H100", "DGX_B200"} <= set(shipped["servers"])
    for name, entry in shipped["chips"].items():
        assert entry["name"].strip() and entry["source"].strip(), name
        for field in catalog.CHIP_FIELDS:
            if field in entry:  # every figure present cites a reference with its date
                assert catalog.field_source(name, field, shipped), (name, field)
            else:  # every figure absent says why
                assert catalog.missing_reason(name, field, shipped), (name, field)


@pytest.mark.parametrize(
    ("name", "field"), [(name, field) for name, figures in SOURCE_VALUES.items() for field in figures]
)
def test_every_new_figure_is_its_sources_value(shipped, name, field):
    expected = SOURCE_VALUES[name][field]
    assert catalog.field_value(name, field, shipped) == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize("name", list(SOURCE_VALUES))
def test_new_chips_give_exactly_the_public_figures(shipped, name):
    # A figure the sources do not give is absent, not zero: the entry has exactly these fields.
    entry = shipped["chips"][name]
    assert {f for f in catalog.CHIP_FIELDS if f in entry} == set(SOURCE_VALUES[name])


def test_numbers_the_reports_use(shipped):
    # Minsheng 2024-02-25 and Ping An 2023-02-28: A100 FP16 312 TFLOPS (NVIDIA A100 datasheet).
    assert catalog.chip("A100")["peak_fp16_flops"] == 312e12
    assert catalog.chip("A100_40GB")["peak_fp16_flops"] == 312e12
    # Ping An 2023-02-28: DGX A100 = 8 A100 at $199,000 (19.9万美元).
    dgx = catalog.server("DGX_A100")
    assert dgx["chips_per_server"] == 8
    assert dgx["launch_price_usd"] == 199_000
    assert dgx["price_usd"][0] <= 199_000 <= dgx["price_usd"][1]
    assert dgx["chip"] in shipped["chips"]
    # NVIDIA DGX H100 datasheet: 10.2 kW maximum for 8 H100 of 700 W.
    assert catalog.server("DGX_H100")["power_watts"] == 10_200


def test_peaks_are_dense_not_sparse(shipped):
    # NVIDIA datasheets print sparse peaks (2×) in the headline; the catalogue holds dense ones:
    # V100 125, A100 312, H100 SXM 989 TFLOPS FP16/BF16 (H100 datasheet: 1,979 with sparsity).
    chips = shipped["chips"]
    assert chips["V100"]["peak_fp16_flops"] == 125e12
    assert chips["H100"]["peak_fp16_flops"] == pytest.approx(989e12, rel=0.001)
    # Plausibility bounds that catch a unit slip (GB for bytes, TB/s for B/s, sparse for dense):
    bounds = {
        "peak_fp16_flops": (50e12, 3e15),
        "peak_fp8_flops": (100e12, 6e15),
        "memory_bytes": (16e9, 300e9),
        "memory_bandwidth": (500e9, 10e12),
        "tdp_watts": (200, 1500),
    }
    for name, entry in chips.items():
        for field, (low, high) in bounds.items():
            if field in entry:
                assert low <= entry[field] <= high, (name, field)
        if "price_usd" in entry:
            assert 0 < entry["price_usd"][0] <= entry["price_usd"][1], name


def test_fp8_is_twice_fp16_where_the_vendor_says_so(shipped):
    chips = shipped["chips"]
    # NVIDIA Hopper/Blackwell and AMD CDNA 3 run FP8 at twice the 16-bit rate (their datasheets
    # print exactly 2×: H100 1,979/3,958; B200 4.5/9; GB200 5/10; MI300X 1,307.4/2,614.9).
    for name in ["H100", "H800", "H200", "H20", "B200", "GB200", "MI300X", "MI325X"]:
        assert chips[name]["peak_fp8_flops"] == pytest.approx(2 * chips[name]["peak_fp16_flops"], rel=1e-3)
    # L40S datasheet: 362.05 and 733 TFLOPS dense, 1.2% off 2× in NVIDIA's own rounding.
    assert chips["L40S"]["peak_fp8_flops"] / chips["L40S"]["peak_fp16_flops"] == pytest.approx(
        2.0246, abs=1e-4
    )
    # Intel Gaudi 3 (2024-04): 1,835 TFLOPS for FP8 *and* BF16: its matrix engines give no 2×.
    assert chips["Gaudi3"]["peak_fp8_flops"] == chips["Gaudi3"]["peak_fp16_flops"]
    # No FP8 on Volta, Ampere, the TPUs of v5/v6 or the Ascend 910 series: absent, not zero.
    for name in ["V100", "A100", "A100_40GB", "TPU_v5e", "TPU_v5p", "TPU_v6e", "Ascend_910B", "Ascend_910C"]:
        assert "peak_fp8_flops" not in chips[name], name


def test_same_silicon_same_compute(shipped):
    chips = shipped["chips"]
    for peak in ("peak_fp16_flops", "peak_fp8_flops"):
        # H800 and H200 are the H100's GH100 die (NVIDIA); MI325X is the MI300X's CDNA 3 (AMD).
        assert chips["H800"][peak] == chips["H200"][peak] == chips["H100"][peak]
        assert chips["MI325X"][peak] == chips["MI300X"][peak]
        # The GB200's GPU at 1,200 W runs faster than the HGX B200's at 1,000 W.
        assert chips["GB200"][peak] > chips["B200"][peak]
    # ... with more memory: H200 141 GB over 80 GB; MI325X 256 GB over 192 GB.
    assert chips["H200"]["memory_bytes"] > chips["H100"]["memory_bytes"] == chips["H800"]["memory_bytes"]
    assert chips["MI325X"]["memory_bytes"] > chips["MI300X"]["memory_bytes"]


def test_per_chip_figures_add_up_to_the_systems_vendors_print(shipped):
    chips = shipped["chips"]
    # NVIDIA GB200 NVL72 (72 GPUs): FP8 720 PFLOPS (sparse), up to 13.4 TB HBM3e, 576 TB/s.
    gb200 = chips["GB200"]
    assert 72 * 2 * gb200["peak_fp8_flops"] == pytest.approx(720 * P)
    assert 72 * gb200["memory_bytes"] == pytest.approx(13.4e12, rel=0.001)  # 13.392 TB
    assert 72 * gb200["memory_bandwidth"] == pytest.approx(576 * T)
    # NVIDIA HGX B200 (8 GPUs): FP8 72 PFLOPS (sparse), up to 1.4 TB, 62 TB/s (both rounded).
    b200 = chips["B200"]
    assert 8 * 2 * b200["peak_fp8_flops"] == pytest.approx(72 * P)
    assert 8 * b200["memory_bytes"] == pytest.approx(1.4e12, rel=0.03)
    assert 8 * b200["memory_bandwidth"] == pytest.approx(62 * T, rel=0.01)
    # Google Cloud TPU docs, 256-chip pods: v5e 50.63 PFLOPs bf16 (197 per chip is rounded down:
    # 50.63/256 = 197.8); v6e 234.9 PFLOPs.
    assert 256 * chips["TPU_v5e"]["peak_fp16_flops"] == pytest.approx(50.63 * P, rel=0.005)
    assert 256 * chips["TPU_v6e"]["peak_fp16_flops"] == pytest.approx(234.9 * P, rel=0.001)
    # SemiAnalysis 2025-04-16: CloudMatrix 384 = 384 Ascend 910C, about 300 PFLOPS BF16 dense.
    assert 384 * chips["Ascend_910C"]["peak_fp16_flops"] == pytest.approx(300 * P, rel=0.01)
    # ... and a 910C is two 910B-class dies of 64 GB and 1.6 TB/s each.
    assert chips["Ascend_910C"]["memory_bytes"] == 2 * chips["Ascend_910B"]["memory_bytes"]
    assert chips["Ascend_910C"]["memory_bandwidth"] == 2 * chips["Ascend_910B"]["memory_bandwidth"]
    # NVIDIA DGX B200 and DGX H100: the server's maximum exceeds its GPUs' TDPs (CPUs, NICs, fans).
    for name in ("DGX_H100", "DGX_B200", "DGX_A100"):
        srv = shipped["servers"][name]
        assert srv["power_watts"] > srv["chips_per_server"] * chips[srv["chip"]]["tdp_watts"], name


def test_citations_say_second_hand_and_from_memory(shipped):
    # TPU v5e: Google's own docs, read in a stored copy: no flags.
    text = catalog.field_source("TPU_v5e", "peak_fp16_flops", shipped)
    assert "Google Cloud, 2024" in text and "second-hand" not in text and "from memory" not in text
    assert "[second-hand: analyst]" in catalog.field_source("Ascend_910C", "peak_fp16_flops", shipped)
    assert "[second-hand: press]" in catalog.field_source("H20", "tdp_watts", shipped)
    assert "[from memory" in catalog.field_source("H800", "peak_fp16_flops", shipped)
    # a figure's note (here: the sparsity headline halved) follows its reference
    assert "halved" in catalog.field_source("B200", "peak_fp8_flops", shipped)


@pytest.mark.parametrize(
    ("name", "field", "reason"),
    [
        ("TPU_v5e", "tdp_watts", "no TDP"),
        ("TPU_v6e", "price_usd", "sells no TPUs"),
        ("Ascend_910C", "tdp_watts", "not a chip TDP"),
        ("Ascend_910B", "peak_fp8_flops", "no FP8"),
        ("MI325X", "price_usd", "no price"),
        ("Ascend_910C", "price_usd", "no public per-chip price"),
        ("V100", "peak_fp8_flops", "no FP8"),
    ],
)
def test_a_missing_figure_is_refused_naming_chip_and_field(shipped, name, field, reason):
    with pytest.raises(StudyError, match=f"no '{field}' for {name}") as info:
        catalog.field_value(name, field, shipped)
    assert reason in str(info.value) and info.value.key == "field"
    with pytest.raises(StudyError, match="unknown field 'tdp_wats'.*did you mean 'tdp_watts'"):
        catalog.field_value(name, "tdp_wats", shipped)


def test_a_study_that_needs_a_missing_figure_is_refused(study_doc, write_study, cli):
    # chatgpt_inference reads its peak from the catalogue; ask for a TPU's FP8 peak, which Google
    # does not publish (no FP8): the study is refused at load, naming file, input, chip and field.
    study_doc["inputs"]["peak_flops"] = {
        "dist": "catalog",
        "chips": {"H100": 0.5, "TPU_v5e": 0.5},
        "field": "peak_fp8_flops",
        "point": 1978.9e12,
    }
    path = write_study(study_doc)
    with pytest.raises(StudyError, match="no 'peak_fp8_flops' for TPU_v5e") as info:
        cd.load_study(path)
    assert info.value.key == "inputs.peak_flops.field"
    assert info.value.file == str(path)
    result = cli("run", path, "--draws", 100)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("error: ") and "TPU_v5e" in result.err and "peak_fp8_flops" in result.err
    assert len(result.err.strip().splitlines()) == 1
    # the same input on chips that publish the figure loads, and cites each chip's reference
    study_doc["inputs"]["peak_flops"]["chips"] = {"H100": 0.5, "H200": 0.5}
    spec = cd.load_study(write_study(study_doc, "ok.toml")).inputs["peak_flops"]
    assert "H200 peak_fp8_flops: NVIDIA H200 Tensor Core GPU datasheet (NVIDIA, 2024-11)" in spec.source


def test_catalogue_feeds_the_formulas():
    # Ping An 2023-02-28's V100 → A100 conversion from catalogue peaks: 10,000 × 125/312 = 4,006.
    v100, a100 = catalog.chip("V100"), catalog.chip("A100")
    assert hardware.convert_chips_by_peak(
        10_000, v100["peak_fp16_flops"], a100["peak_fp16_flops"]
    ) == pytest.approx(4_006.4, abs=0.1)


def test_lookup_is_forgiving_and_errors_name_the_nearest():
    assert catalog.chip("ascend 910b")["name"] == "Huawei Ascend 910B"
    assert catalog.chip("h100")["peak_fp16_flops"] == catalog.chip("H100")["peak_fp16_flops"]
    assert catalog.field_value("tpu v6e", "peak_fp16_flops") == 918e12
    with pytest.raises(KeyError, match="did you mean 'H200'"):
        catalog.chip("H2000")
    with pytest.raises(KeyError, match="DGX_A100"):
        catalog.server("DGX-A10")


def test_entries_are_copies():
    catalog.chip("A100")["peak_fp16_flops"] = 0
    assert catalog.chip("A100")["peak_fp16_flops"] == 312e12


def test_catalogue_path_is_the_shipped_file():
    path = catalog.catalog_path()
    assert path.name == "hardware.toml" and path.is_file()
    assert path.parent.name == "priors"


GOOD_CHIP = """
[references.r1]
title = "X1 datasheet"
publisher = "Maker"
date = "2024-05"
origin = "vendor"
confirmed_by = "a stored copy"

[references.r2]
title = "A press report"
publisher = "Paper"
date = "2024"
origin = "press"
from_memory = true

[chips.X1]
name = "X1"
peak_fp16_flops = 1e14
memory_bytes = 8e10
memory_bandwidth = 2e12
tdp_watts = 400
price_usd = [1000, 2000]
source = "test"

[chips.X1.sources]
peak_fp16_flops = "r1"
memory_bytes = "r1"
memory_bandwidth = "r1"
tdp_watts = { ref = "r1", note = "board power" }
price_usd = ["r1", { ref = "r2", note = "high end" }]

[chips.X1.missing]
peak_fp8_flops = "no FP8"
"""


@pytest.mark.parametrize(
    ("edit", "key", "message"),
    [
        (("tdp_watts = 400\n", 'tdp_watts = "400 W"\n'), "chips.X1.tdp_watts", "positive number"),
        (("tdp_watts = 400\n", "tdp_watts = true\n"), "chips.X1.tdp_watts", "positive number"),
        (("tdp_watts = 400\n", "tdp_watts = 0\n"), "chips.X1.tdp_watts", "positive number"),
        (("memory_bytes = 8e10", "memory_bytes = -1"), "chips.X1.memory_bytes", "positive"),
        (("price_usd = [1000, 2000]", "price_usd = [3000, 2000]"), "chips.X1.price_usd", "above high"),
        (("price_usd = [1000, 2000]", "price_usd = 1500"), "chips.X1.price_usd", "[low, high]"),
        (('source = "test"', ""), "chips.X1.source", "string"),
        (('name = "X1"', ""), "chips.X1.name", "string"),
        (("tdp_watts = 400\n", "tdp_watt = 400\n"), "chips.X1.tdp_watt", "did you mean 'tdp_watts'"),
        # every figure cites a known reference; no source for a figure that is not there
        (('memory_bytes = "r1"\n', ""), "chips.X1.memory_bytes", "has no source"),
        (
            ('memory_bytes = "r1"', 'memory_bytes = "r3"'),
            "chips.X1.sources.memory_bytes",
            "no reference 'r3'",
        ),
        (('memory_bytes = "r1"', "memory_bytes = 3"), "chips.X1.sources.memory_bytes", "reference key"),
        (('memory_bytes = "r1"', "memory_bytes = []"), "chips.X1.sources.memory_bytes", "reference key"),
        (
            ('memory_bytes = "r1"', 'memory_bytes = { ref = "r1", url = "x" }'),
            "chips.X1.sources.memory_bytes",
            "reference key",
        ),
        (("memory_bytes = 8e10\n", ""), "chips.X1.sources.memory_bytes", "does not give"),
        # a missing figure says why, and cannot be both given and missing
        (('peak_fp8_flops = "no FP8"', 'peak_fp8_flops = ""'), "chips.X1.missing.peak_fp8_flops", "reason"),
        (('peak_fp8_flops = "no FP8"', 'tdp_watts = "no TDP"'), "chips.X1.missing.tdp_watts", "is given"),
        (('peak_fp8_flops = "no FP8"', 'fp4 = "no"'), "chips.X1.missing.fp4", "unknown field"),
        # every reference has a title, publisher, date, origin, and says how it was checked
        (('date = "2024-05"', 'date = "May 2024"'), "references.r1.date", "YYYY-MM"),
        (('date = "2024-05"', 'date = "2024-13"'), "references.r1.date", "YYYY-MM"),
        (('date = "2024-05"', "date = 2024-05-01"), "references.r1.date", "date as text"),
        (('origin = "vendor"', 'origin = "blog"'), "references.r1.origin", "'vendor', 'analyst', 'press'"),
        (('title = "X1 datasheet"', ""), "references.r1.title", "string"),
        (('confirmed_by = "a stored copy"', ""), "references.r1.confirmed_by", "either confirmed_by"),
        (
            ('confirmed_by = "a stored copy"', 'confirmed_by = "a stored copy"\nfrom_memory = true'),
            "references.r1.confirmed_by",
            "either confirmed_by",
        ),
        (("from_memory = true", "from_memory = false"), "references.r2.from_memory", "expected true"),
        (('publisher = "Paper"', 'publisher = "Paper"\npage = 3'), "references.r2", "unknown key 'page'"),
    ],
)
def test_validation_names_entry_and_key(tmp_path, edit, key, message):
    assert edit[0] in GOOD_CHIP
    path = tmp_path / "hardware.toml"
    path.write_text(GOOD_CHIP.replace(*edit, 1), encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        catalog.load_catalog(path)
    assert isinstance(info.value, StudyError)
    assert info.value.key == key
    assert str(path) in str(info.value)


def test_every_figure_is_optional(tmp_path):
    # Only name and source are required: a chip known by its memory alone loads, and its other
    # figures are refused by name.
    path = tmp_path / "hardware.toml"
    path.write_text(
        GOOD_CHIP + '\n[chips.Y]\nname = "Y"\nsource = "test"\nmemory_bytes = 1e10\n'
        '[chips.Y.sources]\nmemory_bytes = "r2"\n',
        encoding="utf-8",
    )
    cat = catalog.load_catalog(path)
    assert catalog.field_value("Y", "memory_bytes", cat) == 1e10
    with pytest.raises(StudyError, match="no 'tdp_watts' for Y"):
        catalog.field_value("Y", "tdp_watts", cat)
    assert catalog.field_source("Y", "memory_bytes", cat) == (
        "A press report (Paper, 2024) [second-hand: press] [from memory: no stored page confirmed it]"
    )
    assert catalog.field_source("X1", "tdp_watts", cat) == "X1 datasheet (Maker, 2024-05): board power"
    assert catalog.missing_reason("X1", "peak_fp8_flops", cat) == "no FP8"
    assert catalog.missing_reason("Y", "peak_fp8_flops", cat) is None


def test_validation_of_servers_and_files(tmp_path):
    path = tmp_path / "hardware.toml"
    server = """
[servers.S]
name = "S"
chip = "X2"
chips_per_server = 8
power_watts = 6500
source = "test"
[servers.S.sources]
chips_per_server = "r1"
power_watts = "r1"
"""
    path.write_text(GOOD_CHIP + server, encoding="utf-8")
    with pytest.raises(ValueError, match="'X2' is not in") as info:
        catalog.load_catalog(path)
    assert info.value.key == "servers.S.chip"
    path.write_text(
        GOOD_CHIP + server.replace("X2", "X1").replace('power_watts = "r1"\n', ""), encoding="utf-8"
    )
    with pytest.raises(ValueError, match="has no source") as info:
        catalog.load_catalog(path)
    assert info.value.key == "servers.S.power_watts"
    path.write_text(
        GOOD_CHIP + server.replace("X2", "X1").replace("chips_per_server = 8\n", ""), encoding="utf-8"
    )
    with pytest.raises(ValueError, match="missing") as info:
        catalog.load_catalog(path)
    assert info.value.key == "servers.S.chips_per_server"
    path.write_text("[chips.X1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid TOML"):
        catalog.load_catalog(path)
    with pytest.raises(ValueError, match="cannot read"):
        catalog.load_catalog(tmp_path / "missing.toml")
    good = tmp_path / "good.toml"
    good.write_text(GOOD_CHIP + server.replace("X2", "X1"), encoding="utf-8")
    cat = catalog.load_catalog(good)
    assert catalog.chip("X1", cat)["tdp_watts"] == 400
    assert catalog.server("S", cat)["power_watts"] == 6500
    assert math.isclose(catalog.field_value("X1", "peak_fp16_flops", cat), 1e14)
