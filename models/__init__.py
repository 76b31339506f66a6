"""Keras generative models, importable alone: ``from models import DCGAN``."""

from models.classifiers import build_small_cnn, feature_model
from models.dcgan import DCGAN
from models.gan import GAN

__all__ = ["GAN", "DCGAN", "build_small_cnn", "feature_model"]
