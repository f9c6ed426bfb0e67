# The two commands: `make run` and `make test`. Everything else is set up on first use.
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
UV := .tools/bin/uv
SYNCED := $(VENV)/.synced
PORT ?= 8000
export PORT
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test lint pytest fmt schema bench clean
SCALE ?= small

run: $(SYNCED)  ## Serve on http://127.0.0.1:$(PORT) (embedded PostgreSQL unless DATABASE_URL is set)
	$(VENV)/bin/instrumenta serve

test: lint pytest  ## Lint, type-check, check layers, then the whole suite on a real PostgreSQL

lint: $(SYNCED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

pytest: $(SYNCED)
	$(VENV)/bin/pytest

fmt: $(SYNCED)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(SYNCED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

schema: $(SYNCED)  ## Rewrite schema.graphql from the code (a test fails while they differ)
	$(VENV)/bin/instrumenta graphql-schema > schema.graphql

bench: $(SYNCED)  ## Benchmark at SCALE=small|state|national against its floors and peers; report in bench/results/
	$(VENV)/bin/python -m bench --scale $(SCALE)

clean:
	rm -rf .tools $(VENV) .bench bench/postgraphile/node_modules .pytest_cache .mypy_cache .ruff_cache
