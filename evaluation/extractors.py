"""Feature extractors: networks that map images to feature vectors for the metrics.

Every extractor has a ``name``, a ``weights_hash`` (sha256 of its weights, so a
score says exactly which network produced it) and a ``resize`` description (how
images are brought to the network's input). Metrics never see the network: they
take the arrays that ``features`` / ``probabilities`` return.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


class ExtractorUnavailable(RuntimeError):
    """The extractor's weights are not on this machine; the message says how to get them."""


@runtime_checkable
class FeatureExtractor(Protocol):
    name: str
    weights_hash: str
    resize: str

    def features(self, images: np.ndarray) -> np.ndarray:
        """uint8 images (N, H, W, C) -> float64 features (N, D)."""
        ...
