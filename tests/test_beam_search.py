"""Beam search returns true log-probabilities, and the best paths, for every language model.

The contract (zoo/language_model.py): a family's `next_log_probs` is normalised, so a beam's
score is the sum of its tokens' log-probabilities, the same numbers `next_tokens` reports. Here
charrnn (whose step keeps logits) and a word model are checked against exhaustive search of the
same model at length 2: every path scored, the best ones kept.
"""

import math

import numpy as np
import pytest

import zoo


def exhaustive(art, prompt: str, per_first: int) -> list[tuple[list[int], float]]:
    """Every two-token continuation's log-probability, best first; of the paths that start with
    a given token only the `per_first` best are kept (no shorter list can hold a beam's path)."""
    state, _ = art.read_prompt(prompt)
    first = art.allowed(art.next_log_probs(art.copy_state(state)))
    paths = []
    for t1 in np.flatnonzero(np.isfinite(first)):
        after = art.advance(art.copy_state(state), int(t1))
        second = art.allowed(art.next_log_probs(after))
        best = np.argsort(-second, kind="stable")[:per_first]
        paths += [([int(t1), int(t2)], float(first[t1] + second[t2])) for t2 in best]
    return sorted(paths, key=lambda path: -path[1])


def text_of(art, prompt: str, tokens: list[int]) -> str:
    _, previous = art.read_prompt(prompt)
    return "".join(art.piece(p, t) for p, t in zip([previous] + tokens[:-1], tokens))


def next_tokens_log_prob(art, prompt: str, text: str) -> float:
    """The log-probability of `text` after `prompt` for a character model, as `next_tokens`
    reports it, one character after the other."""
    total = 0.0
    for i, char in enumerate(text):
        probs = dict(art.next_tokens(prompt + text[:i], k=len(art.vocab.tokens)))
        total += math.log(probs[char])
    return total


@pytest.fixture(scope="module")
def charrnn():
    return zoo.load("charrnn-shakespeare")


def test_charrnn_beams_are_the_exhaustive_best_with_their_true_log_probabilities(charrnn):
    vocab = len(charrnn.vocab.tokens)
    beams = charrnn.beam_search("ROMEO:", 2, beam_size=vocab)  # a beam of every character: exact at length 2
    best = exhaustive(charrnn, "ROMEO:", vocab)[:vocab]
    assert [text for text, _ in beams[:20]] == [text_of(charrnn, "ROMEO:", tokens) for tokens, _ in best[:20]]
    assert [score for _, score in beams[:20]] == pytest.approx([score for _, score in best[:20]], abs=1e-9)
    assert all(score < 0 for _, score in beams)


def test_charrnn_beam_scores_are_sums_of_next_token_log_probabilities(charrnn):
    beams = charrnn.beam_search("ROMEO:", 5, beam_size=4)
    for text, score in beams:
        assert score == pytest.approx(next_tokens_log_prob(charrnn, "ROMEO:", text), abs=1e-6)
    scores = [score for _, score in beams]
    assert scores == sorted(scores, reverse=True)


def test_a_word_model_beams_against_exhaustive_search():
    art = zoo.load("ngram-lm-shakespeare")
    beams = art.beam_search("to be or", 2, beam_size=3)
    paths = exhaustive(art, "to be or", 3)
    scores = {text_of(art, "to be or", tokens): score for tokens, score in paths}
    # The best beam is the best path of all, and every beam's score is its path's true one.
    assert beams[0][0] == text_of(art, "to be or", paths[0][0])
    for text, score in beams:
        assert score == pytest.approx(scores[text], abs=1e-9)
    # A beam of 3 keeps the 3 likeliest first words only: a path through a fourth may beat its
    # later beams (here ".\n" beats " to the"), which is beam search, not an error.
    assert [score for _, score in beams] == sorted((score for _, score in beams), reverse=True)
    # Each score is the sum of the words' probabilities as next_tokens gives them.
    (text, score), = art.beam_search("to be or", 1, beam_size=1)
    (word, probability), = art.next_tokens("to be or", 1)
    assert text.strip() == word and score == pytest.approx(math.log(probability), abs=1e-9)
