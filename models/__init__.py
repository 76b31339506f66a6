"""Keras generative models, importable alone: ``from models import DCGAN``."""

from models.adaptation import ADDA, DANN, AnnealedLearningRate, GradientReversal, adapt_batch_norm
from models.classifiers import build_small_cnn, feature_model
from models.cyclegan import CycleGAN, LinearDecay
from models.dcgan import DCGAN
from models.diffusion import DDPM, LatentDiffusion
from models.discogan import DiscoGAN
from models.gan import GAN
from models.ssgan import SSGAN
from models.vae import VAE

__all__ = ["GAN", "DCGAN", "build_small_cnn", "feature_model", "CycleGAN", "DiscoGAN", "LinearDecay",
           "VAE", "DDPM", "LatentDiffusion", "DANN", "ADDA", "AnnealedLearningRate", "GradientReversal", "adapt_batch_norm",
           "SSGAN"]
