"""Cheap checks of params.yaml and dvc.yaml for pre-commit: caught in seconds, not later in CI."""

from __future__ import annotations

from argparse import Namespace
from pathlib import Path
from typing import Any

from ..core import recipe
from ..core.contract import load_contract
from ..core.errors import UserError
from ..core.params import Params, load_params, read_params_tree
from ..core.paths import (
    METRICS_FILE,
    MODEL_FILE,
    PARAMS_FILE,
    PIPELINE_FILE,
    TEST_SPLIT,
    TRAIN_SPLIT,
    VALIDATION_REPORT,
)
from .estimator import estimator_problems


def has_key(tree: dict[str, Any], dotted: str) -> bool:
    for part in dotted.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return False
        tree = tree[part]
    return True


# What each stage writes, as core/paths.py names it: dvc.yaml must declare the same files.
STAGE_OUTPUTS = {
    "validate": [VALIDATION_REPORT],
    "prepare": [TRAIN_SPLIT, TEST_SPLIT],
    "train": [MODEL_FILE],
    "evaluate": [METRICS_FILE],
}


def sensitive_feature_problems(params: Params) -> list[str]:
    schema = params.data.schema_file
    if not schema.exists():
        return []
    columns = list(load_contract(schema).columns)
    return [
        f"{PARAMS_FILE}: evaluate.sensitive_features names '{column}', which is not a column "
        f"of {schema}; choose from {', '.join(columns)}"
        for column in params.evaluate.sensitive_features
        if column not in columns
    ]


def pipeline_problems(
    pipeline_file: Path = PIPELINE_FILE, params_file: Path = PARAMS_FILE
) -> list[str]:
    typed = load_params(params_file)  # every key typed and known, or a UserError naming it
    params = read_params_tree(params_file)
    stages = recipe.stages(recipe.read(pipeline_file))
    problems = estimator_problems(typed) + sensitive_feature_problems(typed)
    for stage, paths in STAGE_OUTPUTS.items():
        spec = stages.get(stage, {})
        declared = recipe.paths_of(spec.get("outs")) + recipe.paths_of(spec.get("metrics"))
        problems += [
            f"{pipeline_file}: stage '{stage}' writes {path} but does not declare it"
            for path in paths
            if path.as_posix() not in declared
        ]
    for stage, spec in stages.items():
        problems += [
            f"{pipeline_file}: stage '{stage}' uses param '{key}', missing from {params_file}"
            for key in spec.get("params", [])
            if isinstance(key, str) and not has_key(params, key)
        ]
        problems += [
            f"{pipeline_file}: stage '{stage}' depends on {dep}, which does not exist"
            for dep in spec.get("deps", [])
            if isinstance(dep, str) and dep.startswith("src/") and not Path(dep).exists()
        ]
    return problems


def check_command(args: Namespace) -> str:
    if problems := pipeline_problems():
        raise UserError("\n".join(problems))
    return "params.yaml is valid and dvc.yaml agrees with it"
