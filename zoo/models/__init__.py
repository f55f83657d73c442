"""One module per model family: build functions and the task's Artifact class.

Every family imports Keras, and this package is imported before any of them, so TensorFlow's
start-up chatter is silenced here, once, before Keras brings it in."""

from zoo._quiet import import_backend_quietly

import_backend_quietly()
