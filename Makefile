# leadblackhole: rebuild every table and figure with `make all`.
# Run `make` or `make help` for the list of targets.
#
# Outputs go to the current directory (data/simulated, results, figures), the
# package and its virtual environment live beside this Makefile, so
# `make -C OTHER_DIR -f path/to/Makefile all` builds a second copy elsewhere
# (that is what `make verify` does).

HERE       := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
PYTHON_SYS ?= python3
VENV       := $(HERE)/.venv
PY         := $(VENV)/bin/python
CLI        := $(VENV)/bin/leadblackhole --provenance results
STAMP      := $(VENV)/.installed
SEED       ?= 20130101
SIMULATED  := data/simulated/reps.csv
DATA       ?= $(SIMULATED)
CODEBOOK   ?=
BOOTSTRAP  ?= 0
CB_ARG     := $(if $(CODEBOOK),--codebook "$(CODEBOOK)",)
# A survey or codebook path may hold spaces: quoted in the recipes, escaped as prerequisites.
EMPTY      :=
SPACE      := $(EMPTY) $(EMPTY)
DATA_DEP   := $(subst $(SPACE),\$(SPACE),$(DATA))
CB_DEP     := $(subst $(SPACE),\$(SPACE),$(CODEBOOK))
VERSION    := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' $(HERE)/pyproject.toml)
# The default simulated study includes reps who give marketing leads no time, as a real
# survey does: they are excluded from the share models and exercise the selection probit.
N_ZERO     ?= 30
# One BLAS thread: these problems are small, and threads only compete with make -j2.
# The outputs are byte-identical either way.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
# The population truth of the simulated design (a 200 000-rep draw) is computed once per
# run and kept here for the other steps and the notebooks (keyed by the design and the code).
export LEADBLACKHOLE_TRUTH_CACHE ?= $(CURDIR)/data/simulated/.truth-cache
SRC        := $(shell find $(HERE)/src -name '*.py')
# What the simulated data depend on: the simulator, the base layer it imports (and
# tests/test_architecture.py checks that it imports nothing else), the command line and
# the pipeline's simulate step.
BASE_LAYER := $(addprefix $(HERE)/src/leadblackhole/,__init__.py config.py exceptions.py \
              specification.py compositions.py registry.py shares.py tables_text.py outputs.py arrays.py \
              cli.py cli_options.py cli_runner.py pipeline/__init__.py pipeline/simulation.py)
SIM_SRC    := $(wildcard $(HERE)/src/leadblackhole/simulation/*.py) $(BASE_LAYER)
NOTEBOOKS  := $(sort $(wildcard $(HERE)/notebooks/*.ipynb))
# The notebooks tell the story on simulated data: they run only when the pipeline does.
NB_OUT     := $(if $(filter $(SIMULATED),$(DATA)),$(patsubst $(HERE)/notebooks/%,results/notebooks/%,$(NOTEBOOKS)),)

# The paths below are those of src/leadblackhole/config.py (the CLI's defaults), relative to
# the folder make runs in; make needs them before the package is installed, so they are
# spelled here too, and tests/test_packaging.py checks that the two agree.
VALIDATION := results/validation.md
MEASURE    := results/measurement/measurement.csv
MODELS     := results/models/estimates.csv
FITS       := results/models/fits.json
FIGURES    := figures/effects.png
REPORT     := results/report.html
MANIFEST   := results/manifest.json
ALLOCATION := results/allocation/policies.csv
ORACLE_ARG := $(if $(filter $(SIMULATED),$(DATA)),--oracle,)
# The settings of the current run. Every output depends on this file, which is rewritten
# only when a setting differs from the last run's, so changing DATA, CODEBOOK, SEED,
# BOOTSTRAP or the package version rebuilds everything (and only then). When the settings
# change, the outputs of the earlier settings are removed first (STALE), so a run that then
# fails (a survey that does not validate, say) leaves no results of another survey beside
# the new settings. The design diagnosis (results/diagnosis) does not depend on them and stays.
SETTINGS   := results/.settings
STALE      := results/validation.md results/exclusions.csv results/*.log figures/*.log \
              results/measurement results/models results/report.md \
              results/report.html $(MANIFEST) results/allocation \
              results/notebooks results/provenance figures/*.png figures/*.pdf

.DEFAULT_GOAL := help
.PHONY: help install data validate measure models tables figures report notebooks manifest \
        allocate pipeline all verify docs-figures test test-slow test-all lint lab lock clean diagnose evidence FORCE

help: ## Show this help
	@echo "Usage: make TARGET [VARIABLE=value ...]"
	@echo ""
	@echo "Targets:"
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  %-13s %s\n", $$1, $$2}'
	@echo ""
	@echo "Variables:"
	@printf '  %-13s %s\n' \
	  "DATA=FILE" "survey to analyse (default $(SIMULATED), simulated)" \
	  "CODEBOOK=FILE" "TOML codebook mapping the survey's columns (default: none)" \
	  "SEED=N" "seed of the simulation and the bootstrap (default 20130101)" \
	  "BOOTSTRAP=N" "bootstrap draws for the effects' intervals (default 0: none)"

$(SETTINGS): FORCE
	@mkdir -p $(@D)
	@printf '%s\n' "DATA=$(DATA)" "CODEBOOK=$(CODEBOOK)" "SEED=$(SEED)" \
	  "BOOTSTRAP=$(BOOTSTRAP)" "N_ZERO=$(N_ZERO)" "VERSION=$(VERSION)" > $@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else \
	  if [ -f $@ ]; then echo "settings changed: the earlier outputs are removed and every output is rebuilt"; fi; \
	  rm -rf $(STALE); mv -f $@.new $@; fi

FORCE:

# requirements.lock pins the exact version of every dependency (made by `make lock` with
# Python 3.11 on Linux); `make install` installs the package under those pins, so a rebuild
# next year gets the same versions. pyproject.toml keeps lower bounds for library users.
LOCK       := $(HERE)/requirements.lock

$(STAMP): $(HERE)/pyproject.toml $(LOCK)
	$(PYTHON_SYS) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c $(LOCK) -e "$(HERE)[dev]"
	@touch $@

install: $(STAMP) ## Create .venv and install the package with its dev extra (versions of requirements.lock)

lock: ## Refresh requirements.lock: resolve pyproject.toml's dependencies afresh, pin what pip chose
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON_SYS) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --quiet --upgrade pip; \
	"$$tmp/venv/bin/python" -m pip install --quiet -e "$(HERE)[dev]"; \
	{ echo "# Exact versions installed by make install (pip constraints; refresh with make lock)."; \
	  echo "# Made with $$("$$tmp/venv/bin/python" --version) on $$(uname -sm)."; \
	  "$$tmp/venv/bin/python" -m pip freeze --exclude-editable; } > $(LOCK).new; \
	mv -f $(LOCK).new $(LOCK); echo "wrote $(LOCK) ($$(grep -c '==' $(LOCK)) pins)"

$(SIMULATED): $(STAMP) $(SIM_SRC) $(SETTINGS)
	$(CLI) simulate --seed $(SEED) --n-zero-marketing $(N_ZERO) --out $@

data: $(SIMULATED) ## Simulate the study's survey (data/simulated/reps.csv)

$(VALIDATION): $(STAMP) $(SETTINGS) $(DATA_DEP) $(CB_DEP) $(SRC)
	$(CLI) validate "$(DATA)" $(CB_ARG) --out results

validate: $(VALIDATION) ## Check the input survey against the contract (results/validation.md)

$(MEASURE): $(VALIDATION) $(SETTINGS)
	@echo "measure: reliability, CFA, validity (about 5 s)"
	$(CLI) measure "$(DATA)" $(CB_ARG) --out results/measurement

measure: $(MEASURE) ## Reliability, CFA, validity, CMV and descriptives (results/measurement/)

$(MODELS): $(VALIDATION) $(SETTINGS)
	@echo "fit: the Dirichlet and robustness models, effects and probing (about 10 s$(if $(filter-out 0,$(BOOTSTRAP)), plus the bootstrap,))"
	$(CLI) fit "$(DATA)" $(CB_ARG) --out results/models --bootstrap $(BOOTSTRAP) --seed $(SEED)

models: $(MODELS) ## Dirichlet and robustness models, hypotheses (results/models/)

tables: $(MEASURE) $(MODELS) ## Every table (measure + models)

$(FIGURES): $(MODELS) $(SETTINGS)
	@echo "figures: 16 figures as PNG and PDF (about 10 s)"
	$(CLI) figures "$(DATA)" $(CB_ARG) --fits $(FITS) --out figures

figures: $(FIGURES) ## Every figure, PNG and PDF (figures/)

$(REPORT): $(MEASURE) $(MODELS) $(FIGURES) $(ALLOCATION) $(SETTINGS)
	$(CLI) report --results results --figures figures

report: $(REPORT) ## Replication report (results/report.md, results/report.html)

$(ALLOCATION): $(MODELS) $(SETTINGS)
	$(CLI) allocate "$(DATA)" $(CB_ARG) --fits $(FITS) --out results/allocation --seed $(SEED) $(ORACLE_ARG)

allocate: $(ALLOCATION) ## Lead-allocation policies and the black hole (results/allocation/)

results/notebooks/%.ipynb: $(HERE)/notebooks/%.ipynb $(STAMP) $(SRC) $(SETTINGS)
	@echo "notebook: $* (about 10 s)"
	$(CLI) notebook $< --out $@

notebooks: $(NB_OUT) ## Execute every notebook (results/notebooks/; simulated data only)
ifeq ($(NB_OUT),)
	@echo "notebooks: not run (they work on simulated data, and DATA=$(DATA) is not the simulated survey)"
endif

$(MANIFEST): $(REPORT) $(ALLOCATION) $(NB_OUT) $(SETTINGS)
ifeq ($(NB_OUT),)
	@echo "notebooks: not run (they work on simulated data, and DATA=$(DATA) is not the simulated survey)"
endif
	$(CLI) manifest --results results

manifest: $(MANIFEST) ## Hash every output (results/manifest.json)

pipeline: $(MANIFEST)

# two jobs: the notebooks run beside the figures and the report
all: $(STAMP) ## Run the full pipeline (simulated data unless DATA=... CODEBOOK=...)
	@started=$$(mktemp); trap 'rm -f "$$started"' EXIT; \
	$(MAKE) --no-print-directory -j2 -f $(firstword $(MAKEFILE_LIST)) pipeline || exit $$?; \
	if [ -n "$$(find $(MANIFEST) -newer "$$started" 2>/dev/null)" ]; then \
	  echo "make all: done. The report: $(REPORT) (open it in a browser; results/report.md in Markdown)"; \
	else \
	  echo "make all: everything is up to date for these settings. The report: $(REPORT)"; \
	fi

verify: $(STAMP) ## Run the pipeline twice in temporary folders and compare every output's hash
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for run in 1 2; do \
	  mkdir -p "$$tmp/$$run"; \
	  $(MAKE) --no-print-directory -s -C "$$tmp/$$run" -f $(HERE)/Makefile pipeline \
	    SEED=$(SEED) DATA=$(if $(filter $(SIMULATED),$(DATA)),$(SIMULATED),$(abspath $(DATA))) \
	    CODEBOOK=$(if $(CODEBOOK),$(abspath $(CODEBOOK)),) > "$$tmp/$$run.log"; \
	  (cd "$$tmp/$$run" && find data results figures -type f | LC_ALL=C sort | xargs sha256sum) > "$$tmp/$$run.sha"; \
	done; \
	if diff "$$tmp/1.sha" "$$tmp/2.sha"; then echo "verify: $$(wc -l < $$tmp/1.sha) files, identical in both runs"; \
	else echo "verify: outputs differ between runs" >&2; exit 1; fi

SIMS       ?= 200
DIAG_OUT   ?= results/diagnosis
WORKERS    ?=
WORKERS_ARG := $(if $(WORKERS),--workers $(WORKERS),)

diagnose: $(STAMP) ## Design diagnosis on Dask (not part of all; SIMS=200 WORKERS=one per core)
	$(VENV)/bin/leadblackhole diagnose --sims $(SIMS) --seed $(SEED) \
	  --scenario default exact rounding_10 exact_reporters latent_shares varying_precision \
	    selection firm_slopes method_factor endogenous_volume \
	  $(WORKERS_ARG) --out $(DIAG_OUT)/scenarios
	$(VENV)/bin/leadblackhole diagnose --sims $(SIMS) --seed $(SEED) \
	  --n-reps 150,300,461,1000 --effect-scale 0.5,1,1.5 $(WORKERS_ARG) --out $(DIAG_OUT)/power

EVIDENCE_OUT ?= results/evidence
EVIDENCE_DOCS ?= $(HERE)/docs

# Resumable: a rerun computes only the replications the folders lack.
evidence: $(STAMP) ## Recompute the docs' evidence tables from a design diagnosis on Dask (SIMS=200; the scale corrections' blocks 5 x SIMS)
	$(PY) $(HERE)/benchmarks/evidence.py --sims $(SIMS) --seed 2013 --out $(EVIDENCE_OUT) \
	  --docs $(EVIDENCE_DOCS) $(WORKERS_ARG)

docs-figures: $(FIGURES) ## Copy the figures of the default run into docs/figures/ (shown by docs/figures.md)
	cp figures/*.png $(HERE)/docs/figures/

# two workers (pytest-xdist); the tests of one file share a worker, so a module's
# fixtures (the pipeline run of tests/test_cli_pipeline.py) are computed once
test: $(STAMP) ## Run the test suite without the slow tests (Monte Carlo, notebooks, a second pipeline run)
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not slow"

test-slow: $(STAMP) ## Run only the slow tests (Monte Carlo, notebooks, a second pipeline run)
	$(PY) -m pytest -q -n 2 --dist loadfile -m slow

test-all: test test-slow ## Run the whole test suite: make test, then make test-slow (what CI runs)

# Jupyter refuses to run as root unless told to: --allow-root is passed only then (in a
# container, say). LAB_ARGS passes more options, e.g. LAB_ARGS="--no-browser --port 8890".
LAB_ARGS   ?=
ROOT_ARG   := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

lab: $(STAMP) ## Install JupyterLab (the notebooks extra) into .venv and open the notebooks (LAB_ARGS=...)
	$(PY) -m pip install --quiet -c $(LOCK) -e "$(HERE)[dev,notebooks]"
	cd $(HERE)/notebooks && $(VENV)/bin/jupyter lab $(ROOT_ARG) $(LAB_ARGS)

lint: $(STAMP) ## Run ruff on the code: lint rules and formatting
	$(VENV)/bin/ruff check $(HERE)/src $(HERE)/tests $(HERE)/benchmarks
	$(VENV)/bin/ruff format --check $(HERE)/src $(HERE)/tests $(HERE)/benchmarks

clean: ## Remove generated data, results and figures (keeps .venv)
	rm -rf data/simulated/*.csv data/simulated/*.json data/simulated/.truth-cache \
	  results/* results/.settings .results.lock .figures.lock \
	  figures/*.png figures/*.pdf .pytest_cache
	@touch results/.gitkeep
