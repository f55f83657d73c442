"""zoo.batching.ThreadChoice: the batcher's choice of BLAS threads, by measuring (no model: the
step times are given)."""

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
