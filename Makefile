# Two commands on a fresh machine: `make run` (the whole pipeline on the default corpus)
# and `make test`. Both create .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN ?= runs/default
STAMP := $(VENV)/.installed

.PHONY: setup run train test bench clean

setup: $(STAMP)

# torch==2.13.0 first: it is the CPU build on local disk; a plain `torch` would pull CUDA.
$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[encoder,dev]'
	touch $(STAMP)

run: setup
	$(BIN)/ddlens corpus fetch
	$(BIN)/ddlens run --out $(RUN)
	@echo "Run folder: $(RUN): documents, passages, predictions, matrix.{csv,json,xlsx}, heatmap.png, report.html"

# Rebuild every model in models/ from annotations/ (grouped 5-fold CV metrics in each card).
train: setup
	$(BIN)/ddlens train --cv 5

test: setup
	$(BIN)/pytest -q

bench: setup
	$(BIN)/python scripts/bench_ingest.py
	$(BIN)/python scripts/bench_classify.py --run $(RUN)

clean:
	rm -rf $(VENV) runs corpus/files
