# Every target builds its own virtual environment from a clean checkout.
# The README's two set-up commands are `make demo` and `make test`.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Debian packages for Prometheus (server, promtool) and Alertmanager (amtool): the demo
# starts Prometheus when it is there; the tests need it. Installed once, if missing.
SYSTEM_PACKAGES := prometheus prometheus-alertmanager
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT  := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

.PHONY: demo test test-fast bench schemas clean help system-deps

help:
	@echo "make demo     live demo: embedded broker, worker, simulator publishing (Ctrl-C to stop)"
	@echo "make test     the whole test suite (what CI runs)"
	@echo "make bench    every benchmark suite; rewrites the table in BENCHMARKS.md"
	@echo "make schemas  regenerate schemas/json from the models"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

system-deps:
	@command -v promtool >/dev/null && command -v amtool >/dev/null && command -v prometheus >/dev/null || { \
	  echo "installing Debian's $(SYSTEM_PACKAGES) ..."; \
	  $(APT) install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null 2>&1 || \
	  { $(APT) update -qq && $(APT) install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; }; }

# The demo runs without Prometheus if it cannot be installed (no apt, no sudo).
demo: $(STAMP)
	-@$(MAKE) --no-print-directory system-deps
	$(BIN)/chokepoint demo

test: $(STAMP) system-deps
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not integration"

bench: $(STAMP)
	$(BIN)/chokepoint bench --write BENCHMARKS.md

schemas: $(STAMP)
	$(BIN)/python -m schemas.jsonschema

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
