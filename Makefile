# leadblackhole: rebuild every table and figure with `make all`.
# Run `make` or `make help` for the list of targets.

PYTHON_SYS ?= python3
VENV       := .venv
PY         := $(VENV)/bin/python
CLI        := $(VENV)/bin/leadblackhole
STAMP      := $(VENV)/.installed
SEED       ?= 20130101
DATA       ?= data/simulated/reps.csv
CODEBOOK   ?=
CB_ARG     := $(if $(CODEBOOK),--codebook $(CODEBOOK),)
CB_DEP     := $(if $(CODEBOOK),$(CODEBOOK),)
SIMULATED  := data/simulated/reps.csv

.DEFAULT_GOAL := help
.PHONY: help install data validate all test lint clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON_SYS) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(STAMP) ## Create .venv and install the package with its dev extra

$(SIMULATED): $(STAMP) src/leadblackhole/simulation/design.py src/leadblackhole/simulation/simulate.py
	$(CLI) simulate --seed $(SEED) --out $@

data: $(SIMULATED) ## Simulate the study's survey (data/simulated/reps.csv)

validate: $(STAMP) $(DATA) ## Check the input survey against the contract
	$(CLI) validate $(DATA) $(CB_ARG)

all: $(STAMP) validate ## Run the full pipeline (simulated data unless DATA=... CODEBOOK=...)

test: $(STAMP) ## Run the test suite
	$(PY) -m pytest -q

lint: $(STAMP) ## Run ruff on the code
	$(VENV)/bin/ruff check src tests benchmarks

clean: ## Remove generated data, results and figures (keeps .venv)
	rm -rf data/simulated/*.csv results/* figures/*.png figures/*.pdf .pytest_cache
	@touch results/.gitkeep
