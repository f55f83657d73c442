"""The word language models' own Keras layer, registered with Keras under the package name "zoo" when this module runs. It imports
nothing of the zoo, so that `import zoo.models` registers every family's layers (it imports each
family's layers.py) without importing the family: plain Keras then loads the family's artifacts
with safe_mode on.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class TiedEmbedding(keras.layers.Layer):
    """An embedding that also serves as the output layer: `layer(ids)` looks the rows of E up,
    `layer(h, reverse=True)` gives the logits h E^T + b (Press & Wolf 2017: one matrix for
    input and output words, half the parameters, and usually a lower perplexity)."""

    def __init__(self, input_dim, output_dim, **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = input_dim, output_dim

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim), name="embeddings",
                                          initializer=keras.initializers.RandomUniform(-0.05, 0.05))
        self.output_bias = self.add_weight(shape=(self.input_dim,), initializer="zeros", name="output_bias")

    def call(self, inputs, reverse=False):
        if reverse:
            return ops.matmul(inputs, ops.transpose(self.embeddings)) + self.output_bias
        return ops.take(self.embeddings, ops.cast(inputs, "int32"), axis=0)

    def compute_output_spec(self, inputs, reverse=False):
        if reverse:
            return keras.KerasTensor((*inputs.shape[:-1], self.input_dim), dtype=self.compute_dtype)
        return keras.KerasTensor((*inputs.shape, self.output_dim), dtype=self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim}
