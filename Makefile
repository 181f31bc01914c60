# Every target builds its own virtual environment from a clean checkout.
# The README's two set-up commands are `make demo` and `make test`.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast bench schemas clean help

help:
	@echo "make demo     live demo: embedded broker, worker, simulator publishing (Ctrl-C to stop)"
	@echo "make test     the whole test suite (what CI runs)"
	@echo "make bench    benchmarks; prints rows for BENCHMARKS.md"
	@echo "make schemas  regenerate schemas/json from the models"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/chokepoint demo

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not integration"

bench: $(STAMP)
	$(BIN)/chokepoint bench

schemas: $(STAMP)
	$(BIN)/python -m schemas.jsonschema

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
