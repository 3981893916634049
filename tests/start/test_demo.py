"""The demo's own machinery: the PR it simulates, failure messages, and leaving nothing running.

The demo's steps are the generated project's make targets, which the end-to-end tests run;
these tests cover what the demo adds around them, cheaply. `make demo` itself is run by hand
and its timings are in the README.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from support.combinations import TEMPLATE

spec = importlib.util.spec_from_file_location("demo", TEMPLATE / "scripts" / "demo.py")
demo = importlib.util.module_from_spec(spec)
sys.modules["demo"] = demo
spec.loader.exec_module(demo)


def test_the_simulated_pr_switches_the_model_and_keeps_the_comments(render):
    project = render()
    before = (project / "params.yaml").read_text()
    changed = project.parent / "changed"
    changed.mkdir()
    (changed / "params.yaml").write_text(before)

    demo.change_params(changed)

    after = (changed / "params.yaml").read_text()
    params = yaml.safe_load(after)
    assert params["train"]["model"] == "logistic_regression"
    assert params["train"]["hyperparameters"] == {"C": 1.0, "max_iter": 1000}
    assert params["evaluate"] == yaml.safe_load(before)["evaluate"]
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert comments and all(line in after.splitlines() for line in comments)


def test_a_params_file_it_does_not_know_is_refused_not_mangled(tmp_path):
    (tmp_path / "params.yaml").write_text("train:\n  model: ridge\n")
    with pytest.raises(demo.StepFailed, match="not the template's default"):
        demo.change_params(tmp_path)
    assert (tmp_path / "params.yaml").read_text() == "train:\n  model: ridge\n"


def test_the_verdict_is_the_heading_and_the_metric_table_of_a_real_report():
    readme = (TEMPLATE / "README.md").read_text()
    start, end = "<!-- review-example:start -->", "<!-- review-example:end -->"
    report = readme[readme.index(start) + len(start) : readme.index(end)]

    shown = demo.verdict(report).splitlines()

    assert shown[0].startswith("✅ Model review")
    assert shown[1].startswith("| metric |")
    assert any(row.startswith("| f1_macro |") for row in shown)
    assert not any("region" in row for row in shown)  # the fairness tables come separately


def test_the_review_step_shows_the_fairness_tables_of_a_real_report():
    readme = (TEMPLATE / "README.md").read_text()
    start, end = "<!-- review-example:start -->", "<!-- review-example:end -->"
    report = readme[readme.index(start) + len(start) : readme.index(end)]

    shown = demo.fairness(report).splitlines()

    assert shown[0] == "###### `region`"  # the feature, then its measures and its groups
    assert any(row.startswith("| demographic_parity_difference |") for row in shown)
    assert any(row.startswith("| north |") for row in shown)
    assert not any("Gate rules" in row or row.startswith("| accuracy |") for row in shown)


def test_a_failing_step_names_the_step_and_the_command_to_rerun(tmp_path):
    run = demo.Demo(output=tmp_path, verbose=False, env=dict(os.environ), project=tmp_path)
    (tmp_path / "logs").mkdir()

    with pytest.raises(demo.StepFailed) as failure:
        run.run("review", ["sh", "-c", "echo the gate said no; exit 3"], BASE="main")

    message = str(failure.value)
    assert "the gate said no" in message
    assert "demo failed at step 'review'" in message and "exited 3" in message
    assert f"Rerun it with: cd {tmp_path} && BASE=main sh -c" in message
    assert "the gate said no" in (tmp_path / "logs" / "review.log").read_text()


def test_stop_ends_the_servers_whole_process_group(tmp_path):
    # The parent stops on SIGTERM; its child ignores it, like a stubborn server worker.
    script = "(trap '' TERM; sleep 300) & wait"
    server = subprocess.Popen(["sh", "-c", script], start_new_session=True)
    run = demo.Demo(output=tmp_path, verbose=False, server=server, port=demo.free_port())
    deadline = time.monotonic() + 5
    while len(demo.living_members(server.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(demo.living_members(server.pid)) >= 2

    message = demo.stop(run)

    assert re.search(r"stopped; nothing answers on port \d+", message)
    assert demo.living_members(server.pid) == []
    assert run.server is None


def dry_run_setup(tmp_path: Path, path: str) -> str:
    """`make -n setup` on a copy of the Makefile, with PATH exactly as given."""
    shutil.copy(TEMPLATE / "Makefile", tmp_path / "Makefile")
    make = shutil.which("make")
    result = subprocess.run(
        [make, "-n", "setup"], cwd=tmp_path, env={"PATH": path}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_bootstraps_uv_into_build_tools_when_none_is_on_path(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    plan = dry_run_setup(tmp_path, str(empty))
    assert "python3 -m venv build/tools" in plan
    assert "build/tools/bin/python -m pip install" in plan
    assert f"{tmp_path}/build/tools/bin/uv sync --locked" in plan


def test_make_uses_the_uv_on_path_when_there_is_one(tmp_path):
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "uv").write_text("#!/bin/sh\n")
    (tools / "uv").chmod(0o755)
    plan = dry_run_setup(tmp_path, str(tools))
    assert f"{tools}/uv sync --locked" in plan
    assert "venv" not in plan and "pip install" not in plan


def test_the_review_step_shows_the_cost_table_of_a_real_report():
    readme = (TEMPLATE / "README.md").read_text()
    start, end = "<!-- review-example:start -->", "<!-- review-example:end -->"
    report = readme[readme.index(start) + len(start) : readme.index(end)]

    shown = demo.costs(report).splitlines()

    assert shown[0] == "Cost"
    assert shown[1].startswith("| figure | main | PR | change | rule | status |")
    assert any(row.startswith("| model_size_mb |") and "✅ improved" in row for row in shown)
    assert not any(row.startswith(("| accuracy |", "| north |")) for row in shown)
