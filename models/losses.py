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
    """-log D(G(z)), the heuristic of Goodfellow et al. 2014 (sec. 3) with strong early
    gradients."""
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
    """CycleGAN's identity loss (Zhu et al. 2017, sec. 5.2): mean |G(y) - y| for y already in
    G's target domain."""
    return ops.mean(ops.abs(same - real))


def squared_reconstruction_loss(real, reconstructed):
    """DiscoGAN's reconstruction loss with d = mean squared error (Kim et al. 2017, eq. 2)."""
    return ops.mean(ops.square(reconstructed - real))


RECONSTRUCTION_LOSSES = {
    "l1": cycle_consistency_loss,
    "mse": squared_reconstruction_loss,
}


def feature_matching_loss(real_features, fake_features):
    """Salimans et al. 2016, sec. 3.1: ||E f(x) - E f(G(z))||^2, the squared distance between the
    batch means of an intermediate discriminator layer (mean over feature units, as in their
    code)."""
    # Hidden features are 16-bit under mixed precision: the batch means are taken in float32.
    real_features = ops.cast(real_features, "float32")
    fake_features = ops.cast(fake_features, "float32")
    difference = ops.mean(real_features, axis=0) - ops.mean(fake_features, axis=0)
    return ops.mean(ops.square(difference))


def log_real_odds(logits, fake_class="implicit"):
    """log Z(x), where D(x) = Z / (Z + 1) is the probability that x is real: Z = sum_k exp(l_k) for
    K logits and an implicit fake class (its logit fixed at 0); Z = sum_k exp(l_k - l_fake) for
    ``fake_class="explicit"``, where the last of K+1 logits is the fake class."""
    if fake_class == "implicit":
        return ops.logsumexp(logits, axis=-1)
    if fake_class == "explicit":
        return ops.logsumexp(logits[:, :-1], axis=-1) - logits[:, -1]
    raise ValueError(f"fake_class must be 'implicit' or 'explicit', got {fake_class!r}")


def ssgan_supervised_loss(labels, logits):
    """Mean cross-entropy -log softmax(logits)[y] over every output given, from logits.

    With K logits (implicit fake class) this is Salimans et al.'s -log p(y | x, y < K+1); with
    K+1 outputs (the c+1 classifier of Odena 2016) it is -log p(y | x) = -log p(y | x, real)
    - log p(real | x), so labelled examples also count as real.
    """
    labels = ops.cast(labels, "int32")
    true_logit = ops.take_along_axis(logits, labels[:, None], axis=-1)[:, 0]
    return ops.mean(ops.logsumexp(logits, axis=-1) - true_logit)


def ssgan_unsupervised_loss(unlabelled_logits, fake_logits, fake_class="implicit"):
    """-E log D(x) - E log(1 - D(G(z))) with D(x) = Z(x) / (Z(x) + 1) (Salimans et al. 2016,
    sec. 5).

    With s = log Z: -log D = softplus(-s) and -log(1 - D) = softplus(s), so the sigmoid of the
    real/fake odds is never formed. Their code halves the sum; SSGAN.unsupervised_weight (0.5)
    does.
    """
    return (ops.mean(ops.softplus(-log_real_odds(unlabelled_logits, fake_class)))
            + ops.mean(ops.softplus(log_real_odds(fake_logits, fake_class))))
