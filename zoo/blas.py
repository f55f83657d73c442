"""How many threads numpy's BLAS uses while a model steps (threadpoolctl), for the numpy
recurrences of the language models (charrnn's and the word models' numpy_step.py).

One thread is the default for a step: BLAS splits each product between its threads and waits for
the slowest, so next to a busy process every product waits for the scheduler (charrnn's
numpy_step.py gives the numbers). A batch of streams (the server's batcher, long-text scoring)
chooses between one thread and every core by measuring (`zoo.batching.ThreadChoice`).
"""

from __future__ import annotations

DEFAULT_THREADS = 1

_controller = None


def _blas():
    """threadpoolctl's controller of the BLAS libraries loaded at the first call (numpy's, and
    scipy's own if it was loaded by then: a limit sets both alike), found once: finding them takes
    milliseconds."""
    global _controller
    from threadpoolctl import ThreadpoolController

    if _controller is None:
        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


def threads(count: int | None = None):
    """A context in which numpy's BLAS uses `count` threads (DEFAULT_THREADS when None)."""
    return _blas().limit(limits=count or DEFAULT_THREADS, user_api="blas")


def threads_in_force() -> int | None:
    """The thread count numpy's BLAS uses now (None if numpy has no BLAS threadpoolctl knows)."""
    return max((lib.num_threads for lib in _blas().lib_controllers), default=None)


def measured_steps(steps: int, batch: int, choice):
    """range(steps) for a loop of batched steps, each run with the BLAS threads that `choice`
    (a zoo.batching.ThreadChoice, kept between calls) picks: one thread or every core, whichever
    it has measured faster on this machine now, trying the other now and then. The time between
    one `next` and the following is the step's time; it is recorded in `choice`. This is how the
    server's batcher chooses, for the loops that run outside it (long-text scoring). As in the
    batcher, the count is set for each step only (about 10 us): it is the whole process's, and
    while one thread holds a limit threadpoolctl ignores another's, so a loop that held it from
    start to end would impose its count on a batcher stepping beside it in a server."""
    import time

    for step in range(steps):
        wanted = choice.choose(batch)
        switched = step == 0 or wanted != choice.current
        choice.current = wanted
        with threads(wanted):
            started = time.perf_counter()
            yield step
            choice.record(time.perf_counter() - started, batch, switched)
