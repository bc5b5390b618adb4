# The two commands: `make demo` and `make test`. Both create .venv themselves on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PREFECT_HOME ?= $(CURDIR)/.erp-sync/prefect

.PHONY: demo test lint venv clean bench

$(STAMP): pyproject.toml
	rm -f $(VENV)/.installed-*
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,tryton]'
	touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/erp-sync demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .erp-sync .pytest_cache .mypy_cache

bench: $(STAMP)
	$(BIN)/python benchmarks/import_rate.py --rows 100000 --rounds 3
