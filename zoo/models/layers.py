"""The zoo's own Keras layers, in one module that imports nothing of the zoo, so that
`import zoo.models` registers them (under the package name "zoo") without importing any family:
plain Keras then loads every artifact, with safe_mode on. Each family imports its layers from here.
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


@keras.saving.register_keras_serializable(package="zoo")
class PairScores(keras.layers.Layer):
    """score[b, j] = h[b] . u[b, j]: one input vector against its 1 + k output vectors."""

    def call(self, inputs):
        hidden, targets = inputs
        # A broadcast product and a sum: XLA on CPU compiled the equivalent einsum into a step
        # several times slower for CBOW.
        return ops.sum(hidden[:, None, :] * targets, axis=-1)


@keras.saving.register_keras_serializable(package="zoo")
class ContextMean(keras.layers.Layer):
    """The mean of the real context vectors (mask 1), ignoring the padding (mask 0).

    Its backward pass is that of the *sum*: every context word receives the full error, not
    1/n of it. That is what word2vec.c and gensim (cbow_mean=1) do: they average the vectors
    going forward but add the whole error to each context vector going back. stop_gradient
    gives exactly that: the value is sum/n, the gradient flows through sum only.
    """

    def call(self, inputs):
        vectors, mask = inputs
        total = ops.sum(vectors * mask[:, :, None], axis=1)
        count = ops.maximum(ops.sum(mask, axis=1, keepdims=True), 1.0)
        return total + ops.stop_gradient(total / count - total)
