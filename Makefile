# twitch-triage: `make app` and `make test` are all a newcomer needs.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MODEL  := models/model.joblib
# What the model learned from (the knowledge base's numbers; make sees the file, the model's manifest its numbers).
# Not the code: editing it never stales a model; who changes how the model is trained runs `make train`.
MODEL_INPUTS := data/knowledge_base.yaml

.PHONY: help install app test train score bench vignettes clean

## help: list every target
help:
	@echo "twitch-triage — make targets:"
	@grep -E '^## ' $(MAKEFILE_LIST) | sed -e 's/^## /  /' -e 's/: /\t/' | expand -t 16

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dask]'
	$(BIN)/python -m compileall -q src  # as pip does for a package it installs (not an editable one): 25 ms less per start
	@touch $(STAMP)

## install: create .venv with the package, its test tools and Dask (the tests run a local cluster)
install: $(STAMP)

$(MODEL): $(wildcard $(MODEL_INPUTS)) | $(STAMP)
	$(BIN)/twitch-triage train

## app: set up, build the model if missing or stale, and open the app
app: $(STAMP) $(MODEL)
	$(BIN)/python -m twitch_triage_app --browser.gatherUsageStats false

## test: set up, then run every test
test: $(STAMP)
	$(BIN)/python -m pytest

## train: regenerate the synthetic data and retrain the model (writes models/: model, model card, figures)
train: $(STAMP)
	$(BIN)/twitch-triage train

## score: batch-score a CSV: make score IN=cases.csv OUT=scored.csv
score: $(STAMP) $(MODEL)
	@test -n "$(IN)" -a -n "$(OUT)" || { echo "usage: make score IN=cases.csv OUT=scored.csv" >&2; exit 2; }
	$(BIN)/twitch-triage score "$(IN)" -o "$(OUT)"

## bench: run the benchmarks and write reports/benchmarks.md (installs the CSV floors it compares with)
bench: $(STAMP) $(MODEL)
	$(BIN)/python -m pip install --quiet -e '.[test,dask,bench]'
	$(BIN)/python -m compileall -q src  # the code as installed (its bytecode current), as every command reads it
	$(BIN)/python benchmarks/run.py

## vignettes: score data/vignettes.yaml with the model and the oracle (the README's table)
vignettes: $(STAMP) $(MODEL)
	$(BIN)/python -m twitch_triage.model.vignettes

## clean: remove the virtual environment and caches (keeps models/ and reports/)
clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build src/*.egg-info
