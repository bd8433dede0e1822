"""Process-level settings: what an entry point (training, sweeps, benchmarks) sets up once.

- :func:`setup`: SIGTERM handled like Ctrl-C, so a terminated run ends KILLED instead of
  staying RUNNING — the one call at the top of an entry point (and of a sweep's job process);
- :func:`importing`: the garbage collector off while the heavy imports run, then tuned for a
  batch process over a large heap — around the imports, wherever they happen;
- :func:`identity`: this process's host, pid and start time (and SLURM job), recorded on every run so
  that a later start can tell a run whose process died (SIGKILL, a crash) from one still going.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path

_gc_tuned = False

interrupted: str | None = None
"""The signal that interrupted this process ("SIGINT", "SIGTERM"), or None."""


def setup(*, repeats: bool = True, also: tuple[signal.Signals, ...] = ()) -> None:
    """Set up this process for chainrule: SIGINT, SIGTERM (and ``also``) raise KeyboardInterrupt (:func:`stop_on_signals`)."""
    stop_on_signals(repeats=repeats, also=also)


@contextlib.contextmanager
def importing():
    """Run the heavy imports (MLflow, scikit-learn, matplotlib) with the garbage collector off, then
    freeze what they left and collect less often. Only the first use in a process tunes the collector.

    Importing what a job needs leaves ~380,000 objects for the collector to track, nearly all
    alive until exit; its passes over that growing heap are a quarter of the import time here
    (3.9 → 3.0 s) and find little to collect. Python's documentation of :func:`gc.freeze`
    recommends the same for a process that forks workers. Afterwards, MLflow, scikit-learn and
    Hydra leave a large heap of objects that live until exit, and Hydra's config copies and
    SQLAlchemy allocate at a high rate: with CPython's defaults the collector keeps rescanning
    that heap, about a second per 16-run sweep here, much of it in the middle of MLflow calls.
    Reference cycles are still collected; the gen-0 threshold of 10,000 (default 700) only makes
    collections rarer. At exit everything is frozen before the interpreter's final collection.
    (A later freeze would also freeze the garbage of the jobs run since, never to be collected:
    hence once.)
    """
    global _gc_tuned
    if _gc_tuned:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        _gc_tuned = True
        gc.freeze()
        gc.set_threshold(10_000, 10, 10)
        gc.enable()
        atexit.register(gc.freeze)  # registered early, so it runs after the other exit handlers


before_interrupt: Callable[[], None] | None = None
"""Called once, in the main thread, when a signal arrives, before KeyboardInterrupt is raised
(a parallel sweep lets its workers close their runs first)."""


def _interrupt(signum, frame, repeats: bool = True):
    global interrupted, before_interrupt
    if interrupted is not None and not repeats:
        return
    interrupted = signal.Signals(signum).name
    hook, before_interrupt = before_interrupt, None
    if hook is not None:
        hook()
    raise KeyboardInterrupt(f"interrupted by {interrupted}")


def stop_on_signals(repeats: bool = True, also: tuple[signal.Signals, ...] = ()) -> None:
    """Turn SIGINT and SIGTERM (and the signals ``also`` names) into KeyboardInterrupt, remembering which one arrived.

    Python's default SIGTERM ends the process on the spot: no ``finally``, no ``atexit``,
    and MLflow runs left RUNNING. As an exception it unwinds like Ctrl-C: the run in
    progress and its sweep end KILLED, with what was logged so far.

    Parameters
    ----------
    repeats : bool
        False: only the first signal interrupts; later ones are ignored, so they cannot cut
        short the closing of the run. For a sweep's worker process, which may get a signal
        twice: from the terminal (Ctrl-C reaches the whole process group) and passed on by
        the launching process. Interactive processes keep True: a second Ctrl-C still stops them.
    also : tuple of signal.Signals
        Further signals that stop the process the same way (a SLURM job's warning before its
        time limit: :attr:`chainrule.sweeps.launchers.Launcher.stop_signals`).
    """
    handler = _interrupt if repeats else functools.partial(_interrupt, repeats=False)
    for signum in (signal.SIGINT, signal.SIGTERM, *also):
        signal.signal(signum, handler)


def _start_ticks(pid: int) -> str | None:
    """A process's start time in clock ticks since boot (Linux), which tells a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the command name


def slurm_job() -> str | None:
    """The SLURM job this process runs in, as ``squeue`` and ``scancel`` name it (``<array job>_<task>``
    for a task of a job array), or None outside SLURM."""
    array, task = os.environ.get("SLURM_ARRAY_JOB_ID"), os.environ.get("SLURM_ARRAY_TASK_ID")
    return f"{array}_{task}" if array and task else os.environ.get("SLURM_JOB_ID")


def identity() -> dict[str, str]:
    """Tags naming this process: host, pid, (on Linux) its start time, and its SLURM job if it has one
    (so that a run on a cluster can be found in ``squeue``, or cancelled)."""
    tags = {"chainrule.host": socket.gethostname(), "chainrule.pid": str(os.getpid())}
    if (start := _start_ticks(os.getpid())) is not None:
        tags["chainrule.pid_start"] = start
    if (job := slurm_job()) is not None:
        tags["chainrule.slurm_job"] = job
    return tags


def send_signal(tags: dict[str, str], signum: int) -> bool:
    """Send ``signum`` to the process the tags name if it is alive on this host; True if sent."""
    if tags.get("chainrule.host") != socket.gethostname() or "chainrule.pid" not in tags or is_gone(tags):
        return False
    try:
        os.kill(int(tags["chainrule.pid"]), signum)
    except ProcessLookupError:  # ended in between
        return False
    return True


def is_gone(tags: dict[str, str]) -> bool:
    """True when the process the tags name has ended (on this host; other hosts are unknown)."""
    if tags.get("chainrule.host") != socket.gethostname() or "chainrule.pid" not in tags:
        return False
    pid = int(tags["chainrule.pid"])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, owned by someone else
    recorded = tags.get("chainrule.pid_start")
    return recorded is not None and _start_ticks(pid) not in (None, recorded)
