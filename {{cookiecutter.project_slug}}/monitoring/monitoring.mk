# Monitoring targets, included by the Makefile (pruned with monitoring/ when monitoring=no).
# retrain.yml calls these same targets.
CURRENT ?= data/current/data.csv
# performance: LABELS is a CSV of id,label (a path or an http(s) URL) naming predictions of
# the inference log: INFERENCE_LOG=<file>, else params.yaml serve.inference_log.
LABELS ?=
export LABELS

.PHONY: drift drift-report push-drift-metrics refresh-data retrain-pr
.PHONY: performance performance-report push-performance-metrics

drift: ## Compare CURRENT (CSV, Parquet or .jsonl log) with the training data; fail on drift
	$(RUN) $(PACKAGE) drift "$(CURRENT)"

drift-report: ## As drift, but exit 0 on drift and record drifted=true|false for a workflow
	$(RUN) $(PACKAGE) drift "$(CURRENT)" --report-only

push-drift-metrics: ## Push reports/drift.prom to the Pushgateway at PUSHGATEWAY_URL (alerts read it)
	$(RUN) $(PACKAGE) push-drift-metrics

performance: ## Join LABELS (csv of id,label) with the inference log; fail on a drop beyond review tolerances
	$(RUN) $(PACKAGE) performance "$$LABELS"

performance-report: ## As performance, but exit 0 on a drop and record dropped=true|false for a workflow
	$(RUN) $(PACKAGE) performance "$$LABELS" --report-only

push-performance-metrics: ## Push reports/performance.prom to the Pushgateway at PUSHGATEWAY_URL
	$(RUN) $(PACKAGE) push-performance-metrics

refresh-data: ## Make the labelled CURRENT window the training data and version it with DVC
	cp "$(CURRENT)" data/raw/data.csv
	$(RUN) dvc add data/raw/data.csv

retrain-pr: ## Commit the retrained dvc.lock on a new branch and open a PR (GH_TOKEN: App token or PAT)
	$(RUN) $(PACKAGE) retrain-pr

.PHONY: alerts-test

alerts-test: ## Check the Prometheus alert rules and run their unit tests (needs promtool)
	promtool check rules monitoring/alerts.yaml
	promtool test rules monitoring/alerts.test.yaml
