"""The package's layers: imports run one way, downward, with no cycle.

Every import statement of ``src/leadblackhole`` (lazy imports inside functions
included) is read with :mod:`ast` and mapped to the unit it comes from and the
unit it reaches: a base-layer module (``config``, ``exceptions``,
``specification``, ``compositions``, ``registry``, ``shares``, ``tables_text``,
``outputs``, ``formulas``, ``arrays``) or a
subpackage / top-level module. The layers, lowest first, are those of
``docs/architecture.md``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "leadblackhole"

BASE = (
    "config",
    "exceptions",
    "specification",
    "compositions",
    "registry",
    "shares",
    "tables_text",
    "outputs",
    "formulas",
    "arrays",
)
#: unit -> layer (0 = base; ``exceptions`` is the floor below it, importing nothing, so that
#: every module, the base ones included, raises the package's own error classes;
#: ``tables_text``, table text importing nothing either, sits on the floor too, so that
#: ``outputs`` stages tables and the models lay out their star table).
LAYER = {
    **dict.fromkeys(BASE, 0),
    "exceptions": -1,
    "tables_text": -0.5,
    "data": 1,
    "simulation": 2,
    "measurement": 2,
    "models": 2,
    "effects": 3,
    "allocation": 3,  # beside effects: reads models through the results interface
    "corrections": 3.25,  # corrected main models: measurement, models and their effects
    "diagnosis": 3.5,  # fits models and reads effects: above effects, below reporting
    "pipeline": 3.75,  # the steps of the study: calls the computing packages, not reporting
    "reporting": 4,
    "cli_options": 4.5,  # the command line's option table: reads the pipeline's option values
    "cli_runner": 4.5,  # the command line's process: exit codes, signals, warnings
    "cli": 5,
}
COMPUTING = (
    "data",
    "simulation",
    "measurement",
    "models",
    "effects",
    "allocation",
    "corrections",
    "diagnosis",
)


def _unit(module: str) -> str | None:
    """``leadblackhole.models.main`` -> ``models``; the package root -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _imports() -> list[tuple[str, str, str]]:
    """(importing file, importing unit, imported unit) for every package import."""
    edges = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        module = ".".join(rel.parts)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        package = package.removesuffix(".__init__")
        source = _unit(module.removesuffix(".__init__"))
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    name = ".".join(base + ([node.module] if node.module else []))
                    if node.module is None:  # from . import x
                        targets = [f"{name}.{a.name}" for a in node.names]
                    else:
                        targets = [name]
                elif node.module == "leadblackhole":  # from leadblackhole import cli
                    targets = [f"leadblackhole.{a.name}" for a in node.names]
                elif node.module and node.module.startswith("leadblackhole."):
                    targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("leadblackhole")]
            for t in targets:
                target = _unit(t)
                if target is not None and target != source and target in LAYER:
                    edges.append((str(rel), source, target))
    return edges


EDGES = _imports()


def test_every_unit_has_a_layer():
    units = {p.stem if p.is_file() else p.name for p in SRC.iterdir()}
    units = {u for u in units if not u.startswith(("_", ".")) and u != "py"}
    assert units - set(LAYER) == set(), "a new module needs a layer here and in the docs"
    assert EDGES, "the parser found no imports"


@pytest.mark.parametrize("edge", EDGES, ids=[f"{e[0]}->{e[2]}" for e in EDGES])
def test_imports_run_downward(edge):
    path, source, target = edge
    if LAYER[source] <= 0 and LAYER[target] >= 0:
        pytest.fail(f"{path}: the base layer imports nothing of the package ({target})")
    # strictly downward; units of one layer do not import each other
    assert LAYER[target] < LAYER[source], f"{path} ({source}) imports {target}"


def test_no_computing_package_imports_reporting_or_the_cli():
    bad = [e for e in EDGES if e[1] in COMPUTING and e[2] in ("reporting", "cli")]
    assert bad == []


def test_the_simulator_imports_only_the_base_layer():
    reached = {t for _, s, t in EDGES if s == "simulation"}
    assert reached and reached <= set(BASE)


def test_no_cycle_between_units():
    graph: dict[str, set[str]] = {}
    for _, s, t in EDGES:
        graph.setdefault(s, set()).add(t)
    state: dict[str, int] = {}

    def visit(u: str, trail: list[str]) -> None:
        state[u] = 1
        for v in graph.get(u, ()):
            if state.get(v) == 1:
                pytest.fail(f"import cycle: {' -> '.join(trail + [u, v])}")
            if v not in state:
                visit(v, trail + [u])
        state[u] = 2

    for u in graph:
        if u not in state:
            visit(u, [])


def test_the_checker_sees_a_violation(tmp_path, monkeypatch):
    # the parser itself: a computing module importing reporting is found
    fake = tmp_path / "leadblackhole"
    (fake / "models").mkdir(parents=True)
    (fake / "models" / "bad.py").write_text("def f():\n    from ..reporting import tables\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["SRC"]), "SRC", fake)
    assert _imports() == [("leadblackhole/models/bad", "models", "reporting")]
    (fake / "models" / "bad.py").write_text("from leadblackhole import reporting\n")
    assert _imports() == [("leadblackhole/models/bad", "models", "reporting")]


# --- module level: cycles, private names, sizes ----------------------------------------------
#
# The units above are packages; inside them the same rules hold file by file. Every import of
# the package is resolved to the module it reaches (``from . import kernel`` reaches
# ``models.dirichlet.kernel``; ``from leadblackhole import cli`` reaches ``cli``).

#: the limits docs/architecture.md states for one file and one function
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 150
MAX_CLI_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}
PACKAGES = {m for m, p in MODULES.items() if p.name == "__init__.py"}


def _reached(current: str, node: ast.AST, modules: dict[str, Path]) -> list[tuple[str, str | None]]:
    """(module reached, name imported or None) for one import statement of ``current``."""
    packages = {m for m, p in modules.items() if p.name == "__init__.py"}
    if isinstance(node, ast.Import):
        return [(a.name, None) for a in node.names if a.name.split(".")[0] == "leadblackhole"]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = current.split(".") if current in packages else current.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        module = ".".join(base + (node.module.split(".") if node.module else []))
    else:
        module = node.module or ""
    if module.split(".")[0] != "leadblackhole":
        return []
    out = []
    for alias in node.names:
        sub = f"{module}.{alias.name}"
        out.append((sub, None) if sub in modules else (module, alias.name))
    return out


def _module_imports(modules: dict[str, Path] = MODULES) -> list[tuple[str, str, str | None]]:
    """(importing module, imported module, name) for every import, lazy ones included."""
    out = []
    for current, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for target, name in _reached(current, node, modules):
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != current:
                    out.append((current, target, name))
    return out


MODULE_IMPORTS = _module_imports()


def _module_cycles(imports) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative).

    A package's ``__init__`` importing its own children (re-exports) is not an edge back up.
    """
    graph: dict[str, set[str]] = {}
    for source, target, _ in imports:
        if target in PACKAGES and source.startswith(target + "."):
            continue  # a child reaching its own package's __init__
        graph.setdefault(source, set()).add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_cycle_between_modules():
    assert _module_cycles(MODULE_IMPORTS) == []


def test_no_private_name_imported_across_modules():
    private = [
        f"{source} imports {target}.{name}"
        for source, target, name in MODULE_IMPORTS
        if name and name.startswith("_") and not name.startswith("__")
    ]
    assert private == []


def test_the_package_root_import_is_read():
    # ``from . import pipeline`` reaches the package; ``from . import __version__`` the root
    edges = {(s, t) for s, t, _ in MODULE_IMPORTS}
    assert ("leadblackhole.cli", "leadblackhole.pipeline") in edges
    assert ("leadblackhole.cli_options", "leadblackhole") in edges


def test_module_and_function_sizes():
    too_long = []
    for module, path in MODULES.items():
        text = path.read_text()
        lines = text.count("\n") + 1
        limit = MAX_CLI_LINES if module == "leadblackhole.cli" else MAX_MODULE_LINES
        if lines > limit:
            too_long.append(f"{module}: {lines} lines > {limit}")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    too_long.append(f"{module}.{node.name}: {n} lines > {MAX_FUNCTION_LINES}")
    assert too_long == []


def test_the_cli_reaches_computing_packages_only_through_the_pipeline():
    direct = {
        target
        for source, target, _ in MODULE_IMPORTS
        if source == "leadblackhole.cli"
        and _unit(target)
        in ("simulation", "measurement", "models", "effects", "allocation", "diagnosis")
    }
    assert direct == set()


def test_the_module_checks_see_violations(tmp_path):
    # a cycle, a private import, a root import and an oversized function, in a fake package
    fake = tmp_path / "leadblackhole"
    (fake / "models").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "models" / "__init__.py").write_text("")
    (fake / "models" / "a.py").write_text("from .b import _helper\n")
    (fake / "models" / "b.py").write_text("from leadblackhole.models import a\n_helper = 1\n")
    (fake / "cli.py").write_text("from leadblackhole import models\n")
    modules = {
        ".".join(p.relative_to(tmp_path).with_suffix("").parts).removesuffix(".__init__"): p
        for p in sorted(fake.rglob("*.py"))
    }
    imports = _module_imports(modules)
    assert ("leadblackhole.cli", "leadblackhole.models", None) in imports
    assert ("leadblackhole.models.a", "leadblackhole.models.b", "_helper") in imports
    assert _module_cycles(imports) == [["leadblackhole.models.a", "leadblackhole.models.b"]]
