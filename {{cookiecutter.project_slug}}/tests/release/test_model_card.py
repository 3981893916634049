"""The release's model card: every number metrics.json holds, each checked back from the card's
own tables; your hand-written sections kept; and what changed since the last release."""

from __future__ import annotations

import json
import shutil
import subprocess
from argparse import Namespace
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.core.errors import (
    UserError,
)
from {{ cookiecutter.package_name }}.core.params import (
    FairnessGate,
)
from {{ cookiecutter.package_name }}.core.scoring import (
    fairness_metrics,
    score,
)
from {{ cookiecutter.package_name }}.pipeline.evaluate import (
    finite,
)
from {{ cookiecutter.package_name }}.release import (
    model_card,
)
from {{ cookiecutter.package_name }}.release.model_card import (
    CARD,
    HUMAN,
    card_numbers,
    cell,
    check,
    numbers,
    render,
)

ROOT = Path(__file__).resolve().parents[2]
MODEL_MD5 = "0123456789abcdef0123456789abcdef"


def top_level(metrics: dict) -> tuple[str, float]:
    """A task metric (not a fairness number) and its value."""
    return next((k, v) for k, v in metrics.items() if not isinstance(v, dict))


def git(*args: str) -> str:
    identity = ["-c", "user.name=Card Test", "-c", "user.email=card@example.invalid"]
    done = subprocess.run(["git", *identity, *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def metrics(params, model, splits) -> dict:
    """metrics.json as the evaluate stage writes it, for this project's data and model."""
    features, actual = splits["test"]
    judged = score(model, features, actual)
    if columns := params.evaluate.sensitive_features:
        min_rows = (params.review.fairness or FairnessGate()).min_rows
        predicted = model.predict(features)
        judged["fairness"] = fairness_metrics(actual, predicted, features, columns, min_rows)
    return finite(judged)


@pytest.fixture
def release(tmp_path, monkeypatch, params, metrics) -> Path:
    """A repository holding what a release reads: params.yaml, metrics.json, dvc.lock and
    your card sections, committed once."""
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    (tmp_path / HUMAN).parent.mkdir(parents=True)
    shutil.copy(ROOT / HUMAN, tmp_path / HUMAN)
    (tmp_path / "metrics.json").write_text(json.dumps(metrics, indent=2))
    lock = {
        "stages": {
            "prepare": {"deps": [{"path": str(params.data.raw), "md5": "1" * 32}]},
            "train": {"outs": [{"path": "models/model.skops", "md5": MODEL_MD5}]},
        }
    }
    (tmp_path / "dvc.lock").write_text(yaml.safe_dump(lock))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "first release")
    return tmp_path


def test_card_holds_every_metric_and_each_fairness_table(release, params, metrics):
    text = render()
    judged, _ = card_numbers(text)
    assert judged == {key: cell(value) for key, value in numbers(metrics).items()}
    for feature in params.evaluate.sensitive_features:
        assert f"## Fairness by {feature}" in text and f"### Groups of {feature}" in text
    assert MODEL_MD5 in text and "1" * 32 in text
    assert check(text, metrics) == []


def test_an_edited_number_fails_naming_it(release, metrics):
    model_card.model_card_command(Namespace(base=None))
    assert "is metrics.json's" in model_card.check_model_card_command(Namespace())
    key, value = top_level(metrics)
    text = CARD.read_text()
    row = next(line for line in text.splitlines() if line.startswith(f"| {key} | {cell(value)}"))
    edited = row.replace(cell(value), cell(value + 0.01), 1)
    CARD.write_text(text.replace(row, edited, 1))
    with pytest.raises(UserError, match=rf"{key}: the card says {cell(value + 0.01)}"):
        model_card.check_model_card_command(Namespace())


def test_a_group_number_edited_in_a_fairness_table_fails(release, metrics):
    fairness = metrics.get("fairness") or {}
    if not fairness:
        pytest.skip("no sensitive features in params.yaml: no fairness tables")
    feature, found = next(iter(fairness.items()))
    group, scores = next(iter(found["groups"].items()))
    text = render()
    edited = text.replace(f"| {cell(group)} | {scores['rows']} |", f"| {cell(group)} | 1 |", 1)
    assert edited != text
    assert check(edited, metrics) == [
        f"fairness.{feature}.groups.{group}.rows: the card says 1, metrics.json has "
        f"{scores['rows']}"
    ]


def test_group_names_a_table_cell_cannot_hold_verbatim_still_check(release, metrics):
    """Categories come from your data: a pipe, a line break or padding in one is valid."""
    fairness = metrics.get("fairness") or {}
    if not fairness:
        pytest.skip("no sensitive features in params.yaml: no fairness tables")
    feature, found = next(iter(fairness.items()))
    names = iter([" padded ", "a|b", "two\nlines"])
    groups = {next(names, group): scores for group, scores in found["groups"].items()}
    awkward = {**metrics, "fairness": {**fairness, feature: {**found, "groups": groups}}}
    (release / "metrics.json").write_text(json.dumps(awkward))
    git("commit", "-q", "-am", "awkward groups")
    assert check(render(), awkward) == []


def test_hand_written_sections_survive_regeneration(release, metrics):
    human = release / HUMAN
    human.write_text(human.read_text() + "\n## Reviewers\n\nThe risk team signs off.\n")
    first = render()
    key, value = top_level(metrics)
    changed = {**metrics, key: value / 2}
    (release / "metrics.json").write_text(json.dumps(changed))
    second = render()
    for text in (first, second):
        assert "## Intended use" in text and "## Reviewers\n\nThe risk team signs off." in text
    assert check(second, changed) == [] and check(second, metrics) != []


def test_changed_since_the_last_release_gives_deltas_and_the_params_diff(release, metrics):
    key, value = top_level(metrics)
    changed = {**metrics, key: value / 2}
    (release / "metrics.json").write_text(json.dumps(changed))
    tree = yaml.safe_load((release / "params.yaml").read_text())
    seed = tree["data"]["seed"]
    tree["data"]["seed"] = seed + 1
    (release / "params.yaml").write_text(yaml.safe_dump(tree))
    git("commit", "-q", "-am", "second release")
    text = render()
    section = text.split("## Changed since the last release", 1)[1]
    assert f"Against `HEAD~1` ({git('rev-parse', 'HEAD~1')[:12]})" in section
    row = f"| {key} | {cell(value)} | {cell(value / 2)} | {value / 2 - value:+.4f} |"
    assert row in section.splitlines()
    assert f"| data.seed | {seed} | {seed + 1} |" in section.splitlines()
    assert check(text, changed) == []


def test_first_release_and_an_unknown_base_are_said_plainly(release):
    assert "this is the first release" in render()
    with pytest.raises(UserError, match="base revision no-such-tag does not exist"):
        render("no-such-tag")
