"""keras-zoo: the classic architectures of deep learning in Keras 3.

    import zoo
    zoo.list_models("*lm*")                 # registered architectures and pretrained artifacts
    art = zoo.load("mlp-xor")               # verified pretrained weights, offline
    model = zoo.build("mlp-xor")            # an untrained keras.Model
    zoo.train("mlp-xor", out="runs/xor")    # the recipe that made the weights
    zoo.evaluate("mlp-xor")                 # re-measure the registered metrics
    zoo.export("mlp-xor", format="onnx", out="exports/xor")  # for a serving engine
"""

from __future__ import annotations

# `import zoo` is light: it imports neither Keras nor a backend (TensorFlow alone costs seconds),
# so metadata commands (`zoo list`, `zoo info`) start at once. Keras comes in with the first
# model: zoo/models/__init__.py and registry.recipe_module import it, quietly.
from zoo.api import build, evaluate, export, finetune, info, list_models, load, publish, train  # noqa: E402
from zoo.errors import (  # noqa: E402
    DataNotFoundError, IntegrityError, InvalidInputError, UnknownNameError, UnsafeArtifactError, ZooError)

__version__ = "0.1.0"
__all__ = ["build", "evaluate", "export", "finetune", "info", "list_models", "load", "publish", "train",
           "ZooError", "UnknownNameError", "IntegrityError", "UnsafeArtifactError",
           "DataNotFoundError", "InvalidInputError"]
