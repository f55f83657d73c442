"""Sample inputs for any of the zoo's networks, and their outputs as a list of arrays, so that two
copies of a model (loaded by zoo.load, by plain Keras, from the Hub) can be compared."""

import numpy as np


def sample_inputs(model, seed=0) -> dict:
    """A small batch for each of the model's inputs, by input name: token ids 0..1 for integer
    inputs (valid for every vocabulary), standard normal values for the others."""
    rng = np.random.default_rng(seed)
    batch = {}
    for tensor in model.inputs:
        shape = [2] + [dim if dim is not None else 5 for dim in tensor.shape[1:]]
        if "int" in str(tensor.dtype):
            batch[tensor.name] = rng.integers(0, 2, size=shape).astype(str(tensor.dtype))
        else:
            batch[tensor.name] = rng.standard_normal(shape).astype("float32")
    return batch


def outputs(model, batch: dict) -> list:
    """The model's outputs for a batch given by input name, as a list of arrays."""
    import keras

    structure = model.input  # a tensor, a list or a dict of them, as the model was built
    result = model(keras.tree.map_structure(lambda tensor: batch[tensor.name], structure), training=False)
    return [np.asarray(r) for r in keras.tree.flatten(result)]


# The same, for a separate interpreter that has only Keras and `import zoo.models`: it loads a
# model (a folder or hf://...), runs a saved batch through it and saves the outputs.
PLAIN_KERAS_SCRIPT = """
import sys, numpy as np
import zoo.models  # registers the zoo's layers: nothing else of the zoo is used
import keras
for source, inputs, out in zip(*[iter(sys.argv[1:])] * 3):
    model = keras.saving.load_model(source, compile=False, safe_mode=True)
    batch = dict(np.load(inputs))
    result = model(keras.tree.map_structure(lambda t: batch[t.name], model.input), training=False)
    np.savez(out, *[np.asarray(r) for r in keras.tree.flatten(result)])
"""
