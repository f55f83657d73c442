"""The captioning family's custom layer (imports nothing of the zoo: `import zoo.models` registers
it for plain Keras)."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="zoo")
class GridPositions(keras.layers.Layer):
    """Adds a learned vector to each cell of a feature grid (n, cells, channels).

    A convolution sees the same thing the same way wherever it is; the decoder must also know
    *where* it looks ("to the left of", "above"), so each cell gets a vector of its own, as a
    transformer's learned position embeddings do."""

    def build(self, input_shape):
        self.positions = self.add_weight(shape=tuple(input_shape[1:]), name="positions",
                                         initializer=keras.initializers.RandomNormal(stddev=0.1))

    def call(self, grid):
        return grid + self.positions
