"""One of the racing processes of test_dataset_race.py: logs the same dataset splits as its rivals,
at the same instants, round after round, each time into a new run of its own.

    python dataset_race.py <tracking uri> <folder> <rivals> <rounds> <seconds between rounds>

The rivals meet in ``folder``: each says it is ready there, and round 0 starts half a second
after the last one is.

Prints one JSON line: how many runs it logged and how many times its dataset insert lost the race
to a rival's (and was logged again)."""

import json
import os
import sys
import time
from pathlib import Path

import mlflow
from omegaconf import OmegaConf

from chainrule.experiment import data
from chainrule.tracking import records, store

uri, folder, rivals, rounds, gap = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
mlflow.set_tracking_uri(uri)
experiment_id = store.use_store(uri, "race", first=False)
splits = data.split(data.load(OmegaConf.create({"name": "moons", "n_samples": 200, "noise": 0.2}), 0), 0.2, 0.2, True, 0)

lost = 0
race = records._lost_insert_race


def counted(error):
    global lost
    lost += race(error)
    return race(error)


records._lost_insert_race = counted
(folder / f"{os.getpid()}.ready").touch()
while len(ready := list(folder.glob("*.ready"))) < rivals:
    time.sleep(0.05)
start = max(p.stat().st_mtime for p in ready) + 0.5
for round_ in range(rounds):
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"round{round_}"):
        time.sleep(max(0.0, start + round_ * gap - time.time()))  # every rival calls log_inputs at this instant
        records.log_splits(splits, f"round{round_}", None)
print(json.dumps({"runs": rounds, "lost": lost}))
