"""The evaluate stage: metrics.json (what PR reviews compare), fairness per group, DVC plots.
No MLflow: importing it would add seconds to every repro for a copy of that record."""

from __future__ import annotations

import json
import math
from argparse import Namespace
from typing import Any

import numpy as np
import pandas as pd

from ..core.model_file import load_model
from ..core.params import TASK, FairnessGate, load_params
from ..core.paths import METRICS_FILE, PLOTS_DIR, TEST_SPLIT
from ..core.scoring import fairness_metrics, score
from ..core.tables import read_table, split_features

# Plot data beyond this many test rows is an evenly spaced subset: a scatter of 200k points
# says no more than one of 5k, and DVC renders and diffs it far faster. Metrics use every row.
MAX_PLOT_ROWS = 5000


def write_plots(
    model: Any, features: pd.DataFrame, actual: pd.Series, predicted: np.ndarray
) -> None:
    PLOTS_DIR.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"actual": actual.to_numpy(), "predicted": predicted})
    if len(frame) > MAX_PLOT_ROWS:
        frame = frame.iloc[np.linspace(0, len(frame) - 1, MAX_PLOT_ROWS).round().astype(int)]
    if TASK == "regression":
        frame.to_csv(PLOTS_DIR / "predictions.csv", index=False)
        residuals = frame.assign(residual=frame.actual - frame.predicted)
        residuals.to_csv(PLOTS_DIR / "residuals.csv", index=False)
        return
    from sklearn.metrics import roc_curve
    from sklearn.preprocessing import label_binarize

    frame.astype(str).to_csv(PLOTS_DIR / "confusion.csv", index=False)
    probabilities = model.predict_proba(features)
    truth = label_binarize(actual, classes=model.classes_).ravel()
    # Two classes: the second's probability; more: micro-average over classes.
    scores = probabilities[:, 1] if len(model.classes_) == 2 else probabilities.ravel()
    fpr, tpr, _ = roc_curve(truth, scores)
    pd.DataFrame({"fpr": fpr, "tpr": tpr}).round(6).to_csv(PLOTS_DIR / "roc.csv", index=False)


def finite(metrics: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN: undefined metrics (e.g. r2 of one row) are dropped, not faked."""
    return {
        name: finite(value) if isinstance(value, dict) else value
        for name, value in metrics.items()
        if isinstance(value, dict) or not math.isnan(value)
    }


def evaluate_command(args: Namespace) -> str:
    params = load_params()
    model = load_model()
    target = params.data.target
    features, actual = split_features(read_table(TEST_SPLIT, target), target)
    metrics: dict[str, Any] = score(model, features, actual)
    predicted = model.predict(features)
    if columns := params.evaluate.sensitive_features:
        min_rows = (params.review.fairness or FairnessGate()).min_rows
        metrics["fairness"] = fairness_metrics(actual, predicted, features, columns, min_rows)
    metrics = finite(metrics)
    METRICS_FILE.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    write_plots(model, features, actual, predicted)
    return json.dumps({k: round(v, 4) for k, v in metrics.items() if not isinstance(v, dict)})
