"""Point the MLflow registry's `champion` alias at the model a merge ships (with a tracking
server only). That version carries the tag `dvc_md5`, which is how a re-run finds it; the train
stage's version is reused when its run lives on this server, else the reviewed file is
registered now.
"""

from __future__ import annotations

import json
import os
from argparse import Namespace
from typing import Any

from ..core.git import version_of_head
from ..core.lockfile import check_reviewed_model
from ..core.params import PACKAGE, Params, load_params
from ..core.paths import METRICS_FILE, RUN_FILE, TEST_SPLIT

ALIAS = "champion"


def _trained_version(client: Any) -> str | None:
    """The version the train stage registered, if its run is on this tracking server."""
    from mlflow.exceptions import MlflowException

    run = json.loads(RUN_FILE.read_text()) if RUN_FILE.exists() else {}
    if not run.get("registered_version"):
        return None
    try:
        found = client.get_model_version(PACKAGE, run["registered_version"])
    except MlflowException:
        return None
    return str(found.version) if found.run_id == run.get("run_id") else None


def _register(params: Params) -> str:
    """Log and register the reviewed model file, with its test metrics."""
    from ..core.model_file import load_model
    from ..core.tables import read_table, split_features
    from ..core.tracking import log_training_run

    features, _ = split_features(read_table(TEST_SPLIT, params.data.target), params.data.target)
    metrics = json.loads(METRICS_FILE.read_text()) if METRICS_FILE.exists() else {}
    test_metrics = {f"test_{k}": v for k, v in metrics.items() if isinstance(v, int | float)}
    run = log_training_run(params, load_model(), features.head(5), test_metrics)
    return run["registered_version"]


def promote_command(args: Namespace) -> str:
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        return "MLFLOW_TRACKING_URI is not set: no registry to update; the bento ships regardless"
    from ..core.tracking import start_mlflow

    md5 = check_reviewed_model()
    client = start_mlflow().MlflowClient()
    versions = client.search_model_versions(f"name='{PACKAGE}'")
    tagged = next((str(v.version) for v in versions if v.tags.get("dvc_md5") == md5), None)
    version = tagged or _trained_version(client) or _register(load_params())
    client.set_model_version_tag(PACKAGE, version, "dvc_md5", md5)
    client.set_model_version_tag(PACKAGE, version, "git_sha", version_of_head())
    client.set_registered_model_alias(PACKAGE, ALIAS, version)
    return f"MLflow model {PACKAGE} version {version} is now @{ALIAS} (dvc md5 {md5})"
