"""word2vec's own Keras layers, registered with Keras under the package name "zoo" when this
module runs. It imports nothing of the zoo, so that `import zoo.models` registers every family's layers (it imports each
family's layers.py) without importing the family: plain Keras then loads the family's artifacts
with safe_mode on.
"""

import keras
from keras import ops


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
