"""The noise side of diffusion, as keras-cv's ``noise_scheduler.py``: the variance schedules,
the forward process q(x_t | x_0) and the deterministic DDIM step that reverses it.

Notation of Ho et al. 2020: alpha_t = 1 - beta_t, alpha_bar_t = prod_{s<=t} alpha_s.
"""

import numpy as np
from keras import ops

SCHEDULES = ("linear", "scaled_linear", "cosine")
COSINE_OFFSET = 0.008   # s in Nichol & Dhariwal 2021, eq. 17: keeps beta_1 from being tiny
MAX_BETA = 0.999        # their clip, which avoids a singularity at t = T


def beta_schedule(name, timesteps=1000, beta_start=1e-4, beta_end=0.02):
    """Noise variances beta_1..beta_T (float64).

    "linear": evenly spaced from ``beta_start`` to ``beta_end`` (Ho et al. 2020: 1e-4, 0.02,
    T=1000).
    "scaled_linear": sqrt(beta) evenly spaced instead (latent diffusion / Stable Diffusion, which
    use 0.00085 to 0.012: less of the schedule is spent near pure noise).
    "cosine": alpha_bar(t) = f(t)/f(0), f(t) = cos^2(((t/T + s)/(1 + s)) pi/2) (Nichol & Dhariwal
    2021, eq. 17); beta_start and beta_end do not apply. Its alpha_bar_{T-1} is ~2e-6, so
    deterministic DDIM's first step multiplies noise-prediction errors by ~1/sqrt(alpha_bar): use
    it with ``clip_denoised`` (images), not on latents.
    """
    if name == "linear":
        return np.linspace(beta_start, beta_end, timesteps, dtype=np.float64)
    if name == "scaled_linear":
        return np.linspace(beta_start ** 0.5, beta_end ** 0.5, timesteps, dtype=np.float64) ** 2
    if name == "cosine":
        phase = (np.arange(timesteps + 1) / timesteps + COSINE_OFFSET) / (1 + COSINE_OFFSET)
        f = np.cos(phase * np.pi / 2) ** 2
        alpha_bar = f / f[0]
        return np.clip(1.0 - alpha_bar[1:] / alpha_bar[:-1], 0.0, MAX_BETA)
    raise ValueError(f"schedule must be one of {SCHEDULES}, got {name!r}")


def add_noise(x0, alpha_bar, noise):
    """x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, a sample of q(x_t | x_0)
    (Ho et al. 2020, eq. 4), given the noise eps; ``alpha_bar`` holds one value per sample."""
    alpha_bar = ops.reshape(alpha_bar, (-1,) + (1,) * (len(ops.shape(x0)) - 1))
    return ops.sqrt(alpha_bar) * x0 + ops.sqrt(1.0 - alpha_bar) * noise


def ddim_timesteps(timesteps, steps):
    """The ``steps`` timesteps DDIM visits, from T-1 down to 0, evenly spaced."""
    if not 1 <= steps <= timesteps:
        raise ValueError(f"sampling steps must be in [1, {timesteps}], got {steps}")
    return np.linspace(timesteps - 1, 0, steps).round().astype(int)


def ddim_step(x, eps, alpha_bar, alpha_bar_next, clip_denoised=False):
    """One DDIM step with eta = 0 (Song et al. 2021, eq. 12 with sigma_t = 0), numpy float32:
    x_0 predicted from x_t and the predicted noise eps, then moved to the next noise level,
    x_next = sqrt(alpha_bar_next) x_0 + sqrt(1 - alpha_bar_next) eps. ``clip_denoised`` clips
    x_0 to [-1, 1] and recomputes the eps that it implies (for images, not latents)."""
    x0 = (x - np.sqrt(1.0 - alpha_bar) * eps) / np.sqrt(alpha_bar)
    if clip_denoised:
        x0 = np.clip(x0, -1.0, 1.0)
        eps = (x - np.sqrt(alpha_bar) * x0) / np.sqrt(1.0 - alpha_bar)
    return (np.sqrt(alpha_bar_next) * x0 + np.sqrt(1.0 - alpha_bar_next) * eps).astype(np.float32)
