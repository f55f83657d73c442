"""word2vec: skip-gram and CBOW word vectors with negative sampling (Mikolov et al. 2013), trained
in Keras on tinyshakespeare and checked against gensim's Word2Vec.

Registry names: architectures `skipgram`, `cbow`; artifacts `skipgram-shakespeare`,
`cbow-shakespeare` (recipes: recipes/skipgram_shakespeare.py, recipes/cbow_shakespeare.py).

Files:
    model.py          the Keras models, their training (train_word2vec) and plots
    data.py           corpora, the vocabulary and the training examples, by gensim's rules
    layers.py         the Keras layers the models use (PairScores, ContextMean)
    gensim_bridge.py  gensim's Word2Vec with the same hyper-parameters, and how alike two sets of
                      vectors are (the validation)
    artifact.py       the trained vectors (WordVectors, a gensim KeyedVectors as `.wv`) and
                      gensim's defaults; light: no Keras or gensim at module level
    steps.py          the recipes' validation, metrics, card and fine-tuning steps
    schema.py         the schema of its zoo.json and vocab.json (named by WordVectors.config_schema)
    test_*.py         its tests

This package imports nothing: import the module you need.
"""
