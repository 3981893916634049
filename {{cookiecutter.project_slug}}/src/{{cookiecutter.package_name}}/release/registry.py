"""Point the MLflow registry's `champion` alias at the model a merge ships. Anyone who can
write to the server can set a tag, so a version is reused only when its own run holds the file
with dvc.lock's md5, saved as skops (which loads data, never code); else the file is registered."""

from __future__ import annotations

import hashlib
import os
import tempfile
from argparse import Namespace
from pathlib import Path
from typing import Any

import yaml

from ..core.git import version_of_head
from ..core.lockfile import check_reviewed_model
from ..core.params import PACKAGE, load_params
from ..core.paths import METRICS_FILE, MODEL_FILE, RUN_FILE, TEST_SPLIT
from ..core.reports import read_json
from ..core.tracking import REVIEWED_ARTIFACT

ALIAS = "champion"
MD5_TAG = "dvc_md5"  # on a version: the md5 dvc.lock records for the model file it holds


def tagged_versions(client: Any, md5: str) -> list[Any]:
    """The registered versions tagged with this model file's md5 (a claim, not a proof)."""
    versions = client.search_model_versions(f"name='{PACKAGE}'")
    return [version for version in versions if version.tags.get(MD5_TAG) == md5]


def _trained_version(client: Any) -> str | None:
    """The version the train stage registered, if its run is on this tracking server."""
    from mlflow.exceptions import MlflowException

    run = read_json(RUN_FILE, {})
    if not run.get("registered_version"):
        return None
    try:
        found = client.get_model_version(PACKAGE, run["registered_version"])
    except MlflowException:
        return None
    return str(found.version) if found.run_id == run.get("run_id") else None


def proves(client: Any, version: str, md5: str) -> bool:
    """The version's run holds the reviewed file (md5 as in dvc.lock), saved as skops."""
    from mlflow.artifacts import download_artifacts
    from mlflow.exceptions import MlflowException

    found = client.get_model_version(PACKAGE, version)
    with tempfile.TemporaryDirectory() as folder:
        try:
            copy = download_artifacts(
                run_id=found.run_id, artifact_path=f"{REVIEWED_ARTIFACT}/{MODEL_FILE.name}",
                dst_path=folder,
            )  # fmt: skip
            model = download_artifacts(f"models:/{PACKAGE}/{version}/MLmodel", dst_path=folder)
        except (MlflowException, OSError):
            return False
        with open(copy, "rb") as handle:
            same_file = hashlib.file_digest(handle, "md5").hexdigest() == md5
        flavor = (yaml.safe_load(Path(model).read_text()) or {}).get("flavors", {})
    return same_file and (flavor.get("sklearn") or {}).get("serialization_format") == "skops"


def promote_command(args: Namespace) -> str:
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        return "MLFLOW_TRACKING_URI is not set: no registry to update; the bento ships regardless"
    from ..core.tracking import start_mlflow

    md5 = check_reviewed_model()
    client = start_mlflow().MlflowClient()
    tagged = [str(version.version) for version in tagged_versions(client, md5)]
    candidates = [*tagged, _trained_version(client)]
    proven = (version for version in candidates if version and proves(client, version, md5))
    if (version := next(proven, None)) is None:  # log and register the file, with its metrics
        from ..core.model_file import load_model
        from ..core.tables import read_table, split_features
        from ..core.tracking import log_training_run

        params = load_params()
        features, _ = split_features(read_table(TEST_SPLIT, params.data.target), params.data.target)
        metrics = read_json(METRICS_FILE, {})
        test_metrics = {f"test_{k}": v for k, v in metrics.items() if isinstance(v, int | float)}
        run = log_training_run(params, load_model(), features.head(5), test_metrics)
        version = run["registered_version"]
    client.set_model_version_tag(PACKAGE, version, MD5_TAG, md5)
    client.set_model_version_tag(PACKAGE, version, "git_sha", version_of_head())
    client.set_registered_model_alias(PACKAGE, ALIAS, version)
    if output := os.environ.get("GITHUB_OUTPUT"):  # the deploy job records the version
        with open(output, "a") as handle:
            handle.write(f"model-version={version}\n")
    return f"MLflow model {PACKAGE} version {version} is now @{ALIAS} (dvc md5 {md5})"
