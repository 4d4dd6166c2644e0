"""The package's layers: every import goes to the same or a lower layer; no cycle; small modules.

Every ``import`` anywhere in a file counts (inside functions and ``TYPE_CHECKING`` blocks
too), as ``../shared/tools/import-cycles`` counts them. Importing a package's own parents
does not count: Python runs them first anyway.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cam_workbench"

#: Each layer imports only itself and the layers before it (read the package in this order).
LAYERS: dict[str, int] = {
    "cam_workbench.paths": 0,  # where things live; imports nothing of ours
    "cam_workbench.content": 1,  # model, YAML, checks, content set, fingerprints, sign-off
    "cam_workbench.logic": 2,  # screening, patient flow, tracker arithmetic: no widgets, no I/O
    "cam_workbench.render": 3,  # HTML, text, printable summary, links, SVG chart
    "cam_workbench.fhir": 4,  # Questionnaire, QuestionnaireResponse, import
    "cam_workbench.views": 5,  # ipywidgets: the patient dashboard and the tracker
    "cam_workbench.review": 6,  # the clinical reviewer's tools
    "cam_workbench.workshop": 7,  # the educators' workshop
    "cam_workbench.serving": 8,  # Voila with production settings
    "cam_workbench.zygote": 8,  # the kernels' pre-imported parent (serving.forkserver's side)
    **{
        f"cam_workbench.{m}": 8
        for m in ("serve_cli",)
        + tuple(
            f"serving_{part}"
            for part in ("channels", "http", "options", "routes", "runtime", "sessions", "static")
        )
    },
    "cam_workbench.cli": 9,  # the command line: dispatch and one module per command
    "cam_workbench": 10,  # the package's public names (re-exported from content and logic)
}

#: Layers below the views never import widgets, notebooks, tables or the server.
NO_UI_BELOW = 5
UI_MODULES = ("ipywidgets", "IPython", "pandas", "voila", "jupyter_server", "tornado")

MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def in_layer(module: str, key: str) -> bool:
    """Whether ``module`` is ``key`` or below it (the package root holds only itself)."""
    return module == key or (key != "cam_workbench" and module.startswith(key + "."))


def layer_of(module: str) -> int:
    return LAYERS[max((k for k in LAYERS if in_layer(module, k)), key=len)]


def imports_of(module: str) -> set[str]:
    """Every module of ours that ``module`` imports, anywhere in the file."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module and not module.startswith(target + "."):
                found.add(target)
    return found


def test_every_module_has_a_layer():
    missing = [m for m in MODULES if not any(in_layer(m, k) for k in LAYERS)]
    assert not missing, f"add these to LAYERS: {missing}"


def test_imports_go_to_the_same_or_a_lower_layer():
    upward = [
        f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
        for module in sorted(MODULES)
        for target in sorted(imports_of(module))
        if layer_of(target) > layer_of(module)
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycle():
    graph = {m: imports_of(m) for m in MODULES}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = path[path.index(module) :] + [module]
            pytest.fail("import cycle: " + " → ".join(cycle))
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_layers_below_the_views_import_no_widgets_tables_or_server():
    found = []
    for module in sorted(m for m in MODULES if layer_of(m) < NO_UI_BELOW):
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        found += [f"{module} imports {n}" for n in names if n.split(".")[0] in UI_MODULES]
    assert not found, "\n".join(found)


def test_no_module_is_over_600_lines():
    sizes = {m: len(MODULES[m].read_text(encoding="utf-8").splitlines()) for m in MODULES}
    too_long = [
        f"{module}: {lines} lines; split it by concern"
        for module, lines in sorted(sizes.items())
        if lines > MAX_LINES
    ]
    assert not too_long, "\n".join(too_long)


def test_the_package_says_it_is_typed():
    assert (PACKAGE / "py.typed").is_file()  # declared in package data; mypy runs in `make lint`
