"""The processes chainrule runs in: their set-up (signals, the collector), the command line, local servers.

- :mod:`.process` — signals as KeyboardInterrupt, the collector around imports, a process's identity;
- :mod:`.cli` — how an entry point starts and ends, Hydra composition outside ``@hydra.main``, quoting;
- :mod:`.servers` — free loopback ports, starting and stopping ``make server`` (tests, benchmarks);
- :mod:`.postgres_cluster` — a throw-away PostgreSQL server for them (tests, benchmarks);
- :mod:`.slurm` — a throw-away single-node SLURM cluster in a temp folder (tests, benchmarks).

May import: the standard library, Hydra, :mod:`chainrule.errors` — nothing above it; psycopg2 only
where :mod:`.postgres_cluster` creates a database.
"""
