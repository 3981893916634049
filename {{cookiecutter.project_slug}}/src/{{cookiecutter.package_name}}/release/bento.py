"""Stage the reviewed model for BentoML and name the bento after the commit that holds it."""

from __future__ import annotations

import shutil
import sys
from argparse import Namespace
from contextlib import suppress

from ..core.contract import write_serving_columns
from ..core.errors import UserError
from ..core.git import version_of_head
from ..core.lockfile import check_reviewed_model, model_tag
from ..core.params import PACKAGE, load_params
from ..core.paths import METRICS_FILE, MODEL_FILE, RUN_FILE
from ..core.reports import read_json


def stage_bento_command(args: Namespace) -> str:
    """Save the reviewed model for BentoML, drop a stale bento of the same version (a rebuild
    of a dirty tree), and return the bento version for `bentoml build`."""
    import bentoml
    from bentoml.exceptions import NotFound

    md5 = check_reviewed_model()
    version = version_of_head()
    params = load_params()
    write_serving_columns(params.data.schema_file, params.data.target)
    tag = model_tag()
    try:
        bentoml.models.get(tag)
    except NotFound:
        labels = {"dvc_md5": md5, "git_sha": version}
        if RUN_FILE.exists():
            labels["mlflow_run_id"] = str(read_json(RUN_FILE).get("run_id", ""))
        metrics = read_json(METRICS_FILE, {})
        metadata = {k: v for k, v in metrics.items() if isinstance(v, int | float)}
        with bentoml.models.create(tag, labels=labels, metadata=metadata) as model:
            shutil.copyfile(MODEL_FILE, model.path_of(MODEL_FILE.name))
        print(f"saved {MODEL_FILE} as BentoML model {tag}", file=sys.stderr)
    with suppress(NotFound):
        bentoml.bentos.delete(f"{PACKAGE}:{version}")
        print(f"replaced the earlier bento {PACKAGE}:{version}", file=sys.stderr)
    return version


def bento_version_command(args: Namespace) -> str:
    return version_of_head()


def bento_path_command(args: Namespace) -> str:
    """The directory of the bento built from this commit. `bentoml serve` takes it as the
    container does: given the tag, it would import this checkout's package instead."""
    import bentoml
    from bentoml.exceptions import NotFound

    tag = f"{PACKAGE}:{version_of_head()}"
    try:
        return str(bentoml.bentos.get(tag).path)
    except NotFound as error:
        raise UserError(f"no bento {tag}: run `make bento` first") from error
