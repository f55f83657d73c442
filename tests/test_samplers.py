"""The samplers every language model shares (zoo/samplers.py), tested once on toy distributions."""

import itertools

import numpy as np
import pytest

import zoo
from zoo import samplers

LOG_PROBS = np.log(np.array([0.5, 0.3, 0.15, 0.05]))


def draws(sampler, n=4000, seed=0):
    rng = np.random.default_rng(seed)
    return np.bincount([sampler(LOG_PROBS, rng) for _ in range(n)], minlength=4) / n


def test_greedy_takes_the_likeliest():
    assert samplers.make(temperature=0)(LOG_PROBS, None) == 0


def test_temperature_one_follows_the_distribution_and_sharpens_below_one():
    np.testing.assert_allclose(draws(samplers.make(1.0)), [0.5, 0.3, 0.15, 0.05], atol=0.03)
    assert draws(samplers.make(0.3))[0] > 0.8


def test_top_k_and_top_p_cut_the_tail():
    assert draws(samplers.make(1.0, top_k=2))[2:].sum() == 0
    assert draws(samplers.make(1.0, top_p=0.75))[2:].sum() == 0  # 0.5 + 0.3 crosses 0.75
    assert draws(samplers.make(1.0, top_p=0.85))[3] == 0 and draws(samplers.make(1.0, top_p=0.85))[2] > 0
    assert draws(samplers.make(1.0, top_p=0.4)).tolist() == [1, 0, 0, 0]


@pytest.mark.parametrize("settings", [dict(temperature=-1), dict(temperature=float("nan")),
                                      dict(top_k=0), dict(top_p=0), dict(top_p=1.5)])
def test_bad_settings_are_refused(settings):
    with pytest.raises(zoo.InvalidInputError):
        samplers.make(**{"temperature": 1.0, **settings})


def test_log_softmax_is_stable():
    out = samplers.log_softmax(np.array([1000.0, 1000.0]))
    np.testing.assert_allclose(out, np.log([0.5, 0.5]))


def test_a_wide_beam_finds_the_best_sequences_by_brute_force():
    rng = np.random.default_rng(1)
    table = samplers.log_softmax(rng.normal(size=(5, 5)) * 2)  # next-token log-probs given the last token

    def step(state, token):
        return table[token], token

    beams = samplers.beam_search(table[0], 0, step, beam_size=5 ** 3, length=3)
    brute = sorted(((list(seq), table[0][seq[0]] + table[seq[0]][seq[1]] + table[seq[1]][seq[2]])
                    for seq in itertools.product(range(5), repeat=3)), key=lambda b: -b[1])
    assert [b[0] for b in beams[:10]] == [b[0] for b in brute[:10]]
    np.testing.assert_allclose([b[1] for b in beams], [b[1] for b in brute])
    greedy, log_probs = [], table[0]
    for _ in range(3):
        greedy.append(int(np.argmax(log_probs)))
        log_probs = table[greedy[-1]]
    assert samplers.beam_search(table[0], 0, step, beam_size=1, length=3)[0][0] == greedy
