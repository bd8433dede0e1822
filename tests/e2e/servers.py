"""Starting and stopping real servers on free loopback ports: the helpers live in
:mod:`chainrule.runtime.servers` and :mod:`chainrule.runtime.postgres_cluster`, where ``make bench``
uses them too."""

import contextlib
from pathlib import Path

from chainrule.runtime.postgres_cluster import throwaway_postgres
from chainrule.runtime.servers import free_port, stop_group, tracking_server, wait_healthy
from tests.conftest import group_pids

__all__ = ["free_port", "stop_group", "tracking_server", "wait_healthy", "group_command_lines", "throwaway_postgres"]


def group_command_lines(pgid: int) -> list[str]:
    """The command lines of every process in process group ``pgid`` (a server and its workers)."""
    lines = []
    for pid in group_pids(pgid):
        with contextlib.suppress(OSError):  # it may have ended since
            lines.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
    return lines
