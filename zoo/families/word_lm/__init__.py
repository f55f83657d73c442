"""Word-level language models of tinyshakespeare, all on one split, vocabulary and set of test
tokens: count n-grams (reproducing nltk.lm), Bengio et al.'s neural n-gram model, and recurrent
GRU/LSTM models with tied embeddings.

Registry names: architectures `ngram-lm`, `gru-lm`, `lstm-lm`; artifacts `ngram-lm-shakespeare`,
`gru-lm-shakespeare`, `lstm-lm-shakespeare` (recipes: recipes/ngram_lm_shakespeare.py,
recipes/gru_lm_shakespeare.py, recipes/lstm_lm_shakespeare.py).

Files:
    words.py        tokens, sentences, the split, the vocabulary and its file, the corpus
    ngram.py        the counting models (CountLM) and the neural n-gram network (build_ngram_lm)
    rnnlm.py        the recurrent networks (build_rnn_lm, build_gru_lm, build_lstm_lm) and the
                    step model that `zoo export` writes beside them (build_step)
    numpy_step.py   gru-lm's and lstm-lm's recurrence in numpy, one word at a time, for one
                    stream or a batch: what generation runs (NumpyWordRNN)
    layers.py       TiedEmbedding, the Keras layer the recurrent models share with their output
    artifact.py     the trained models (NeuralNgramLM, RecurrentLanguageModel, on the shared
                    WordLanguageModel task) and their scoring; light: no Keras at module level
    export.py       what `zoo export` writes: the network, the step, the loops in README.md
    steps.py        the recipes' training, metrics, card and fine-tuning steps
    lm_table.py     the table of the zoo's language models (README, cards, benchmark)
    schema.py       the schemas of their zoo.json and vocab.txt (named by each class's config_schema)
    test_*.py       its tests (more in tests/test_language_models.py)

This package imports nothing: import the module you need.
"""
