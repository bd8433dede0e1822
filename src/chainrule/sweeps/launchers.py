"""What a sweep does differently for each Hydra launcher — decided here, and only here.

:class:`Launcher` names the launcher a sweep runs with (basic, joblib, submitit's local
executor, SLURM) and answers everything the rest of the code asks about it; :func:`searches`
says whether the sweeper searches (Optuna) rather than walks a grid. Besides:

- how many BLAS threads each job may use, so that parallel jobs do not oversubscribe the cores;
- joblib's worker processes forked from a process that imported what a job needs once, as the
  sweep begins, instead of each importing it after Hydra hands joblib the first job.

Only light imports here: :func:`preload_workers` runs before the launching process imports
MLflow, so that the workers' imports happen at the same time.
"""

from __future__ import annotations

import enum
import os
import shutil
import signal
import subprocess

from omegaconf import DictConfig

from chainrule.errors import ConfigError
from chainrule.runtime import process


class Launcher(enum.Enum):
    """The Hydra launcher of a sweep, by the class its ``hydra.launcher._target_`` names."""

    BASIC = "BasicLauncher"  # Hydra's own: the jobs one after the other, in the launching process
    JOBLIB = "JoblibLauncher"  # joblib's worker processes on this machine (hydra/launcher=joblib)
    SUBMITIT_LOCAL = "LocalLauncher"  # a process per job through submitit (hydra/launcher=local)
    SLURM = "SlurmLauncher"  # a SLURM job array through submitit (hydra/launcher=slurm)
    OTHER = "another launcher"  # any other Hydra launcher: nothing particular is done for it

    @classmethod
    def of(cls, hydra: DictConfig) -> "Launcher":
        """The launcher of a config's ``hydra`` node (``config.hydra``, or ``HydraConfig.get()`` in a job)."""
        target = str(hydra.launcher.get("_target_", ""))
        return next((launcher for launcher in cls if target.endswith(f".{launcher.value}")), cls.OTHER)

    @property
    def runs_jobs_here(self) -> bool:
        """Whether the jobs run in the launching process (which then has the figure helper draw theirs)."""
        return self is Launcher.BASIC

    @property
    def through_submitit(self) -> bool:
        """Whether each job is a process submitit started (locally or as a SLURM job)."""
        return self in (Launcher.SUBMITIT_LOCAL, Launcher.SLURM)

    @property
    def figure_helper(self) -> str | None:
        """How the sweep's figure helper is made (:func:`chainrule.plots.helper.start`), or None.

        ``"fork"`` for the basic launcher: a copy of the launching process, started with the sweep,
        draws every run's figures while the next one trains. ``"forkserver"`` for joblib: made at the
        end from the server the workers come from (matplotlib imported there already), it draws the
        sweep's own figures, so that the launching process never imports matplotlib. Jobs in their
        own processes draw their figures in place, as do submitit sweeps' launching processes.
        """
        return {Launcher.BASIC: "fork", Launcher.JOBLIB: "forkserver"}.get(self)

    @property
    def stop_signals(self) -> tuple[signal.Signals, ...]:
        """Signals, besides SIGINT and SIGTERM, that end a job's run KILLED with its history so far.

        For SLURM, the signal submitit asks the scheduler to send ``signal_delay_s`` seconds before
        a job's time limit, and at a preemption (``--signal=USR2@…``). submitit's own handler would
        raise an error in the middle of training (a FAILED run, its history cut), or requeue the job:
        Hydra's job is "checkpointable", but only by running it again from the start, as a second
        run. A stopped job is not requeued here: the sweep reports it (:func:`why_stopped`).
        """
        if self is not Launcher.SLURM:
            return ()
        return (signal.Signals[f"SIG{os.environ.get('SUBMITIT_PREEMPT_SIGNAL', 'USR2')}"],)

    def check_available(self) -> None:
        """ConfigError if this launcher cannot submit from here (SLURM without ``sbatch`` on PATH):
        before the sweep creates anything, rather than a traceback after its parent run exists."""
        if self is Launcher.SLURM and shutil.which("sbatch") is None:
            raise ConfigError("hydra/launcher=slurm (LAUNCHER=slurm) submits the jobs with sbatch, which is not "
                              "on PATH: run the sweep on a SLURM login node, or on this machine with JOBS=2 (joblib)")


def why_stopped(launcher: Launcher, signal_name: str) -> str:
    """What stopped a job by a signal, in the words of the line the parent run keeps for it.

    A SLURM job asks the scheduler (``scontrol``): scancel, a time limit and a preemption all send
    SIGTERM, and the job is then COMPLETING, with reason ``TimeLimit`` at a time limit; SIGUSR2
    before the limit is SLURM's warning (:attr:`Launcher.stop_signals`).
    """
    if launcher is not Launcher.SLURM or (job := process.slurm_job()) is None:
        return f"stopped by {signal_name}"
    state, reason = _slurm_state(job)
    if state == "TIMEOUT" or reason == "TimeLimit":
        why = "it passed its time limit (hydra.launcher.timeout_min)"
    elif state == "PREEMPTED" or reason.startswith("Preempt"):
        why = "it was preempted"
    elif signal_name == "SIGTERM" and state in ("CANCELLED", "COMPLETING"):
        why = "it was cancelled (scancel)"  # ending, with no time limit or preemption behind it
    elif signal_name in {s.name for s in launcher.stop_signals}:
        why = "SLURM's warning that its time limit (hydra.launcher.timeout_min) is near, or a preemption"
    else:
        why = "SLURM does not say why"
    return f"SLURM job {job} stopped by {signal_name}: {why} (job state {state or 'unknown'})"


def _slurm_state(job: str) -> tuple[str, str]:
    """A job's state and reason as slurmctld has them now (``COMPLETING``, ``TimeLimit``…); empty if it cannot say."""
    try:
        shown = subprocess.run(["scontrol", "--oneliner", "show", "job", job], capture_output=True, text=True,
                               timeout=20)
    except (OSError, subprocess.SubprocessError):
        return "", ""
    fields = dict(field.split("=", 1) for field in shown.stdout.split() if "=" in field)
    return fields.get("JobState", ""), fields.get("Reason", "")


def searches(hydra: DictConfig) -> bool:
    """Whether the sweeper of a config's ``hydra`` node searches (Optuna's trials: a diverged trial must
    be told it failed, the objective is plotted per trial) rather than walking a grid."""
    return str(hydra.sweeper.get("_target_", "")).endswith(".OptunaSweeper")


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


def preload_workers(config: DictConfig) -> None:
    """With joblib's launcher, have its workers forked from a process that has imported what a job needs.

    joblib's default (loky) starts each worker as a new Python process, which spends seconds
    importing MLflow, scikit-learn and matplotlib before its first job: N workers import N times,
    on cores the sweep wants for training. Here loky forks its workers instead from a server
    process (multiprocessing's "forkserver") that imports :mod:`chainrule.sweeps.worker_imports` once, at
    the start of the sweep, while this process imports MLflow and creates the parent run. Each
    worker then starts with all of it loaded, sharing those pages with the server. The server is
    a fresh interpreter, not a copy of this process: it holds no database connection and no thread
    of ours, so forking it is safe, unlike forking this process. It ends with this process.

    Call :func:`limit_blas_threads` first: the server, and so every worker, takes this process's
    environment as it is now (NumPy reads the BLAS thread count when it is imported, in the server).
    """
    if Launcher.of(config.hydra) is not Launcher.JOBLIB:
        return
    import multiprocessing.forkserver

    from joblib.externals.loky.backend.context import set_start_method

    multiprocessing.set_forkserver_preload(["chainrule.sweeps.worker_imports"])
    set_start_method("forkserver", force=True)  # loky's start method for the workers it creates from now on
    multiprocessing.forkserver.ensure_running()  # starts the server now; it imports while this process goes on
