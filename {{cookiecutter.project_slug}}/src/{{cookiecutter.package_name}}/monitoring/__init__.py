"""After release: is the data still like the training data, and does the model still score?

Drift detection, the inference log, performance on labels that arrive later, pushing gauges
to a Pushgateway and retraining PRs.
This folder is whole or absent (the template's `monitoring` option): the service and the
CLI look for it, so nothing else changes when it is left out.
"""

from pathlib import Path

DRIFT_REPORT = Path("reports/drift.md")
DRIFT_RESULT = Path("reports/drift.json")
PERFORMANCE_REPORT = Path("reports/performance.md")
PERFORMANCE_RESULT = Path("reports/performance.json")
