"""One MLflow parent run per Hydra multirun, with every job a child run under it.

:class:`MlflowSweep` is a Hydra callback (``hydra.callbacks`` in ``conf/config.yaml``). In the
launching process, before any job, it initialises the store and creates the parent run — so
parallel workers never race to create either. When the sweep ends it gives the parent the
comparison figure, a summary table and the best child (:mod:`chainrule.sweeps.summary`), and closes
it. Hydra skips ``on_multirun_end`` when a job failed, so the same finishing step is also
registered with ``atexit``: the parent never stays RUNNING.

This module imports neither MLflow nor the pipeline at the top: Hydra imports it before the
sweep begins, and with joblib's launcher the sweep first starts the process its workers are
forked from (:func:`chainrule.sweeps.launchers.preload_workers`), which then imports all that while
this process does too. The callback's methods import what they use.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import time
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from chainrule.errors import ConfigError, DivergedTrial
from chainrule.experiment.checks import model_name, validate_objective
from chainrule.runtime import process
from chainrule.sweeps import launchers
from chainrule.sweeps.launchers import Launcher
from chainrule.tracking import PARENT_RUN_ENV

log = logging.getLogger("chainrule")

WORKER_GRACE_SECONDS = 10.0
"""How long an interrupted joblib sweep waits for its workers to close their runs before joblib kills them."""


def project_root(config: DictConfig) -> Path:
    """The folder holding ``conf/``: the primary config source's parent."""
    for source in config.hydra.runtime.config_sources:
        if source.provider == "main" and source.schema == "file":
            return Path(source.path).resolve().parent
    return Path.cwd()


def sweep_name(config: DictConfig) -> str:
    choices = config.hydra.runtime.choices
    named = choices.get("experiment") or choices.get("sweep") or "sweep"
    return f"{named}-{time.strftime('%Y%m%d-%H%M%S')}"


def swept_keys(config: DictConfig) -> list[str]:
    """The keys a multirun sweeps (preset ``hydra.sweeper.params`` and ``a=1,2`` on the command line),
    as the run-param columns they show up in: ``model`` → ``params.model.name``."""
    keys = [str(k) for k in (config.hydra.sweeper.get("params") or {})]
    parsed = OverridesParser.create().parse_overrides(list(config.hydra.overrides.task))
    keys += [o.get_key_element() for o in parsed if o.is_sweep_override()]
    groups = set(config.hydra.runtime.choices)
    return list(dict.fromkeys(f"params.{k}.name" if k in groups else f"params.{k}" for k in keys))


class MlflowSweep(Callback):
    """Parent run of a sweep: created before the first job, finished after the last."""

    def __init__(self) -> None:
        self.parent_id: str | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        # Hydra only warns when a callback raises, and would run every job without a parent run
        # (each failing the same way if the store is the problem): stop the sweep here instead.
        try:
            self.start(config)
        except ConfigError as error:
            log.error("configuration error: %s", error)
            raise SystemExit(2) from None
        except Exception:
            log.exception("the sweep could not start: no job was run")
            raise SystemExit(1) from None

    def start(self, config: DictConfig) -> None:
        """Ready the store, create the parent run and set up how the jobs run."""
        validate_objective(config)  # before any job trains: every one would fail at its end
        Launcher.of(config.hydra).check_available()
        model_name(config, "registry.name")
        launchers.limit_blas_threads(config)  # before any job process starts
        launchers.preload_workers(config)
        with process.importing():  # while joblib's workers' server imports the same
            from mlflow import MlflowClient

            from chainrule.plots import helper
            from chainrule.tracking import access, records, store, uris

        self.uri = store.resolve_uri(config.tracking.uri, project_root(config))
        self.experiment_id = store.use_store(self.uri, config.tracking.experiment)
        self.objective = config.objective
        self.registry = config.registry
        self.base_config = config if "dataset" in config else None  # the jobs' shared settings
        self.keys = swept_keys(config)
        self.searched = launchers.searches(config.hydra)
        self.launcher = Launcher.of(config.hydra)
        # How the sweep's figures are drawn: None in place; else by a helper, made this way.
        self.figure_helper = self.launcher.figure_helper if config.figures.background else None
        if self.figure_helper == "fork":
            helper.start("fork")  # each run's figures drawn while the next one trains
        overrides = list(config.hydra.overrides.task)
        grid = {str(k): str(v) for k, v in (config.hydra.sweeper.get("params") or {}).items()}
        with access.explained(self.uri, config.tracking.experiment):  # a user allowed only to read it: one line
            run = MlflowClient().create_run(
                self.experiment_id,
                run_name=sweep_name(config),
                tags={"chainrule.role": "sweep", "chainrule.overrides": " ".join(overrides)[:5000]} | process.identity(),
            )
        self.parent_id = run.info.run_id
        records.log_params(self.parent_id, {f"sweep.{k}": v for k, v in grid.items()})
        os.environ[PARENT_RUN_ENV] = self.parent_id
        atexit.register(self.finish)
        if self.launcher is Launcher.JOBLIB:
            process.before_interrupt = self.let_workers_close_their_runs
        log.info("sweep parent run %s in %s", run.info.run_name, uris.ui_url(self.uri, self.experiment_id))

    def on_job_start(self, config: DictConfig, **kwargs) -> None:
        # This runs where the job runs, on a copy of this callback that the launcher pickled after
        # on_multirun_start (joblib worker, submitit job, SLURM node). Jobs normally find the
        # parent run and the store in the environment they inherit; on a node that does not get
        # the sweep's environment (sbatch --export=NONE, a profile of its own) they would log
        # unlinked, or to another store. The copy knows both. (joblib's workers, forked from a
        # process started before the parent run existed, learn it only this way.)
        if self.parent_id is not None:
            os.environ[PARENT_RUN_ENV] = self.parent_id
            os.environ["MLFLOW_TRACKING_URI"] = self.uri
        launcher = Launcher.of(config.hydra)  # also for a single run, which has no on_multirun_start
        if launcher is Launcher.JOBLIB:
            if process.interrupted:  # this worker's last job was interrupted: the sweep is ending
                raise KeyboardInterrupt(f"interrupted by {process.interrupted}")
            # The launching process passes a signal on to the workers (let_workers_close_their_runs);
            # after Ctrl-C in a terminal they have it already: the second must not cut the run's closing short.
            process.setup(repeats=False)
        elif launcher.through_submitit:
            # submitit's job process ignores SIGTERM (it waits for SLURM's USR2 instead), but
            # scancel, a time limit or a preemption send SIGTERM, then SIGKILL: end the run KILLED.
            # SLURM's USR2 before the time limit ends it KILLED too (Launcher.stop_signals).
            process.setup(also=launcher.stop_signals)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs) -> None:
        # A job that failed before its MLflow run existed (bad settings, unreadable data) is only
        # known here. This runs wherever the job ran (this process, a joblib worker, a cluster
        # node), so the failure is written to the parent run, where finish() collects it.
        from mlflow import MlflowClient

        from chainrule.tracking import store

        parent = os.environ.get(PARENT_RUN_ENV)
        error = job_return._return_value  # the exception of a failed job; .return_value would re-raise it
        if job_return.status == JobStatus.FAILED and parent and not isinstance(error, DivergedTrial):
            line = f"{' '.join(job_return.overrides)}: {type(error).__name__}: {error}\n"
            uri = store.resolve_uri(config.tracking.uri, project_root(config))
            MlflowClient(uri).set_tag(parent, f"chainrule.failed_job.{config.hydra.job.num}", line[:5000])

    def let_workers_close_their_runs(self) -> None:
        """On SIGINT or SIGTERM in a joblib sweep, before joblib kills its workers (SIGKILL): pass
        the signal on to the workers still training, so that each ends its run KILLED with its
        loss history, as a job of the basic launcher does, and wait for that (at most
        :data:`WORKER_GRACE_SECONDS`). Runs the signal handler's way: once, in the main thread,
        which waits in joblib meanwhile; a second Ctrl-C stops the wait."""
        from mlflow import MlflowClient

        from chainrule.tracking import orphans

        client = MlflowClient(self.uri)
        running = orphans.running_runs(client, self.experiment_id, self.parent_id)
        signum = signal.Signals[process.interrupted]
        waiting = [run.info.run_id for run in running if process.send_signal(run.data.tags, signum)]
        deadline = time.monotonic() + WORKER_GRACE_SECONDS
        while waiting and time.monotonic() < deadline:
            time.sleep(0.1)
            waiting = [run_id for run_id in waiting if client.get_run(run_id).info.status == "RUNNING"]

    def register_best(self, client, parent_id: str, children) -> None:
        """The best child's model into the Model Registry, the parent tagged with what happened.

        A registry that fails (a server gone, say) is told on the parent and in the log: the
        sweep's runs are recorded already and stay as they are."""
        from chainrule.deploy import registry
        from chainrule.sweeps import summary

        best = summary.best_child(children, self.objective)
        if best is None:
            client.set_tag(parent_id, "chainrule.registry", f"nothing registered: no finished child recorded {self.objective}")
            return
        run = client.get_run(best["run_id"])
        if registry.logged_model_id(run) is None:
            client.set_tag(parent_id, "chainrule.registry", "nothing registered: the children logged no model (tracking.log_model=false)")
            return
        name = self.registry.name or registry.default_name(run.data.params.get("dataset.name", "data"))
        try:
            done = registry.register_best(client, run, name, self.objective, summary.minimizes(self.objective),
                                          client.get_run(parent_id))
        except Exception as error:  # noqa: BLE001 - whatever the registry says, the sweep's record stands
            client.set_tag(parent_id, "chainrule.registry", f"registering {name} failed: {type(error).__name__}: {error}"[:5000])
            log.error("the sweep's best model was not registered as %s: %s", name, error)
            return
        for key, value in done.tags().items():
            client.set_tag(parent_id, key, value)
        log.info("registered %s as %s version %s; %s", best["tags.mlflow.runName"], name, done.version, done.reason)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        self.finish(completed=True)

    def finish(self, completed: bool = False) -> None:
        """Summarise the children on the parent and close it; safe to call twice.

        ``completed`` is False when called at exit without Hydra having ended the sweep (a job or
        the sweeper raised, or a signal): the parent is then not FINISHED, whatever its children."""
        if self.parent_id is None:
            return
        import mlflow
        from mlflow import MlflowClient

        from chainrule.plots import helper
        from chainrule.sweeps import summary
        from chainrule.tracking import orphans, uris

        parent_id, self.parent_id = self.parent_id, None
        process.before_interrupt = None
        stopped_early = process.interrupted is not None or not completed
        if stopped_early:
            # At exit (a signal, or a job or the sweeper raised) the helper takes no new work: it
            # ends now (after the figures it has, or at once on a signal); the parent's are drawn here.
            helper.finish(cancel=process.interrupted is not None)
        elif self.figure_helper == "forkserver":
            helper.start("forkserver")  # draws the sweep's figures, matplotlib imported already
        os.environ.pop(PARENT_RUN_ENV, None)
        mlflow.set_tracking_uri(self.uri)
        client = MlflowClient()
        status = "FAILED"
        try:
            if stopped_early:
                # A job whose process was killed never ends its run: a joblib worker still busy
                # after the grace period (joblib SIGKILLs them), or one that crashed. End it KILLED
                # here. Only runs whose process is gone: a cluster job that goes on is left alone.
                orphans.reap_orphans(client, self.experiment_id, parent_id)
            children = mlflow.search_runs(
                experiment_ids=[self.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent_id}'"
            )
            status = summary.summarise(
                client, parent_id, children, self.objective, self.base_config, self.keys, self.searched
            )
            failures = summary.failed_jobs(client, parent_id)
            if failures:
                status = "FAILED"
                client.set_tag(parent_id, "chainrule.failed_jobs", str(len(failures)))
                client.log_text(parent_id, "".join(failures), "failed_jobs.txt")
                log.error("%d job(s) of the sweep failed:\n%s", len(failures), "".join(f"  {f}" for f in failures))
            if not completed and status == "FINISHED":
                status = "FAILED"
                client.set_tag(parent_id, "chainrule.incomplete", "the sweep stopped before Hydra ended it")
            if self.registry.enabled and process.interrupted is None:
                self.register_best(client, parent_id, children)
        finally:
            helper.finish()  # the helper draws the parent's figures after the last children's
            if process.interrupted:
                status = "KILLED"
                client.set_tag(parent_id, "chainrule.interrupted", process.interrupted)
            client.set_terminated(parent_id, status)
        log.info("sweep %s ended %s: %s", parent_id, status, uris.ui_url(self.uri, self.experiment_id, parent_id))
