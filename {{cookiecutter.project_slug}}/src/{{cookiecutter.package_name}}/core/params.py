"""params.yaml as typed settings. Every section forbids unknown keys: a typo fails at load,
naming the key and the valid ones, instead of silently turning a gate off."""

from __future__ import annotations

import math
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Self, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from .errors import UserError
from .paths import PARAMS_FILE

TASK: Literal["classification", "regression"] = "{{ cookiecutter.task }}"
PACKAGE = "{{ cookiecutter.package_name }}"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DataParams(Section):
    raw: Path
    schema_file: Path = Field(alias="schema")
    target: str = Field(min_length=1)
    test_size: float = Field(gt=0, lt=1)
    seed: int = Field(ge=0)


class TrainParams(Section):
    model: str
    # null means none; the names are checked against the estimator by `check` and train.
    hyperparameters: Annotated[
        dict[str, Any], BeforeValidator(lambda values: {} if values is None else values)
    ] = Field(default_factory=dict)


class QualityFloor(Section):
    metric: str
    minimum: float | None = None  # the team's floor; beating a trivial model always holds


class EvaluateParams(Section):
    quality_floor: QualityFloor
    # Columns whose groups get their own metrics and fairness measures (core/scoring.py);
    # null means none, a lone column name is a list of one.
    sensitive_features: Annotated[
        list[str], BeforeValidator(lambda v: [] if v is None else [v] if isinstance(v, str) else v)
    ] = Field(default_factory=list)


class Tolerance(Section):
    better: Literal["higher", "lower"]
    max_drop: float | None = Field(default=None, ge=0)
    max_relative_drop: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _has_a_limit(self) -> Self:
        if self.max_drop is None and self.max_relative_drop is None:
            raise ValueError("give max_drop and/or max_relative_drop")
        return self


class GroupGate(Tolerance):
    metric: str  # each group of a sensitive feature is gated on it, like review.metrics


class FairnessLimit(Section):
    """How far a fairness measure may worsen against main, and a ceiling (or floor).
    Differences are better lower (max_increase, max_relative_increase, max), ratios higher."""

    max_increase: float | None = Field(default=None, ge=0)
    max_relative_increase: float | None = Field(default=None, ge=0)
    max: float | None = None
    max_decrease: float | None = Field(default=None, ge=0)
    min: float | None = None

    @model_validator(mode="after")
    def _one_direction(self) -> Self:
        lower = (self.max, self.max_increase, self.max_relative_increase) != (None, None, None)
        if lower == (self.better == "higher"):
            raise ValueError(
                "give max_increase, max_relative_increase and/or max (a difference) or "
                "max_decrease and/or min (a ratio), not both kinds and not none"
            )
        return self

    @property
    def better(self) -> Literal["higher", "lower"]:
        return "higher" if self.min is not None or self.max_decrease is not None else "lower"

    @property
    def tolerance(self) -> Tolerance:
        """How far it may worsen: _one_direction leaves only one kind set; none is unbounded."""
        drop = self.max_increase if self.max_decrease is None else self.max_decrease
        return Tolerance(
            better=self.better,
            max_drop=math.inf if drop is None else drop,
            max_relative_drop=self.max_relative_increase,
        )


class FairnessGate(Section):
    metrics: dict[str, FairnessLimit] = Field(default_factory=dict)
    groups: GroupGate | None = None
    # Smaller groups are shown but not judged, and left out of the fairness measures.
    min_rows: int = Field(default=30, ge=1)


# review.cost's figures. Measured ones (timings, training) vary from run to run; model size
# and complexity do not.
CostFigure = Literal[
    "latency_one_p50_ms",
    "latency_one_p95_ms",
    "latency_batch_p50_ms",
    "latency_batch_p95_ms",
    "cost_per_million",
    "train_seconds",
    "train_peak_mb",
    "model_size_mb",
    "complexity",
]
MEASURED_FIGURES = get_args(CostFigure)[:-2]


class CostLimit(Section):
    """Measured figures fail only beyond both margins, deterministic ones beyond the relative."""

    max_relative_increase: float = Field(ge=0)
    max_increase: float | None = Field(default=None, ge=0)  # in the figure's own unit


class CostParams(Section):
    price_per_core_hour: float = Field(default=0.05, gt=0)
    batch_records: int = Field(default=100, ge=1)
    limits: dict[CostFigure, CostLimit] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _measured_need_both(self) -> Self:
        limits = self.limits
        if lacking := [f for f in MEASURED_FIGURES if f in limits and not limits[f].max_increase]:
            raise ValueError(
                f"give max_increase for {', '.join(lacking)}: a measured figure fails only "
                "when worse by both margins, so machine noise cannot fail a PR"
            )
        return self


class ReviewParams(Section):
    metrics: dict[str, Tolerance] = Field(min_length=1)
    fairness: FairnessGate | None = None
    cost: CostParams = CostParams()


class ServeParams(Section):
    """Limits of the prediction service; a request beyond them gets HTTP 400, not a crash."""

    max_batch_size: int = Field(default=1000, ge=1)  # records per request and per batch
    max_latency_ms: int = Field(default=10000, ge=1)  # how long a request may wait for the model
    request_timeout_s: float = Field(default=20.0, gt=0)  # unanswered this long: HTTP 504
    workers: int = Field(default=1, ge=1)  # server processes: one per core it may use
    inference_log: str = ""  # JSON-lines file of served records for `make drift`; "" is off
    inference_log_queue: int = Field(default=10000, ge=1)  # entries waiting before drops
    inference_log_max_mb: float = Field(default=100, gt=0)  # then it becomes <log>.1

    @model_validator(mode="after")
    def _timeout_outlasts_batching(self) -> Self:
        if self.request_timeout_s * 1000 <= self.max_latency_ms:
            raise ValueError(
                f"request_timeout_s ({self.request_timeout_s}) must exceed max_latency_ms "
                f"({self.max_latency_ms} ms): a request may wait that long for its batch, "
                "then needs time for the model call"
            )
        return self


class DriftParams(Section):
    """When `drift` calls a column shifted; defaults tuned for windows of a few hundred rows."""

    bins: int = Field(default=10, ge=2)  # quantile bins of the training data, numeric PSI
    psi_threshold: float = Field(default=0.2, gt=0)  # PSI at or above: a shift
    pvalue: float = Field(default=0.01, gt=0, lt=1)  # KS / chi-square p-value below this...
    ks_statistic: float = Field(default=0.15, gt=0, le=1)  # ...with a KS distance >= this, or
    psi_moderate: float = Field(default=0.1, gt=0)  # ...with a PSI >= this (categorical)
    missing_rate_increase: float = Field(default=0.05, gt=0, lt=1)  # rise of a missing share
    min_rows: int = Field(default=200, ge=1)  # fewer current rows is an error


class PerformanceParams(Section):
    min_rows: int = Field(default=200, ge=1)  # fewer joined rows is an error


class Params(Section):
    data: DataParams
    train: TrainParams
    evaluate: EvaluateParams
    review: ReviewParams
    serve: ServeParams = ServeParams()
    drift: DriftParams = DriftParams()
    performance: PerformanceParams = PerformanceParams()


def _keys_at(location: tuple[Any, ...]) -> list[str]:
    """The valid keys (aliases, as written) of the section at an extra key's parent loc."""
    node: Any = Params
    for part in location:
        if get_origin(node) is dict:  # the part is a key of the mapping
            node = get_args(node)[1]
        else:  # a part Params lacks (a section validated alone, as in review/rules.py): none
            fields = {f.alias or name: f.annotation for name, f in node.model_fields.items()}
            node = fields.get(part, Section)
        if get_origin(node) in (Union, types.UnionType):  # `X | None` is X
            node = get_args(node)[0]
    return [field.alias or name for name, field in node.model_fields.items()]


def explain(error: ValidationError, path: Path) -> str:
    """One line per problem: the key path, what is wrong, and the valid keys or choices."""
    lines = []
    for problem in error.errors():
        location = tuple(problem["loc"])
        where = ".".join(map(str, location)) or "(top level)"
        if problem["type"] == "extra_forbidden":
            valid = ", ".join(_keys_at(location[:-1]))
            lines.append(f"{where}: unknown key; valid keys here: {valid}")
        elif problem["type"] == "missing":
            lines.append(f"{where}: missing")
        else:
            message = problem["msg"].removeprefix("Value error, ")
            lines.append(f"{where}: {message} (got {problem['input']!r})")
    return f"{path} is invalid:\n" + "\n".join(f"  - {line}" for line in lines)


def yaml_mapping(text: str, source: str, expected: str) -> dict[str, Any]:
    try:
        tree = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise UserError(f"{source} is not valid YAML: {error}") from error
    if not isinstance(tree, dict):
        raise UserError(f"{source} must be {expected}")
    return tree


def read_params_tree(path: Path = PARAMS_FILE) -> dict[str, Any]:
    """params.yaml as plain YAML, for tools that check keys (dvc.yaml's params lists)."""
    if not path.exists():
        raise UserError(f"{path} not found: run commands from the repository root")
    return yaml_mapping(path.read_text(), str(path), "a mapping of sections (data, train, ...)")


def load_params(path: Path = PARAMS_FILE) -> Params:
    try:
        return Params.model_validate(read_params_tree(path))
    except ValidationError as error:
        raise UserError(explain(error, path)) from None


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}: MLflow's params, the review's rule changes, gauges."""
    if not isinstance(tree, dict):
        return {prefix: tree} if prefix else {}
    return {
        name: leaf
        for key, value in tree.items()
        for name, leaf in flatten(value, f"{prefix}.{key}" if prefix else str(key)).items()
    }
