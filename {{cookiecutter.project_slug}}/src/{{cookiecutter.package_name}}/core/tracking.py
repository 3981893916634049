"""MLflow tracking: MLFLOW_TRACKING_URI, else a local sqlite store. A server is probed first,
so an unreachable one fails the stage in seconds instead of hanging on retries."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from importlib.metadata import version
from typing import Any

import pandas as pd

from .errors import UserError
from .model_file import MODEL_PACKAGES, trusted_types
from .params import PACKAGE, Params, flatten
from .paths import MODEL_FILE, RUN_FILE
from .reports import read_json

REVIEWED_ARTIFACT = "reviewed"  # the run's copy of models/model.skops


def reachable_tracking_uri() -> str:
    uri = os.environ.get("MLFLOW_TRACKING_URI") or "sqlite:///mlflow.db"
    if not uri.startswith(("http://", "https://")):
        return uri
    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=3):
            return uri
    except urllib.error.HTTPError:
        return uri  # the server answered; auth or routing is MLflow's business from here
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise UserError(
            f"MLflow tracking server {uri} is unreachable ({reason}). Start it, fix "
            "MLFLOW_TRACKING_URI, or unset it to log to the local sqlite:///mlflow.db"
        ) from error


def start_mlflow():
    """Import and configure mlflow only when a stage logs, keeping other commands fast."""
    uri = reachable_tracking_uri()
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    import mlflow

    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(PACKAGE)
    return mlflow


def log_training_run(
    params: Params, model: Any, sample: pd.DataFrame, metrics: dict[str, float]
) -> dict[str, str]:
    mlflow = start_mlflow()
    from mlflow.models import infer_signature

    # Integer columns in a signature reject missing values at serving time; floats accept them.
    sample = sample.astype({name: "float64" for name in sample.select_dtypes("integer").columns})
    with mlflow.start_run() as run:
        logged = params.model_dump(mode="json", by_alias=True, include={"data", "train"})
        mlflow.log_params(flatten(logged))
        mlflow.log_metrics(metrics)
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(sample, model.predict(sample)),
            pip_requirements=[f"{name}=={version(name)}" for name in MODEL_PACKAGES],
            skops_trusted_types=trusted_types(),
            registered_model_name=PACKAGE,
        )
        # The saved file itself, byte for byte: what promotion checks against dvc.lock.
        mlflow.log_artifact(str(MODEL_FILE), artifact_path=REVIEWED_ARTIFACT)
    return {
        "run_id": run.info.run_id,
        "model_uri": info.model_uri,
        "registered_version": str(info.registered_model_version or ""),
    }


def log_to_training_run(metrics: dict[str, float]) -> str:
    """Add metrics (the review's cost figures) to the run that trained the workspace's model,
    when MLFLOW_TRACKING_URI names a server."""
    if not os.environ.get("MLFLOW_TRACKING_URI") or not RUN_FILE.exists():
        return ""
    run_id = read_json(RUN_FILE)["run_id"]
    mlflow = start_mlflow()
    with mlflow.start_run(run_id=run_id):
        mlflow.log_metrics(metrics)
    return run_id
