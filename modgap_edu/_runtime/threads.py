"""How many threads training uses (lessons 03-05): one fixed policy, so that a seed reproduces a run.

The summation order of torch's kernels (and of numpy's BLAS) depends on the number of threads, so the
same seeded run gives different weights with 1 and with 2 threads (issue 14: RMG 0.8986940 vs 0.8987037).
The thread count is therefore **fixed**, never derived from the machine's momentary load:

1. an explicit ``threads=`` argument (an int >= 1) wins;
2. else the environment variable ``MODGAP_THREADS`` (an int >= 1), e.g. ``MODGAP_THREADS=1`` on a one-core machine;
3. else ``TRAINING_THREADS = 2``: the course's target machines (Binder, a laptop) have 2 cores, and the
   shipped assets (``modgap_edu/assets/``) were made with 2 threads.

The count is *not* capped at ``os.cpu_count()``: 2 threads on one core are slower, but give the same numbers.
On a busy machine a run is slower, never different. ``limited_threads(threads)`` gives torch
(``torch.set_num_threads``) ``training_threads(threads)`` and the native pools of numpy and scipy (BLAS,
OpenMP; ``threadpoolctl``) the policy's own count ``training_threads()``: an explicit ``threads=`` is a torch
choice (lesson 03 trains its tiny MLP on 1 thread), while numpy's float64 algebra (e.g. the Procrustes
rotation of lesson 03) keeps the policy's count, whose summation order the shipped assets were made with.
Both are restored on exit.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

TRAINING_THREADS = 2
THREADS_ENV = "MODGAP_THREADS"


def _check_count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        hint = " ('auto' was removed: the thread count no longer follows the machine's load)" if value == "auto" else ""
        raise ValueError(f"{name} must be a positive integer (or None for the fixed policy), got {value!r}{hint}.")
    return value


def training_threads(threads: int | None = None) -> int:
    """The thread count of the course's fixed policy (see the module docstring).

    Parameters
    ----------
    threads : int or None
        An explicit count (>= 1); ``None`` reads ``MODGAP_THREADS``, else ``TRAINING_THREADS`` (2).

    Returns
    -------
    int
        The number of threads to use.
    """
    if threads is not None:
        return _check_count(threads, "threads")
    env = os.environ.get(THREADS_ENV, "").strip()
    if env:
        try:
            return _check_count(int(env), THREADS_ENV)
        except ValueError:
            raise ValueError(
                f"the environment variable {THREADS_ENV} must be a positive integer, got {env!r}; "
                f"unset it to use the default of {TRAINING_THREADS}."
            ) from None
    return TRAINING_THREADS


@contextmanager
def limited_threads(threads: int | None = None) -> Iterator[int]:
    """Run a block with the policy's thread counts; restore the previous settings afterwards.

    Parameters
    ----------
    threads : int or None
        torch's count, as in ``training_threads``; numpy's and scipy's native pools get ``training_threads()``.

    Yields
    ------
    int
        torch's thread count inside the block.
    """
    import torch
    from threadpoolctl import threadpool_limits

    n = training_threads(threads)
    before = torch.get_num_threads()
    with threadpool_limits(limits=training_threads()):
        torch.set_num_threads(n)
        try:
            yield n
        finally:
            torch.set_num_threads(before)
