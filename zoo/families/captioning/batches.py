"""Training batches with a fresh caption every epoch: each scene is seen once per epoch, with a
caption newly drawn from the grammar (so over the epochs the decoder meets many ways of saying
the same scene, and no one wording is learnt by heart). A keras.utils.PyDataset: numpy in, any
backend."""

from __future__ import annotations

import keras
import numpy as np

from zoo.families.captioning import captions, steps


class FreshCaptions(keras.utils.PyDataset):
    """Batches ((images, words_in), labels, weights) of teacher forcing (steps.encode_captions),
    the scenes shuffled and re-captioned at each epoch by a generator seeded by (seed, epoch)."""

    def __init__(self, made: list, images: np.ndarray, words: list[str], length: int, batch_size: int, seed: int):
        super().__init__()
        self.made, self.images, self.words, self.length = made, images, words, length
        self.batch_size, self.seed, self.epoch = batch_size, seed, 0
        self._draw()

    def _draw(self) -> None:
        rng = np.random.default_rng([self.seed, self.epoch])
        self.order = rng.permutation(len(self.made))
        texts = [captions.caption(self.made[i], rng) for i in self.order]
        self.words_in, self.labels, self.weights = steps.encode_captions(texts, self.words, self.length)

    def __len__(self) -> int:
        return int(np.ceil(len(self.made) / self.batch_size))

    def __getitem__(self, index: int):
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return (self.images[self.order[rows]], self.words_in[rows]), self.labels[rows], self.weights[rows]

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self._draw()
