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


def threads(count: int | None = None):
    """A context in which numpy's BLAS uses `count` threads (DEFAULT_THREADS when None)."""
    global _controller
    from threadpoolctl import ThreadpoolController

    if _controller is None:  # finding the loaded libraries takes milliseconds: once is enough
        _controller = ThreadpoolController()
    return _controller.limit(limits=count or DEFAULT_THREADS, user_api="blas")
