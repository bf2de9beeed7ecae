"""Project files agree with each other."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

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
    modules = ("config", "exceptions", "specification", "registry", "shares", "outputs", "arrays")
    for module in modules:
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


def test_raw_data_are_ignored_by_git():
    """A researcher's survey in data/raw/ is never offered for a commit; the README is."""
    import shutil
    import subprocess

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")

    def ignored(rel: str) -> bool:
        proc = subprocess.run(
            ["git", "check-ignore", "--no-index", "-q", rel], cwd=ROOT, check=False
        )
        return proc.returncode == 0

    for rel in ("data/raw/my_survey.sav", "data/raw/codebook.toml", "data/raw/sub/x.csv"):
        assert ignored(rel), rel
    for rel in ("data/raw/README.md", "data/raw/.gitkeep"):
        assert not ignored(rel), rel


def test_lock_file_pins_every_dependency_and_make_installs_from_it():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = (ROOT / "requirements.lock").read_text()
    pins = dict(
        re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)$", line).groups()
        for line in lock.splitlines()
        if line and not line.startswith("#")
    )
    pinned = {re.sub(r"[-_.]+", "-", n).lower() for n in pins}
    for req in meta["dependencies"] + meta["optional-dependencies"]["dev"]:
        if "python_version" in req:
            continue
        assert re.sub(r"[-_.]+", "-", _name(req)) in pinned, req
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"pip install --quiet -c \$\(LOCK\) -e \"\$\(HERE\)\[dev\]\"", makefile)
    assert re.search(r"^\$\(STAMP\):.*\$\(LOCK\)", makefile, re.M)
    assert re.search(r"^lock:.*## ", makefile, re.M)


def test_data_and_docs_have_a_cc_by_licence_beside_the_code_licence():
    text = (ROOT / "LICENSE-DATA-DOCS.md").read_text()
    assert "CC BY 4.0" in text and "creativecommons.org/licenses/by/4.0" in text
    readme = (ROOT / "README.md").read_text()
    licence = readme.split("## Licence", 1)[1]
    assert "MIT" in licence and "CC BY 4.0" in licence and "LICENSE-DATA-DOCS.md" in licence


def test_figures_lock_is_ignored_and_untracked():
    import shutil
    import subprocess

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files", "--", ".figures.lock"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    assert tracked.strip() == ""
    ignored = subprocess.run(["git", "check-ignore", "--no-index", "-q", ".figures.lock"], cwd=ROOT)
    assert ignored.returncode == 0


def test_readme_first_screen_leads_from_clone_to_the_report():
    head = "\n".join((ROOT / "README.md").read_text().splitlines()[:40])
    for piece in ("git clone", "make all", "results/report.html", "DATA=", "make lab", "make test"):
        assert piece in head, piece
    # the notebooks the README names exist, 06 among them
    readme = (ROOT / "README.md").read_text()
    assert "(06)" in readme and any((ROOT / "notebooks").glob("06_*.ipynb"))


def test_readme_and_notebook_01_give_the_makefiles_number_of_reps_without_marketing_time():
    import json

    n_zero = re.search(r"^N_ZERO\s*\?=\s*(\d+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    nb = json.loads(next((ROOT / "notebooks").glob("01_*.ipynb")).read_text())
    texts = {
        "README.md": (ROOT / "README.md").read_text(),
        "notebook 01": "\n".join("".join(c["source"]) for c in nb["cells"]),
    }
    for name, text in texts.items():
        counts = re.findall(
            r"(\d+)\s+(?:reps\s+)?(?:who\s+give\s+marketing\s+leads\s+no\s+time|without\s+marketing|with\s+no\s+time\s+on\s+marketing)",
            text,
        )
        assert counts and set(counts) == {n_zero}, (name, counts)


def test_every_notebook_ends_with_exercises():
    import json

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        last = "".join(cells[-1]["source"])
        assert cells[-1]["cell_type"] == "markdown" and "Exercises" in last, path.name
