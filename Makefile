# fanlens — `make run` serves the dashboard and API; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check -q

.DEFAULT_GOAL := help
.PHONY: help install install-dev run serve test pytest conformance lint fmt constraints clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "fanlens needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -c constraints.txt -e '.[dev]'
	@touch $@

install: $(VENV)/.installed ## Create .venv and install fanlens

install-dev: $(VENV)/.installed-dev ## Install fanlens with the test and lint tools

run: install ## First run: a demo synced from local platform simulators; then serve http://127.0.0.1:8000 with the job worker
	$(BIN)/fanlens serve --demo

test: install-dev lint pytest conformance ## Lint, run the test suite, then the conformance tests on the system PostgreSQL

pytest: install-dev ## Run the test suite on the embedded PostgreSQL, one worker per core (installs Debian's chromium for the browser tests when missing)
	@bash scripts/ensure-chromium.sh
	$(BIN)/pytest -n auto --dist loadgroup

conformance: install-dev ## Run schema conformance tests on the machine's own PostgreSQL, when installed
	@bash scripts/conformance-system-pg.sh $(BIN)/pytest

lint: install-dev ## ruff, mypy and the import layers (.importlinter)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: install-dev ## Format and auto-fix
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

constraints: install-dev ## Re-pin constraints.txt from the installed packages
	$(BIN)/pip freeze --exclude-editable | grep -v '^fanlens' > constraints.txt

clean: ## Remove the venv and local data
	rm -rf $(VENV) .fanlens .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache
