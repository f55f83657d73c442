"""What `zoo serve` answers for word vectors (the tasks WordVectors declares; the run signature
is in zoo/server_tasks.py):

    feature-extraction  {"inputs": "king"} -> [0.12, ...]; a list of words gives a list of vectors
    most-similar        {"inputs": "king", "parameters": {"top_k": 10}} -> [{"word", "score"}, ...]
    word-map            the same request -> the word and its neighbours placed on a 2-D map of the
                        frequent words (the gallery's widget, widget.js beside this file)
"""

from __future__ import annotations

from pydantic import Field

from zoo.server_tasks import ApiError, Strict, rows


class WordParameters(Strict):
    top_k: int = Field(10, ge=1, le=100)


class WordRequest(Strict):
    inputs: str | list[str] = Field(..., examples=["king"])
    parameters: WordParameters = WordParameters()


def vectors(served, request: WordRequest, http):
    words = rows(request.inputs, "words")
    art = served.art
    vectors = [art.wv.get_vector(art.lookup(w)).astype(float).tolist() for w in words]
    return vectors[0] if isinstance(request.inputs, str) else vectors


def _one_word(request: WordRequest, task: str) -> str:
    if not isinstance(request.inputs, str):
        raise ApiError(422, f"{task} takes one word: {{\"inputs\": \"king\"}}.")
    return request.inputs


def most_similar(served, request: WordRequest, http):
    word = _one_word(request, "most-similar")
    pairs = served.art.similar(word, request.parameters.top_k)
    return [{"word": w, "score": round(float(s), 6)} for w, s in pairs]


def word_map(served, request: WordRequest, http) -> dict:
    """The 2-D map of the gallery: PCA of the frequent words' unit vectors, with the word and its
    neighbours placed on it. The plane is computed once per model (served.cache)."""
    word = _one_word(request, "word-map")
    art = served.art
    key = art.lookup(word)
    if "word-map" not in served.cache:
        from zoo.families.word2vec.model import pca_plane

        words = list(art.wv.index_to_key[20:320])  # after the 20 commonest (the, and, ...), as the card's map
        served.cache["word-map"] = (words, *pca_plane(art.wv, words))
    words, mean, basis = served.cache["word-map"]

    def place(w):
        return ((art.wv.get_vector(w, norm=True) - mean) @ basis.T).round(4).tolist()

    neighbours = art.wv.most_similar(key, topn=request.parameters.top_k)
    return {"word": key, "point": place(key),
            "neighbours": [{"word": w, "score": round(float(s), 4), "point": place(w)} for w, s in neighbours],
            "map": [{"word": w, "point": place(w)} for w in words]}
