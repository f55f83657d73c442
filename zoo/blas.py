"""How many threads numpy's BLAS uses while a model steps (threadpoolctl), for the numpy
recurrences of the language models (charrnn's and the word models' numpy_step.py).

One thread is the default for a step: BLAS splits each product between its threads and waits for
the slowest, so next to a busy process every product waits for the scheduler (charrnn's
numpy_step.py gives the numbers). A batch of streams (the server's batcher, long-text scoring)
chooses between one thread and every core by measuring (`zoo.batching.ThreadChoice`).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

DEFAULT_THREADS = 1

_controller = None
_lock = threading.Lock()   # one region at a time enters or leaves ...
_wanted: dict[int, list[int]] = {}  # ... the counts asked for by each thread's regions, innermost last
_library_default = None    # the count in force before the first region (given back when none runs)


def _blas():
    """threadpoolctl's controller of the BLAS libraries loaded at the first call (numpy's, and
    scipy's own if it was loaded by then: a setting sets both alike), found once: finding them
    takes milliseconds."""
    global _controller
    from threadpoolctl import ThreadpoolController

    if _controller is None:
        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


@contextmanager
def threads(count: int | None = None):
    """A context in which numpy's BLAS uses `count` threads (DEFAULT_THREADS when None).

    The count is the whole process's, and regions on different threads overlap: in a server, a
    batcher steps while a request's prompt is read. threadpoolctl's own limit sets back, at the
    end of a region, the count it found at its start; when two overlapped, the first to end set
    the library's default (every core) in the middle of the other's step: a step chosen for one
    thread ran on two (tests/test_thread_choice.py). Here, within a thread the innermost region
    decides, as with nested limits; between threads the smallest count wins (one thread is never
    far off; two, next to a busy process, can be 30 times slower); with no region running the
    library's own count is back."""
    thread = threading.get_ident()
    with _lock:
        _wanted.setdefault(thread, []).append(count or DEFAULT_THREADS)
        _apply()
    try:
        yield
    finally:
        with _lock:
            _wanted[thread].pop()
            if not _wanted[thread]:
                del _wanted[thread]
            _apply()


def _apply() -> None:
    """Set the count the running regions call for (with _lock held)."""
    global _library_default
    if _library_default is None:
        _library_default = threads_in_force()
    count = min(regions[-1] for regions in _wanted.values()) if _wanted else _library_default
    if count is None:
        return  # no BLAS that threadpoolctl knows
    for library in _blas().lib_controllers:
        library.set_num_threads(count)
        # threadpoolctl lets one thread set OpenBLAS's count, the first to set it, until it lets
        # go (its own limits do at their end); _lock already keeps settings apart, so let go.
        let_go = getattr(library, "clear_controlling_thread", None)
        if let_go is not None:
            let_go()


def threads_in_force() -> int | None:
    """The thread count numpy's BLAS uses now (None if numpy has no BLAS threadpoolctl knows)."""
    return max((lib.num_threads for lib in _blas().lib_controllers), default=None)


def measured_steps(steps: int, batch: int, choice):
    """range(steps) for a loop of batched steps, each run with the BLAS threads that `choice`
    (a zoo.batching.ThreadChoice, kept between calls) picks: one thread or every core, whichever
    it has measured faster on this machine now, trying the other now and then. The time between
    one `next` and the following is the step's time; it is recorded in `choice`. This is how the
    server's batcher chooses, for the loops that run outside it (long-text scoring). As in the
    batcher, the count is set for each step only (a few microseconds): it is the whole
    process's (see `threads`), and a loop that held it from start to end would impose its count
    on a batcher stepping beside it in a server."""
    import time

    for step in range(steps):
        wanted = choice.choose(batch)
        switched = step == 0 or wanted != choice.current
        choice.current = wanted
        with threads(wanted):
            started = time.perf_counter()
            yield step
            choice.record(time.perf_counter() - started, batch, switched)
