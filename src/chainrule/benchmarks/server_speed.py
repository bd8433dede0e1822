"""Per-run logging overhead of one sweep: the embedded SQLite store against MLflow's tracking server.

The same sweep of ``pipelines/train.py`` runs as a real subprocess into each, alternating
repetition by repetition so machine noise hits both alike. The server is ``pipelines/server.py``
(``make server``: ``mlflow server`` over SQLite, artifacts uploaded through it), started once
before the first sweep and stopped after the last; its start-up is not timed. Overhead per run
is (wall time − Σ pure training time) / runs, as in the pipeline table.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from chainrule.tracking.store import open_store
from chainrule.benchmarks.pipeline_speed import sweep_times
from chainrule.runtime.servers import tracking_server


def _overhead(times: tuple[float, float, int]) -> float:
    wall, training, runs = times
    return (wall - training) / runs


def _median(results: list[tuple[float, float, int]]) -> tuple[float, float, int]:
    """The repetition with the median per-run overhead (the lower one of an even count)."""
    ordered = sorted(results, key=_overhead)
    return ordered[(len(ordered) - 1) // 2]


def _alternate(project_root: Path, folder: Path, overrides: list[str], repeats: int) -> dict[str, list]:
    """``repeats`` sweeps into each store, embedded first then server, in turn."""
    embedded, served = folder / "embedded", folder / "server"
    embedded.mkdir()
    served.mkdir()
    # The server's store is created (migrated) by server.py before it answers; create the
    # embedded one up front too, so neither sweep pays for a schema migration.
    open_store(f"sqlite:///{embedded / 'mlflow.db'}")
    results = {"embedded SQLite store": [], "tracking server over SQLite": []}
    with tracking_server(project_root, served) as (url, _process):
        for _ in range(repeats):
            results["embedded SQLite store"].append(sweep_times(project_root, embedded, overrides))
            results["tracking server over SQLite"].append(sweep_times(project_root, served, overrides, url))
    return results


def server_overhead(project_root: Path, overrides: list[str], repeats: int, max_ratio: float) -> list[dict]:
    """Rows of the table: wall, training and overhead per run for each store, and their ratio.

    Parameters
    ----------
    project_root : Path
        The checkout whose ``pipelines/`` run.
    overrides : list of str
        The sweep, as Hydra multirun overrides.
    repeats : int
        Sweeps into each store; the repetition with the median overhead is reported.
    max_ratio : float
        Target: the server's overhead per run at most this multiple of the embedded store's.
    """
    with tempfile.TemporaryDirectory() as tmp:
        results = _alternate(project_root, Path(tmp), overrides, repeats)
    rows, overheads = [], []
    for store, times in results.items():
        wall, training, runs = _median(times)
        overheads.append(_overhead((wall, training, runs)))
        rows.append({"measure": f"sweep of {runs} runs, {store} (median of {repeats}): wall time", "seconds": wall, "target": None})
        rows.append({"measure": "  of which pure training", "seconds": training, "target": None})
        rows.append({"measure": "  overhead per run", "seconds": overheads[-1], "target": None})
    rows.append({"measure": "server / embedded overhead per run (ratio, not seconds)",
                 "seconds": overheads[1] / overheads[0], "target": max_ratio})
    return rows
