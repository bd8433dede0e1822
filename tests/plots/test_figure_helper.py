"""A sequential sweep draws each run's figures in a helper process while the next run trains,
and a joblib sweep its own figures: the same figures as drawn in place, failures recorded on
the run, and no process left behind."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TRAIN, Store, group_pids, sitecustomize_env
from tests.reliability.conftest import wait_for

pytestmark = pytest.mark.slow

SWEEP = ["-m", "train.lr=0.1,0.5", "model.hidden_width=3", "train.iterations=50"]
FIGURES = ["confusion_matrix.png", "decision_boundary.png", "gradient_flow.png", "loss_curve.png", "network.png",
           "neurons_layer1.png", "roc_curve.png", "training.gif"]


def figures_by_run_name(store: Store, parent: bool = False) -> dict[str, dict[str, bytes]]:
    """The PNGs of the sweep's children (and with ``parent``, of the parent run, as "parent")."""
    client = store.client
    drawn = {}
    for run in store.runs():
        child = "mlflow.parentRunId" in run.data.tags
        if not (child or parent):
            continue
        folder = Path(client.download_artifacts(run.info.run_id, "figures", str(store.folder / run.info.run_id)))
        drawn[run.info.run_name if child else "parent"] = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    return drawn


LAUNCHERS = {
    "sequential": [],  # the helper draws every run's figures and the sweep's
    "joblib": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],  # workers draw their runs'; a helper the sweep's
}


def matplotlib_probe_env(folder: Path) -> dict:
    """Environment in which every Python process writes ``folder/<pid>`` as it exits: whether it had
    imported matplotlib (a sitecustomize; it changes nothing the process does)."""
    return sitecustomize_env(
        folder,
        "import atexit, os, sys\n"
        "pid = os.getpid()\n"
        f"atexit.register(lambda: open(os.path.join({str(folder)!r}, str(pid)), 'w').write("
        "str('matplotlib' in sys.modules)))\n",
    )


@pytest.fixture(scope="module", params=LAUNCHERS.values(), ids=LAUNCHERS)
def helper_sweep(request, tmp_path_factory):
    """A sweep whose figures the helper draws (figures.background=true, the default), each of its
    processes probed for matplotlib; its store, launcher overrides and probe folder. Made once per
    launcher, saving a sweep each (~4 s): the tests below only read it."""
    store = Store(tmp_path_factory.mktemp("helper"))
    probe = store.folder / "probe"
    store.train(*SWEEP, *request.param, env_extra=matplotlib_probe_env(probe))
    return store, request.param, probe


def test_the_helper_draws_exactly_the_figures_drawn_in_place(helper_sweep, tmp_path):
    helper, launcher, _ = helper_sweep
    in_place = Store(tmp_path)
    in_place.train(*SWEEP, *launcher, "figures.background=false")
    drawn = figures_by_run_name(helper, parent=True)
    assert sorted(drawn) == ["mlp-w3-relu-lr0.1-moons", "mlp-w3-relu-lr0.5-moons", "parent"]
    assert all(sorted(figures) == FIGURES for name, figures in drawn.items() if name != "parent")
    assert sorted(drawn["parent"]) == ["loss_comparison.png"]  # drawn by the helper too
    assert drawn == figures_by_run_name(in_place, parent=True)  # byte for byte


def test_the_launching_process_of_a_sweep_never_imports_matplotlib(helper_sweep):
    # matplotlib is imported where figures are drawn: the helper, which imports it while the sweep
    # prepares, or joblib's workers and a helper, forked from a server that imported it.
    store, _, probe = helper_sweep
    (parent,) = [r for r in store.runs() if r.data.tags.get("chainrule.role") == "sweep"]
    assert (probe / parent.data.tags["chainrule.pid"]).read_text() == "False"
    assert len(figures_by_run_name(store, parent=True)["parent"]) == 1


def failing_figure_env(folder: Path) -> dict:
    """The helper's roc_curve raises for the lr=0.5 run (a sitecustomize; no hook in the product)."""
    return sitecustomize_env(
        folder,
        "import chainrule.plots.figures as plots\n"
        "_roc = plots.roc_curve\n"
        "def roc_curve(y, proba, title, label_names=None):\n"
        "    if 'lr0.5' in title:\n"
        "        raise ValueError('no ROC today')\n"
        "    return _roc(y, proba, title, label_names)\n"
        "plots.roc_curve = roc_curve\n",
    )


def test_a_figure_failing_in_the_helper_is_recorded_and_the_rest_are_kept(store, tmp_path):
    result = store.train(*SWEEP, env_extra=failing_figure_env(tmp_path / "fault"))
    runs = {r.info.run_name: r for r in store.runs()}
    failed = runs["mlp-w3-relu-lr0.5-moons"]
    assert failed.info.status == "FINISHED"  # its model and scores are fine
    assert failed.data.tags["chainrule.figures_error"] == "RuntimeError: roc_curve: ValueError: no ROC today"
    assert "chainrule.figures_error" not in runs["mlp-w3-relu-lr0.1-moons"].data.tags
    drawn = figures_by_run_name(store)
    assert sorted(drawn["mlp-w3-relu-lr0.5-moons"]) == [f for f in FIGURES if f != "roc_curve.png"]
    assert sorted(drawn["mlp-w3-relu-lr0.1-moons"]) == FIGURES
    assert "figures of run" in result.stdout and "no ROC today" in result.stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_stopping_a_sweep_leaves_no_helper_process_behind(store, sig):
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"} | {"MLFLOW_TRACKING_URI": store.uri}
    proc = subprocess.Popen(
        [sys.executable, str(TRAIN), "-m", "train.lr=0.1,0.2,0.3,0.4", "model.hidden_width=3",
         "train.iterations=3000", "progress=0", f"hydra.sweep.dir={store.folder / 'multirun'}"],
        cwd=store.folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        # a child has finished, so the helper process exists and has work
        wait_for(lambda: [r for r in store.runs() if r.info.status == "FINISHED" and "mlflow.parentRunId" in r.data.tags],
                 timeout=120, what="a finished child run")
        assert len(group_pids(proc.pid)) >= 2
        os.killpg(proc.pid, sig) if sig == signal.SIGINT else proc.send_signal(sig)  # Ctrl-C reaches the group
        proc.wait(timeout=60)
        wait_for(lambda: not group_pids(proc.pid), timeout=30, what="the helper process to end")
    finally:
        if group_pids(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
