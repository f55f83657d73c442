"""One module per model family: build functions, the task's Artifact class, its CLI verbs."""
