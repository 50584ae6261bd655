# The two commands of the README: `make app` and `make test`. Each works on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: app test install lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Install, load the demo partnerships into the local SQLite store, start the app on :8501
app: $(STAMP)
	$(BIN)/healthcheck serve --demo

## Install and run every test (SQLite and PostgreSQL stores, headless Chromium included)
test: $(STAMP)
	$(BIN)/ruff check healthcheck tests benchmarks app.py
	$(BIN)/healthcheck validate
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check healthcheck tests benchmarks app.py

## Performance figures, printed as ratios against in-run baselines
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
