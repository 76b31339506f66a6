"""Synthetic 2-D Gaussian mixtures (Unrolled GAN, VEEGAN, PacGAN): no files needed."""

from __future__ import annotations

import numpy as np

from .base import status_row
from .errors import DataError


class Mixture:
    """An equal-weight mixture of isotropic 2-D Gaussians, one mode per center.

    ``sample(n, seed)`` draws points and their mode ids; ``load(split)`` is
    ``sample`` with a size and seed fixed per split, so a mixture fits the
    image datasets' interface.
    """

    SPLITS = {"train": (100_000, 0), "test": (10_000, 1)}  # split: (size, seed)
    splits = tuple(SPLITS)

    def __init__(self, name: str, centers: np.ndarray, std: float):
        self.name, self.centers, self.std = name, np.asarray(centers, np.float64), float(std)
        self.num_classes = len(self.centers)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Points (n, 2) float32 and their mode ids (n,) int64."""
        rng = np.random.default_rng(seed)
        modes = rng.integers(0, self.num_classes, size=n)
        points = self.centers[modes] + self.std * rng.standard_normal((n, 2))
        return points.astype(np.float32), modes.astype(np.int64)

    def load(self, split: str, data_dir: str | None = None, *, limit: int | None = None,
             download: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The fixed sample of a split, or its first ``limit`` points.

        Same signature as the image datasets' ``load``; ``data_dir`` and
        ``download`` do not apply (nothing is read or fetched).
        """
        if split not in self.SPLITS:
            raise DataError(f"{self.name}: no split {split!r}; splits are {', '.join(self.splits)}")
        points, modes = self.sample(*self.SPLITS[split])
        return points[:limit], modes[:limit]

    def status(self, data_dir: str | None = None) -> dict[str, str]:
        samples = "/".join(str(size) for size, _ in self.SPLITS.values())
        return status_row(self.name, "synthetic", samples=samples)


_ANGLES = 2 * np.pi * np.arange(8) / 8
RING8 = Mixture("ring8", 2.0 * np.stack([np.cos(_ANGLES), np.sin(_ANGLES)], axis=1), 0.02)
GRID25 = Mixture("grid25", [(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)], 0.05)
