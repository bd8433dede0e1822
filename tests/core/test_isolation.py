"""The core is NumPy and nothing else: importing it pulls in no other library."""

import json
import subprocess
import sys

FORBIDDEN = ["sklearn", "pandas", "mlflow", "hydra", "omegaconf", "matplotlib", "scipy"]


def test_importing_the_core_loads_numpy_only():
    code = (
        "import json, sys; import chainrule.core; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
    assert "numpy" in loaded
    assert [name for name in FORBIDDEN if name in loaded] == []
