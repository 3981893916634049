"""The models `train.model` in params.yaml may name, and the types a model file may hold.

REPLACE THIS WITH YOUR OWN CODE where you need another model: add a line to ESTIMATORS (a
name and the class's import path) and the types its fitted objects contain to
TRUSTED_TYPES. Loading refuses any other type in a model file, naming it, so a model file
stays data and can never run code (skops reports the types it would have to trust).
"""

from __future__ import annotations

# name in params.yaml -> "module.Class"; imported only when chosen, so other stages start fast.
ESTIMATORS: dict[str, str] = {
{%- if cookiecutter.task == 'classification' %}
    "random_forest": "sklearn.ensemble.RandomForestClassifier",
    "gradient_boosting": "sklearn.ensemble.HistGradientBoostingClassifier",
    "logistic_regression": "sklearn.linear_model.LogisticRegression",
{%- else %}
    "random_forest": "sklearn.ensemble.RandomForestRegressor",
    "gradient_boosting": "sklearn.ensemble.HistGradientBoostingRegressor",
    "ridge": "sklearn.linear_model.Ridge",
{%- endif %}
}

# The exact types a model file may hold beyond skops' own safe defaults (which cover every
# sklearn estimator): what `skops.io.get_untrusted_types` reports for the models above.
# Nothing is trusted by prefix. An xgboost model would add e.g. "xgboost.sklearn.XGBClassifier".
TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "numpy.dtype",
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    }
)
