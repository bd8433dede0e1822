"""Starting and stopping real servers on free loopback ports: the helpers live in
:mod:`chainrule.servers`, where ``make bench`` uses them too."""

from chainrule.servers import free_port, stop_group, tracking_server, wait_healthy

__all__ = ["free_port", "stop_group", "tracking_server", "wait_healthy"]
