"""The review tests' mains: each module gets its own copy, so scenarios in different modules
run on different workers without sharing a repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.projects import commit_all, copy_main, sh


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory, shared_main) -> Path:
    """main with its pipeline run, committed, and its outputs pushed to the DVC remote."""
    return copy_main(shared_main("classification"), tmp_path_factory.mktemp("review-origin"))


def set_a_ceiling(project: Path) -> None:
    """Main's policy: an absolute ceiling on the demographic parity difference, below the
    sample's own gap, so any model of this data is beyond it."""
    params = project / "params.yaml"
    params.write_text(
        params.read_text().replace(
            "demographic_parity_difference: {max_increase: 0.05}",
            "demographic_parity_difference: {max_increase: 0.05, max: 0.01}",
        )
    )


@pytest.fixture(scope="module")
def origin_without_metrics(tmp_path_factory: pytest.TempPathFactory, shared_main) -> Path:
    """main before its first model: what the pipeline wrote is removed (no dvc.lock, no
    metrics.json to compare with); the sample data stays pushed, so clones can pull it."""
    project = copy_main(shared_main("classification"), tmp_path_factory.mktemp("review-first"))
    outputs = ["dvc.lock", "metrics.json", "plots", "reports/validation.json"]
    sh(["git", "rm", "-r", "-q", *outputs], project)
    commit_all(project, "main: before its first model")
    return project


@pytest.fixture(scope="module")
def origin_with_a_ceiling(origin_without_metrics: Path, tmp_path_factory) -> Path:
    """main before its first model, with an absolute fairness ceiling its data exceeds."""
    project = copy_main(origin_without_metrics, tmp_path_factory.mktemp("review-ceiling"))
    set_a_ceiling(project)
    commit_all(project, "main: a fairness ceiling")
    return project
