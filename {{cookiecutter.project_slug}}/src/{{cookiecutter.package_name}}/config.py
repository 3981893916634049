"""One typed loader for params.yaml, and the fixed paths the DVC stages share.

Every module reads configuration through `load_params()`, so a typo in params.yaml fails
once, early, naming the key, instead of deep inside a stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from .errors import UserError

Task = Literal["classification", "regression"]
TASK: Task = "{{ cookiecutter.task }}"
PACKAGE = "{{ cookiecutter.package_name }}"

PARAMS_FILE = Path("params.yaml")
VALIDATION_REPORT = Path("reports/validation.json")
PREPARED_DIR = Path("data/prepared")
TRAIN_SPLIT = PREPARED_DIR / "train.parquet"
TEST_SPLIT = PREPARED_DIR / "test.parquet"
MODEL_FILE = Path("models/model.skops")
RUN_FILE = Path("models/mlflow_run.json")
METRICS_FILE = Path("metrics.json")
PLOTS_DIR = Path("plots")


@dataclass(frozen=True)
class DataParams:
    raw: Path
    schema: Path
    target: str
    test_size: float
    seed: int


@dataclass(frozen=True)
class TrainParams:
    model: str
    hyperparameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QualityFloor:
    metric: str
    minimum: float


@dataclass(frozen=True)
class EvaluateParams:
    quality_floor: QualityFloor
    slice_by: str | None = None


@dataclass(frozen=True)
class Params:
    data: DataParams
    train: TrainParams
    evaluate: EvaluateParams
    raw: dict[str, Any]


def _section(tree: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = tree.get(key)
    if not isinstance(value, dict):
        raise UserError(f"{path}: section '{key}' is missing or not a mapping")
    return value


def _value(section: dict[str, Any], name: str, kind: type, where: str) -> Any:
    if name not in section:
        raise UserError(f"params.yaml: '{where}.{name}' is missing")
    value = section[name]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise UserError(f"params.yaml: '{where}.{name}' must be {kind.__name__}, got {value!r}")
    return value


def load_params(path: Path = PARAMS_FILE) -> Params:
    """Read and type-check params.yaml; raise UserError naming the first bad key."""
    if not path.exists():
        raise UserError(f"{path} not found: run commands from the repository root")
    try:
        tree = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise UserError(f"{path} is not valid YAML: {error}") from error
    data = _section(tree, "data", path)
    train = _section(tree, "train", path)
    evaluate = _section(tree, "evaluate", path)
    floor = _section(evaluate, "quality_floor", path)
    test_size = _value(data, "test_size", float, "data")
    if not 0 < test_size < 1:
        raise UserError(f"params.yaml: 'data.test_size' must be between 0 and 1, got {test_size}")
    slice_by = evaluate.get("slice_by")
    if slice_by is not None and not isinstance(slice_by, str):
        raise UserError(
            f"params.yaml: 'evaluate.slice_by' must be a column name or null, got {slice_by!r}"
        )
    return Params(
        data=DataParams(
            raw=Path(_value(data, "raw", str, "data")),
            schema=Path(_value(data, "schema", str, "data")),
            target=_value(data, "target", str, "data"),
            test_size=test_size,
            seed=_value(data, "seed", int, "data"),
        ),
        train=TrainParams(
            model=_value(train, "model", str, "train"),
            hyperparameters=dict(train.get("hyperparameters") or {}),
        ),
        evaluate=EvaluateParams(
            quality_floor=QualityFloor(
                metric=_value(floor, "metric", str, "evaluate.quality_floor"),
                minimum=_value(floor, "minimum", float, "evaluate.quality_floor"),
            ),
            slice_by=slice_by,
        ),
        raw=tree,
    )
