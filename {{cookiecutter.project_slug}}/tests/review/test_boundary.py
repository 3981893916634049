"""The trust boundary on its own: who owns a path, how a recipe differs, what is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.core import (
    recipe,
)
from {{ cookiecutter.package_name }}.core.errors import (
    UserError,
)
from {{ cookiecutter.package_name }}.core.paths import (
    PIPELINE_FILE,
)
from {{ cookiecutter.package_name }}.review.boundary import (
    CODEOWNERS,
    owner_rule,
    shadowed,
)

PROJECT = Path(__file__).resolve().parents[2]
PACKAGE = "{{ cookiecutter.package_name }}"


@pytest.mark.parametrize(
    ("path", "machinery"),
    [
        (f"src/{PACKAGE}/modeling/features.py", False),  # the user's code
        (f"src/{PACKAGE}/modeling/a_new_module.py", False),
        ("params.yaml", False),
        ("data/raw/data.csv.dvc", False),
        ("data/schema.yaml", False),
        ("dvc.lock", False),  # an output CI recomputes and checks
        ("metrics.json", False),
        (f"src/{PACKAGE}/review/compare.py", True),  # the judge
        (f"src/{PACKAGE}/core/scoring.py", True),
        ("Makefile", True),
        ("dvc.yaml", True),
        (".dvc/config", True),
        (".github/workflows/pr-review.yml", True),
        (".github/CODEOWNERS", True),
        ("pyproject.toml", True),
        ("uv.lock", True),
        ("tests/test_layers.py", True),
        ("a/params.yaml", True),  # only the root's params.yaml is the room
    ],
)
def test_the_generated_codeowners_owns_everything_but_the_room(path, machinery):
    owned = owner_rule((PROJECT / CODEOWNERS).read_text())
    assert owned(path) is machinery


def test_the_last_matching_line_decides_and_a_line_without_owners_frees_a_path():
    owned = owner_rule("# comment\n*  @org/team\n/docs/\n/docs/secret.md @org/security\n")
    assert owned("src/x.py")
    assert not owned("docs/guide.md")
    assert owned("docs/secret.md")
    assert not owner_rule("")("anything")  # no CODEOWNERS: nothing is owned


def test_recipe_differences_name_each_changed_stage_and_top_level_key():
    main = recipe.parse((PROJECT / PIPELINE_FILE).read_text())
    pr = recipe.parse((PROJECT / PIPELINE_FILE).read_text())
    assert recipe.differences(main, pr) == []
    pr["stages"]["train"]["frozen"] = True
    pr["stages"]["train"]["cmd"] = "true"
    pr["metrics"] = ["reports/summary.json"]
    pr["stages"]["extra"] = {"cmd": "echo"}
    assert recipe.differences(main, pr) == [
        "stage `train`: `cmd`, `frozen` changed",
        "stage `extra` added",
        "top-level `metrics` changed",
    ]
    with pytest.raises(UserError, match=r"freezes stage.*train.*refused"):
        recipe.refuse_frozen(pr)
    recipe.refuse_frozen(main)


def test_every_stage_output_is_known_so_ci_can_remove_it_before_reproducing():
    outputs = recipe.outputs(recipe.parse((PROJECT / PIPELINE_FILE).read_text()))
    for path in ("models/model.skops", "metrics.json", "data/prepared/train.parquet"):
        assert path in outputs


def test_a_gated_name_in_another_metrics_file_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pipeline = yaml.safe_load((PROJECT / PIPELINE_FILE).read_text())
    pipeline["metrics"] = ["reports/summary.json", "reports/absent.json"]
    Path("dvc.yaml").write_text(yaml.safe_dump(pipeline))
    Path("reports").mkdir()
    Path("reports/summary.json").write_text(json.dumps({"accuracy": 1.0, "note": 2}))
    pr_recipe = recipe.read()
    named = shadowed({"accuracy", "f1_macro"}, pr_recipe)
    assert named == ["accuracy (also in reports/summary.json)"]
    assert shadowed({"f1_macro"}, pr_recipe) == []


def test_a_recipe_that_is_not_yaml_is_a_clear_error():
    with pytest.raises(UserError, match=r"dvc\.yaml on main is not valid YAML"):
        recipe.parse("stages: [", "dvc.yaml on main")
