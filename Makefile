# mergeship's one vocabulary: the README, .ci/run and the template's CI call these targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
RUN := uv run --locked
DEMO_DIR := build/demo
WORKERS ?= 2

.PHONY: help setup test test-fast lint demo bench sample-data clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

setup: ## Install the template's test tools (locked)
	uv sync --locked

test: setup ## Run every template test: renders, hooks, workflows, end to end
	$(RUN) pytest -n $(WORKERS) --dist loadscope

test-fast: setup ## The same without the slow end-to-end tests
	$(RUN) pytest -n $(WORKERS) --dist loadscope -m "not e2e"

lint: setup ## Ruff over the template's own code (the generated code is linted per render)
	$(RUN) ruff check .
	$(RUN) ruff format --check .

demo: setup ## Generate a project with the defaults into build/demo and run its pipeline and tests
	$(RUN) python scripts/demo.py --output $(DEMO_DIR)

bench: setup ## Print measured pipeline timings of a generated project
	$(RUN) python benchmarks/pipeline_times.py

sample-data: ## Regenerate the bundled sample CSVs (committed; same seed, same bytes)
	uv run --group sample-data python scripts/make_sample_data.py

clean: ## Remove build output
	rm -rf build
