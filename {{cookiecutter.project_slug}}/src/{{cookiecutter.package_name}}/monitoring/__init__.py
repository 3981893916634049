"""After release: is the data still like the training data, and does the model still score?

Drift detection, the inference log, performance on labels that arrive later, pushing gauges
to a Pushgateway and retraining PRs.
This folder is whole or absent (the template's `monitoring` option), with the CLI's
monitoring commands and core/inference_log.py, which the service writes.
"""
