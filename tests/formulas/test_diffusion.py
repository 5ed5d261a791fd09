"""Diffusion formulas against Peebles & Xie 2023 (DiT) and the Minsheng 2024-02-25 Sora table."""

import numpy as np
import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipdemand.formulas import diffusion

# Peebles & Xie 2023, "Scalable Diffusion Models with Transformers", table 1 (configurations)
# and table 4 ("Gflops", which count multiply-accumulates, fvcore-style), 256×256 images in a
# 32×32×4 latent: (model, hidden size d, blocks, patch size, published Gflops).
DIT_TABLE = [
    ("DiT-S/2", 384, 12, 2, 6.06),
    ("DiT-B/2", 768, 12, 2, 23.01),
    ("DiT-L/2", 1024, 24, 2, 80.71),
    ("DiT-XL/2", 1152, 28, 2, 118.6),
    ("DiT-XL/4", 1152, 28, 4, 29.05),
    ("DiT-XL/8", 1152, 28, 8, 7.39),
]


def dit_tokens(patch_size):
    # 256 px, 8× VAE → 32×32 latent, cut into p×p patches.
    return diffusion.patches_per_frame(256, 256, patch_size, patch_size, latent_downsample=8)


def test_dit_token_counts():
    # Peebles & Xie 2023, §3.1: T = (I/p)² with I = 32: 256 tokens for p = 2, 64 for p = 4.
    assert dit_tokens(2) == 256
    assert dit_tokens(4) == 64
    assert dit_tokens(8) == 16


@pytest.mark.parametrize(("model", "d", "layers", "patch", "gflops"), DIT_TABLE)
def test_dit_gflops_with_adaln_and_head(model, d, layers, patch, gflops):
    # Blocks (12·T·d² + 2·T²·d), adaLN-Zero (6·d² per block) and head (patch embedding,
    # timestep MLP, final adaLN and linear) reproduce the table within 0.1%; the table prints
    # 3-4 significant figures (±0.05% for 118.6), so 0.1% leaves room for its rounding only.
    tokens = dit_tokens(patch)
    macs = diffusion.dit_forward_flops(tokens, d, layers, macs=True) + diffusion.dit_head_flops(
        tokens, d, patch, macs=True
    )
    assert macs / 1e9 == pytest.approx(gflops, rel=0.001), model


def test_dit_xl_blocks_only_and_flops_vs_macs():
    # Deviations stated in dit_forward_flops' docstring (Peebles & Xie 2023, table 4):
    # blocks alone are 0.19% (XL/2) and 0.85% (XL/4) below the published Gflops; adding each
    # block's adaLN modulation brings both within 0.1%; the head adds the last 0.02%.
    xl2 = diffusion.dit_forward_flops(256, 1152, 28, macs=True, adaln=False)
    xl4 = diffusion.dit_forward_flops(64, 1152, 28, macs=True, adaln=False)
    assert xl2 / 118.6e9 - 1 == pytest.approx(-0.0019, abs=0.0001)
    assert xl4 / 29.05e9 - 1 == pytest.approx(-0.0085, abs=0.0001)
    assert diffusion.dit_forward_flops(256, 1152, 28, macs=True) / 118.6e9 - 1 == pytest.approx(
        0.0, abs=0.0001
    )
    assert diffusion.dit_forward_flops(64, 1152, 28, macs=True) / 29.05e9 - 1 == pytest.approx(
        -0.0009, abs=0.0001
    )
    # Within the brief's 2% either way; FLOPs are twice the MACs.
    assert diffusion.dit_forward_flops(256, 1152, 28) == 2 * diffusion.dit_forward_flops(
        256, 1152, 28, macs=True
    )


def test_dit_training_compute_rule():
    # Peebles & Xie 2023, §5: training compute = "model Gflops · batch size · training steps · 3".
    # DiT-XL/2 at batch 256 for 7M steps (table 4) → 118.6e9 × 256 × 7e6 × 3 = 6.38e20 MACs.
    per_sample = diffusion.training_flops_from_forward(118.6e9)
    assert per_sample * 256 * 7e6 == pytest.approx(6.376e20, rel=1e-3)


def test_dit_sampling_compute():
    # Peebles & Xie 2023, §5 (scaling model vs. sampling compute): sampling compute = model
    # Gflops × sampling steps. DiT-XL/2 with 250 DDPM steps = 118.6 × 250 ≈ 2.97e4 Gflops per
    # image; classifier-free guidance runs the model twice per step.
    assert diffusion.sampling_flops(118.6e9, 250) == pytest.approx(2.965e13, rel=1e-9)
    assert diffusion.sampling_flops(118.6e9, 250, passes_per_step=2) == pytest.approx(5.93e13)


def test_minsheng_sora_inference_patches():
    # Minsheng Securities 2024-02-25, §1.1 item 2 and table 1: 1920×1280 frames, 60×80 patches
    # → 512 per frame; 30 fps → 921,600 ("92.16万") per minute; 15亿 hours a day → 8.2944e16
    # ("82944 T") patches; 2 × 3e9 parameters per patch.
    assert diffusion.patches_per_frame(1920, 1280, 60, 80) == 512
    per_minute = diffusion.patches_per_video(1920, 1280, 60, 80, frame_rate=30, duration_s=60)
    assert per_minute == 921_600
    patches_per_day = 1.5e9 * 60 * per_minute
    assert patches_per_day == pytest.approx(8.2944e16, rel=1e-12)
    flops_per_day = diffusion.patch_inference_flops(patches_per_day, 3e9)
    assert flops_per_day == pytest.approx(4.977e26, rel=1e-3)  # SEED-FACTS §1, 4 figures
    # The chip count (1.846e7 A100) is replayed in test_formulas_hardware.py.


def test_latent_compression_shrinks_patches():
    # Hand calculation of the convention: an 8× VAE with 2×2 latent patches on a 1920×1280
    # frame gives 120 × 80 = 9,600 patches; 4× temporal compression of 30 fps × 10 s gives 75
    # latent frames.
    assert diffusion.patches_per_frame(1920, 1280, 2, 2, latent_downsample=8) == 9_600
    assert diffusion.patches_per_video(1920, 1280, 2, 2, 30, 10, 8, 4) == 9_600 * 75
    # Partial patches are padded: 1000 / 60 = 16.7 → 17 per row unless round_up=False.
    assert diffusion.patches_per_frame(1000, 800, 60, 80) == 17 * 10
    assert diffusion.patches_per_frame(1000, 800, 60, 80, round_up=False) == pytest.approx(
        1000 * 800 / (60 * 80)
    )
    # Floating-point noise does not add a patch: 0.3 / 0.1 = 2.9999999999999996, 0.7 / 0.1 ...
    assert diffusion.patches_per_frame(0.7, 0.3, 0.1, 0.1) == 21


@given(st.integers(1, 8192), st.integers(1, 8192), st.integers(1, 256), st.integers(1, 256))
def test_patches_cover_the_frame(width, height, patch_w, patch_h):
    # Property: rounded-up patches cover the frame, and one row or column fewer would not.
    patches = diffusion.patches_per_frame(width, height, patch_w, patch_h)
    assert patches * patch_w * patch_h >= width * height
    assert patches == (-(-width // patch_w)) * (-(-height // patch_h))  # integer ceil


def test_broadcasting():
    widths = np.array([256.0, 512.0, 1024.0])
    patch = np.array([[2.0], [4.0]])  # (2, 1) against (3,) → (2, 3)
    tokens = diffusion.patches_per_frame(widths, widths, patch, patch, 8)
    assert tokens.shape == (2, 3)
    assert tokens[1, 2] == diffusion.patches_per_frame(1024, 1024, 4, 4, 8) == 1024
    d = np.array([384.0, 768.0, 1152.0])
    flops = diffusion.dit_forward_flops(tokens, d, 28)
    assert flops.shape == (2, 3)
    assert flops[0, 1] == pytest.approx(diffusion.dit_forward_flops(tokens[0, 1], 768, 28))
    steps = np.array([10, 50, 250])
    assert diffusion.sampling_flops(flops, steps).shape == (2, 3)
    assert diffusion.patches_per_video(1920, 1280, 60, 80, np.array([24, 30]), 60).shape == (2,)
    assert isinstance(diffusion.patch_inference_flops(512.0, 3e9), float)


@pytest.fixture(scope="module")
def ureg():
    ureg = pint.UnitRegistry()
    ureg.define("FLOP = [compute]")
    ureg.define("frame = 1")
    ureg.define("step = 1")
    return ureg


def test_units(ureg):
    q = ureg.Quantity
    # Patches are a pure number: pixels divide out (np.ceil keeps pint units).
    per_frame = diffusion.patches_per_frame(q(1920, "px"), q(1280, "px"), q(60, "px"), q(80, "px"))
    assert per_frame.to("dimensionless").magnitude == 512
    per_video = diffusion.patches_per_video(
        q(1920, "px"), q(1280, "px"), q(60, "px"), q(80, "px"), q(30, "frame/s"), q(1, "min")
    )
    assert per_video.to("dimensionless").magnitude == 921_600
    with pytest.raises(pint.DimensionalityError):  # a frame rate that is not per time
        diffusion.patches_per_video(
            q(1920, "px"), q(1280, "px"), q(60, "px"), q(80, "px"), q(30, "frame/m"), q(1, "min")
        ).to("dimensionless")
    per_image = diffusion.sampling_flops(q(118.6e9, "FLOP"), q(250, "step"))
    assert per_image.to("teraFLOP").magnitude == pytest.approx(29.65)
    # dit_forward_flops multiplies counts by the pure constants 2 (FLOP per MAC) and 12; checked
    # by hand above against the published table instead.
