# The two commands: `make demo` and `make test`. Both create .venv themselves on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
BENCH_STAMP := $(VENV)/.bench-$(shell cksum pyproject.toml | cut -d' ' -f1)

export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PREFECT_HOME ?= $(CURDIR)/.erp-sync/prefect

.PHONY: demo test lint venv clean bench bench-scale browser console

$(STAMP): pyproject.toml
	rm -f $(VENV)/.installed-*
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,tryton]'
	mkdir -p $(PREFECT_HOME)
	touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/erp-sync demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Debian's Chromium and ChromeDriver drive the console's browser test; installed once, as root.
browser:
	test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

test: lint browser
	$(BIN)/pytest

console: $(STAMP)
	$(BIN)/erp-sync console --port 8080

clean:
	rm -rf $(VENV) .erp-sync .pytest_cache .mypy_cache

# The benchmarks' extra (dlt, what they compare with) is installed here only; `make test` never needs it.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/suite.py

# The scale simulation (issue #9): 1,000 tenants through the dispatcher on one worker of a real
# Prefect server, about 15 minutes. On demand only: neither `make bench` nor `make test` runs it.
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/scale.py
