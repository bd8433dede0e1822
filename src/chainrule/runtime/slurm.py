"""A throw-away single-node SLURM cluster in a temp folder (the cluster tests and ``make bench``).

:func:`throwaway_cluster` starts Debian's ``munged``, ``slurmctld`` and ``slurmd`` (``make slurm``
installs them) on free loopback ports, each with its key, socket, config, state and logs in one
fresh folder: nothing of the machine's own munge or SLURM set-up is read or changed. On exit the
daemons are stopped, checked gone, and the folder deleted — as the PostgreSQL tests do with
``initdb``. Clients (``sbatch``, ``squeue``, submitit) find the cluster through ``SLURM_CONF``:
:attr:`SlurmCluster.env`.

slurmctld and slurmd run as root (SlurmUser=root), as a cluster's daemons do; munged refuses root
and runs as Debian's ``munge`` user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

from chainrule.runtime.servers import free_port, stop_group, throwaway

DAEMONS = ("munged", "slurmctld", "slurmd")
PARTITION = "chainrule"


def missing_requirement() -> str | None:
    """Why a throw-away cluster cannot start here (one line saying what to run), or None."""
    absent = [tool for tool in (*DAEMONS, "mungekey", "sbatch", "squeue", "sinfo") if shutil.which(tool) is None]
    if absent:
        return f"SLURM is not installed ({', '.join(absent)} not found): run `make slurm` (Debian's slurm-wlm and munge)"
    if os.geteuid() != 0:
        return "a throw-away SLURM cluster runs slurmd as root (it starts jobs as their users): run the tests as root"
    try:
        pwd.getpwnam("munge")
    except KeyError:
        return "no 'munge' user to run munged as (Debian's munge package creates it): run `make slurm`"
    return None


def _memory_mb() -> int:
    """This machine's memory in MB, as slurmd counts it (RealMemory may not exceed it)."""
    with open("/proc/meminfo") as meminfo:
        kb = int(next(line for line in meminfo if line.startswith("MemTotal:")).split()[1])
    return kb // 1024 - 256  # a margin: slurmd's own count is a little below MemTotal


class SlurmCluster:
    """slurmctld + slurmd + munged of their own in ``folder``: one node, one partition.

    Parameters
    ----------
    folder : Path
        Holds ``slurm.conf``, the munge key and socket, state, spool and every daemon's log.
    cpus : int
        CPUs the node offers. More than the machine has lets the tests see a job array capped
        below what the node could run (the node is declared, not probed: ``config_overrides``).
    kill_wait : int
        Seconds between SIGTERM and SIGKILL when a job is cancelled or passes its time limit.
    """

    def __init__(self, folder: Path, cpus: int, kill_wait: int = 5):
        self.folder, self.cpus, self.kill_wait = folder, cpus, kill_wait
        self.host = socket.gethostname().split(".")[0]
        self.munge = folder / "munge"
        self.conf = folder / "slurm.conf"
        self.env = os.environ | {"SLURM_CONF": str(self.conf)}
        self.partition = PARTITION
        self._daemons: dict[str, subprocess.Popen] = {}

    def start(self, timeout: float = 60) -> None:
        """Start munged, then slurmctld and slurmd, and wait until the node takes jobs."""
        self._start_munge()
        self.conf.write_text(self._config())
        for directory in ("state", "spool", "log"):
            (self.folder / directory).mkdir()
        # In the foreground (-D), as children of ours: stop() knows their pids, nothing daemonizes away.
        for daemon in ("slurmctld", "slurmd"):
            self._spawn(daemon, [daemon, "-D", "-f", str(self.conf)])
        self._wait_idle(timeout)

    def _start_munge(self) -> None:
        # munged insists on its files being the munge user's, in folders only it (or root) can write.
        self.munge.mkdir()
        self.munge.chmod(0o711)  # clients (root, the jobs) reach the socket; only munge lists or writes
        self.folder.chmod(0o755)  # munged (not root) must reach its own folder
        shutil.chown(self.munge, "munge", "munge")
        as_munge = ["runuser", "-u", "munge", "--"]
        key = self.munge / "munge.key"
        subprocess.run([*as_munge, "mungekey", "--create", f"--keyfile={key}"], check=True, capture_output=True,
                       timeout=30)
        self._spawn("munged", [*as_munge, "munged", "--foreground", f"--key-file={key}",
                               f"--socket={self.munge / 'munge.socket'}", f"--pid-file={self.munge / 'munged.pid'}",
                               f"--log-file={self.munge / 'munged.log'}", f"--seed-file={self.munge / 'munged.seed'}"])
        self._wait(lambda: (self.munge / "munge.socket").exists(), 20, "munged's socket")

    def _config(self) -> str:
        """slurm.conf: the keys that worked on this machine (see the project's notes), ports free now."""
        f = self.folder
        return "\n".join([
            "ClusterName=chainrule-test",
            f"SlurmctldHost={self.host}(127.0.0.1)",
            f"SlurmctldPort={free_port()}",
            f"SlurmdPort={free_port()}",
            "SlurmUser=root",
            "SlurmdUser=root",
            f"AuthInfo=socket={self.munge / 'munge.socket'}",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            "ProctrackType=proctrack/linuxproc",  # no cgroups in a container
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_CPU",  # a job takes CPUs only: memory is not what the tests schedule by
            "MpiDefault=none",
            "AccountingStorageType=accounting_storage/none",
            "JobAcctGatherType=jobacct_gather/none",
            "SlurmdParameters=config_overrides",  # the node has the CPUs declared below, whatever the machine has
            f"KillWait={self.kill_wait}",  # SIGTERM → SIGKILL at scancel or the time limit (default 30 s)
            "OverTimeLimit=0",
            "ReturnToService=2",
            "SchedulerType=sched/builtin",  # starts a job as soon as it fits: no backfill cycle to wait for
            f"StateSaveLocation={f / 'state'}",
            f"SlurmdSpoolDir={f / 'spool'}",
            f"SlurmctldPidFile={f / 'slurmctld.pid'}",
            f"SlurmdPidFile={f / 'slurmd.pid'}",
            f"SlurmctldLogFile={f / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={f / 'log' / 'slurmd.log'}",
            f"NodeName={self.host} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={_memory_mb()} State=UNKNOWN",
            f"PartitionName={self.partition} Nodes={self.host} Default=YES MaxTime=INFINITE State=UP",
            "",
        ])

    def _spawn(self, name: str, command: list[str]) -> None:
        with open(self.folder / f"{name}.out", "w") as out:
            self._daemons[name] = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=self.env,
                                                   cwd=self.folder, start_new_session=True)

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ended = {name: p.returncode for name, p in self._daemons.items() if p.poll() is not None}
            if ended:
                raise RuntimeError(f"{', '.join(ended)} exited ({ended}) while waiting for {what}:\n{self.logs()}")
            if ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"timed out after {timeout}s waiting for {what}:\n{self.logs()}")

    def _wait_idle(self, timeout: float) -> None:
        def idle() -> bool:
            state = self.run("sinfo", "--noheader", "--nodes", self.host, "--format=%T", check=False)
            return state.returncode == 0 and state.stdout.strip() == "idle"
        self._wait(idle, timeout, f"node {self.host} to be idle in sinfo")

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        """A SLURM client command (``squeue``, ``scancel``, ``scontrol``…) against this cluster.

        Raises
        ------
        RuntimeError
            With ``check``, if the command fails: its exit code and what it said.
        """
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=30)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}: {done.stdout}{done.stderr}")
        return done

    def jobs(self) -> list[tuple[str, str]]:
        """Every job ``squeue`` lists now, as (job id, state): array tasks as ``<array id>_<index>``,
        pending ones still folded (``<array id>_[2-7%2]``)."""
        listed = self.run("squeue", "--noheader", "--format=%i %T").stdout.split()
        return list(zip(listed[::2], listed[1::2]))

    def logs(self) -> str:
        """The daemons' output and logs, for an error message."""
        files = sorted([*self.folder.glob("*.out"), *self.folder.glob("log/*.log"), self.munge / "munged.log"])
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in files if p.exists())

    def stop(self) -> None:
        """Cancel every job, then stop each daemon (slurmd first, munged last; SIGKILL after 20 s).
        (A job's processes outlive slurmd: they are cancelled first.)

        Raises
        ------
        RuntimeError
            If a process of the cluster (a daemon, a job step) still runs afterwards.
        """
        if "slurmctld" in self._daemons and self._daemons["slurmctld"].poll() is None:
            self.run("scancel", f"--partition={self.partition}", check=False)
            with contextlib.suppress(RuntimeError):  # stopped below all the same; the check afterwards tells
                self._wait(lambda: not self.jobs(), self.kill_wait + 30, "the cancelled jobs to end")
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self._daemons.pop(name, None)
            if proc is not None:
                stop_group(proc)
        left = daemons_of(self.folder)
        if left:
            raise RuntimeError(f"processes of the throw-away cluster still run after it stopped: {left}")


def daemons_of(folder: Path) -> list[str]:
    """Command lines of running processes that name ``folder`` (a daemon of that cluster, or a job step)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):  # processes come and go while we look
            line = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if str(folder) in line:
                found.append(line)
    return found


def throwaway_cluster(cpus: int | None = None, kill_wait: int = 5) -> contextlib.AbstractContextManager[SlurmCluster]:
    """A started single-node cluster in a fresh temp folder; stopped, checked gone and deleted on exit.

    Parameters
    ----------
    cpus : int, optional
        CPUs of the node; by default this machine's.
    kill_wait : int
        See :class:`SlurmCluster`.

    Raises
    ------
    RuntimeError
        If SLURM cannot run here (not installed, not root: the message says what to run), a
        daemon does not start, or one is still running after the cluster was stopped.
    """
    reason = missing_requirement()
    if reason is not None:
        raise RuntimeError(reason)
    return throwaway("chainrule-slurm-", lambda folder: SlurmCluster(folder, cpus or os.cpu_count() or 1, kill_wait))
