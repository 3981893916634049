"""Imports point one way: modeling (your code) <- core <- the moments <- cli.

- `core.params`, `core.paths` and `core.errors` are the foundation: they import nothing else.
- `modeling/` is yours: it may import only the foundation, so the machinery can never be pulled
  into a PR's room by an import, and your code never depends on machinery that changes.
- The rest of `core/` may import the foundation, `modeling/` (its hooks) and itself.
- Each moment (pipeline, review, release, serving, monitoring) may import the layers below and
  its own folder, never another moment: what one hands another goes through core or a file.
- `cli.py`, `__main__.py` and `__init__.py` sit on top. No module may be part of a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_DIR = next((Path(__file__).resolve().parents[1] / "src").iterdir())
FOUNDATION = {"core.params", "core.paths", "core.errors"}
MOMENTS = {"pipeline", "review", "release", "serving", "monitoring"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The package modules `path` imports, anywhere in it (lazy imports count too)."""
    module = module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            target = ".".join([*base, node.module] if node.module else base)
            names = [f"{target}.{alias.name}" if target else alias.name for alias in node.names]
            found |= {
                name
                for name in names
                if (PACKAGE_DIR / name.replace(".", "/")).exists()
                or (PACKAGE_DIR / f"{name.replace('.', '/')}.py").exists()
            } or {target}
    return {name for name in found if name}


def layer(module: str) -> int:
    if module in FOUNDATION:
        return 0
    top = module.split(".")[0]
    if top == "modeling":
        return 1
    if top == "core":
        return 2
    if top in MOMENTS:
        return 3
    return 4


def allowed(importer: str, imported: str) -> bool:
    if importer in FOUNDATION:
        return imported in FOUNDATION
    if layer(importer) == 1:
        return imported in FOUNDATION or layer(imported) == 1
    same_folder = importer.split(".")[0] == imported.split(".")[0]
    return layer(imported) < layer(importer) or same_folder or layer(importer) == 4


GRAPH = {module_name(path): imports_of(path) for path in PACKAGE_DIR.rglob("*.py")}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down_the_layers(module):
    against = sorted(name for name in GRAPH[module] if not allowed(module, name))
    assert not against, f"{module} imports against the layers: {', '.join(against)}"


def test_no_module_is_part_of_a_circle():
    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError(
                "import circle: " + " -> ".join([*path[path.index(module) :], module])
            )
        for imported in GRAPH.get(module, ()):
            visit(imported, [*path, module])

    for module in GRAPH:
        visit(module, [])


def test_the_check_itself_sees_a_sideways_import():
    """A moment importing another moment is refused, as a PR adding one would be."""
    assert not allowed("monitoring.retrain", "review.compare")
    assert not allowed("core.reports", "review.report")
    assert not allowed("modeling.features", "core.model_file")
    assert allowed("serving.service", "core.contract")
