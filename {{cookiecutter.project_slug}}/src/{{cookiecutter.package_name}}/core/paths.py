"""Every fixed path of the project, once. dvc.yaml names the same files: `make check`
(pipeline/sanity.py) fails when they disagree."""

from pathlib import Path

PARAMS_FILE = Path("params.yaml")
PIPELINE_FILE = Path("dvc.yaml")
LOCK_FILE = Path("dvc.lock")
VALIDATION_REPORT = Path("reports/validation.json")
PREPARED_DIR = Path("data/prepared")
TRAIN_SPLIT = PREPARED_DIR / "train.parquet"
TEST_SPLIT = PREPARED_DIR / "test.parquet"
MODEL_FILE = Path("models/model.skops")
RUN_FILE = Path("models/mlflow_run.json")
TRAINING_COST = Path("models/training_cost.json")  # this machine's fit: time, peak memory
METRICS_FILE = Path("metrics.json")
PLOTS_DIR = Path("plots")
REVIEW_REPORT = Path("reports/review.md")
COST_RESULT = Path("reports/cost.json")  # the review's cost figures, never in metrics.json
SERVING_COLUMNS = Path("build/serving/columns.json")  # the contract's columns, for the bento
SERVING_REQUIREMENTS = Path("build/serving/requirements.txt")  # uv.lock's, for the image
DRIFT_REPORT = Path("reports/drift.md")
DRIFT_RESULT = Path("reports/drift.json")
PERFORMANCE_REPORT = Path("reports/performance.md")
PERFORMANCE_RESULT = Path("reports/performance.json")
RETRAIN_PR_BODY = Path("reports/retrain-pr.md")
