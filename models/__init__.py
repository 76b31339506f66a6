"""Keras generative models, importable alone: ``from models import DCGAN``."""

from .adaptation import ADDA, DANN, AnnealedLearningRate, GradientReversal, adapt_batch_norm
from .classifiers import build_colour_cnn, build_small_cnn, feature_model
from .cyclegan import CycleGAN, LinearDecay
from .dcgan import DCGAN
from .diffusion import DDPM, LatentDiffusion
from .discogan import DiscoGAN
from .gan import GAN
from .ssgan import SSGAN
from .vae import VAE

__all__ = ["GAN", "DCGAN", "build_small_cnn", "build_colour_cnn", "feature_model", "CycleGAN",
           "DiscoGAN", "LinearDecay", "VAE", "DDPM", "LatentDiffusion", "DANN", "ADDA",
           "AnnealedLearningRate", "GradientReversal", "adapt_batch_norm", "SSGAN"]
