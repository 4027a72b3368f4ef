"""Per-lesson budget: run every lesson notebook in a fresh kernel, measure time and memory.

    python tools/budget.py                      # all of lessons/ and solutions/  (= make budget)
    python tools/budget.py --only 01            # notebooks whose name contains "01"
    python tools/budget.py --max-mb 1024 --max-s 90 --json _run/budget.json

For each notebook (both forms, found anew each run: every ``NN_*.ipynb``) this starts a
new kernel with nbclient, executes all cells (cells tagged ``raises-exception`` -- the
exercise stubs -- may raise), and measures

* wall time from kernel start to the last cell (kernel start-up included, as for a learner);
* peak resident memory of the kernel's process tree: the largest sum of RSS over the kernel
  and its children, sampled every ``--interval`` s, and at least the kernel's own high-water
  mark ``VmHWM`` from /proc (exact for the kernel process; sampling can miss short spikes of
  children);
* the slowest cell (index into the notebook, seconds), and the cell during which the sampled
  peak occurred (``peak_cell``) with each cell's sampled peak (``cell_peaks_mb``): what to profile
  when a lesson goes over.

It prints a table and exits 1 when a lesson fails to run, takes longer than ``--max-s`` or
needs more than ``--max-mb`` (defaults: mybinder.org's guaranteed 1 GB and the course's 90 s).
Executed notebooks go to ``_run/<form>/`` (git-ignored). The kernel runs like a learner's
(issue 14 §6): real widgets (``MODGAP_WIDGETS`` is removed from its environment; ``--static-widgets``
only for comparison), inline matplotlib backend, a fresh kernel per notebook, offline
(``HF_HUB_OFFLINE=1``), with at most 2 threads.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMS = ("lessons", "solutions")
MB = 1024 * 1024


@dataclass
class Result:
    notebook: str
    wall_s: float = 0.0
    peak_mb: float = 0.0
    sampled_mb: float = 0.0
    kernel_hwm_mb: float = 0.0
    slowest_cell: int = -1
    slowest_cell_s: float = 0.0
    peak_cell: int = -1
    cell_peaks_mb: dict[int, float] = field(default_factory=dict)
    cell_s: dict[int, float] = field(default_factory=dict)
    error: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error and not self.problems


def discover(root: Path, only: str | None = None) -> list[Path]:
    found = sorted(p for form in FORMS for p in (root / form).glob("[0-9][0-9]_*.ipynb"))
    return [p for p in found if only is None or only in p.name]


def vm_hwm_bytes(pid: int) -> int:
    """Peak resident set size ('high-water mark') of one process, from /proc (0 if unavailable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and its descendants until stopped."""

    def __init__(self, get_pid, interval: float):
        super().__init__(daemon=True)
        self.get_pid, self.interval = get_pid, interval
        self.peak = 0
        self.cell = -1  # the cell running now (set by the client's hooks); -1 before the first
        self.cell_peaks: dict[int, int] = {}
        self.pid: int | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        import psutil

        proc = None
        while not self._stop_event.is_set():
            if proc is None:
                pid = self.get_pid()
                if pid:
                    self.pid = pid
                    try:
                        proc = psutil.Process(pid)
                    except psutil.NoSuchProcess:
                        proc = None
            if proc is not None:
                self.record(self.tree_rss(proc))
            self._stop_event.wait(self.interval)

    def sample_now(self, pid: int | None) -> None:
        """One reading now, for the cell running now: every executed cell gets a peak, even one shorter
        than the sampling interval."""
        import psutil

        if not pid:
            return
        try:
            self.record(self.tree_rss(psutil.Process(pid)))
        except psutil.NoSuchProcess:
            pass

    def record(self, rss: int) -> None:
        cell = self.cell
        self.cell_peaks[cell] = max(self.cell_peaks.get(cell, 0), rss)
        self.peak = max(self.peak, rss)

    def peak_cell(self, slack: int = 8 * MB) -> int:
        """The first cell whose sampled peak comes within ``slack`` of the notebook's peak (the cells after
        it often keep that memory alive; the first is the one to look at)."""
        near = [cell for cell, rss in self.cell_peaks.items() if rss >= self.peak - slack]
        return min(near) if near else -1

    @staticmethod
    def tree_rss(proc) -> int:
        import psutil

        total = 0
        try:
            procs = [proc] + proc.children(recursive=True)
        except psutil.NoSuchProcess:
            return 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


def kernel_pid(client) -> int | None:
    km = getattr(client, "km", None)
    provisioner = getattr(km, "provisioner", None) if km is not None else None
    return getattr(provisioner, "pid", None) if provisioner is not None else None


def slice_shell_waits(client, step: float = 0.5) -> None:
    """Wait for shell replies in short slices instead of one long wait (a guard, kept after the fix).

    Issue 14 §3, root cause found: in a widget cell nbclient emulates the ``Output`` widget of
    ``ipywidgets.interactive`` and sends its state (``comm_msg``) on the shell channel while it waits
    for the cell's ``execute_reply`` on that same zmq.asyncio socket; now and then that wait is never
    woken although the reply has arrived (seen: kernel idle, the client's shell socket has POLLIN set
    while its zmq FD is not readable and one ``poll`` future is pending; calling the socket's
    ``_handle_events`` resumes the run). jupyter/nbclient#312 describes the same. ``widgets.demo``
    no longer uses an Output widget (``DemoWidget``); polling in ``step``-second slices would still
    pick such a reply up at once.
    """
    from queue import Empty

    channel = client.kc.shell_channel
    wait_once = channel.get_msg

    async def get_msg(timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = step if deadline is None else min(step, max(0.0, deadline - time.monotonic()))
            try:
                return await wait_once(timeout=left)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    channel.get_msg = get_msg


@contextlib.contextmanager
def learner_environment(static_widgets: bool = False):
    """The environment a kernel started inside inherits: a learner's (offline, at most 2 threads, inline
    matplotlib backend, real widgets unless ``static_widgets``). The caller's environment is restored after."""
    saved = dict(os.environ)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    os.environ.pop("MPLBACKEND", None)
    os.environ.pop("MODGAP_WIDGETS", None)
    if static_widgets:
        os.environ["MODGAP_WIDGETS"] = "static"
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_one(path: Path, out_dir: Path, timeout: float, interval: float) -> Result:
    import nbclient
    import nbformat

    result = Result(notebook=f"{path.parent.name}/{path.name}")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    cell_started: dict[int, float] = {}
    hwm = {"bytes": 0}

    def on_start(cell, cell_index):
        cell_started[cell_index] = time.monotonic()
        sampler.cell = cell_index

    def on_executed(cell, cell_index, execute_reply=None):
        took = time.monotonic() - cell_started.get(cell_index, time.monotonic())
        result.cell_s[cell_index] = round(took, 3)
        if took > result.slowest_cell_s:
            result.slowest_cell, result.slowest_cell_s = cell_index, took
        pid = kernel_pid(client)
        sampler.sample_now(pid)  # before the next cell starts: this reading belongs to cell_index
        if pid:
            hwm["bytes"] = max(hwm["bytes"], vm_hwm_bytes(pid))

    client.on_cell_execute = on_start
    client.on_cell_executed = on_executed
    client.on_notebook_start = lambda notebook: slice_shell_waits(client)
    sampler = TreeSampler(lambda: kernel_pid(client), interval)
    sampler.start()
    start = time.monotonic()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        lines = [ln for ln in str(exc).splitlines() if ln.strip()]
        result.error = lines[-1][:160] if lines else "cell execution error"
    except Exception as exc:  # timeouts, dead kernel (e.g. killed for memory)
        result.error = f"{type(exc).__name__}: {str(exc)[:160]}"
    finally:
        result.wall_s = time.monotonic() - start
        sampler.stop()
    result.sampled_mb = sampler.peak / MB
    result.peak_cell = sampler.peak_cell()
    result.cell_peaks_mb = {i: round(b / MB, 1) for i, b in sorted(sampler.cell_peaks.items())}
    result.kernel_hwm_mb = hwm["bytes"] / MB
    result.peak_mb = max(result.sampled_mb, result.kernel_hwm_mb)
    target = out_dir / path.parent.name / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return result


def table(results: list[Result], max_mb: float, max_s: float) -> str:
    head = f"{'notebook':44s} {'wall s':>7s} {'peak RSS MB':>12s} {'at cell':>8s} {'slowest cell':>14s}  status"
    lines = [head, "-" * len(head)]
    for r in results:
        slow = f"#{r.slowest_cell} {r.slowest_cell_s:.1f}s" if r.slowest_cell >= 0 else "-"
        status = "ok" if r.ok else "FAIL: " + "; ".join(([r.error] if r.error else []) + r.problems)
        at = f"#{r.peak_cell}" if r.peak_cell >= 0 else "-"
        lines.append(f"{r.notebook:44s} {r.wall_s:7.1f} {r.peak_mb:12.0f} {at:>8s} {slow:>14s}  {status}")
    lines.append(f"limits: {max_s:.0f} s and {max_mb:.0f} MB per notebook (peak RSS = kernel process tree)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=ROOT, help="course root with lessons/ and solutions/")
    parser.add_argument("--only", help="only notebooks whose file name contains this text")
    parser.add_argument("--max-mb", type=float, default=1024.0, help="peak RSS limit per notebook (default 1024)")
    parser.add_argument("--max-s", type=float, default=90.0, help="wall-time limit per notebook (default 90)")
    parser.add_argument("--cell-timeout", type=float, default=300.0, help="nbclient per-cell timeout in s")
    parser.add_argument("--interval", type=float, default=0.05, help="memory sampling interval in s")
    parser.add_argument("--out", type=Path, default=ROOT / "_run", help="where executed notebooks go")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--static-widgets",
        action="store_true",
        help="MODGAP_WIDGETS=static (figures instead of widgets): for comparison only, learners get real widgets",
    )
    args = parser.parse_args(argv)

    notebooks = discover(args.root.resolve(), args.only)
    if not notebooks:
        print(f"no lesson notebooks (NN_*.ipynb) in {args.root}/lessons or /solutions", file=sys.stderr)
        return 1
    results = []
    for path in notebooks:
        print(f"running {path.parent.name}/{path.name} ...", flush=True)
        with learner_environment(static_widgets=args.static_widgets):
            r = run_one(path, args.out, args.cell_timeout, args.interval)
        if r.wall_s > args.max_s:
            r.problems.append(f"{r.wall_s:.0f} s > {args.max_s:.0f} s")
        if r.peak_mb > args.max_mb:
            r.problems.append(f"{r.peak_mb:.0f} MB > {args.max_mb:.0f} MB")
        results.append(r)
    print()
    print(table(results, args.max_mb, args.max_s))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    failed = [r.notebook for r in results if not r.ok]
    if failed:
        print(f"\nover budget or failing: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
