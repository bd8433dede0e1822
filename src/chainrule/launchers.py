"""What a sweep does differently for each Hydra launcher.

- How many BLAS threads each job may use, so that parallel jobs do not oversubscribe the cores.
- Whether the jobs run one after the other in the launching process (Hydra's basic launcher).
- joblib's worker processes started as the sweep begins, while the launching process is still
  importing and preparing the sweep, instead of when Hydra hands joblib the first job.

Only light imports here: :func:`prestart_workers` runs before the launching process imports
MLflow, so that its workers import MLflow and scikit-learn at the same time.
"""

from __future__ import annotations

import os
import threading

from omegaconf import DictConfig, OmegaConf

BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def blas_threads_per_job(launcher: DictConfig) -> int | None:
    """How many BLAS threads each job of a launcher may use.

    Parameters
    ----------
    launcher : DictConfig
        ``hydra.launcher``. submitit's (``local``, ``slurm``) gives each job ``cpus_per_task``
        CPUs; joblib's shares this machine's cores between ``n_jobs`` workers (-1: all cores).

    Returns
    -------
    int or None
        Threads per job; None for a launcher that runs one job at a time (the basic one), which
        leaves the threads alone: every core is that job's.
    """
    cpus = launcher.get("cpus_per_task")
    if isinstance(cpus, int) and cpus > 0:
        return cpus
    workers = launcher.get("n_jobs")
    if not isinstance(workers, int) or workers in (0, 1):
        return None
    cores = os.cpu_count() or 1
    workers = cores + 1 + workers if workers < 0 else workers  # joblib: -1 = all cores
    return max(1, cores // workers)


def limit_blas_threads(config: DictConfig) -> None:
    """Give each parallel job :func:`blas_threads_per_job` BLAS threads, instead of every job
    taking all the cores (oversubscription).

    Set in this process's environment, which the jobs inherit: joblib's workers and submitit's
    local jobs are its child processes, and ``sbatch`` passes it on to SLURM jobs (its default
    ``--export=ALL``). OpenBLAS reads it once, when a process loads NumPy, so it has to be there
    before the job's process starts. Settings already in the environment win.
    """
    threads = blas_threads_per_job(config.hydra.launcher)
    if threads is not None:
        for variable in BLAS_THREADS:
            os.environ.setdefault(variable, str(threads))


def runs_jobs_here(config: DictConfig) -> bool:
    """True when the launcher runs the jobs one after the other in this process (Hydra's basic one)."""
    return config.hydra.launcher.get("_target_", "").endswith(".BasicLauncher")


def prestart_workers(config: DictConfig) -> None:
    """With joblib's launcher, start its worker processes now and have each import what a job needs.

    A joblib worker is a new Python process: before its first job it spends seconds importing
    MLflow, scikit-learn and Hydra. Started by Hydra's launcher, that happens after
    this process has done the same imports, opened the store and composed every job's config:
    seconds in which one core works and the other waits. Started here, as the sweep begins, the
    workers import while this process does. joblib keeps its worker processes between calls
    with the same settings (its "reusable executor"), so the launcher's own call then finds them
    ready. The warm-up runs in a background thread, which waits for it; with settings that do not
    match (none here: they are the launcher's own) joblib would just start new workers.

    Call :func:`limit_blas_threads` first: the workers take this process's environment as it is now.
    """
    launcher = config.hydra.launcher
    if not launcher.get("_target_", "").endswith(".JoblibLauncher"):
        return
    from hydra_plugins.hydra_joblib_launcher._core import process_joblib_cfg
    from joblib import Parallel, delayed, effective_n_jobs

    settings = OmegaConf.to_container(launcher, resolve=True)
    settings.pop("_target_")
    settings["backend"] = "loky"  # what the launcher does to its settings before Parallel(...)
    process_joblib_cfg(settings)
    # One warm-up per worker, but no more than one per core: a worker beyond the cores only
    # waits for a free core anyway, and would import for nothing if the sweep is short.
    warm_ups = min(effective_n_jobs(settings["n_jobs"]), os.cpu_count() or 1)
    threading.Thread(
        target=Parallel(**settings), args=([delayed(preload)() for _ in range(warm_ups)],),
        name="joblib-prestart", daemon=True,
    ).start()


def preload() -> int:
    """In a worker: import what every job imports; returns the worker's process id."""
    import mlflow.pyfunc  # noqa: F401  (logging a model)
    import mlflow.store.tracking.sqlalchemy_store  # noqa: F401  (MLflow opens the store)

    import chainrule.pipeline  # noqa: F401  (MLflow, scikit-learn, the core; matplotlib comes with the first figure)

    return os.getpid()
