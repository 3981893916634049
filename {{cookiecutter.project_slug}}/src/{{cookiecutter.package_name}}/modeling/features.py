"""Feature engineering inferred from the data: one ColumnTransformer inside the model.

Because the transformer lives inside the sklearn Pipeline that is saved and served, the
serving path can never drift from training. Columns are selected by name, so column order
and extra columns in a request do not change a prediction.

REPLACE THIS WITH YOUR OWN CODE: derived columns, encoders, text features. Keep the contract
of `build_preprocessor`: raw feature columns in (as in data/schema.yaml, without the target),
model-ready columns out, and every fitted step an sklearn object (it is saved with skops;
add any new type to TRUSTED_TYPES in model.py).
"""

from __future__ import annotations

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def numeric_columns(features: pd.DataFrame) -> list[str]:
    return [
        str(name)
        for name, values in features.items()
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    ]


def categorical_columns(features: pd.DataFrame) -> list[str]:
    numeric = set(numeric_columns(features))
    return [str(name) for name in features.columns if name not in numeric]


def build_preprocessor(features: pd.DataFrame) -> ColumnTransformer:
    """Impute and scale numbers; impute and one-hot encode categories, ignoring unseen ones."""
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
            ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, numeric_columns(features)),
            ("categorical", categorical, categorical_columns(features)),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )
