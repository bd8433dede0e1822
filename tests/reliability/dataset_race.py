"""The racing processes of test_dataset_race.py: they log the same dataset splits, at the same
instants, round after round, each time into a new run of its own.

    python dataset_race.py <tracking uri> <folder> <rivals> <rounds> <seconds between rounds>

This process imports MLflow once, then forks the ``rivals``: processes of their own, each with its
own connection to the store, made after the fork (one interpreter start-up instead of one per
rival: ~5 s less of four rivals importing MLflow at once on two cores). The rivals meet in
``folder``: each says it is ready there, and round 0 starts half a second after the last one is.

Prints one JSON line per rival: how many runs it logged and how many times its dataset insert lost
the race to a rival's (and was logged again). Exits 1 if any rival failed (its traceback on stderr)."""

import json
import os
import sys
import time
import traceback
from pathlib import Path

import mlflow
from omegaconf import OmegaConf

from chainrule.experiment import data
from chainrule.tracking import records, store

uri, folder, rivals, rounds, gap = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
splits = data.split(data.load(OmegaConf.create({"name": "moons", "n_samples": 200, "noise": 0.2}), 0), 0.2, 0.2, True, 0)

lost = 0
race = records._lost_insert_race


def counted(error):
    global lost
    lost += race(error)
    return race(error)


def rival() -> None:
    mlflow.set_tracking_uri(uri)
    experiment_id = store.use_store(uri, "race", first=False)
    (folder / f"{os.getpid()}.ready").touch()
    while len(ready := list(folder.glob("*.ready"))) < rivals:
        time.sleep(0.05)
    start = max(p.stat().st_mtime for p in ready) + 0.5
    for round_ in range(rounds):
        with mlflow.start_run(experiment_id=experiment_id, run_name=f"round{round_}"):
            time.sleep(max(0.0, start + round_ * gap - time.time()))  # every rival calls log_inputs at this instant
            records.log_splits(splits, f"round{round_}", None)
    # One write(2) of the whole line, newline included: a pipe never interleaves a write of under
    # PIPE_BUF bytes with another. (print() writes the text and the newline apart when stdout is
    # unbuffered, PYTHONUNBUFFERED=1, and two rivals' lines then ran together in CI once.)
    os.write(sys.stdout.fileno(), (json.dumps({"runs": rounds, "lost": lost}) + "\n").encode())


records._lost_insert_race = counted
children = []
for _ in range(rivals):
    pid = os.fork()
    if pid == 0:  # a rival
        code = 0
        try:
            rival()
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            sys.stderr.flush()
            os._exit(code)
    children.append(pid)
failed = [pid for pid in children if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0]
sys.exit(1 if failed else 0)
