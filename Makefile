# mergeship's one vocabulary: the README, .ci/run and the template's CI call these targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
# uv drives everything. Without one on PATH, `make` installs a private copy from the package
# index into build/tools (needs only python3 with venv), so a fresh machine needs no setup.
BOOTSTRAP_UV := $(CURDIR)/build/tools/bin/uv
UV := $(or $(shell command -v uv 2>/dev/null),$(BOOTSTRAP_UV))
RUN := $(UV) run --locked
DEMO_DIR := build/demo
WORKERS ?= 2
# package_size.py compares the generated package with SIZE_BASE, the layout before the one-way
# layers (the simplification's starting point), and, like for like, without SIZE_NEWER: the
# files of the features that came after it (trust boundary, review cost, release record).
SIZE_BASE ?= 4f5fa08
SIZE_NEWER ?= review/cost.py review/boundary.py release/deployments.py release/model_card.py \
	release/environments.py core/recipe.py pipeline/reproduce.py

.PHONY: help setup test test-fast lint demo bench sample-data clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

setup: | $(UV) ## Install the template's test tools (locked), bootstrapping uv if it is absent
	$(UV) sync --locked

$(BOOTSTRAP_UV):
	@echo "uv not found on PATH: installing it into build/tools"
	python3 -m venv build/tools
	build/tools/bin/python -m pip install --quiet --disable-pip-version-check uv

test: setup ## Run every template test: renders, hooks, workflows, end to end
	$(RUN) pytest -n $(WORKERS) --dist loadscope --durations=25

test-fast: setup ## The same without the slow end-to-end tests
	$(RUN) pytest -n $(WORKERS) --dist loadscope -m "not e2e"

lint: setup ## Ruff over the template's own code (the generated code is linted per render)
	$(RUN) ruff check .
	$(RUN) ruff format --check .

demo: setup ## The whole loop in build/demo: generate, pipeline, tests, a PR review, bento, serve
	$(RUN) python scripts/demo.py --output $(DEMO_DIR)

bench: setup ## Measure and write benchmarks/results.md: pipeline, scale to 1M rows, serving vs MLflow, log read-back, review cost noise, fresh clone, image (needs Docker), package size
	$(RUN) python benchmarks/pipeline_times.py --repeat 3
	$(RUN) python benchmarks/scale.py
	$(RUN) python benchmarks/serving.py
	$(RUN) python benchmarks/serving_profile.py
	$(RUN) python benchmarks/inference_log.py
	$(RUN) python benchmarks/review_cost_noise.py --runs 10
	$(RUN) --group bench-models python benchmarks/model_defaults.py
	$(RUN) python benchmarks/fresh_clone_to_green.py --repeat 3
	$(RUN) python benchmarks/image.py --starts 3
	$(RUN) python benchmarks/package_size.py --base $(SIZE_BASE) --newer $(SIZE_NEWER)

sample-data: ## Regenerate the bundled sample CSVs (committed; same seed, same bytes)
	$(UV) run --group sample-data python scripts/make_sample_data.py

clean: ## Remove build output (the demo, a bootstrapped uv)
	rm -rf build
