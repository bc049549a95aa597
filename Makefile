# The README's two quick-start commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: setup run test test-all lint bench train-reader clean

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
	$(BIN)/ruff check assistant tests benchmarks training app.py
	$(BIN)/mypy assistant

bench: setup
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/run.py $(ARGS)

# The reader (issue 13), in two seeded, resumable runs of the same recipe (192-token windows
# overlapping by 64, 4 epochs, lr 8e-5, batches of 16, seed 13, matrix products in bfloat16,
# which halves a step's time on CPUs with bf16 units); a stopped run continues from its
# last checkpoint, a finished one is not run again. First on the 21 training articles outside
# the dev fold: its predictions on the fold choose the calibration and the threshold, recorded in
# training/dev_fold.json (--choose-only: that run is not shipped). Then on all 28 training
# articles: training/pipeline.py carries those choices over, exports int8 ONNX into
# assistant/models/reader_model/, measures the shipped file on the held-out articles and writes
# training/REPORT.md and the model card, skipping what is done.
READER_DEV := data/reader/dev
READER_ALL := data/reader/all
READER_RECIPE := --epochs 4 --max-tokens 192 --overlap 64 --lr 8e-5 --batch-size 16 --seed 13 \
	--checkpoint-every 100 --bf16

train-reader: setup
	$(BIN)/pip install --quiet -e ".[train]"
	test -f $(READER_DEV)/DONE || $(BIN)/python -m training.train_reader train --fold dev \
		--out $(READER_DEV) $(READER_RECIPE)
	$(BIN)/python -m training.pipeline --run $(READER_DEV) --choose-only
	test -f $(READER_ALL)/DONE || $(BIN)/python -m training.train_reader train --fold all \
		--out $(READER_ALL) $(READER_RECIPE)
	$(BIN)/python -m training.pipeline --run $(READER_ALL)

clean:
	rm -rf $(VENV) data .cache test-artifacts
