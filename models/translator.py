"""The base that CycleGAN and DiscoGAN share: unpaired image-to-image translation between two
domains A and B with two generators (A -> B, B -> A), two discriminators and two optimizers.

The interface: ``compile(g_optimizer, d_optimizer)``, loss trackers in ``metrics``,
``translate(x, direction)`` and the four sub-networks.
"""

import keras

from .base import for_policy, tracker_logs

DIRECTIONS = ("a2b", "b2a")


def check_divisible(image_shape, downsamplings):
    factor = 2 ** downsamplings
    if image_shape[0] % factor or image_shape[1] % factor:
        raise ValueError(f"{downsamplings} down-samplings need image sides divisible by {factor}, "
                         f"got {image_shape[0]}x{image_shape[1]}")


class UnpairedTranslator(keras.Model):
    """What CycleGAN and DiscoGAN share: two generators, two discriminators, two optimizers.

    Subclasses set ``loss_names`` (the trackers), implement ``build_networks``
    (returning generator_ab, generator_ba, discriminator_a, discriminator_b) and
    ``train_step`` on ``(x_a, x_b)`` batches of unpaired images in [-1, 1].
    Under ``tf.distribute`` (build and compile inside ``strategy.scope()``) losses
    are scaled to the global batch, as in ``GAN``.
    """

    loss_names = ()

    def __init__(self, image_shape=(28, 28, 1), **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(image_shape)
        (self.generator_ab, self.generator_ba,
         self.discriminator_a, self.discriminator_b) = self.build_networks()
        self.trackers = [keras.metrics.Mean(name=name) for name in self.loss_names]

    def build_networks(self):
        raise NotImplementedError

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        """``g_optimizer`` steps both generators, ``d_optimizer`` both discriminators (as in the
        papers' code)."""
        super().compile(**kwargs)
        self.g_optimizer = for_policy(g_optimizer, self)
        self.d_optimizer = for_policy(d_optimizer, self)
        # Build optimizer slots now, outside any traced step (required under tf.distribute).
        self.g_optimizer.build(self.generator_variables)
        self.d_optimizer.build(self.discriminator_variables)

    @property
    def optimizers(self):
        """The optimizers a checkpoint saves: [generators', discriminators']."""
        return [self.g_optimizer, self.d_optimizer]

    @property
    def generator_variables(self):
        return self.generator_ab.trainable_variables + self.generator_ba.trainable_variables

    @property
    def discriminator_variables(self):
        return self.discriminator_a.trainable_variables + self.discriminator_b.trainable_variables

    @property
    def metrics(self):
        return self.trackers

    def apply_step(self, tape, scaled_loss, optimizer, variables):
        """One optimizer step on a loss scaled by ``training_loss`` inside ``tape``."""
        grads = tape.gradient(scaled_loss, variables)
        optimizer.apply_gradients(zip(grads, variables, strict=True))

    def track(self, **losses):
        for tracker in self.trackers:
            tracker.update_state(losses[tracker.name])
        return tracker_logs(self.trackers)

    def translate(self, images, direction="a2b", batch_size=500):
        """Images in [-1, 1] of domain A ("a2b") or B ("b2a") -> the other domain, as numpy."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
        generator = self.generator_ab if direction == "a2b" else self.generator_ba
        return generator.predict(images, batch_size=batch_size, verbose=0)

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape}
