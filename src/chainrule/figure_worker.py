"""A run's figures, drawn and logged either right away or by a helper process.

In a sequential sweep (Hydra's basic launcher) every job runs in the launching process, one
after the other, and drawing a run's figures (four PNGs, about a fifth of a second) is a large
share of each job's cost, on a single core. :func:`start` (called by the sweep callback in that
case) opens one helper process; from then on :func:`log` hands it the figures of the run that
just trained — which :mod:`chainrule.plots` functions draw them, and their data — and returns,
so the next run trains while the helper draws and uploads them to the finished run's artifact
location. The sweep's own figures go the same way, and :func:`finish` waits for all of them
before the parent run is closed. Jobs in joblib or submitit workers, which already run side by
side, draw their runs' figures in place, as a single run does; a joblib sweep starts a helper
at its end for its own figures.

Figures are named by their plots function rather than passed as functions, so that only a
process that draws imports matplotlib: in a sequential sweep that is the helper alone, which
imports it while the sweep prepares; in a joblib sweep, the server its workers and its helper
are forked from.

If drawing fails in the helper, the run keeps its status and gets the tag
``chainrule.figures_error``; the error is also logged.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import tempfile
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

logger = logging.getLogger("chainrule")

FigureSpecs = dict[str, tuple[str, tuple]]
"""Figure name → (name of the :mod:`chainrule.plots` function that draws it, its positional arguments)."""

_helper: ProcessPoolExecutor | None = None
_pending: list[tuple[str, Future]] = []  # (run id, upload of its figures), oldest first


def start(method: str = "fork") -> None:
    """Draw figures in a helper process from now on (idempotent).

    Parameters
    ----------
    method : {"fork", "forkserver"}
        How the helper is made. ``"fork"``: a copy of this process, for a sequential sweep, made
        before its first job. ``"forkserver"``: forked from the server that joblib's workers come
        from (:func:`chainrule.launchers.preload_workers`), which has matplotlib imported already:
        for a parallel sweep's own figures, at its end, so that the launching process does not
        import matplotlib for them.
    """
    global _helper
    if _helper is None:
        # Forked, the helper starts with everything already imported (a spawned one would spend
        # seconds importing matplotlib and MLflow again). With "fork" it is a copy of this
        # process, made while this process has no other thread. It never touches the database connections it inherits (it
        # only writes artifact files, or uploads them over HTTP through a session MLflow keys by
        # process id), and a forked multiprocessing child ends with os._exit, so it never
        # closes them either.
        _helper = ProcessPoolExecutor(1, multiprocessing.get_context(method), initializer=_serve)
        _helper.submit(int).result()  # start it
        if method == "fork":
            _helper.submit(_import_plots)  # matplotlib, while the sweep prepares and the first run trains


def log(figures: FigureSpecs, run_id: str | None = None) -> None:
    """Log ``figures`` as ``figures/<name>.png`` of run ``run_id`` (default: the active run): in
    the helper if started."""
    run = mlflow.active_run() if run_id is None else MlflowClient().get_run(run_id)
    if _helper is not None:
        try:
            future = _helper.submit(_draw_and_upload, figures, run.info.artifact_uri, mlflow.get_tracking_uri())
        except BrokenProcessPool:
            logger.warning("the figure helper process has died; drawing figures in this process")
            _collect(wait=True)  # what it had not drawn yet is recorded on those runs
            _reset()
        else:
            _pending.append((run.info.run_id, future))
            _collect(wait=False)
            return
    with tempfile.TemporaryDirectory() as tmp:
        _draw(figures, Path(tmp))
        MlflowClient().log_artifacts(run.info.run_id, tmp, "figures")


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
    """Report failed uploads (oldest first); with ``wait``, of every pending one."""
    while _pending and (wait or _pending[0][1].done()):
        run_id, future = _pending.pop(0)
        if future.cancelled():
            continue
        error = future.exception()
        if error is not None:
            message = f"{type(error).__name__}: {error}"
            logger.error("figures of run %s not logged: %s", run_id, message)
            MlflowClient().set_tag(run_id, "chainrule.figures_error", message[:5000])


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


def _import_plots() -> None:
    import chainrule.plots  # noqa: F401


def _draw_and_upload(figures: FigureSpecs, artifact_uri: str, tracking_uri: str) -> None:
    """In the helper: draw every figure to a PNG and upload them to ``artifact_uri``/figures.

    A figure that cannot be drawn does not keep the others from the run; the errors are
    raised together afterwards, for :func:`_collect` to record.
    """
    mlflow.set_tracking_uri(tracking_uri)  # resolves mlflow-artifacts: URIs of a tracking server
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec in figures.items():
            try:
                _draw({name: spec}, Path(tmp))
            except Exception as error:
                errors.append(f"{name}: {type(error).__name__}: {error}")
        if any(Path(tmp).iterdir()):
            get_artifact_repository(artifact_uri).log_artifacts(tmp, "figures")
    if errors:
        raise RuntimeError("; ".join(errors))


def _draw(figures: FigureSpecs, folder: Path) -> None:
    from chainrule import plots  # matplotlib: here, in the process that draws

    for name, (function, args) in figures.items():
        # zlib's fastest level: 7 % of the drawing time saved for PNGs 3 % larger (measured here)
        getattr(plots, function)(*args).savefig(folder / f"{name}.png", pil_kwargs={"compress_level": 1})
