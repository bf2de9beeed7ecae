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
