"""The figure helper: a process that draws a sweep's figures while the next run trains.

In a sequential sweep (Hydra's basic launcher) every job runs in the launching process, one
after the other, and drawing a run's figures (four PNGs, about a fifth of a second) is a large
share of each job's cost, on a single core. After :func:`start`, :func:`draw` hands the helper
the figures of the run that just trained and returns, so the next run trains while the helper
draws them and hands the PNGs to ``deliver`` (which uploads them to the run); :func:`finish`
waits for all of them before the sweep's parent run is closed. A single run starts one too, to
draw its figures while it logs its model and histories. Without a helper (jobs in joblib or
submitit workers, which already run side by side) :func:`draw` draws in place.

The helper is made in one of two ways (:class:`chainrule.sweeps.launchers.Launcher` says which):

- ``"fork"``: a copy of the launching process, made before a sequential sweep's first job (or
  before a single run opens the store), which then imports matplotlib while the sweep prepares
  (or the run trains);
- ``"forkserver"``: forked from the server joblib's workers come from
  (:func:`chainrule.sweeps.launchers.preload_workers`), which has matplotlib imported already:
  for a parallel sweep's own figures, at its end, so that its launching process never imports
  matplotlib (``make bench`` measures what that saves).

This module never imports MLflow: what becomes of the PNGs is the caller's ``deliver`` (a
picklable callable, run in the helper), and a figure the helper could not draw is reported to
the caller's ``failed``. Figures travel as :class:`chainrule.plots.specs.FigureSpec`, checked when
they were described, so the helper only ever draws figures that exist with arguments they take.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from chainrule.plots.specs import FigureSpec

logger = logging.getLogger("chainrule")

Deliver = Callable[[Path], None]
"""Takes a folder of figures as :mod:`chainrule.plots.specs` lays it out (run in the helper when there
is one: it must pickle)."""

_helper: ProcessPoolExecutor | None = None
_pending: list[tuple[Future, Callable[[str], None]]] = []  # (drawing, how to report its failure), oldest first


def start(method: str = "fork") -> None:
    """Draw figures in a helper process from now on (idempotent).

    Parameters
    ----------
    method : {"fork", "forkserver"}
        How the helper is made (see the module's docstring).
    """
    global _helper
    if _helper is None:
        # Forked, the helper starts with everything already imported (a spawned one would spend
        # seconds importing matplotlib and MLflow again). With "fork" it is a copy of this
        # process, made while this process has no other thread. It never touches the database
        # connections it inherits (it only writes artifact files, or uploads them over HTTP
        # through a session MLflow keys by process id), and a forked multiprocessing child ends
        # with os._exit, so it never closes them either.
        _helper = ProcessPoolExecutor(1, multiprocessing.get_context(method), initializer=_serve)
        _helper.submit(int).result()  # start it
        if method == "fork":
            _helper.submit(_load_backend)  # matplotlib, while the sweep prepares and the first run trains


def started() -> bool:
    """Whether a helper draws the figures now."""
    return _helper is not None


def draw(figures: Sequence[FigureSpec], deliver: Deliver, failed: Callable[[str], None]) -> None:
    """Draw ``figures`` as ``<name>.png`` and hand the folder to ``deliver``: in the helper if started
    (``failed`` then hears of a figure it could not draw), else here (an error then raises)."""
    if _helper is not None:
        try:
            future = _helper.submit(_draw_and_deliver, list(figures), deliver)
        except BrokenProcessPool:
            logger.warning("the figure helper process has died; drawing figures in this process")
            _collect(wait=True)  # what it had not drawn yet is reported for those runs
            _reset()
        else:
            _pending.append((future, failed))
            _collect(wait=False)
            return
    with tempfile.TemporaryDirectory() as tmp:
        for spec in figures:
            spec.save(Path(tmp))
        deliver(Path(tmp))


def finish(cancel: bool = False) -> None:
    """Wait for the figures still being drawn (``cancel``: only for those already started) and
    stop the helper. Safe to call when none was started."""
    if _helper is None:
        return
    _helper.shutdown(wait=True, cancel_futures=cancel)
    _collect(wait=True)
    _reset()


def _reset() -> None:
    global _helper
    _helper = None
    _pending.clear()


def _collect(wait: bool) -> None:
    """Report failed drawings (oldest first); with ``wait``, of every pending one."""
    while _pending and (wait or _pending[0][0].done()):
        future, failed = _pending.pop(0)
        if future.cancelled():
            continue
        error = future.exception()
        if error is not None:
            failed(f"{type(error).__name__}: {error}")


def _serve() -> None:
    """Set up the helper: it ends with the process that started it, whatever happens to that one.

    Ctrl-C reaches the whole process group: the helper ignores it (and SIGTERM) and leaves it to
    the launching process to decide, through :func:`finish`, what is still drawn. If that
    process is killed outright it cannot say so, and the helper's queue never reports it:
    a watcher thread notices the helper has a new parent and ends it. (Made by a fork server,
    the helper's parent is that server, which ends with the launching process.)
    """
    parent = os.getppid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _load_backend() -> None:
    from chainrule.plots import figures

    figures.load_backend()


def _draw_and_deliver(figures: list[FigureSpec], deliver: Deliver) -> None:
    """In the helper: draw every figure to a PNG and deliver them.

    A figure that cannot be drawn does not keep the others from the run; the errors are
    raised together afterwards, for :func:`_collect` to report.
    """
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        for spec in figures:
            try:
                spec.save(Path(tmp))
            except Exception as error:
                errors.append(f"{spec.name}: {type(error).__name__}: {error}")
        if any(Path(tmp).iterdir()):
            deliver(Path(tmp))
    if errors:
        raise RuntimeError("; ".join(errors))
