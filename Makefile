# Two commands do everything on a fresh machine: `make run` and `make test`.
# Both (re)create .venv first; `setup` only reinstalls when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: setup run test bench clean browser

setup: $(STAMP) browser

# Headless Chromium for the report's browser tests (Debian package), only when missing.
browser:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: setup
	$(BIN)/regiescan run

test: setup
	$(BIN)/python -m pytest

# Performance benchmark, on demand (not part of the tests). The issue's sizes (10k and 50k
# documents) take 45-90 minutes on 2 cores; pick smaller ones with e.g.
#   make bench BENCH_ARGS="--sizes 2000,10000 --workers-size 10000"
BENCH_ARGS ?=
bench: setup
	$(BIN)/python bench/run_bench.py $(BENCH_ARGS)

# A long-running local Prefect server for scheduled runs (`regiescan serve`): the temporary
# server `regiescan run` starts on its own cannot schedule. Its SQLite database and settings
# live in .prefect/ (not ~/.prefect). Stop it with Ctrl-C.
PREFECT_HOME_DIR := $(CURDIR)/.prefect

.PHONY: server
server: setup
	mkdir -p $(PREFECT_HOME_DIR)
	PREFECT_HOME=$(PREFECT_HOME_DIR) \
	PREFECT_SERVER_DATABASE_CONNECTION_URL=sqlite+aiosqlite:///$(PREFECT_HOME_DIR)/prefect.db \
	PREFECT_SERVER_ANALYTICS_ENABLED=false \
		$(BIN)/prefect server start --host 127.0.0.1 --port 4200

clean:
	rm -rf $(VENV) outputs
