# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench clean mysql-client

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

unit: $(STAMP) mysql-client
	$(BIN)/pytest -q

# The `mysql` command-line client, for tests/server/test_mysql_cli.py (skipped, loudly, where
# it cannot be installed).
mysql-client:
	@command -v mysql >/dev/null 2>&1 \
	  || apt-get install -y -q default-mysql-client >/dev/null 2>&1 \
	  || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q default-mysql-client >/dev/null 2>&1) \
	  || echo "WARNING: could not install default-mysql-client; the mysql CLI tests will be skipped"

bench: $(STAMP)
	$(BIN)/python bench/exact_search.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
