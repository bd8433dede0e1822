"""``make bench`` in full: each section of ``conf/bench.yaml`` measured and printed as a table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from chainrule.benchmarks import (batch_predictions, core_speed, figure_speed, large_data, pipeline_speed, server_load,
                                  server_speed, slurm_sweep)


def run(cfg: DictConfig, project_root: Path) -> bool:
    """Measure and print the sections ``cfg.sections`` names; True if every target is met."""
    met = True
    if "core" in cfg.sections:
        cases = [core_speed.Case(**case | {"hidden_widths": tuple(case["hidden_widths"])})
                 for case in OmegaConf.to_container(cfg.core_cases)]
        table = core_speed.run(cases, lr=cfg.lr, repeats=cfg.repeats, floor=OmegaConf.to_container(cfg.core_limit),
                               blas_threads=cfg.blas_threads)
        met &= _show("Core: our MLP vs scikit-learn MLPClassifier (float64), same weights, same updates", table)
    if "figures" in cfg.sections:
        met &= _show("Figures: render time at default size, PNG included (median)", figure_speed.run(cfg.repeats))
    if "pipeline" in cfg.sections:
        p = cfg.pipeline
        table = pipeline_speed.run(
            project_root, p.repeats, list(p.sweep), p.history_steps, list(p.parallel.sweep), p.parallel.jobs,
            list(p.figure_helper.sweep), list(p.views_off),
        )
        met &= _show("Pipeline: wall-clock seconds (subprocesses, throw-away SQLite stores)", table)
    if "large_data" in cfg.sections:
        met &= _large_data(cfg.large_data)
    if "batch_predictions" in cfg.sections:
        met &= _batch_predictions(cfg.batch_predictions, project_root)
    if "server" in cfg.sections:
        s = cfg.server
        table = pipeline_speed.table(server_speed.server_overhead(project_root, list(s.sweep), s.repeats, s.max_ratio))
        met &= _show("Tracking server vs embedded store: per-run overhead of the same sweep, alternating (subprocesses)", table)
    if "server_load" in cfg.sections:
        met &= _server_load(cfg.server_load, project_root)
    if "slurm_sweep" in cfg.sections:
        s = cfg.slurm_sweep
        table = pipeline_speed.table(slurm_sweep.slurm_overhead(project_root, list(s.sweep), s.jobs, s.repeats))
        met &= _show("SLURM vs joblib: the same sweep through a throw-away single-node cluster, alternating (subprocesses)",
                     table, "reported, no target: what the scheduler adds per job")
    return met


def _show(title: str, table: pd.DataFrame, note: str = "") -> bool:
    """Print a section's table under its title (and a note below); True if every target is met."""
    print(title)
    print(table.to_string(index=False))
    if note:
        print(note)
    print(flush=True)  # flushed: sections take minutes, and make bench may be piped to a log
    return bool(table["met"].all())


def _large_data(settings: DictConfig) -> bool:
    """The large-data section: one fresh process per dtype, then the float64 / float32 throughput."""
    case = OmegaConf.to_container(settings)
    dtypes, max_ratio = case.pop("dtypes"), case.pop("max_memory_ratio")
    table = large_data.run([large_data.Case(**case, dtype=dtype) for dtype in dtypes], max_ratio)
    ratio = large_data.throughput_ratio(table)
    note = "" if ratio is None else f"float64 / float32 throughput: {ratio:.2f}"
    title = "Large data: the core's MLP, mini-batches, one fresh process per dtype; extra = peak RSS − RSS after imports"
    return _show(title, table, note)


def _batch_predictions(settings: DictConfig, project_root: Path) -> bool:
    """The batch-predictions section: a small model trained, then a big CSV scored in a fresh process."""
    case = OmegaConf.to_container(settings)
    max_ratio = case.pop("max_memory_ratio")
    table = batch_predictions.run(project_root, batch_predictions.Case(**case), max_ratio)
    title = ("Batch predictions: make predict's predict_file on a big CSV (features + target, scored too), "
             "fresh process; extra = peak RSS − RSS after imports and the model loaded")
    note = ("file = the DataFrame pandas.read_csv makes of the whole file, memory_usage(deep=True); "
            "extra includes scoring the target (scikit-learn's import and metrics over every row)")
    return _show(title, table, note)


def _server_load(settings: DictConfig, project_root: Path) -> bool:
    """The server-load section: a batch of clients at once into each target, every run read back."""
    targets = [server_load.Target(**target) for target in OmegaConf.to_container(settings.targets)]
    rows, problems = server_load.run(project_root, targets, settings.clients, settings.repeats)
    title = (f"Tracking server under load: {settings.clients} make run processes at once into each store "
             "(1,000-step histories, figures, model), every run read back; overhead = client wall - training")
    shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
    return _show(title, pipeline_speed.table(rows), "\n".join(shown))
