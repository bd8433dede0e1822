"""The layout's rules, read off the import graph of ``src/``: every import statement of every
module, at any depth (an import inside a function is an import all the same)."""

import ast
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SRC = ROOT / "src"
PACKAGE = SRC / "chainrule"


def module_of(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_of(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(module: str) -> set[str]:
    """The modules ``module`` imports: ours as full dotted names (``from pkg import sub`` names ``pkg.sub``
    when that is a module of ours), everyone else's by their top-level name."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from .models import y
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        found |= {name if name.split(".")[0] == "chainrule" else name.split(".")[0] for name in names}
    return found - {module}


GRAPH = {module: imports_of(module) for module in MODULES}


def part_of(module: str) -> str:
    """The part a module belongs to: ``chainrule.<package>``, or a top-level module itself."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and (PACKAGE / parts[1]).is_dir() else module


def third_party(module: str) -> set[str]:
    return {name for name in GRAPH[module] if not name.startswith("chainrule") and name not in sys.stdlib_module_names}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (as the nodes along it), or None."""
    state: dict[str, str] = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt, path + [nxt])):
                return found
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node, [node])):
            return found
    return None


def test_the_graph_is_read_from_the_whole_package():
    assert {"chainrule.core.models", "chainrule.experiment.run", "chainrule.sweeps.callback"} <= set(GRAPH)
    assert "chainrule.tracking.store" in GRAPH["chainrule.experiment.run"]  # `from chainrule.tracking import store`
    assert "chainrule.core.models" in GRAPH["chainrule.core"]  # relative imports resolved
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]  # the checker finds what it must


def test_no_module_imports_itself_back_through_others():
    ours = {module: {m for m in imports if m in GRAPH} for module, imports in GRAPH.items()}
    assert cycle(ours) is None


def test_no_part_depends_on_itself_back_through_others():
    parts: dict[str, set[str]] = {}
    for module, imports in GRAPH.items():
        parts.setdefault(part_of(module), set()).update(part_of(m) for m in imports if m in GRAPH)
    assert cycle({part: deps - {part} for part, deps in parts.items()}) is None


def in_part(part: str) -> list[str]:
    found = [m for m in GRAPH if m == part or m.startswith(f"{part}.")]
    assert found, part
    return found


def test_the_core_imports_only_numpy():
    for module in in_part("chainrule.core"):
        assert third_party(module) <= {"numpy"}, module
        assert all(m.startswith("chainrule.core") for m in GRAPH[module] if m.startswith("chainrule")), module


def test_what_a_logged_model_carries_imports_only_the_core_and_mlflow_only_in_its_pyfunc_wrapper():
    for module in in_part("chainrule.model"):
        ours = {m for m in GRAPH[module] if m.startswith("chainrule")}
        assert all(m.startswith(("chainrule.core", "chainrule.model")) for m in ours), module
        allowed = {"numpy", "pandas"} | ({"mlflow"} if module == "chainrule.model.pyfunc" else set())
        assert third_party(module) <= allowed, module


@pytest.mark.parametrize("part", ["chainrule.plots", "chainrule.experiment.metrics", "chainrule.experiment.data",
                                  "chainrule.experiment.csv_reader", "chainrule.core"])
def test_figures_metrics_and_data_loading_never_import_mlflow(part):
    for module in in_part(part):
        assert "mlflow" not in third_party(module), module


def test_tracking_never_imports_plots():
    for module in in_part("chainrule.tracking"):
        assert not any(m.startswith("chainrule.plots") for m in GRAPH[module]), module


def test_nothing_below_the_entry_points_imports_them():
    entry_points = {path.stem for path in (ROOT / "pipelines").glob("*.py")}
    for module, imports in GRAPH.items():
        assert not imports & ({"pipelines"} | entry_points), module


def test_every_package_says_what_it_is_and_what_it_may_import():
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert doc, init
        if init.parent != PACKAGE:
            assert "May import" in doc, init


def test_entry_points_are_thin_and_modules_small():
    for path in (ROOT / "pipelines").glob("*.py"):
        assert len(path.read_text().splitlines()) < 40, path
    for module, path in MODULES.items():
        assert len(path.read_text().splitlines()) <= 310, module
