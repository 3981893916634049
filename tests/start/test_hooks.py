"""The pre-gen hook rejects every unsupported input with one clear line and no output."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from configobj import ConfigObj

from support.combinations import TEMPLATE, UNSUPPORTED, UNSUPPORTED_CHOICES

# Free text with what breaks naive quoting: both quotes, a backslash, an emoji (outside the
# BMP, so JSON escapes it as a surrogate pair), a ZWJ sequence, YAML's ": " and " #".
FREE_TEXT = {
    "project_name": 'Zoë\'s "Churn" \\ Model 🚀: #1',
    "description": "Predicts churn 🚀: \"quoted\", 'single', back\\slash, # not a comment",
    "author_name": 'O\'Brien "Ops" \\ Team 👩\u200d👩\u200d👧',
}
# The longest slug Kubernetes names allow: 63 characters.
LONGEST_SLUG = "churn-model-" + "x" * 51
# Remote URLs, and what .dvc/config resolves them to, that an unquoted configobj value would
# cut at "#", split at "," or strip of its quotes.
REMOTES = {
    "local": ("../dvc storage #1, 'v2'", "../../dvc storage #1, 'v2'"),
    "s3": ("s3://my-bucket/data #1,v2/%20x", "s3://my-bucket/data #1,v2/%20x"),
}


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


def hook() -> dict[str, Any]:
    """The pre-gen hook's functions, loaded without cookiecutter rendering its context."""
    source = (TEMPLATE / "hooks" / "pre_gen_project.py").read_text()
    namespace: dict[str, Any] = {}
    exec(
        compile(source.replace("{{ cookiecutter | jsonify }}", "{}"), "pre_gen", "exec"), namespace
    )
    return namespace


def test_hook_also_rejects_bad_choices_in_a_replayed_context():
    """The hook's own choice check, run directly on a context cookiecutter did not vet."""
    namespace = hook()
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


@pytest.mark.parametrize("char", ["\x00", "\r", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"])
def test_hook_refuses_every_control_character(char):
    """Also those no command line can carry (NUL), checked directly."""
    problem = hook()["check_control_characters"]({"author_name": f"ML{char}Team"})
    assert problem.startswith(f"author_name contains the control character {char!r}")


def test_hook_accepts_emoji_sequences_and_ignores_cookiecutter_settings():
    """A ZWJ emoji is a format character, not a control one; "_" keys are not options."""
    options = {"project_name": FREE_TEXT["author_name"], "_output_dir": "a\nb"}
    assert hook()["check_control_characters"](options) is None


def yaml_files(project: Path) -> list[Path]:
    return sorted([*project.rglob("*.yaml"), *project.rglob("*.yml")])


@pytest.mark.parametrize(
    ("remote", "deploy_target", "slug"),
    [("local", "kubernetes", LONGEST_SLUG), ("s3", "bentocloud", "free-text")],
)
def test_free_text_renders_valid_toml_json_yaml_and_dvc_config(
    tmp_path, monkeypatch, remote, deploy_target, slug
):
    """Every file a free-text option or the URL lands in parses back to the exact value."""
    monkeypatch.setenv("MERGESHIP_SKIP_UV_LOCK", "1")
    url, resolved = REMOTES[remote]
    options = {"dvc_remote": remote, "dvc_remote_url": url, "deploy_target": deploy_target}
    result = generate(tmp_path, {**FREE_TEXT, **options, "project_slug": slug})
    assert result.returncode == 0, result.stderr
    project = tmp_path / slug

    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["description"] == FREE_TEXT["description"]
    assert metadata["authors"] == [{"name": FREE_TEXT["author_name"]}]
    dashboard = json.loads((project / "monitoring/grafana-dashboard.json").read_text())
    assert dashboard["title"] == f"{FREE_TEXT['project_name']} prediction service"
    assert dashboard["uid"] == slug[:40]  # Grafana's limit
    # DVC reads its config exactly so: configobj, defaults, .dict().
    config = ConfigObj(str(project / ".dvc/config")).dict()
    assert config['remote "storage"']["url"] == resolved
    for path in yaml_files(project):
        with path.open() as stream:  # a parse error then names the file
            list(yaml.safe_load_all(stream))
    if deploy_target == "kubernetes":
        service = yaml.safe_load((project / "deploy/kubernetes/service.yaml").read_text())
        assert service["metadata"]["name"] == slug
    readme = (project / "README.md").read_text()
    assert readme.startswith(f"# {FREE_TEXT['project_name']}\n")
    assert FREE_TEXT["description"] in readme
    assert FREE_TEXT["author_name"] in (project / "LICENSE").read_text()
