"""keras-zoo: the classic architectures of deep learning in Keras 3.

    import zoo
    zoo.list_models("*lm*")                 # registered architectures and pretrained artifacts
    art = zoo.load("mlp-xor")               # verified pretrained weights, offline
    model = zoo.build("mlp-xor")            # an untrained keras.Model
    zoo.train("mlp-xor", out="runs/xor")    # the recipe that made the weights
    zoo.evaluate("mlp-xor")                 # re-measure the registered metrics
"""

from __future__ import annotations

# Keep TensorFlow's start-up chatter out of the user's terminal (before keras is imported).
from zoo._quiet import import_backend_quietly  # noqa: E402

import_backend_quietly()

from zoo.api import build, evaluate, finetune, info, list_models, load, publish, train  # noqa: E402
from zoo.errors import (  # noqa: E402
    DataNotFoundError, IntegrityError, InvalidInputError, UnknownNameError, UnsafeArtifactError, ZooError)

__version__ = "0.1.0"
__all__ = ["build", "evaluate", "finetune", "info", "list_models", "load", "publish", "train",
           "ZooError", "UnknownNameError", "IntegrityError", "UnsafeArtifactError",
           "DataNotFoundError", "InvalidInputError"]
