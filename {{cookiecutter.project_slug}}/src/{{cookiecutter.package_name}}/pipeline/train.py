"""The train stage: fit the Pipeline on the training split, save it, and log it to MLflow."""

from __future__ import annotations

import json
import resource
import time
from argparse import Namespace

from ..core.errors import UserError
from ..core.model_file import save_model
from ..core.params import load_params
from ..core.paths import MODEL_FILE, RUN_FILE, TRAIN_SPLIT, TRAINING_COST
from ..core.scoring import score
from ..core.tables import read_table, split_features
from ..core.tracking import log_training_run, reachable_tracking_uri
from .estimator import build_model, estimator_problems


def train_command(args: Namespace) -> str:
    params = load_params()
    if problems := estimator_problems(params):
        raise UserError("\n".join(problems))
    reachable_tracking_uri()  # fail in seconds, before minutes of fitting
    target = params.data.target
    features, actual = split_features(read_table(TRAIN_SPLIT, target), target)
    started = time.perf_counter()
    try:
        model = build_model(params, features).fit(features, actual)
    except (TypeError, ValueError) as error:
        raise UserError(
            f"training failed; check train.hyperparameters in params.yaml: {error}"
        ) from error
    seconds = time.perf_counter() - started
    save_model(model, MODEL_FILE)
    # For the review's cost table, never for dvc.lock: timings differ on every run.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux gives KiB
    TRAINING_COST.write_text(json.dumps({"train_seconds": seconds, "train_peak_mb": peak_mb}))
    fit_metrics = {f"train_{name}": value for name, value in score(model, features, actual).items()}
    run = log_training_run(params, model, features.head(5), fit_metrics)
    RUN_FILE.write_text(json.dumps(run, indent=2) + "\n")
    version = run["registered_version"]
    return f"trained and logged MLflow run {run['run_id']} (model version {version})"
