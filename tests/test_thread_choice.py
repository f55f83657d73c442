"""zoo.batching.ThreadChoice: the batcher's choice of BLAS threads, by measuring (no model: the
step times are given)."""

import os
import threading

import numpy as np
import pytest

from zoo.batching import ThreadChoice


def run(choice, steps, seconds_per_token, batch=16):
    """`steps` steps as the batcher takes them; seconds_per_token[threads] is a step's cost."""
    used = []
    for _ in range(steps):
        wanted = choice.choose(batch)
        switched = wanted != choice.current
        choice.current = wanted
        used.append(wanted)
        choice.record(seconds_per_token[wanted] * batch, batch, switched)
    return used


def test_it_takes_the_faster_choice_and_a_far_slower_trial_ends_at_its_first_measured_step():
    choice = ThreadChoice()
    choice.options = [1, 2]
    idle = {1: 0.0004, 2: 0.0002}
    run(choice, 200, idle)
    assert choice.best() == 2
    busy = {1: 0.0003, 2: 0.0082}  # measured next to `yes`: two threads 30x slower
    used = run(choice, 2000, busy)
    assert choice.best() == 1
    # Each trial of two threads after the first switch: one step to wake the threads, one
    # measured, then back to one thread, instead of TRIAL steps at 30x the cost.
    slow = sum(n == 2 for n in used)
    assert slow <= 2 * (2000 // ThreadChoice.EXPLORE + 1) + ThreadChoice.TRIAL, slow
    assert used[-1] == 1


def test_a_trial_that_is_not_far_slower_runs_its_course():
    choice = ThreadChoice()
    choice.options = [1, 2]
    used = run(choice, 100, {1: 0.0003, 2: 0.0004})
    assert sum(n == 2 for n in used) == ThreadChoice.TRIAL + 1  # a step to wake the threads, TRIAL measured
    assert choice.best() == 1


def in_region(count, entered, leave, seen):
    """A thread in a zoo.blas.threads(count) region: it notes the count in force as it leaves."""
    from zoo import blas

    def body():
        with blas.threads(count):
            entered.set()
            assert leave.wait(30)
            seen.append(blas.threads_in_force())
    thread = threading.Thread(target=body)
    thread.start()
    return thread


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: the library's own count is one thread")
def test_overlapping_regions_on_two_threads_keep_the_count_they_asked_for():
    """A request's prompt is read on its thread (one BLAS thread), a batcher's step starts on
    another (one thread), the prompt's region ends first: the step must go on with one thread.
    (With threadpoolctl's own limits, the prompt's, which had set the count, set back the one it
    had found, every core, in the middle of the step.) Where regions ask for different counts,
    the smaller holds while both run; with none running, the library's own count is back."""
    from zoo import blas

    default = blas.threads_in_force()
    step_in, step_out, step_seen = threading.Event(), threading.Event(), []
    prompt_in, prompt_out, prompt_seen = threading.Event(), threading.Event(), []
    prompt = in_region(1, prompt_in, prompt_out, prompt_seen)
    assert prompt_in.wait(30)
    step = in_region(1, step_in, step_out, step_seen)
    assert step_in.wait(30)
    prompt_out.set()
    prompt.join(30)
    assert blas.threads_in_force() == 1
    step_out.set()
    step.join(30)
    assert step_seen == prompt_seen == [1]
    assert blas.threads_in_force() == default

    trial_in, trial_out, trial_seen = threading.Event(), threading.Event(), []
    trial = in_region(2, trial_in, trial_out, trial_seen)  # a batcher trying two threads ...
    assert trial_in.wait(30) and blas.threads_in_force() == 2
    prompt_in, prompt_out, prompt_seen = threading.Event(), threading.Event(), []
    prompt = in_region(1, prompt_in, prompt_out, prompt_seen)  # ... while a prompt is read
    assert prompt_in.wait(30) and blas.threads_in_force() == 1
    prompt_out.set()
    prompt.join(30)
    assert prompt_seen == [1] and blas.threads_in_force() == 2
    trial_out.set()
    trial.join(30)
    assert trial_seen == [2] and blas.threads_in_force() == default

    with blas.threads(1):  # within one thread the innermost region decides (long-text scoring's steps)
        with blas.threads(2):
            assert blas.threads_in_force() == 2
        assert blas.threads_in_force() == 1
    assert blas.threads_in_force() == default


class CountingModel:
    """The least a Batcher steps: a 'language model' of 8 tokens whose step notes how many
    threads numpy's BLAS was set to while it ran."""

    name, never_generated = "counting", ()

    def __init__(self):
        self.blas_threads_seen = []
        self.gate = threading.Event()  # steps wait for it: the streams submitted, all step together

    def running(self, threads=None):
        from zoo import blas
        return blas.threads(threads)

    def read_prompt(self, prompt, what="prompt"):
        return 0, None

    def next_log_probs_many(self, states):
        from zoo import blas
        assert self.gate.wait(30)
        if len(states) >= ThreadChoice.MIN_BATCH:  # (a smaller batch always runs on one thread)
            self.blas_threads_seen.append(blas.threads_in_force())
        return [np.log(np.full(8, 1 / 8)) for _ in states]

    def allowed(self, log_probs):
        return log_probs

    def piece(self, previous, token):
        return "x"

    def advance_many(self, states, tokens):
        return states


def pinned_batcher(model, threads):
    """A Batcher that always chooses `threads` BLAS threads for a batch of 4 or more (it has measured the other
    choice as very slow, and 20 steps are too few to try it again)."""
    from zoo.batching import Batcher

    batcher = Batcher(model)
    batcher._threads.options = [1, 2]
    batcher._threads.per_token = {1: 1.0 if threads == 2 else 1e-9, 2: 1e-9 if threads == 2 else 1.0}
    return batcher


def generate(batcher, streams=4, tokens=20):
    ended = [threading.Event() for _ in range(streams)]
    batcher.art.gate.clear()
    for seed, end in enumerate(ended):  # (emit runs on the batcher's thread: it must not block)
        batcher.submit("", tokens, emit=lambda token, piece, *rest, end=end: token is None and end.set(), seed=seed)
    batcher.art.gate.set()
    assert all(end.wait(30) for end in ended)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: one thread is the only choice")
def test_two_batchers_in_one_process_each_step_on_their_own_choice():
    """numpy's BLAS has one thread count for the whole process, and threadpoolctl lets one Python
    thread at a time set it (the others' settings are ignored while it holds a limit). A server
    runs a batcher per model: each step must run on its own batcher's choice. (It did not: each
    batcher held its setting for as long as it ran, so the first to take control kept it, and the
    other model's batches ran on that count while their batcher measured it as its own choice.)"""
    one, two = CountingModel(), CountingModel()
    on_one, on_two = pinned_batcher(one, 1), pinned_batcher(two, 2)
    try:
        for _ in range(2):
            generate(on_two)
            generate(on_one)
    finally:
        on_one.close()
        on_two.close()
    assert set(one.blas_threads_seen) == {1}, one.blas_threads_seen
    assert set(two.blas_threads_seen) == {2}, two.blas_threads_seen
