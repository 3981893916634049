"""YOUR CODE: features, the model table and the metrics. Most work on the model happens here.

The machinery in the other folders calls three functions and reads two tables, and never
needs an edit:

- `features.build_preprocessor(features)`: raw columns in, model-ready columns out;
- `model.ESTIMATORS` and `model.TRUSTED_TYPES`: the models `train.model` may name, and the
  types a saved model file may contain;
- `metrics.score(model, features, actual)`: your own metrics, beside the task's standard ones.

Nothing here imports the machinery (only `core.params`, for typed params, if you need it):
the machinery imports this folder, never the other way round.

The train stage depends on this whole folder, so a helper module you add here retrains too.
"""
