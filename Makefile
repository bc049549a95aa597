# The README's two quick-start commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: setup run test test-all lint bench clean

# The CPU build of torch is installed first: a bare `torch` requirement would pull CUDA wheels.
$(BIN)/briefing: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/briefing export-onnx
	touch $(BIN)/briefing

setup: $(BIN)/briefing

run: setup
	$(BIN)/python app.py $(ARGS)

test: setup
	$(BIN)/python -m pytest -m "not slow" -q

test-all: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check assistant tests benchmarks app.py
	$(BIN)/mypy assistant

bench: setup
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/run.py $(ARGS)

clean:
	rm -rf $(VENV) data .cache test-artifacts
