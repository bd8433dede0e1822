"""One throw-away SLURM cluster for the session (:mod:`chainrule.runtime.slurm`), as the PostgreSQL
tests have one ``initdb`` cluster: started in about a second, stopped and deleted at the end."""

import pytest

from chainrule.runtime import slurm

CLUSTER_CPUS = 4
"""CPUs the test node declares: more than JOBS=2, so that a cap of two is the array's and not the node's."""


@pytest.fixture(scope="session")
def slurm_cluster():
    reason = slurm.missing_requirement()
    if reason is not None:
        pytest.fail(reason)  # never a silent skip: `make test` (CI) installs SLURM first, through `make slurm`
    # KillWait: SLURM's default 30 s between SIGTERM and SIGKILL; a job closes its run well within it.
    with slurm.throwaway_cluster(cpus=CLUSTER_CPUS, kill_wait=30) as cluster:
        yield cluster
