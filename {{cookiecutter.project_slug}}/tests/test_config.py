"""params.yaml fails loudly: every typo is an error naming the key path and the valid choices,
so a misspelt key can never turn the gate off or train with silent defaults."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.cli import (
    main,
)
from {{ cookiecutter.package_name }}.core.errors import (
    UserError,
)
from {{ cookiecutter.package_name }}.core.params import (
    load_params,
)
from {{ cookiecutter.package_name }}.pipeline.sanity import (
    pipeline_problems,
)

ROOT = Path(__file__).resolve().parents[1]


def with_change(tmp_path: Path, change) -> Path:
    """A copy of this project's params.yaml with one edit applied."""
    tree = yaml.safe_load((ROOT / "params.yaml").read_text())
    change(tree)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(tree, sort_keys=False))
    return path


def rename(section: dict, old: str, new: str) -> None:
    section[new] = section.pop(old)


TYPOS = {
    "review.metric": (
        lambda tree: rename(tree["review"], "metrics", "metric"),
        [
            "review.metric: unknown key; valid keys here: metrics, fairness",
            "review.metrics: missing",
        ],
    ),
    "serve: 5": (
        lambda tree: tree.update(serve=5),
        ["serve: Input should be a valid dictionary"],
    ),
    "train.hyperparameter": (
        lambda tree: rename(tree["train"], "hyperparameters", "hyperparameter"),
        ["train.hyperparameter: unknown key; valid keys here: model, hyperparameters"],
    ),
    "tolerance without a limit": (
        lambda tree: tree["review"]["metrics"].update(accuracy={"better": "higher"}),
        ["give max_drop and/or max_relative_drop"],
    ),
    "better: up": (
        lambda tree: next(iter(tree["review"]["metrics"].values())).update(better="up"),
        ["Input should be 'higher' or 'lower'"],
    ),
    "an empty gate": (
        lambda tree: tree["review"].update(metrics={}),
        ["review.metrics: Dictionary should have at least 1 item"],
    ),
    "a fairness bound of both kinds": (
        lambda tree: tree["review"]["fairness"].update(metrics={"x_gap": {"max": 1, "min": 0}}),
        ["review.fairness.metrics.x_gap: give max_increase, max_relative_increase and/or max"],
    ),
    "fairness.min_row": (
        lambda tree: rename(tree["review"]["fairness"], "min_rows", "min_row"),
        ["review.fairness.min_row: unknown key; valid keys here: metrics, groups, min_rows"],
    ),
    "sensitive_feature": (
        lambda tree: rename(tree["evaluate"], "sensitive_features", "sensitive_feature"),
        ["evaluate.sensitive_feature: unknown key; valid keys here: quality_floor, sensitive"],
    ),
    "test_size 1.5": (
        lambda tree: tree["data"].update(test_size=1.5),
        ["data.test_size: Input should be less than 1"],
    ),
    "a request timeout inside the batching budget": (
        lambda tree: tree["serve"].update(request_timeout_s=5, max_latency_ms=10000),
        ["serve: request_timeout_s (5.0) must exceed max_latency_ms (10000 ms)"],
    ),
    "an unknown section": (
        lambda tree: tree.update(reveiw={}),
        ["reveiw: unknown key; valid keys here: data, train, evaluate, review, serve, drift"],
    ),
}


# A model or hyperparameter name is checked against the estimator table by `check`
# (pre-commit, make lint) and the train stage: params.py does not import the room.
ESTIMATOR_TYPOS = {
    "n_estimatorz": (
        lambda tree: tree["train"].update(
            model="random_forest", hyperparameters={"n_estimatorz": 10}
        ),
        ["train.hyperparameters: not a parameter of sklearn.ensemble.RandomForest", "n_estimators"],
    ),
    "train.model": (
        lambda tree: tree["train"].update(model="random_forrest"),
        ["train.model: unknown model 'random_forrest'; choose one of: random_forest"],
    ),
}


@pytest.mark.parametrize("typo", list(ESTIMATOR_TYPOS))
def test_an_estimator_typo_fails_the_check_naming_the_choices(tmp_path, typo):
    change, expected = ESTIMATOR_TYPOS[typo]
    problems = "\n".join(pipeline_problems(ROOT / "dvc.yaml", with_change(tmp_path, change)))
    for part in expected:
        assert part in problems


@pytest.mark.parametrize("typo", list(TYPOS))
def test_a_typo_in_params_fails_when_loaded_naming_the_key(tmp_path, typo):
    change, expected = TYPOS[typo]
    with pytest.raises(UserError) as error:
        load_params(with_change(tmp_path, change))
    for part in expected:
        assert part in str(error.value)


def test_this_projects_params_are_valid():
    params = load_params(ROOT / "params.yaml")
    assert params.review.metrics, "the gate must gate at least one metric"


def test_a_sensitive_feature_that_is_not_a_column_is_caught_before_any_stage_runs(tmp_path):
    def misspell(tree):
        tree["evaluate"]["sensitive_features"] = ["regoin"]

    problems = pipeline_problems(ROOT / "dvc.yaml", with_change(tmp_path, misspell))
    assert len(problems) == 1
    assert "evaluate.sensitive_features names 'regoin', which is not a column" in problems[0]
    assert pipeline_problems(ROOT / "dvc.yaml", ROOT / "params.yaml") == []


def test_the_check_command_catches_a_typo_before_any_stage_runs(tmp_path, monkeypatch, capsys):
    """`make lint` and the pre-commit hook run this same command: an exit code and one line,
    not a traceback."""
    project = tmp_path / "project"
    shutil.copytree(
        ROOT, project, ignore=shutil.ignore_patterns(".venv", ".git", ".dvc", "build", "models")
    )
    (project / "params.yaml").write_text(
        (ROOT / "params.yaml").read_text().replace("hyperparameters:", "hyperparameter:", 1)
    )
    monkeypatch.chdir(project)
    assert main(["check"]) == 2
    assert "train.hyperparameter: unknown key" in capsys.readouterr().err
