# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench clean

$(STAMP): pyproject.toml setup.py autovec/_kernels.c
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/autovec serve --db ./data

test: $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check autovec tests bench
	$(BIN)/ruff format --check autovec tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/exact_search.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
