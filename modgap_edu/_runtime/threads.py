"""How many threads training uses (lessons 03-05): one fixed policy, so that a seed reproduces a run.

The summation order of torch's kernels (and of numpy's BLAS) depends on the number of threads, so the
same seeded run gives different weights with 1 and with 2 threads (issue 14: RMG 0.8986940 vs 0.8987037).
The thread count is therefore **fixed**, never derived from the machine's momentary load:

1. an explicit ``threads=`` argument (an int >= 1) wins;
2. else the environment variable ``MODGAP_THREADS`` (an int >= 1), e.g. ``MODGAP_THREADS=1`` on a one-core machine;
3. else ``TRAINING_THREADS = 2``: the course's target machines (Binder, a laptop) have 2 cores, and the
   shipped assets (``modgap_edu/assets/``) were made with 2 threads.

The count is *not* capped at ``os.cpu_count()``: 2 threads on one core are slower, but give the same numbers.
On a busy machine a run is slower, never different. ``limited_threads`` applies the policy to torch
(``torch.set_num_threads``) and to the native thread pools numpy and scipy use (``threadpoolctl``), and
restores the previous settings on exit.
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
            raise ValueError(f"the environment variable {THREADS_ENV} must be a positive integer, got {env!r}; "
                             f"unset it to use the default of {TRAINING_THREADS}.") from None
    return TRAINING_THREADS


@contextmanager
def limited_threads(threads: int | None = None) -> Iterator[int]:
    """Run a block with the policy's thread count (torch and the BLAS/OpenMP pools); restore them afterwards.

    Parameters
    ----------
    threads : int or None
        As in ``training_threads``.

    Yields
    ------
    int
        The thread count in force inside the block.
    """
    import torch
    from threadpoolctl import threadpool_limits

    n = training_threads(threads)
    before = torch.get_num_threads()
    with threadpool_limits(limits=n):
        torch.set_num_threads(n)
        try:
            yield n
        finally:
            torch.set_num_threads(before)
