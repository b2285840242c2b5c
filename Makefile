# Two commands on a fresh machine: `make run` (the whole pipeline on the default corpus)
# and `make test`. Both create .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN ?= runs/default
STAMP := $(VENV)/.installed

.PHONY: setup run train test bench clean labelstudio browser

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

test: setup labelstudio browser
	$(BIN)/pytest -q

# Debian's chromium and chromedriver for the report's browser test (needs apt and root;
# without them the test is skipped and says why)
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
	  || apt-get install -y -q chromium chromium-driver >/dev/null \
	  || { apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null; } \
	  || echo "chromium not installed: the report's browser test will be skipped"

bench: setup
	$(BIN)/python scripts/bench_ingest.py
	$(BIN)/python scripts/bench_classify.py --run $(RUN)

clean:
	rm -rf $(VENV) .lsvenv runs corpus/files

# Label Studio in its own venv (its Django stack stays out of ours) for the server test.
LS_VENV := .lsvenv
labelstudio: $(LS_VENV)/.installed
$(LS_VENV)/.installed:
	$(PY) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install -q --upgrade pip
	$(LS_VENV)/bin/pip install -q label-studio==1.23.2
	touch $(LS_VENV)/.installed
