"""One module per model family: build functions and the task's Artifact class.

Every family imports Keras, and this package is imported before any of them, so TensorFlow's
start-up chatter is silenced here, once, before Keras brings it in.

Importing this package also registers the zoo's custom layers with Keras (under the package
name "zoo"), so that plain Keras loads every artifact the zoo publishes, with safe_mode on:

    import zoo.models
    model = keras.saving.load_model("hf://OWNER/NAME")     # or an artifact folder
"""

from zoo._quiet import import_backend_quietly

import_backend_quietly()

# The zoo's own layers, registered with Keras when their module runs (it imports no family).
from zoo.models import layers  # noqa: E402,F401
