"""PNG figures for runs and reports: sample grids, latent walks, 2-D scatters, curves.

Figures are ``matplotlib.figure.Figure`` objects saved to files, never pyplot's: they need no
backend, so importing this module changes no global matplotlib state.
"""

from __future__ import annotations

import matplotlib.image
import numpy as np
from matplotlib.figure import Figure


def tile(images, columns):
    """uint8 (N, H, W, C) -> one uint8 mosaic with a 1-px gap, ``columns`` images a row."""
    n, h, w, c = images.shape
    rows = -(-n // columns)
    mosaic = np.full((rows * (h + 1) + 1, columns * (w + 1) + 1, c), 255, np.uint8)
    for i, image in enumerate(images):
        r, q = divmod(i, columns)
        mosaic[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + q * (w + 1):1 + q * (w + 1) + w] = image
    return mosaic


def save_mosaic(images, path, columns, scale=3):
    """Save uint8 images as a grid PNG, upscaled by pixel repetition so small digits stay
    visible."""
    mosaic = tile(np.asarray(images), columns)
    mosaic = mosaic.repeat(scale, axis=0).repeat(scale, axis=1)
    if mosaic.shape[-1] == 1:
        matplotlib.image.imsave(path, mosaic[..., 0], cmap="gray", vmin=0, vmax=255)
    else:
        matplotlib.image.imsave(path, mosaic)


def save_scatter(points, centers, path, title):
    """Generated 2-D points over the mixture's mode centres."""
    fig = Figure(figsize=(4, 4), dpi=100)
    ax = fig.subplots()
    ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4, label="generated")
    ax.scatter(centers[:, 0], centers[:, 1], s=30, c="red", marker="x", label="modes")
    ax.set_title(title, fontsize=9)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path)


def save_curves(curves, path, title, xlabel="step"):
    """``curves``: {label: (x, y)}; one line each."""
    fig = Figure(figsize=(6, 3.5), dpi=100)
    ax = fig.subplots()
    for label, (x, y) in curves.items():
        ax.plot(x, y, label=label, linewidth=1.2)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)


def save_metric_vs_setting(series, path, title, ylabel, xlabel):
    """One panel per group, one line per label, with error bars, on a log x axis.

    ``series``: {group: {label: (x, mean, std)}} with arrays of equal length (std may hold NaN
    where there is a single seed). Used for accuracy against label count per method per dataset.
    """
    fig = Figure(figsize=(4.5 * len(series), 3.5), dpi=100)
    axes = fig.subplots(1, len(series), squeeze=False)
    # One colour per line label across panels; each panel has its own legend (panels may differ
    # in lines).
    labels = dict.fromkeys(k for v in series.values() for k in v)
    colours = {label: f"C{i % 10}" for i, label in enumerate(labels)}
    for ax, (group, lines) in zip(axes[0], series.items(), strict=True):
        for label, (x, mean, std) in lines.items():
            order = np.argsort(x)
            ax.errorbar(np.asarray(x)[order], np.asarray(mean)[order],
                        yerr=np.nan_to_num(np.asarray(std)[order]), label=label,
                        color=colours[label], marker="o", markersize=3, linewidth=1.2, capsize=2)
        ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(group, fontsize=9)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
