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
SRC        := $(shell find $(HERE)/src -name '*.py')
# What the simulated data depend on: the simulator, the base layer it imports (and
# tests/test_architecture.py checks that it imports nothing else) and the command line.
BASE_LAYER := $(addprefix $(HERE)/src/leadblackhole/,__init__.py config.py exceptions.py \
              specification.py compositions.py registry.py shares.py outputs.py cli.py)
SIM_SRC    := $(wildcard $(HERE)/src/leadblackhole/simulation/*.py) $(BASE_LAYER)
NOTEBOOKS  := $(sort $(wildcard $(HERE)/notebooks/*.ipynb))
NB_OUT     := $(patsubst $(HERE)/notebooks/%,results/notebooks/%,$(NOTEBOOKS))

# The paths below are those of src/leadblackhole/config.py (the CLI's defaults), relative to
# the folder make runs in; make needs them before the package is installed, so they are
# spelled here too, and tests/test_packaging.py checks that the two agree.
VALIDATION := results/validation.md
MEASURE    := results/measurement/measurement.csv
MODELS     := results/models/estimates.csv
FITS       := results/models/fits.pickle
FIGURES    := figures/effects.png
REPORT     := results/report.html
MANIFEST   := results/manifest.json
ALLOCATION := results/allocation/policies.csv
ORACLE_ARG := $(if $(filter $(SIMULATED),$(DATA)),--oracle,)

.DEFAULT_GOAL := help
.PHONY: help install data validate measure models tables figures report notebooks manifest \
        allocate pipeline all verify docs-figures test lint clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): $(HERE)/pyproject.toml
	$(PYTHON_SYS) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e "$(HERE)[dev]"
	@touch $@

install: $(STAMP) ## Create .venv and install the package with its dev extra

$(SIMULATED): $(STAMP) $(SIM_SRC)
	$(CLI) simulate --seed $(SEED) --out $@

data: $(SIMULATED) ## Simulate the study's survey (data/simulated/reps.csv)

$(VALIDATION): $(STAMP) $(DATA_DEP) $(CB_DEP) $(SRC)
	$(CLI) validate "$(DATA)" $(CB_ARG) --out results

validate: $(VALIDATION) ## Check the input survey against the contract (results/validation.md)

$(MEASURE): $(VALIDATION)
	$(CLI) measure "$(DATA)" $(CB_ARG) --out results/measurement

measure: $(MEASURE) ## Reliability, CFA, validity, CMV and descriptives (results/measurement/)

$(MODELS): $(VALIDATION)
	$(CLI) fit "$(DATA)" $(CB_ARG) --out results/models --bootstrap $(BOOTSTRAP) --seed $(SEED)

models: $(MODELS) ## Dirichlet and robustness models, hypotheses (results/models/)

tables: $(MEASURE) $(MODELS) ## Every table (measure + models)

$(FIGURES): $(MODELS)
	$(CLI) figures "$(DATA)" $(CB_ARG) --fits $(FITS) --out figures

figures: $(FIGURES) ## Every figure, PNG and PDF (figures/)

$(REPORT): $(MEASURE) $(MODELS) $(FIGURES)
	$(CLI) report --results results --figures figures

report: $(REPORT) ## Replication report (results/report.md, results/report.html)

$(ALLOCATION): $(MODELS)
	$(CLI) allocate $(DATA) $(CB_ARG) --fits $(FITS) --out results/allocation --seed $(SEED) $(ORACLE_ARG)

allocate: $(ALLOCATION) ## Lead-allocation policies and the black hole (results/allocation/)

results/notebooks/%.ipynb: $(HERE)/notebooks/%.ipynb $(STAMP) $(SRC)
	$(CLI) notebook $< --out $@

notebooks: $(NB_OUT) ## Execute every notebook (results/notebooks/)

$(MANIFEST): $(REPORT) $(NB_OUT)
	$(CLI) manifest --results results

manifest: $(MANIFEST) ## Hash every output (results/manifest.json)

pipeline: $(MANIFEST)

all: $(STAMP) pipeline ## Run the full pipeline (simulated data unless DATA=... CODEBOOK=...)

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

docs-figures: $(FIGURES) ## Copy the figures of the default run into docs/figures/ (shown by docs/figures.md)
	cp figures/*.png $(HERE)/docs/figures/

test: $(STAMP) ## Run the test suite (includes the notebooks)
	$(PY) -m pytest -q

lint: $(STAMP) ## Run ruff on the code: lint rules and formatting
	$(VENV)/bin/ruff check $(HERE)/src $(HERE)/tests $(HERE)/benchmarks
	$(VENV)/bin/ruff format --check $(HERE)/src $(HERE)/tests $(HERE)/benchmarks

clean: ## Remove generated data, results and figures (keeps .venv)
	rm -rf data/simulated/*.csv results/* figures/*.png figures/*.pdf .pytest_cache
	@touch results/.gitkeep
