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
LOCK_FILE = Path("dvc.lock")
REVIEW_REPORT = Path("reports/review.md")
DRIFT_REPORT = Path("reports/drift.md")
DRIFT_RESULT = Path("reports/drift.json")


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
class Tolerance:
    """How far a metric may move the wrong way before the PR gate fails."""

    better: Literal["higher", "lower"]
    max_drop: float | None = None
    max_relative_drop: float | None = None


@dataclass(frozen=True)
class SliceGate:
    metric: str
    tolerance: Tolerance
    min_rows: int = 30


@dataclass(frozen=True)
class ReviewParams:
    metrics: dict[str, Tolerance]
    slices: SliceGate | None = None


@dataclass(frozen=True)
class ServeParams:
    """Limits of the prediction service; a request beyond them gets HTTP 400, not a crash."""

    max_batch_size: int = 1000  # records per request, and per adaptive batch
    max_latency_ms: int = 1000  # how long adaptive batching may hold a request
    workers: int = 1  # server processes: one per core the server may use
    inference_log: str = ""  # JSON-lines file of served records for `make drift`; "" is off
    inference_log_queue: int = 10000  # entries waiting to be written before new ones drop


@dataclass(frozen=True)
class DriftParams:
    """When `drift` calls a column shifted; defaults tuned for windows of a few hundred rows."""

    bins: int = 10  # quantile bins of the training data, for numeric PSI
    psi_threshold: float = 0.2  # PSI at or above this is a shift, whatever the tests say
    pvalue: float = 0.01  # KS (numeric) or chi-square (categorical) p-value below this...
    ks_statistic: float = 0.15  # ...with a KS distance at least this (numeric), or
    psi_moderate: float = 0.1  # ...with a PSI at least this (categorical)
    missing_rate_increase: float = 0.05  # absolute rise in a column's share of missing values
    min_rows: int = 200  # fewer current rows is an error: PSI noise grows as 1/rows


@dataclass(frozen=True)
class Params:
    data: DataParams
    train: TrainParams
    evaluate: EvaluateParams
    review: ReviewParams
    raw: dict[str, Any]
    serve: ServeParams = ServeParams()
    drift: DriftParams = DriftParams()


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


def _tolerance(spec: Any, where: str) -> Tolerance:
    if not isinstance(spec, dict) or spec.get("better") not in ("higher", "lower"):
        raise UserError(f"params.yaml: '{where}.better' must be 'higher' or 'lower'")
    limits = {}
    for name in ("max_drop", "max_relative_drop"):
        if spec.get(name) is not None:
            limits[name] = _value(spec, name, float, where)
            if limits[name] < 0:
                raise UserError(f"params.yaml: '{where}.{name}' must be >= 0")
    if not limits:
        raise UserError(f"params.yaml: '{where}' needs max_drop and/or max_relative_drop")
    return Tolerance(better=spec["better"], **limits)


def _review(tree: dict[str, Any]) -> ReviewParams:
    review = tree.get("review") or {}
    metrics = {
        str(name): _tolerance(spec, f"review.metrics.{name}")
        for name, spec in (review.get("metrics") or {}).items()
    }
    slices = review.get("slices")
    gate = None
    if slices:
        gate = SliceGate(
            metric=_value(slices, "metric", str, "review.slices"),
            tolerance=_tolerance(slices, "review.slices"),
            min_rows=int(slices.get("min_rows", 30)),
        )
    return ReviewParams(metrics=metrics, slices=gate)


def _serve(tree: dict[str, Any]) -> ServeParams:
    """The optional `serve:` section: absent keys keep their defaults; limits are ints >= 1."""
    section = dict(tree.get("serve") or {})
    if not isinstance(tree.get("serve") or {}, dict):
        raise UserError("params.yaml: section 'serve' must be a mapping")
    unknown = sorted(set(section) - set(ServeParams.__dataclass_fields__))
    if unknown:
        raise UserError(f"params.yaml: unknown keys in 'serve': {unknown}")
    log = str(section.pop("inference_log", None) or "")
    limits = {name: _value(section, name, int, "serve") for name in section}
    for name, value in limits.items():
        if value < 1:
            raise UserError(f"params.yaml: 'serve.{name}' must be at least 1, got {value}")
    return ServeParams(**limits, inference_log=log)


def _drift(tree: dict[str, Any]) -> DriftParams:
    """The optional `drift:` section: absent keys keep their defaults."""
    section = tree.get("drift") or {}
    if not isinstance(section, dict):
        raise UserError("params.yaml: section 'drift' must be a mapping")
    fields = DriftParams.__dataclass_fields__
    unknown = sorted(set(section) - set(fields))
    if unknown:
        raise UserError(f"params.yaml: unknown keys in 'drift': {unknown}; valid: {sorted(fields)}")
    values = {
        name: _value(section, name, int if name in ("bins", "min_rows") else float, "drift")
        for name in section
    }
    for name, value in values.items():
        if value <= 0 or (name in ("pvalue", "missing_rate_increase") and value >= 1):
            raise UserError(f"params.yaml: 'drift.{name}' is out of range: {value}")
    return DriftParams(**values)


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
        review=_review(tree),
        raw=tree,
        serve=_serve(tree),
        drift=_drift(tree),
    )
