"""Compute formulas for diffusion transformers generating images and video.

Patch counts of frames and videos, the forward FLOPs of a DiT (Peebles & Xie 2023), denoising
steps and training passes, and the Minsheng (2024-02-25) rule of 2 × parameters per patch.
"""

from __future__ import annotations

import numpy as np

from .._typing import Values
from ._units import units

__all__ = [
    "patches_per_frame",
    "patches_per_video",
    "patch_inference_flops",
    "dit_forward_flops",
    "dit_head_flops",
    "sampling_flops",
    "training_flops_from_forward",
]

# A ratio this close to an integer (relative) counts as that integer when rounding up, so that
# floating-point noise (3.0000000000000004) does not add a whole patch.
_INTEGER_RTOL = 1e-9


def _ceil(ratio: Values) -> Values:
    return np.ceil(ratio * (1.0 - _INTEGER_RTOL))


@units(
    "patch/frame",
    width_px="px",
    height_px="px",
    patch_w_px="px",
    patch_h_px="px",
    latent_downsample="1",
    round_up="bool",
)
def patches_per_frame(
    width_px: Values,
    height_px: Values,
    patch_w_px: Values,
    patch_h_px: Values,
    latent_downsample: Values = 1,
    *,
    round_up: bool = True,
) -> Values:
    """Patches (tokens) in one frame: ⌈W ÷ (s·p_w)⌉ × ⌈H ÷ (s·p_h)⌉.

    Convention: ``width_px`` and ``height_px`` are the frame in pixels; the autoencoder shrinks
    each side by ``latent_downsample`` s (8 for the Stable Diffusion VAE of DiT; 1 when patches
    are cut from raw pixels, as in Minsheng 2024-02-25); the patch size is then measured in
    *latent* pixels. A partial patch at an edge counts as a whole one (padding) unless
    ``round_up=False``, which returns the plain area ratio.

    Parameters
    ----------
    width_px, height_px : float or ndarray
        Frame size, px.
    patch_w_px, patch_h_px : float or ndarray
        Patch width and height, px of the (latent) grid the patches are cut from.
    latent_downsample : float or ndarray, optional
        Spatial compression per side of the autoencoder, dimensionless (1 = raw pixels).
    round_up : bool, optional
        Round each side's patch count up to a whole patch.

    Returns
    -------
    float or ndarray
        Patches per frame, patch/frame.

    Examples
    --------
    Minsheng 2024-02-25: 1920 × 1280 frames cut into 60 × 80 patches give 32 × 16 = 512;
    DiT at 256 × 256 with an 8× VAE and patch 2 gives 16 × 16 = 256 tokens:

    >>> float(patches_per_frame(1920, 1280, 60, 80)), float(patches_per_frame(256, 256, 2, 2, 8))
    (512.0, 256.0)
    """
    per_row = width_px / (latent_downsample * patch_w_px)
    per_column = height_px / (latent_downsample * patch_h_px)
    if round_up:
        per_row, per_column = _ceil(per_row), _ceil(per_column)
    return per_row * per_column


@units(
    "patch",
    width_px="px",
    height_px="px",
    patch_w_px="px",
    patch_h_px="px",
    frame_rate="frame/s",
    duration_s="s",
    latent_downsample="1",
    temporal_downsample="1",
    round_up="bool",
)
def patches_per_video(
    width_px: Values,
    height_px: Values,
    patch_w_px: Values,
    patch_h_px: Values,
    frame_rate: Values,
    duration_s: Values,
    latent_downsample: Values = 1,
    temporal_downsample: Values = 1,
    *,
    round_up: bool = True,
) -> Values:
    """Spacetime patches in a video: patches per frame × ⌈frames ÷ temporal compression⌉.

    ``temporal_downsample`` folds the autoencoder's temporal compression and the patch depth in
    frames together (1 = every frame patched on its own, as in Minsheng 2024-02-25).

    Parameters
    ----------
    width_px, height_px : float or ndarray
        Frame size, px.
    patch_w_px, patch_h_px : float or ndarray
        Patch width and height, px of the (latent) grid; see :func:`patches_per_frame`.
    frame_rate : float or ndarray
        Frames per second, frame/s.
    duration_s : float or ndarray
        Video length, s.
    latent_downsample : float or ndarray, optional
        Spatial compression per side, dimensionless.
    temporal_downsample : float or ndarray, optional
        Frames folded into one patch in time, dimensionless.
    round_up : bool, optional
        Round patch counts per side and latent frames up to whole numbers.

    Returns
    -------
    float or ndarray
        Patches per video, patch.

    Examples
    --------
    One minute at 30 fps of 512-patch frames is 921,600 patches (Minsheng 2024-02-25: 92.16万):

    >>> float(patches_per_video(1920, 1280, 60, 80, frame_rate=30, duration_s=60))
    921600.0
    """
    latent_frames = frame_rate * duration_s / temporal_downsample
    if round_up:
        latent_frames = _ceil(latent_frames)
    per_frame = patches_per_frame(
        width_px, height_px, patch_w_px, patch_h_px, latent_downsample, round_up=round_up
    )
    return per_frame * latent_frames


@units("FLOP * {P} / patch", patches="{P}", params="parameter")
def patch_inference_flops(patches: Values, params: Values) -> Values:
    """Inference FLOPs as 2 × parameters per patch (Minsheng 2024-02-25).

    The dense-transformer rule of 2 FLOPs per parameter per token, applied once per patch:
    one forward pass, no denoising steps (multiply by :func:`sampling_flops`' steps for those),
    no attention term.

    Parameters
    ----------
    patches : float or ndarray
        Patches processed, patch.
    params : float or ndarray
        Model parameters (count).

    Returns
    -------
    float or ndarray
        Compute, FLOP.
    """
    return 2.0 * patches * params


@units("FLOP", tokens="patch", d_model="1", n_layers="1", macs="bool", adaln="bool")
def dit_forward_flops(
    tokens: Values, d_model: Values, n_layers: Values, *, macs: bool = False, adaln: bool = True
) -> Values:
    """Forward compute of the transformer blocks of a DiT, per sample.

    Per block: 4·T·d² for the q, k, v and output projections, 8·T·d² for the MLP (ratio 4),
    T²·d for the scores q·kᵀ and T²·d for scores × values: 12·T·d² + 2·T²·d multiply-
    accumulates. With ``adaln=True`` each block's adaLN-Zero modulation, a d → 6d linear map
    applied once per sample to the conditioning vector, adds 6·d². Softmax, layer norms,
    activations and biases are not counted, nor the patch embedding, timestep embedding and
    final layer (:func:`dit_head_flops`).

    Against Peebles & Xie 2023 (table 4, "Gflops", which count multiply-accumulates),
    256 × 256 images, d = 1152, 28 blocks: DiT-XL/2 (T = 256) 118.38 G blocks alone (−0.19%),
    118.60 G with adaLN (0.00%), 118.62 G with the head as well (+0.02%) against 118.6;
    DiT-XL/4 (T = 64) 28.80 G (−0.85%), 29.03 G (−0.09%), 29.04 G (−0.02%) against 29.05.

    Parameters
    ----------
    tokens : float or ndarray
        Tokens (patches) per sample T, patch.
    d_model : float or ndarray
        Hidden size d (count).
    n_layers : float or ndarray
        DiT blocks (count).
    macs : bool, optional
        Return multiply-accumulates (as DiT's "Gflops" do) instead of FLOPs (2 per MAC).
    adaln : bool, optional
        Include the adaLN-Zero modulation of each block.

    Returns
    -------
    float or ndarray
        Forward compute per sample, FLOP (MAC if ``macs``).
    """
    per_block = 12.0 * tokens * d_model**2 + 2.0 * tokens**2 * d_model
    if adaln:
        per_block = per_block + 6.0 * d_model**2
    flops_per_mac = 1.0 if macs else 2.0
    return flops_per_mac * n_layers * per_block


@units(
    "FLOP",
    tokens="patch",
    d_model="1",
    patch_size="1",
    in_channels="1",
    out_channels="1",
    frequency_dim="1",
    macs="bool",
)
def dit_head_flops(
    tokens: Values,
    d_model: Values,
    patch_size: Values,
    in_channels: Values = 4,
    out_channels: Values = 8,
    frequency_dim: Values = 256,
    *,
    macs: bool = False,
) -> Values:
    """Forward compute of a DiT outside its blocks, per sample.

    Patch embedding (T·p²·C_in·d), timestep embedding MLP (f·d + d², f = sinusoid size),
    final adaLN modulation (2·d²) and final linear layer (T·d·p²·C_out) multiply-accumulates;
    the class embedding is a table lookup (0). Out channels are 2 × latent channels when the
    variance is learned, as in DiT (8 for a 4-channel latent).

    Parameters
    ----------
    tokens : float or ndarray
        Tokens per sample T, patch.
    d_model : float or ndarray
        Hidden size d (count).
    patch_size : float or ndarray
        Patch side p, latent px.
    in_channels, out_channels : float or ndarray, optional
        Latent channels in and predicted channels out (count).
    frequency_dim : float or ndarray, optional
        Size of the sinusoidal timestep embedding (count).
    macs : bool, optional
        Return multiply-accumulates instead of FLOPs.

    Returns
    -------
    float or ndarray
        Forward compute per sample, FLOP (MAC if ``macs``).
    """
    patch_area = patch_size**2
    head = (
        tokens * patch_area * in_channels * d_model
        + frequency_dim * d_model
        + d_model**2
        + 2.0 * d_model**2
        + tokens * d_model * patch_area * out_channels
    )
    flops_per_mac = 1.0 if macs else 2.0
    return flops_per_mac * head


@units("{F}", forward_flops="{F}", denoising_steps="step", passes_per_step="1")
def sampling_flops(forward_flops: Values, denoising_steps: Values, passes_per_step: Values = 1) -> Values:
    """Compute to generate one sample: forward FLOPs × denoising steps × passes per step.

    Parameters
    ----------
    forward_flops : float or ndarray
        One forward pass of the denoiser, FLOP.
    denoising_steps : float or ndarray
        Sampler steps (DiT samples with 250 DDPM steps; fast samplers use tens), step.
    passes_per_step : float or ndarray, optional
        Forward passes per step: 2 with classifier-free guidance (conditional and
        unconditional), 1 without.

    Returns
    -------
    float or ndarray
        Compute per generated sample, FLOP.
    """
    return 1.0 * forward_flops * denoising_steps * passes_per_step


@units("{F}", forward_flops="{F}", passes="1")
def training_flops_from_forward(forward_flops: Values, passes: Values = 3) -> Values:
    """Training compute per sample from the forward compute: forward × passes.

    The backward pass costs about twice the forward one, so one training step of a sample is
    about 3 forward passes (Peebles & Xie 2023, §5: "model Gflops · batch size · training
    steps · 3").

    Parameters
    ----------
    forward_flops : float or ndarray
        One forward pass, FLOP.
    passes : float or ndarray, optional
        Forward-pass equivalents per training step, dimensionless.

    Returns
    -------
    float or ndarray
        Training compute per sample seen, FLOP.
    """
    return 1.0 * forward_flops * passes
