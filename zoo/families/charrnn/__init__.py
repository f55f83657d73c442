"""char-rnn: a character-level LSTM/GRU language model (Karpathy 2015), trained on tinyshakespeare.

Registry names: architecture `charrnn`; artifact `charrnn-shakespeare` (recipe:
recipes/charrnn_shakespeare.py).

Files:
    model.py        the Keras network (build_charrnn), reading its hyper-parameters back, plots
    artifact.py     the trained model (CharRNN, a zoo.language_model.LanguageModel) and its
                    character vocabulary; light: no Keras at module level
    numpy_step.py   the same recurrence in plain numpy on the model's weights, which the artifact
                    generates and scores with (one BLAS thread: see BLAS_THREADS)
    schema.py       the schema of its zoo.json (named by CharRNN.config_schema)
    steps.py        the recipe's steps: training in cycles with warm restarts, the validation
                    losses, the card, fine-tuning on a text (new characters extend the vocabulary)
    test_*.py       its tests

This package imports nothing: import the module you need.
"""
