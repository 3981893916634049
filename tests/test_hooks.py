"""The pre-gen hook rejects every unsupported input with one clear line and no output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from combinations import TEMPLATE, UNSUPPORTED, UNSUPPORTED_CHOICES


def generate(output_dir: Path, options: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the real cookiecutter CLI, as a user would."""
    arguments = [f"{key}={value}" for key, value in options.items()]
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            "-o",
            str(output_dir),
            str(TEMPLATE),
            *arguments,
        ],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("options", "message"), UNSUPPORTED, ids=[message for _, message in UNSUPPORTED]
)
def test_unsupported_input_fails_with_a_clear_line_and_leaves_nothing(tmp_path, options, message):
    result = generate(tmp_path, options)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1, result.stderr
    assert message in errors[0]
    assert list(tmp_path.iterdir()) == [], "a rejected project must leave no output"


@pytest.mark.parametrize(
    "options", UNSUPPORTED_CHOICES, ids=lambda options: "=".join(*options.items())
)
def test_value_outside_a_choice_list_is_refused_before_generation(tmp_path, options):
    result = generate(tmp_path, options)
    assert result.returncode != 0
    assert "but the choices are" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_hook_also_rejects_bad_choices_in_a_replayed_context():
    """The hook's own choice check, run directly on a context cookiecutter did not vet."""
    source = (TEMPLATE / "hooks" / "pre_gen_project.py").read_text()
    namespace: dict = {}
    exec(
        compile(source.replace("{{ cookiecutter | jsonify }}", "{}"), "pre_gen", "exec"), namespace
    )
    options = {
        "project_slug": "ok",
        "package_name": "ok",
        "python_version": "3.10",
        "task": "classification",
        "dvc_remote": "local",
        "dvc_remote_url": "../x",
        "deploy_target": "none",
        "monitoring": "no",
        "license": "MIT",
    }
    assert namespace["problems"](options) == [
        "python_version '3.10' is not supported: choose one of 3.11, 3.12, 3.13"
    ]


def test_quotes_and_backslashes_in_free_text_survive(tmp_path):
    options = {"project_name": 'O\'Brien "Churn" \\ Model', "project_slug": "obrien-churn"}
    result = generate(tmp_path, {**options, "description": 'Say "hi" \\ bye'})
    assert result.returncode == 0, result.stderr
    readme = (tmp_path / "obrien-churn" / "README.md").read_text()
    assert readme.startswith('# O\'Brien "Churn" \\ Model')
    assert 'Say "hi" \\ bye' in readme
