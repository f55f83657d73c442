"""`zoo export` for word2vec: the input-vector table, word ids -> vectors (what `similar` and
gensim's `.wv` use). The negative-sampling scorer the vectors were trained with needs noise
words and says nothing alone, so it is not exported."""

from __future__ import annotations

from zoo.exporting import VOCAB_FILE, Plan, ids_input, json_text


def plan(art) -> Plan:
    import keras

    arch = art.config["architecture"]
    word = keras.Input(shape=(), dtype="int32", name="word")
    vectors = keras.Model(word, art.model.get_layer("input_vectors")(word), name=f"{arch}_vectors")
    words = art.vocab.words
    return Plan(vectors, [ids_input("word", (None,), "word ids (vocab.json: words[i] is id i)", len(words))],
                [{"name": "vectors", "shape": [None, int(vectors.outputs[0].shape[-1])],
                  "what": "each word's input vector (what gensim calls wv)"}],
                "the word-vector table: word ids -> vectors",
                loop=("words = vocab['words']\n"
                      "table = run(word=np.arange(len(words), dtype='int32'))\n"
                      "table /= np.linalg.norm(table, axis=1, keepdims=True)\n"
                      "sims = table @ table[words.index('king')]\n"
                      "print([words[i] for i in np.argsort(-sims)[1:11]])  # the 10 nearest"),
                files={VOCAB_FILE: json_text({"words": words})})
