# `make demo` and `make test` create .venv when missing and install skrec into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= synthetic

.PHONY: demo test docs lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first: 2.13.0 is the CPU build available on these machines; any other
# spec would download a multi-GB CUDA build.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

# The `dev` extra includes matplotlib (the `plot` extra), so the demo, the gallery
# scripts and the tests of skrec.plot run in the same environment.
demo: $(STAMP)
	$(BIN)/python examples/demo.py --data $(DATA)

# One BLAS/torch thread: the suite is thousands of tiny fits, for which a second
# thread costs more in synchronisation than it gains (about 30% slower).
test: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q

docs: $(STAMP)
	$(BIN)/python -m pip install -q -e ".[docs]"
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

lint: $(STAMP)
	$(BIN)/ruff check skrec tests benchmarks examples

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf docs/_build docs/auto_examples docs/generated demo_output
