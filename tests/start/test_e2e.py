"""A generated project works for real: setup, pipeline, tests, DVC remote, fresh clone, MLflow.

Slow by nature (each project installs ~200 packages and trains), so each task's main is
built once per session for every module (conftest.shared_main); this module tests a copy of
it, and tests that change the copy work on a clone.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from support.projects import clone, copy_main, package_name, project_env, sh, working_copy

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, shared_main):
    """Per task: main (generated, set up, pipeline run, committed, pushed to a local-directory
    remote), copied, and all its own tests run in it, the slow ones too, as its CI runs them."""

    @functools.cache
    def _built(task: str) -> Path:
        project = copy_main(shared_main(task), tmp_path_factory.mktemp(f"e2e-{task}"))
        sh(["make", "test-all"], project)
        return project

    return _built


TASKS = [
    pytest.param("classification", marks=pytest.mark.xdist_group("classification")),
    pytest.param("regression", marks=pytest.mark.xdist_group("regression")),
]


@pytest.mark.parametrize("task", TASKS)
def test_pipeline_writes_the_tasks_metrics_and_plots(built, task):
    project = built(task)
    metrics = json.loads((project / "metrics.json").read_text())
    expected = {
        "classification": {"accuracy", "f1_macro", "roc_auc"},
        "regression": {"rmse", "mae", "r2"},
    }
    assert expected[task] <= set(metrics)
    assert set(metrics["fairness"]["region"]["groups"]) >= {"north", "south", "east", "west"}
    plots = {
        "classification": ["confusion.csv", "roc.csv"],
        "regression": ["predictions.csv", "residuals.csv"],
    }
    for name in plots[task]:
        assert len((project / "plots" / name).read_text().splitlines()) > 10
    shown = sh(["uv", "run", "--locked", "dvc", "metrics", "show", "--json"], project)
    assert json.loads(shown.stdout)  # DVC itself reads metrics.json as a metric


# One task: pulling and reusing stages is DVC's, the same for both (a clone costs a venv).
@pytest.mark.parametrize("task", TASKS[:1])
def test_fresh_clone_pulls_and_reuses_every_stage(built, task, tmp_path):
    project = built(task)
    fresh = clone(project, tmp_path / "fresh")
    assert not (fresh / "data/raw/data.csv").exists(), "data must come from DVC, not git"
    sh(["make", "setup"], fresh)
    without_data = sh(["make", "test"], fresh, check=False)
    assert without_data.returncode != 0 and "run `make pull-data`" in without_data.stdout
    ci_without_remote = sh(
        ["make", "test"], fresh, check=False, env={**project_env(), "REQUIRE_DATA": "false"}
    )
    assert ci_without_remote.returncode == 0, ci_without_remote.stdout
    assert "skipped" in ci_without_remote.stdout and "failed" not in ci_without_remote.stdout
    sh(["make", "pull-data"], fresh)
    assert (fresh / "data/raw/data.csv").read_bytes() == (
        project / "data/raw/data.csv"
    ).read_bytes()
    # The tests imported the package, as any run does on a user's machine or GitHub's runner:
    # the bytecode cache now sits in the source folders the stages depend on.
    assert any((fresh / "src").glob("*/modeling/__pycache__/*.pyc"))
    repro = sh(["make", "pipeline"], fresh)
    assert "Running stage" not in repro.stdout, repro.stdout
    for stage in ("validate", "prepare", "train", "evaluate"):
        assert f"Stage '{stage}' didn't change, skipping" in repro.stdout
    status = sh(["uv", "run", "--locked", "dvc", "status", "--json"], fresh)
    assert json.loads(status.stdout) == {}
    assert (fresh / "models/model.skops").read_bytes() == (
        project / "models/model.skops"
    ).read_bytes()


@pytest.mark.parametrize("task", TASKS)
def test_mlflow_store_holds_the_run_and_the_registered_model(shared_main, task):
    project = shared_main(task)  # read only: the store of the run that trained main
    package = package_name(project)
    run_record = json.loads((project / "models/mlflow_run.json").read_text())
    with sqlite3.connect(project / "mlflow.db") as db:
        status = db.execute(
            "select status from runs where run_uuid = ?", (run_record["run_id"],)
        ).fetchone()
        params = dict(
            db.execute("select key, value from params where run_uuid = ?", (run_record["run_id"],))
        )
        metrics = {
            row[0]
            for row in db.execute(
                "select key from metrics where run_uuid = ?", (run_record["run_id"],)
            )
        }
        versions = db.execute(
            "select version from model_versions where name = ?", (package,)
        ).fetchall()
    assert status == ("FINISHED",)
    default_model = {"classification": "random_forest", "regression": "gradient_boosting"}[task]
    assert params["train.model"] == default_model
    test_metric = {"classification": "f1_macro", "regression": "r2"}[task]
    assert f"train_{test_metric}" in metrics
    assert [str(v[0]) for v in versions] == [run_record["registered_version"]]


@pytest.mark.xdist_group("classification")
def test_generated_project_passes_its_own_lint(built):
    sh(["make", "lint"], built("classification"))


@pytest.mark.xdist_group("classification")
def test_bad_data_stops_the_pipeline_and_keeps_the_previous_model(built, tmp_path):
    project = working_copy(built("classification"), tmp_path / "work")
    sh(["make", "pull-data"], project)
    before = {
        name: (project / name).read_bytes() for name in ("metrics.json", "models/model.skops")
    }
    lines = (project / "data/raw/data.csv").read_text().splitlines()
    header = lines[0].split(",")
    for number, column, value in (
        (5, "tenure_months", "abc"),
        (6, "contract", "lifetime"),
        (7, "churned", ""),  # a missing target is left out and counted, not a contract error
    ):
        row = lines[number].split(",")
        row[header.index(column)] = value
        lines[number] = ",".join(row)
    (project / "data/raw/data.csv").write_text("\n".join(lines) + "\n")

    failed = sh(["make", "pipeline"], project, check=False)
    assert failed.returncode != 0
    assert "breaks the data contract (2 problems)" in failed.stderr
    assert "column 'tenure_months': check coerce_dtype('int64') fails on 1 row" in failed.stderr
    assert "column 'contract': check isin(" in failed.stderr
    assert "churned" not in failed.stderr
    assert "Running stage 'train'" not in failed.stdout
    after = {name: (project / name).read_bytes() for name in before}
    assert after == before


@pytest.mark.xdist_group("classification")
def test_unreachable_tracking_server_fails_fast_with_a_clear_message(built):
    project = built("classification")
    package = package_name(project)
    env = {**project_env(), "MLFLOW_TRACKING_URI": "http://127.0.0.1:9"}
    result = sh(
        ["uv", "run", "--locked", package, "train"], project, check=False, timeout=60, env=env
    )
    assert result.returncode == 2
    assert "MLflow tracking server http://127.0.0.1:9 is unreachable" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.xdist_group("classification")
def test_bring_your_own_csv_with_a_multiclass_target(built, tmp_path):
    """The README's steps, on a CSV the template never saw: text columns, NaNs, 3 classes,
    and a few rows whose target is missing (left out and counted, never a contract error).
    Tables without any missing value are test_own_data's: most of its real tables are."""
    project = working_copy(built("classification"), tmp_path / "byo")
    rows = ["sepal,petal,colour,soil,species"]
    for i in range(240):
        species = ["setosa", "versicolor", "virginica"][i % 3]
        sepal = "" if i % 17 == 0 else f"{4.5 + (i % 3) + (i % 7) * 0.1:.1f}"
        colour = "" if i % 23 == 0 else ["blue", "white", "purple"][(i // 3 + i % 3) % 3]
        petal = f"{1.0 + 2 * (i % 3) + (i % 5) * 0.1:.1f}"
        species = "" if i % 60 == 59 else species  # 4 rows without a label
        rows.append(f"{sepal},{petal},{colour},{['clay', 'sand'][i % 2]},{species}")
    (project / "data/raw/data.csv").write_text("\n".join(rows) + "\n")
    sh(["uv", "run", "--locked", "dvc", "add", "data/raw/data.csv"], project)

    params = yaml.safe_load((project / "params.yaml").read_text())
    params["data"]["target"] = "nope"
    (project / "params.yaml").write_text(yaml.safe_dump(params))
    wrong = sh(["make", "schema"], project, check=False)
    assert wrong.returncode != 0
    assert (
        "target column 'nope' is not in data/raw/data.csv; "
        "its columns are: sepal, petal, colour, soil, species" in wrong.stderr
    )

    params["data"]["target"] = "species"
    params["evaluate"]["sensitive_features"] = ["soil"]
    (project / "params.yaml").write_text(yaml.safe_dump(params))
    schema = sh(["make", "schema"], project)
    assert "4 rows lack a 'species' value and are left out" in schema.stdout
    pipeline = sh(["make", "pipeline"], project)
    assert "236 rows match the data contract; 4 rows lack a 'species' value" in pipeline.stdout
    metrics = json.loads((project / "metrics.json").read_text())
    assert metrics["f1_macro"] > 0.8 and "roc_auc" in metrics
    assert set(metrics["fairness"]["soil"]["groups"]) == {"clay", "sand"}
    sh(["make", "test"], project)
