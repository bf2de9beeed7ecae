"""The package's layers: imports run one way, downward, with no cycle.

Every import statement of ``src/leadblackhole`` (lazy imports inside functions
included) is read with :mod:`ast` and mapped to the unit it comes from and the
unit it reaches: a base-layer module (``config``, ``exceptions``,
``specification``, ``compositions``, ``registry``, ``shares``, ``outputs``) or a
subpackage / top-level module. The layers, lowest first, are those of
``docs/architecture.md``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "leadblackhole"

BASE = ("config", "exceptions", "specification", "compositions", "registry", "shares", "outputs")
#: unit -> layer (0 = base; ``exceptions`` is the floor below it, importing nothing, so that
#: every module, the base ones included, raises the package's own error classes).
LAYER = {
    **dict.fromkeys(BASE, 0),
    "exceptions": -1,
    "data": 1,
    "simulation": 2,
    "measurement": 2,
    "models": 2,
    "effects": 3,
    "allocation": 3,  # beside effects: reads models through the results interface
    "corrections": 3.25,  # corrected main models: measurement, models and their effects
    "diagnosis": 3.5,  # fits models and reads effects: above effects, below reporting
    "reporting": 4,
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
                elif node.module and node.module.startswith("leadblackhole"):
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
    if LAYER[source] <= 0 and target != "exceptions":
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
