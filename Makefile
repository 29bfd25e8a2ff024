# Two commands do everything on a fresh machine: `make run` and `make test`.
# Both (re)create .venv first; `setup` only reinstalls when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: setup run test clean browser

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

clean:
	rm -rf $(VENV) outputs
