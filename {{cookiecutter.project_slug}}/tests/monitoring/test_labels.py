"""Labels join the inference log on the prediction id; bad label files fail with the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.errors import (
    UserError,
)
from {{ cookiecutter.package_name }}.monitoring.labels import (
    join_labels,
    read_labels,
)

TARGET = "outcome"


def write_log(path: Path, predictions: list) -> Path:
    lines = [
        json.dumps({"id": f"batch-{index}", "time": 0, "features": {}, "prediction": value})
        for index, value in enumerate(predictions)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_csv(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_labels_join_their_logged_predictions_and_unknown_ids_are_counted(raw, params, tmp_path):
    values = raw[params.data.target].head(4).tolist()
    log = write_log(tmp_path / "log.jsonl", values)
    labels = pd.DataFrame({"id": ["batch-2", "batch-0", "elsewhere-7"], "label": values[:3]})
    labels.to_csv(tmp_path / "labels.csv", index=False)
    joined = join_labels(log, str(tmp_path / "labels.csv"), params.data.target)
    assert (joined.rows, joined.labels, joined.logged, joined.unknown_ids) == (2, 3, 4, 1)
    # As the task compares them: numbers for regression, text for classification.
    expected = pd.Series([values[2], values[0]]).astype(joined.predicted.dtype)
    assert sorted(joined.predicted.tolist()) == sorted(expected.tolist())


def test_a_label_column_named_after_the_target_is_accepted(tmp_path):
    source = write_csv(tmp_path / "labels.csv", f"id,{TARGET}\na-0,1\n")
    assert read_labels(source, TARGET).columns.tolist() == ["id", "label"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("id,score\na-0,1\n", r"needs the columns `id` and `label` \(or `outcome`\); it has: id"),
        ("label\n1\n", "needs the columns `id` and `label`"),
        ("id,label\na-0,1\na-0,0\n", "1 ids have more than one label"),
        ("id,label\na-0,1\na-1,\n", r"1 rows lack an id or a label \(first at line 3\)"),
        ("", "could not be read as CSV"),
    ],
)
def test_a_bad_labels_file_says_what_to_fix(text, problem, tmp_path):
    with pytest.raises(UserError, match=problem):
        read_labels(write_csv(tmp_path / "labels.csv", text), TARGET)


@pytest.mark.parametrize("name", ["nowhere.csv", ""])
def test_a_missing_labels_file_names_the_variable(name, tmp_path):
    with pytest.raises(UserError, match="LABELS=<csv of id,label>"):
        read_labels(str(tmp_path / name) if name else "", TARGET)


def test_a_log_without_prediction_ids_is_refused(tmp_path):
    log = tmp_path / "old.jsonl"
    log.write_text(json.dumps({"features": {}, "prediction": 1}) + "\n")
    labels = write_csv(tmp_path / "labels.csv", "id,label\na-0,1\n")
    with pytest.raises(UserError, match="no predictions with an id"):
        join_labels(log, labels, TARGET)


def test_a_log_with_repeated_ids_is_refused(tmp_path):
    log = write_log(tmp_path / "log.jsonl", [1, 0])
    log.write_text(log.read_text() * 2)
    labels = write_csv(tmp_path / "labels.csv", "id,label\nbatch-0,1\n")
    with pytest.raises(UserError, match="2 prediction ids appear more than once"):
        join_labels(log, labels, TARGET)


def test_a_log_line_that_is_not_json_is_named(tmp_path):
    log = write_log(tmp_path / "log.jsonl", [1, 0])
    log.write_text(log.read_text() + "{truncated\n")
    labels = write_csv(tmp_path / "labels.csv", "id,label\nbatch-0,1\n")
    with pytest.raises(UserError, match=r"not JSON lines .*line 3"):
        join_labels(log, labels, TARGET)


def test_a_last_line_still_being_written_is_left_for_the_next_run(tmp_path):
    log = write_log(tmp_path / "log.jsonl", [1, 0])
    log.write_text(log.read_text() + '{"id": "batch-2", "predic')
    labels = write_csv(tmp_path / "labels.csv", "id,label\nbatch-0,1\nbatch-1,0\n")
    joined = join_labels(log, labels, TARGET)
    assert (joined.rows, joined.logged) == (2, 2)
