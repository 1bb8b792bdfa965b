"""The house's layering, parsed from the source with ``ast``: imports point down
(encoders < models < training < figures), the command line (``training/cli``) is the one roof
above every layer and nothing in the library imports it, and no two modules import each other
(directly or around a cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("encoders", "models", "training", "figures")
CLI = "training.cli"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(root: Path) -> dict[str, set[str]]:
    """Every project module -> the project modules it imports (``import a.b``, ``from a import b``,
    relative imports resolved; ``from pkg import name`` counts ``pkg.name`` when that is a module)."""
    paths = {module_name(root, p): p for layer in LAYERS for p in (root / layer).rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
        graph[name] = {m for m in found if m in paths and m != name}
    return graph


def is_cli(name: str) -> bool:
    return name == CLI or name.startswith(CLI + ".")


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Upward imports, library imports of the CLI, and import cycles, as readable lines."""
    bad = []
    for a, targets in sorted(graph.items()):
        if is_cli(a):
            continue
        for b in sorted(targets):
            if is_cli(b):
                bad.append(f"{a} imports the command line {b}")
            elif LAYERS.index(b.split(".")[0]) > LAYERS.index(a.split(".")[0]):
                bad.append(f"upward import: {a} ({a.split('.')[0]}) -> {b} ({b.split('.')[0]})")
    # cycles, ignoring a package's __init__ importing its own submodules (re-exports)
    edges = {a: {b for b in ts if not b.startswith(a + ".")} for a, ts in graph.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(u: str) -> None:
        state[u] = 1
        stack.append(u)
        for v in sorted(edges.get(u, ())):
            if state.get(v) == 1:
                bad.append("import cycle: " + " -> ".join(stack[stack.index(v):] + [v]))
            elif v not in state:
                visit(v)
        stack.pop()
        state[u] = 2

    for u in sorted(edges):
        if u not in state:
            visit(u)
    return bad


def test_imports_point_down_and_nothing_cycles():
    graph = imports(ROOT)
    assert len(graph) > 50 and CLI in graph
    assert violations(graph) == []


def test_the_check_fails_on_an_upward_import_a_cli_import_and_a_cycle(tmp_path):
    for layer in LAYERS:
        (tmp_path / layer).mkdir()
        (tmp_path / layer / "__init__.py").write_text("")
    (tmp_path / "training" / "cli").mkdir()
    (tmp_path / "training" / "cli" / "__init__.py").write_text("import figures.plot\nimport encoders.a\n")
    (tmp_path / "figures" / "plot.py").write_text("from training import trainer\n")
    (tmp_path / "training" / "trainer.py").write_text("from models import net\n")
    (tmp_path / "models" / "net.py").write_text("from .spec import x\n")
    (tmp_path / "models" / "spec.py").write_text("import encoders.a\n")
    (tmp_path / "encoders" / "a.py").write_text("from encoders import b\n")
    (tmp_path / "encoders" / "b.py").write_text("x = 1\n")
    assert violations(imports(tmp_path)) == []           # all imports point down; the CLI may import anything
    (tmp_path / "models" / "spec.py").write_text("import encoders.a\nfrom training.trainer import fit\n")
    (tmp_path / "encoders" / "b.py").write_text("from . import a\n")
    (tmp_path / "figures" / "plot.py").write_text("from training.cli import main\n")
    found = violations(imports(tmp_path))
    assert "upward import: models.spec (models) -> training.trainer (training)" in found
    assert "figures.plot imports the command line training.cli" in found
    assert any(line.startswith("import cycle: encoders.a -> encoders.b -> encoders.a") for line in found)
