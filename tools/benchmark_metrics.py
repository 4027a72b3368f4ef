"""Benchmark the gap metrics at research scale (issue 6, lesson 05). A script, not a test.

    .venv/bin/python tools/benchmark_metrics.py                 # full run (needs ~6 GB RAM at its peak)
    .venv/bin/python tools/benchmark_metrics.py --quick         # 2k/5k pairwise, ours up to 100k

Prints, in one run:

1. RMG: our O(N*d) ``metrics.rmg`` against the literal pairwise ``metrics.rmg_pairwise``
   (N x N similarity matrices) at N = 2k, 5k, 10k, 20k (d = 512, float32 input), with the
   absolute difference of the two values;
2. our RMG, L2M and L2I at N = 100k and 1M x 512 float32;
3. MOAD (all-pairs and official-subset variants) at 100k and 1M rows;
4. the peak extra memory of each call, measured with ``tracemalloc`` (numpy reports its
   buffers to it) in a separate, untimed call.

The data are synthetic (a shared content vector plus a per-modality offset), generated in
chunks with a seeded ``numpy.random.Generator`` straight into float32 arrays.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from modgap_edu.core import metrics  # noqa: E402

D = 512


def make_pairs(n: int, d: int = D, seed: int = 0, chunk: int = 65536) -> tuple[np.ndarray, np.ndarray]:
    """Paired float32 embeddings with a modality offset, generated chunk by chunk."""
    rng = np.random.default_rng(seed)
    offset_x = rng.standard_normal(d, dtype=np.float32) * 0.15
    offset_y = rng.standard_normal(d, dtype=np.float32) * 0.15
    x = np.empty((n, d), dtype=np.float32)
    y = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        z = rng.standard_normal((m, d), dtype=np.float32) / np.float32(np.sqrt(d))
        x[start : start + m] = z + offset_x
        y[start : start + m] = (
            z + 0.5 * rng.standard_normal((m, d), dtype=np.float32) / np.float32(np.sqrt(d)) + offset_y
        )
    return x, y


def timed(fn, repeats: int = 1) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_mb(fn) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def rss_gb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**30
    except ImportError:  # pragma: no cover
        return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes only (about a minute)")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc peak-memory calls")
    parser.add_argument("--no-pairwise", action="store_true", help="skip part 1 (the slow N x N comparison)")
    parser.add_argument(
        "--moad-official-max",
        type=int,
        default=100_000,
        help="largest N for the official-subset MOAD (one pass per ordered pair of classes: slow; default 100k)",
    )
    args = parser.parse_args(argv)
    pair_sizes = [] if args.no_pairwise else [2000, 5000] if args.quick else [2000, 5000, 10000, 20000]
    big_sizes = [100_000] if args.quick else [100_000, 1_000_000]
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    print(f"numpy {np.__version__}, d = {D}, float32 input, OMP_NUM_THREADS={threads}, cpus={os.cpu_count()}")
    mem = not args.no_memory

    print("\n1. RMG: ours (O(N*d)) vs literal pairwise (N x N matrices)")
    print(f"{'N':>9} {'ours s':>9} {'pairwise s':>11} {'speed-up':>9} {'|diff|':>9} {'ours MB':>9} {'pairwise MB':>12}")
    for n in pair_sizes:
        x, y = make_pairs(n)
        t_ours, v_ours = timed(partial(metrics.rmg, x, y), repeats=3)
        t_pair, v_pair = timed(partial(metrics.rmg_pairwise, x, y), repeats=1)
        m_ours = peak_mb(partial(metrics.rmg, x, y)) if mem else float("nan")
        m_pair = peak_mb(partial(metrics.rmg_pairwise, x, y)) if mem else float("nan")
        print(
            f"{n:>9,} {t_ours:>9.4f} {t_pair:>11.3f} {t_pair / t_ours:>8.0f}x {abs(v_ours - v_pair):>9.1e} "
            f"{m_ours:>9.1f} {m_pair:>12.1f}",
            flush=True,
        )
        del x, y

    print("\n2. Ours at research scale (input arrays not counted in MB)")
    print(f"{'N':>11} {'RMG s':>8} {'L2M s':>8} {'L2I s':>8} {'RMG':>8} {'RMG MB':>8} {'RSS GB':>7}")
    for n in big_sizes:
        t0 = time.perf_counter()
        x, y = make_pairs(n)
        gen = time.perf_counter() - t0
        t_rmg, v = timed(partial(metrics.rmg, x, y))
        t_l2m, _ = timed(partial(metrics.l2m, x, y))
        t_l2i, _ = timed(partial(metrics.l2i, x, y))
        m = peak_mb(partial(metrics.rmg, x, y)) if mem else float("nan")
        print(
            f"{n:>11,} {t_rmg:>8.2f} {t_l2m:>8.2f} {t_l2i:>8.2f} {v:>8.4f} {m:>8.0f} {rss_gb():>7.2f}"
            f"   (data generated in {gen:.1f} s)",
            flush=True,
        )
        del x, y
        gc.collect()

    print("\n3. MOAD (10 object classes x 16 attribute classes, labels uniform at random)")
    print(f"{'N':>11} {'variant':>15} {'seconds':>8} {'MOAD':>9} {'peak MB':>9}")
    for n in big_sizes:
        x, _ = make_pairs(n)
        rng = np.random.default_rng(1)
        obj = rng.integers(0, 10, n)
        att = rng.integers(0, 16, n)
        for official in (False, True):
            name = "official subset" if official else "all pairs"
            if official and n > args.moad_official_max:
                print(f"{n:>11,} {name:>15}  skipped (above --moad-official-max)")
                continue
            t, v = timed(partial(metrics.moad, x, obj, att, exact_official=official))
            m = peak_mb(partial(metrics.moad, x, obj, att, exact_official=official)) if mem else float("nan")
            print(f"{n:>11,} {name:>15} {t:>8.2f} {v:>9.5f} {m:>9.0f}", flush=True)
        del x
        gc.collect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
