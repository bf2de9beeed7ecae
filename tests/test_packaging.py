"""Project files agree with each other."""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!; \[]", req.strip(), maxsplit=1)[0].lower()


def _pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + meta["optional-dependencies"]["dev"]
    return {_name(r): r.split(";")[0].replace(" ", "") for r in reqs if "python_version" not in r}


def _environment_requirements() -> dict[str, str]:
    out = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.match(r"^\s+-\s+([A-Za-z0-9_.\-]+[<>=].*)$", line)
        if m and not m.group(1).startswith(("python", "-e")):
            out[_name(m.group(1))] = m.group(1).replace(" ", "")
    return out


def test_environment_yml_matches_pyproject():
    assert _environment_requirements() == _pyproject_requirements()


def test_every_dependency_has_a_lower_bound():
    assert all(">=" in spec for spec in _pyproject_requirements().values())


def test_makefile_targets_have_help():
    text = (ROOT / "Makefile").read_text()
    for target in ("help", "install", "data", "all", "test", "lint", "clean"):
        assert re.search(rf"^{target}:.*## ", text, re.M), target


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make all" in readme and "make test" in readme


def test_ci_lints_then_tests():
    run = (ROOT / ".ci" / "run").read_text()
    assert run.index("make lint") < run.index("make test")
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert "ruff check" in lint and "ruff format --check" in lint


def test_makefile_paths_are_those_of_config():
    from leadblackhole import config

    text = (ROOT / "Makefile").read_text()
    root = config.PROJECT_ROOT
    for name, path in {
        "SIMULATED": config.SIMULATED_SURVEY,
        "FITS": config.FITS_FILE,
        "MODELS": config.MODELS_DIR / "estimates.csv",
        "MEASURE": config.MEASUREMENT_DIR / "measurement.csv",
        "FIGURES": config.FIGURES_DIR / "effects.png",
        "ALLOCATION": config.ALLOCATION_DIR / "policies.csv",
    }.items():
        m = re.search(rf"^{name}\s+:=\s+(\S+)", text, re.M)
        assert m and m.group(1) == str(path.relative_to(root)), name


def test_simulated_data_depend_on_every_module_the_simulator_imports():
    text = (ROOT / "Makefile").read_text()
    assert "$(SIMULATED): $(STAMP) $(SIM_SRC)" in text
    assert "simulation/*.py" in text
    for module in ("config", "exceptions", "specification", "registry", "shares", "outputs"):
        assert f"{module}.py" in text, module


def test_licence_is_mit_as_pyproject_says():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "MIT" in str(meta.get("license"))
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "## Licence" in (ROOT / "README.md").read_text()


def test_docs_cite_files_that_exist():
    # every `docs/...`, `tests/...`, `src/...` or `benchmarks/...` path the docs name exists
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for doc in texts:
        text = doc.read_text()
        assert "STUDY" + ".md" not in text, doc.name  # the brief is docs/study.md
        for path in re.findall(r"`((?:docs|tests|src|benchmarks|notebooks)/[\w./-]+)`", text):
            if "*" in path or "<" in path:
                continue
            assert (ROOT / path).exists(), f"{doc.name} cites {path}"
