"""The code that travels with every logged model: copied once per process, gone when the process is."""

import os
import subprocess
import sys
from pathlib import Path

from chainrule.tracking import logged_model

SHOW_PACKAGES = """
import os
from chainrule.tracking import logged_model
first, again = logged_model.model_package(), logged_model.model_package()
pid = os.fork()
if pid == 0:  # a forked child makes its own copy, and leaves its parent's alone when it exits
    child = logged_model.model_package()
    print(child, (first / "core").is_dir(), flush=True)
    raise SystemExit(0)
os.waitpid(pid, 0)
print(first, again == first, (first / "core").is_dir(), (first / "model" / "pyfunc.py").is_file(), flush=True)
"""


def test_the_model_code_is_copied_once_per_process_and_removed_when_it_exits():
    out = subprocess.run([sys.executable, "-c", SHOW_PACKAGES], capture_output=True, text=True, check=True).stdout.split("\n")
    child, parent_seen_by_child = out[0].split()
    parent, same, has_core, has_pyfunc = out[1].split()
    assert same == "True" and has_core == "True" and has_pyfunc == "True" and parent_seen_by_child == "True"
    assert child != parent
    assert not Path(parent).parent.exists() and not Path(child).parent.exists()  # each removed by its own process


def test_the_model_code_is_what_a_prediction_imports_and_nothing_else():
    package = logged_model.model_package()
    copied = sorted(str(p.relative_to(package.parent)) for p in package.rglob("*.py"))
    assert copied == sorted(str(p) for p in logged_model.model_code())
    assert "chainrule/model/pyfunc.py" in copied and "chainrule/core/backprop.py" in copied
    assert not any(p.startswith(("chainrule/tracking", "chainrule/experiment", "chainrule/sweeps")) for p in copied)
    assert os.path.samefile(logged_model.model_package(), package)
