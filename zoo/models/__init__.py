"""Import this before plain Keras loads a zoo artifact: it registers every family's custom layers
with Keras (under the package name "zoo"), so that safe_mode loading finds them:

    import zoo.models
    model = keras.saving.load_model("hf://OWNER/NAME")     # or an artifact folder

Each family keeps its layers in its own `layers.py` (zoo/families/NAME/layers.py), a module that
imports nothing of the zoo; this package imports every one it finds, naming no family, and
silences TensorFlow's start-up chatter once, before Keras brings it in.
"""

from zoo._quiet import import_backend_quietly

import_backend_quietly()

from zoo.families import import_layers  # noqa: E402

import_layers()
