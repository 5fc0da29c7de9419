# Parallax: `make run` serves the bundled corpus locally, `make test` runs every check. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: help run serve test test-fast lint bench clean watch lock

help:  ## this list of targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /\1\t/' | expand -t 12

# The venv keeps the pip its Python bundles (no upgrade): the same plain install path CI smoke-tests.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# requirements.lock pins every package of the tree (transitive ones too) as constraints: the versions tested.
$(VENV)/.runtime: requirements.txt requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt -c requirements.lock
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt -c requirements.lock
	touch $(VENV)/.runtime $@

lock: $(VENV)/.dev  ## write requirements.lock from the development venv (after changing a requirement)
	{ sed -n '1,3p' requirements.lock; $(BIN)/pip freeze --exclude-editable | grep -v '@ file'; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

run: $(VENV)/.runtime  ## the app on the bundled corpus at http://127.0.0.1:5000/
	$(BIN)/python app.py

serve: $(VENV)/.runtime  ## the team server (nginx in front of gunicorn); configure with PARALLAX_* variables
	$(BIN)/python -m parallax.serve

watch: $(VENV)/.runtime  ## the watcher: fetches watched articles and feeds, keeps every version (--once: ARGS=--once)
	$(BIN)/python -m parallax.sources.watch $(ARGS)

test: $(VENV)/.dev  ## system packages, lint, types and the whole test suite
	bash scripts/test.sh

test-fast: $(VENV)/.dev  ## every test but the browser and slow ones, on all cores (no lint, no system packages)
	$(BIN)/python -m pytest -q -n auto -m "not browser and not slow"

lint: $(VENV)/.dev  ## ruff, mypy and bandit
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/bandit -q -c pyproject.toml -r parallax app.py

bench: $(VENV)/.dev  ## every benchmark, printing ratios against baselines measured in the same run
	$(BIN)/python -m bench

clean:  ## remove the venv and tool caches
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
