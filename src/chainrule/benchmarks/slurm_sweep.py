"""The same sweep through a real SLURM scheduler and through joblib: what the scheduler costs per job.

The SLURM side is a throw-away single-node cluster (:func:`chainrule.runtime.slurm.throwaway_cluster`,
``make slurm`` installs it) whose node has this machine's CPUs, its job array capped at the same
number of jobs at once as joblib has workers (``hydra.launcher.array_parallelism``). Both sweeps
run as real subprocesses into fresh SQLite stores, alternating repetition by repetition; the
cluster's start-up is not timed. Overhead per job is (SLURM's wall time − joblib's) / jobs:
submitting the array, the scheduler starting each task, a fresh Python process per job (joblib's
workers import once), and submitit collecting each result.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from chainrule.benchmarks.pipeline_speed import sweep_times
from chainrule.runtime import slurm


def slurm_overhead(project_root: Path, overrides: list[str], jobs: int, repeats: int) -> list[dict]:
    """Rows of the table: each launcher's median wall time and the scheduler's overhead per job.

    Parameters
    ----------
    project_root : Path
        The checkout whose ``pipelines/train.py`` runs.
    overrides : list of str
        The sweep, as Hydra multirun overrides.
    jobs : int
        joblib's workers, and the most array tasks SLURM runs at once.
    repeats : int
        Sweeps through each launcher, alternating; medians are reported.
    """
    launchers = {
        f"joblib, {jobs} workers": ["hydra/launcher=joblib", f"hydra.launcher.n_jobs={jobs}"],
        f"SLURM job array, {jobs} at a time (throw-away cluster)": [
            "hydra/launcher=slurm", f"hydra.launcher.array_parallelism={jobs}",
            f"hydra.launcher.partition={slurm.PARTITION}", "hydra.launcher.mem_gb=1", "hydra.launcher.timeout_min=30",
        ],
    }
    walls: dict[str, list[float]] = {name: [] for name in launchers}
    with slurm.throwaway_cluster() as cluster:
        for _ in range(repeats):
            for name, extra in launchers.items():
                with tempfile.TemporaryDirectory() as tmp:
                    wall, training, runs = sweep_times(project_root, Path(tmp), [*overrides, *extra],
                                                       env_extra={"SLURM_CONF": cluster.env["SLURM_CONF"]})
                    walls[name].append(wall)
    (joblib, joblib_walls), (scheduler, slurm_walls) = walls.items()
    return [
        {"measure": f"sweep of {runs} runs of {training / runs:.1f} s training each, {joblib}, median of {repeats}",
         "seconds": statistics.median(joblib_walls), "target": None},
        {"measure": f"same sweep, {scheduler}", "seconds": statistics.median(slurm_walls), "target": None},
        {"measure": "  scheduler overhead per job ((SLURM − joblib) / runs, median of the pairs)",
         "seconds": statistics.median((s - j) / runs for s, j in zip(slurm_walls, joblib_walls)), "target": None},
    ]
