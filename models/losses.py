"""GAN losses as pure functions of discriminator logits (TF-GAN style).

Every function returns the mean over the batch. Logits, never probabilities:
the sigmoid lives inside ``softplus`` so no loss applies it twice.
"""

from keras import ops


def minimax_discriminator_loss(real_logits, fake_logits):
    """-[log D(x) + log(1 - D(G(z)))] (Goodfellow et al. 2014, eq. 1), D = sigmoid(logits)."""
    # -log sigmoid(l) = softplus(-l);  -log(1 - sigmoid(l)) = softplus(l)
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def minimax_generator_loss(fake_logits):
    """log(1 - D(G(z))), the generator's side of the original minimax game (saturates early)."""
    return -ops.mean(ops.softplus(fake_logits))


def non_saturating_generator_loss(fake_logits):
    """-log D(G(z)), the heuristic of Goodfellow et al. 2014 (sec. 3) with strong early gradients."""
    return ops.mean(ops.softplus(-fake_logits))


def least_squares_discriminator_loss(real_outputs, fake_outputs):
    """LSGAN (Mao et al. 2017): 0.5 E[(D(x) - 1)^2] + 0.5 E[D(G(z))^2]."""
    return 0.5 * ops.mean(ops.square(real_outputs - 1.0)) + 0.5 * ops.mean(ops.square(fake_outputs))


def least_squares_generator_loss(fake_outputs):
    """LSGAN generator loss: 0.5 E[(D(G(z)) - 1)^2]."""
    return 0.5 * ops.mean(ops.square(fake_outputs - 1.0))


GENERATOR_LOSSES = {
    "minimax": minimax_generator_loss,
    "non_saturating": non_saturating_generator_loss,
}


def cycle_consistency_loss(real, reconstructed):
    """CycleGAN's cycle loss (Zhu et al. 2017, eq. 2) for one direction: mean |F(G(x)) - x| (L1)."""
    return ops.mean(ops.abs(reconstructed - real))


def identity_loss(real, same):
    """CycleGAN's identity loss (Zhu et al. 2017, sec. 5.2): mean |G(y) - y| for y already in G's target domain."""
    return ops.mean(ops.abs(same - real))


def squared_reconstruction_loss(real, reconstructed):
    """DiscoGAN's reconstruction loss with d = mean squared error (Kim et al. 2017, eq. 2)."""
    return ops.mean(ops.square(reconstructed - real))


RECONSTRUCTION_LOSSES = {
    "l1": cycle_consistency_loss,
    "mse": squared_reconstruction_loss,
}
