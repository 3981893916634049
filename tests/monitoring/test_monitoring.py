"""Drift detection, performance on delayed labels and retraining, for real: a generated
project with a trained model, the `drift` command on shifted and on fresh data, labels joined
with a real service's inference log, and the retrain workflow's steps executed in order in a
clone, with `gh` as a recording stand-in.
"""

from __future__ import annotations

import csv
import functools
import json
import re
import statistics
import urllib.request
from pathlib import Path

import pytest
import yaml

from support.projects import DRIFT_WINDOWS, copy_main, package_name, project_env, sh, working_copy
from support.real_services import query, start_prometheus, start_pushgateway
from support.servers import free_port, request, start_server, stop, wait_ready
from support.service_calls import predictions
from support.stand_ins import Artifacts, checkout, recorded_calls, recording_gh, setup
from support.waiting import wait_for
from support.workflow_runner import StepContext, WorkflowRun

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("monitoring")]

WINDOWS = DRIFT_WINDOWS
SHIFTED_COLUMNS = {
    "classification": ("monthly_charges", "contract"),
    "regression": ("area_sqm", "condition"),
}
FRESH_SEEDS = range(100, 110)
WINDOW_ROWS = 300
MAX_FALSE_ALARMS = 1
RUN_ID = "4242"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, shared_main):
    """Per task: a copy of main (set up, pipeline run, committed, pushed to a local remote)."""

    @functools.cache
    def _trained(task: str) -> Path:
        return copy_main(shared_main(task), tmp_path_factory.mktemp(f"monitor-{task}"))

    return _trained


def windows(project: Path, *args: str) -> str:
    return sh(["uv", "run", "--locked", "python", str(WINDOWS), *args], project).stdout


def drift(project: Path, current: Path):
    package = package_name(project)
    return sh(["uv", "run", "--locked", package, "drift", str(current)], project, check=False)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_shifted_data_is_reported_as_drift(trained, task, tmp_path):
    project = trained(task)
    current = tmp_path / "shifted.csv"
    windows(project, "shifted", task, str(current))
    result = drift(project, current)
    assert result.returncode == 3, result.stdout + result.stderr
    verdict = json.loads((project / "reports/drift.json").read_text())
    assert verdict["drift"] is True
    for column in SHIFTED_COLUMNS[task]:
        assert column in verdict["drifted_columns"], result.stdout
    report = (project / "reports/drift.md").read_text()
    assert report.startswith("<!-- mergeship-drift -->\n## ⚠️ Drift in")
    assert "| `(prediction)` |" in report


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_fresh_samples_of_the_same_distribution_rarely_alarm(trained, task, tmp_path):
    project = trained(task)
    package = package_name(project)
    seeds = [str(seed) for seed in FRESH_SEEDS]
    alarms = json.loads(windows(project, "alarms", task, package, str(WINDOW_ROWS), *seeds))
    assert len(alarms) <= MAX_FALSE_ALARMS, (
        f"{len(alarms)} false alarms in {len(seeds)} fresh windows of {WINDOW_ROWS} rows: {alarms}"
    )
    current = tmp_path / "fresh.csv"
    windows(project, "fresh", task, "1", str(WINDOW_ROWS), str(current))
    result = drift(project, current)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "## ✅ No drift" in result.stdout


def test_windows_too_small_or_empty_fail_with_the_fix(trained, tmp_path):
    project = trained("classification")
    header = (project / "data/raw/data.csv").read_text().splitlines()[0]
    empty = tmp_path / "empty.csv"
    empty.write_text(header + "\n")
    result = drift(project, empty)
    assert result.returncode == 2 and "no data rows" in result.stderr
    log = tmp_path / "short.jsonl"
    log.write_text('{"tenure_months": 3}\n' * 10)
    result = drift(project, log)
    assert result.returncode == 2 and "drift.min_rows=200" in result.stderr


def test_a_column_missing_from_current_data_is_reported(trained, tmp_path):
    project = trained("classification")
    current = tmp_path / "no-region.csv"
    windows(project, "fresh", "classification", "1", str(WINDOW_ROWS), str(current))
    lines = current.read_text().splitlines()
    column = lines[0].split(",").index("region")
    trimmed = [",".join(v for i, v in enumerate(line.split(",")) if i != column) for line in lines]
    current.write_text("\n".join(trimmed) + "\n")
    result = drift(project, current)
    assert result.returncode == 3, result.stderr
    assert "| `region` | categorical |" in result.stdout
    assert "missing from the current data" in result.stdout
    assert "predictions not compared: the current data lacks region" in result.stdout


def run_retrain_workflow(
    origin: Path,
    workspace: Path,
    current: str,
    force: bool,
    configured: str = "true",
    pushgateway: str = "",
    labels: dict[str, str] | None = None,
):
    """Clone main, land a current window in data/current/, run retrain.yml in the clone."""
    ci = working_copy(origin, workspace / "ci")
    (ci / "data/current").mkdir(parents=True)
    window = str(ci / "data/current/data.csv")
    if current == "shifted":
        windows(origin, "shifted", "classification", window)
    elif current == "subsample":
        windows(origin, "subsample", "1", "600", window)
    else:
        windows(origin, "fresh", "classification", "1", str(WINDOW_ROWS), window)
    gh_log, bin_dir = workspace / "gh.jsonl", workspace / "bin"
    recording_gh(bin_dir, gh_log)

    def app_token(step: StepContext) -> dict[str, str]:
        assert step.inputs["app-id"] == "12345"
        assert step.inputs["private-key"] == "stand-in-key"
        return {"token": "stand-in-app-token"}

    event = {"inputs": {"force": "true"}} if force else {}
    run = WorkflowRun(
        workflow=ci / ".github/workflows/retrain.yml",
        workdir=ci,
        github={
            "repository": "acme/retrain-demo",
            "ref": "refs/heads/main",  # scheduled runs use main; elsewhere the job is skipped
            "event_name": "workflow_dispatch" if force else "schedule",
            "event": event,
        },
        handlers={
            "actions/checkout@": checkout("the PR's review reads main's metrics"),
            "./.github/actions/setup": setup(ci),
            "./.github/actions/remote-auth": lambda step: {"configured": configured},
            "actions/create-github-app-token@": app_token,
            **Artifacts(ci, workspace / "artifacts").handlers(),
        },
        variables={"RETRAIN_APP_ID": "12345", "PUSHGATEWAY_URL": pushgateway, **(labels or {})},
        secrets={"RETRAIN_APP_PRIVATE_KEY": "stand-in-key"},
        env={
            "PATH": f"{bin_dir}:{project_env()['PATH']}",
            "GITHUB_RUN_ID": RUN_ID,
            **{key: value for key, value in project_env().items() if key.startswith("GIT_")},
        },
    )
    try:
        run.run()
    finally:
        run.cleanup()
    return run, recorded_calls(gh_log), ci


# What a service would have logged for the held-out split (the model's own predictions, each
# with an id), and labels for it with every 4th one flipped: a degraded model.
DEGRADED_LABELS = """
import json, sys
import pandas as pd
from {package}.core.model_file import load_model
frame = pd.read_parquet("data/prepared/test.parquet")
predicted = load_model().predict(frame.drop(columns=["churned"]))
ids = [f"batch-{{index}}" for index in range(len(frame))]
with open(sys.argv[1], "w") as log:
    for id_, value in zip(ids, predicted):
        log.write(json.dumps({{"id": id_, "prediction": value}}) + "\\n")
flip = {{"yes": "no", "no": "yes"}}
labels = [flip[v] if i % 4 == 0 else v for i, v in enumerate(frame["churned"])]
pd.DataFrame({{"id": ids, "label": labels}}).to_csv(sys.argv[2], index=False)
"""


def test_a_performance_drop_opens_a_retrain_pr_that_states_the_reason(trained, tmp_path):
    origin = trained("classification")
    log, labels = tmp_path / "inference.jsonl", tmp_path / "labels.csv"
    script = DEGRADED_LABELS.format(package=package_name(origin))
    sh(["uv", "run", "--locked", "python", "-c", script, str(log), str(labels)], origin)
    run, calls, _ = run_retrain_workflow(
        origin,
        tmp_path,
        "subsample",  # no drift: the drop alone must retrain
        force=False,
        labels={"PERFORMANCE_LABELS": str(labels), "INFERENCE_LOG": str(log)},
    )
    assert run.jobs["retrain"]["result"] == "success", run.transcript()
    assert run.step("Compare the current data with the training data").outputs == {
        "drifted": "false"
    }
    assert run.step("Score the served model on labels that arrived since").outputs == {
        "dropped": "true"
    }
    assert run.step("Retrain (dvc repro)").outcome == "success"
    creates = [call for call in calls if call["args"][:2] == ["pr", "create"]]
    assert len(creates) == 1, calls
    body = creates[0]["body"]
    assert "Reason: a performance drop in accuracy, f1_macro." in body
    assert "<!-- mergeship-performance -->" in body and "## ✅ No drift" in body
    sh(["git", "branch", "-D", f"retrain/{RUN_ID}"], origin)


def remote_branches(origin: Path) -> list[str]:
    listed = sh(["git", "branch", "--list", "retrain/*", "--format=%(refname:short)"], origin)
    return listed.stdout.split()


def test_drift_opens_a_retrain_pr_with_the_review_report(trained, tmp_path):
    origin = trained("classification")
    before = remote_branches(origin)
    run, calls, _ = run_retrain_workflow(origin, tmp_path, "shifted", force=False)
    assert run.jobs["retrain"]["result"] == "success", run.transcript()
    assert run.step("Retrain (dvc repro)").outcome == "success"
    assert run.step("Push the drift gauge to the Pushgateway").outcome == "skipped"  # no URL
    branch = f"retrain/{RUN_ID}"
    assert set(remote_branches(origin)) - set(before) == {branch}
    changed = sh(["git", "diff", "--name-only", "main", branch], origin).stdout.split()
    assert {"dvc.lock", "data/raw/data.csv.dvc", "metrics.json"} <= set(changed)
    creates = [call for call in calls if call["args"][:2] == ["pr", "create"]]
    assert len(creates) == 1, calls
    args = creates[0]["args"]
    assert args[args.index("--base") + 1] == "main" and args[args.index("--head") + 1] == branch
    body = creates[0]["body"]
    assert "<!-- mergeship-drift -->" in body and "## ⚠️ Drift in" in body
    assert "<!-- mergeship-review -->" in body and "Model review" in body
    assert ["auth", "setup-git"] in [call["args"] for call in calls]
    sh(["git", "branch", "-D", branch], origin)


def test_no_drift_and_not_forced_opens_nothing_and_pushes_the_gauge(trained, tmp_path):
    origin = trained("classification")
    before = remote_branches(origin)
    gateway, gateway_url = start_pushgateway(tmp_path)  # the real prometheus-pushgateway
    try:
        run, calls, _ = run_retrain_workflow(
            origin, tmp_path, "fresh", force=False, pushgateway=gateway_url
        )
        status, exposed = request(f"{gateway_url}/metrics")
    finally:
        stop(gateway)
    assert run.jobs["retrain"]["result"] == "success", run.transcript()
    drift_step = run.step("Compare the current data with the training data")
    assert drift_step.outputs == {"drifted": "false"}
    assert run.step("Retrain (dvc repro)").outcome == "skipped"
    assert calls == []
    assert remote_branches(origin) == before
    # The alert rule's gauge reached the gateway, under the job the rules expect.
    assert status == 200
    package = package_name(origin)
    gauge = f'{package}_drift_detected{{instance="",job="{package}_drift"}} 0'
    assert gauge in exposed.splitlines(), exposed
    assert f"{package}_drift_detected" in used_metrics(origin, package)


METRIC = re.compile(r"\b((?:bentoml|{package})_[a-z_]+)")


def used_metrics(project: Path, package: str) -> set[str]:
    """Metric names in the alert rules and the Grafana dashboard."""
    rules = yaml.safe_load((project / "monitoring/alerts.yaml").read_text())
    dashboard = json.loads((project / "monitoring/grafana-dashboard.json").read_text())
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    expressions += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    pattern = re.compile(METRIC.pattern.replace("{package}", package))
    return {name for text in expressions for name in pattern.findall(text)}


def exported(text: str) -> set[str]:
    return {line.split("{")[0].split()[0] for line in text.splitlines() if line[:1].isalpha()}


def test_without_a_reachable_remote_a_forced_run_does_nothing(trained, tmp_path):
    origin = trained("classification")
    run, calls, _ = run_retrain_workflow(
        origin, tmp_path, "subsample", force=True, configured="false"
    )
    assert run.jobs["retrain"]["result"] == "success", run.transcript()
    assert run.step("Compare the current data with the training data").outcome == "skipped"
    assert run.step("Retrain (dvc repro)").outcome == "skipped"
    assert calls == []


def test_forced_run_retrains_and_opens_a_pr_without_drift(trained, tmp_path):
    origin = trained("classification")
    # Rows of the training source: no drift, and inside the contract the retrain validates.
    run, calls, _ = run_retrain_workflow(origin, tmp_path, "subsample", force=True)
    assert run.jobs["retrain"]["result"] == "success", run.transcript()
    assert run.step("Compare the current data with the training data").outputs == {
        "drifted": "false"
    }
    assert run.step("Retrain (dvc repro)").outcome == "success"
    creates = [call for call in calls if call["args"][:2] == ["pr", "create"]]
    assert len(creates) == 1 and "## ✅ No drift" in creates[0]["body"], calls
    sh(["git", "branch", "-D", f"retrain/{RUN_ID}"], origin)


# The held-out split as a client would send it, and its true targets (the labels that
# arrive later), printed by the project's own environment (the template's has no pandas).
HELD_OUT = (
    "import json, sys; import pandas as pd; target = sys.argv[1]; "
    "frame = pd.read_parquet('data/prepared/test.parquet'); "
    "records = json.loads(frame.drop(columns=[target]).to_json(orient='records')); "
    "print(json.dumps({'records': records, 'targets': frame[target].tolist()}))"
)
TARGETS = {"classification": "churned", "regression": "price"}
FIRST_GATED = {"classification": "accuracy", "regression": "rmse"}
PREDICTION_SERIES = {
    "classification": "_predictions_total{value=",
    "regression": "_prediction_bucket{",
}


def line_count(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def degraded(task: str, targets: list, every: int = 4) -> list:
    """Every n-th label made wrong: the other class, or the price moved by two deviations."""
    if task == "regression":
        shift = 2 * statistics.pstdev(targets)
        return [value + shift if i % every == 0 else value for i, value in enumerate(targets)]
    classes = sorted(set(targets))
    following = dict(zip(classes, classes[1:] + classes[:1], strict=True))
    return [following[value] if i % every == 0 else value for i, value in enumerate(targets)]


def write_labels(path: Path, ids: list[str], labels: list) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "label"])
        writer.writerows(zip(ids, labels, strict=True))
    return path


def pushed_gauge_fires(
    project: Path, tmp_path: Path, target: str, alertname: str
) -> tuple[list[dict], dict[str, list]]:
    """`make <target>` pushes a gauge to a real Pushgateway, scraped by a real Prometheus with
    the shipped configuration and rules: the alert's firing instances and the dashboard's
    results (each panel expression evaluated, by panel title)."""
    package = package_name(project)
    gateway, gateway_url = start_pushgateway(tmp_path)
    targets = {project.name: "127.0.0.1:9", "pushgateway": gateway_url.removeprefix("http://")}
    prometheus, prometheus_url = start_prometheus(tmp_path, project / "monitoring", targets)
    try:
        sh(["make", target], project, env={**project_env(), "PUSHGATEWAY_URL": gateway_url})

        def firing() -> list[dict]:
            alerts = request(f"{prometheus_url}/api/v1/alerts")[1]["data"]["alerts"]
            return [
                alert
                for alert in alerts
                if alert["labels"]["alertname"] == alertname and alert["state"] == "firing"
            ]

        alerts = wait_for(firing, 60, f"{alertname} firing")
        panels = json.loads((project / "monitoring/grafana-dashboard.json").read_text())["panels"]
        shown = {
            panel["title"]: query(prometheus_url, target["expr"])["result"]
            for panel in panels
            for target in panel["targets"]
            if f"{package}_performance" in target["expr"]
        }
    finally:
        stop(prometheus)
        stop(gateway)
    return alerts, shown


def performance(project: Path, labels: Path, log: Path):
    package = package_name(project)
    command = ["uv", "run", "--locked", package, "performance", str(labels), "--log", str(log)]
    return sh(command, project, check=False)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_a_real_service_logs_what_drift_and_delayed_labels_read_back_and_exports_its_metrics(
    trained, task, tmp_path: Path
) -> None:
    """A real `bentoml serve` with the inference log on serves the held-out split; every
    answer carries a prediction id, and the log records it. `drift` reads the log back (no
    drift: same distribution). The true targets, sent back as labels keyed on those ids,
    score as the review did (exit 0); with every 4th label wrong the model counts as degraded
    (exit 3, the metric named). Every metric name the alerts and the dashboard use is in
    /metrics or in the .prom files of drift and performance."""
    project = trained(task)
    package = package_name(project)
    inference_log = tmp_path / "inference.jsonl"
    env = {
        **project_env(),
        "BENTOML_HOME": str(tmp_path / "bentoml"),
        "INFERENCE_LOG": str(inference_log),
    }
    held_out = json.loads(
        sh(["uv", "run", "--locked", "python", "-c", HELD_OUT, TARGETS[task]], project).stdout
    )
    records, targets = held_out["records"], held_out["targets"]
    sh(["make", "bento"], project, timeout=300, env=env)
    port, log = free_port(), tmp_path / "serve.log"
    server = start_server(["make", "serve", f"PORT={port}"], project, env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, server, log, timeout=120)
        # A prediction whose label never arrives, of a category the model never saw.
        unseen = {**records[0], SHIFTED_COLUMNS[task][1]: "never-seen"}
        unlabelled = predictions(url, [unseen])
        assert unlabelled[0]["warnings"], unlabelled
        answers = [
            answer
            for start in range(0, len(records), 60)
            for answer in predictions(url, records[start : start + 60])
        ]
        requests = len(records) + 1
        wait_for(
            lambda: line_count(inference_log) >= requests,
            30,
            "every request in the inference log",
            interval=0.2,
            evidence=lambda: f"{line_count(inference_log)} of {requests} requests logged",
        )
        logged = line_count(inference_log)
        scraped = urllib.request.urlopen(f"{url}/metrics", timeout=10).read().decode()
    finally:
        stop(server)
    assert logged == len(records) + 1, f"{logged} of {len(records) + 1} requests logged"
    ids = [answer["id"] for answer in answers]
    assert len(set(ids)) == len(records) and unlabelled[0]["id"] not in ids
    entries = [json.loads(line) for line in inference_log.read_text().splitlines()]
    assert [entry["id"] for entry in entries] == [unlabelled[0]["id"], *ids]
    assert entries[-1]["features"] == records[-1]
    from_log = drift(project, inference_log)
    assert from_log.returncode == 0, from_log.stdout + from_log.stderr
    rows = json.loads((project / "reports/drift.json").read_text())["rows"]
    assert rows["current"] == len(records) + 1
    assert f"{package}{PREDICTION_SERIES[task]}" in scraped

    healthy = performance(project, write_labels(tmp_path / "true.csv", ids, targets), inference_log)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    result = json.loads((project / "reports/performance.json").read_text())
    assert result["rows"] == {
        "labelled": len(records),
        "labels": len(records),
        "logged": len(records) + 1,
        "unknown_ids": 0,
    }
    reviewed = json.loads((project / "metrics.json").read_text())
    for name, found in result["metrics"].items():
        assert found["live"] == pytest.approx(reviewed[name]), name  # the same model, same rows
    gauge = exported((project / "reports/performance.prom").read_text())

    wrong = write_labels(tmp_path / "wrong.csv", ids, degraded(task, targets))
    dropped = performance(project, wrong, inference_log)
    assert dropped.returncode == 3, dropped.stdout + dropped.stderr
    result = json.loads((project / "reports/performance.json").read_text())
    assert FIRST_GATED[task] in result["dropped_metrics"], result
    assert f"Performance drop in {FIRST_GATED[task]}" in dropped.stdout
    alerts, shown = pushed_gauge_fires(
        project, tmp_path, "push-performance-metrics", "ModelPerformanceDrop"
    )
    assert [alert["labels"]["severity"] for alert in alerts] == ["ticket"]
    (panel,) = shown.values()  # the dashboard's performance panel: one series a metric
    assert {series["metric"]["metric"] for series in panel} == set(result["metrics"])
    print(
        f"{task}: "
        + "; ".join(
            f"{name} reviewed {found['reviewed']:.4f}, every 4th label wrong {found['live']:.4f}"
            for name, found in result["metrics"].items()
        )
    )

    few = write_labels(tmp_path / "few.csv", ids[:50], targets[:50])
    too_few = performance(project, few, inference_log)
    assert too_few.returncode == 2 and "performance.min_rows=200" in too_few.stderr, too_few

    current = tmp_path / "shifted.csv"
    windows(project, "shifted", task, str(current))
    drift(project, current)
    names = exported(scraped) | exported((project / "reports/drift.prom").read_text()) | gauge
    used = used_metrics(project, package)
    assert any(name.startswith("bentoml_") for name in used)
    assert {f"{package}_drift_detected", f"{package}_performance_drop"} <= used
    missing = {name for name in used if name not in names}
    assert not missing, f"not exported by the service, drift or performance: {sorted(missing)}"
