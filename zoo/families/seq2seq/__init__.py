"""Sequence to sequence: a character-level encoder-decoder RNN (LSTM or GRU) with optional
Bahdanau or Luong attention, decoded greedily or by beam search; trained to rewrite dates
written by people ("25 Nov 2026", "the 3rd of March 1999") in ISO 8601.

Registry names: architecture `seq2seq`; artifact `seq2seq-dates` (recipes/seq2seq_dates.py).

Files:
    model.py     build_seq2seq, the inference models made of its layers, the attention plot (Keras)
    vocab.py     the character vocabularies and the id arrays the models read (numpy)
    artifact.py  Seq2Seq, the artifact class, and its greedy and beam search (light: no Keras at import)
    schema.py    what its zoo.json and vocab.json must hold (pydantic)
    dates.py     the seeded generator of dates in 19 formats, and the new formats for fine-tuning
    steps.py     the recipe's steps: pairs files, the attention comparison, exact match, the card,
                 fine-tuning on new pairs (vocabulary extension, rehearsal)
"""
