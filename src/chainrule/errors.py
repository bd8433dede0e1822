"""The errors the whole pipeline raises on purpose: bad settings, a trial that diverged, a stopped job.

Both are Hydra's ``CompactHydraException``: when a sweep's job fails with one, Hydra prints the
message alone, without a traceback. (That is why importing this module imports Hydra.)
"""

from hydra.errors import CompactHydraException


class ConfigError(CompactHydraException, ValueError):
    """A configuration value is out of range, missing or inconsistent.

    A CompactHydraException, so that when a sweep job fails with it Hydra prints the message
    alone: bad settings are not a crash and get no traceback.
    """


class DivergedTrial(CompactHydraException):
    """Raised after a diverged run is recorded, for sweepers that optimise (Optuna): they must see
    the trial as failed, not as a NaN objective. A grid sweep gets NaN and goes on."""


class StoreError(ConfigError):
    """The tracking store cannot be opened or written to (unknown kind, unreachable, read-only, full)."""


class JobInterrupted(CompactHydraException):
    """A sweep's job in a process of its own (submitit, SLURM) was stopped by a signal; its run ended KILLED.

    Raised instead of the KeyboardInterrupt the signal became: submitit writes a job's result, and
    Hydra tells the sweep's callback that the job failed, only for an Exception. Without a result,
    the launching process would wait for the scheduler's accounting to learn that the job ended.
    """
