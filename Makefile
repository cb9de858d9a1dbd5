# nwbtms: `make demo` and `make test` do all set-up on a fresh machine (Python 3.11 only).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    := out

.PHONY: install demo test test-fast lint docs bench bench-neuroconv-venv spec clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python setup.cfg pyproject.toml extensions/ndx-tms/pyproject.toml \
		extensions/ndx-study-design/pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e extensions/ndx-tms -e extensions/ndx-study-design \
		-e '.[test,neuroconv,docs]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m examples.aitbs_mouse.demo --out $(OUT)/aitbs_mouse

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)

docs: $(STAMP)
	$(BIN)/sphinx-build -q -W --keep-going -b html docs $(OUT)/docs

lint: $(STAMP)
	$(BIN)/ruff check nwbtms extensions tests bench examples

bench: $(STAMP)
	$(BIN)/python -m bench

# NeuroConv pinned in its own venv, as a fixed baseline for bench_imaging (the project's own NeuroConv is the
# optional extra nwbtms[neuroconv]).
bench-neuroconv-venv:
	$(PYTHON) -m venv bench/.venv-neuroconv
	bench/.venv-neuroconv/bin/python -m pip install --quiet 'neuroconv[tiff]==0.10.2'

spec: $(STAMP)
	$(BIN)/python extensions/ndx-tms/src/spec/create_extension_spec.py

clean:
	rm -rf $(OUT) build dist *.egg-info .pytest_cache
