"""A user's own table, first run: the README's whole path with the defaults, on real tables.

The tables are those the model defaults are chosen on (benchmarks/real_tables.py): 23 real
tables that packages bundle, classification and regression, clean and with gaps, numbers and
text, two to ten classes, 300 to 20,000 rows. On a copy of the built main for the table's
task, with nothing but params.yaml's target and sensitive feature set: `make schema`,
`make pipeline`, `make test`, an unchanged PR's `make review`, `make bento`, and one
prediction from the served bento (`make smoke`).

The tables are written once per session by the `bench-models` group, and share the two built
mains (one per task); each task's tables run in turn on one worker (a class is one xdist
scope), so the two tasks run side by side.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

from support.projects import built_once, commit_all, project_env, run, sh, working_copy
from support.servers import free_port, start_server, stop, wait_ready

pytestmark = pytest.mark.e2e

TEMPLATE = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "real_tables", TEMPLATE / "benchmarks" / "real_tables.py"
)
real_tables = importlib.util.module_from_spec(_spec)
sys.modules["real_tables"] = real_tables  # dataclasses looks its module up by name
_spec.loader.exec_module(real_tables)


TABLES = {table.name: table for table in real_tables.TABLES}


def names(task: str) -> list[str]:
    return [name for name, table in TABLES.items() if table.task == task]


@pytest.fixture(scope="session")
def real_table_files(shared_dir: Path) -> Path:
    """Every table as a CSV, written once for all workers."""

    def write(root: Path) -> Path:
        script = TEMPLATE / "benchmarks" / "real_tables.py"
        command = ["uv", "run", "--locked", "--isolated", "--only-group", "bench-models", "python"]
        run([*command, str(script), str(root)], cwd=TEMPLATE)
        return root

    return built_once(shared_dir, "real-tables", write)


def readme_path_on(table: str, shared_main, real_table_files: Path, tmp_path: Path) -> None:
    spec = TABLES[table]
    sensitive = spec.sensitive
    project = working_copy(shared_main(spec.task), tmp_path / table)
    env = {**project_env(), "BENTOML_HOME": str(tmp_path / "bentoml")}
    csv_text = (real_table_files / f"{table}.csv").read_text()
    (project / "data/raw/data.csv").write_text(csv_text)
    sh(["uv", "run", "--locked", "dvc", "add", "data/raw/data.csv"], project)
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["data"]["target"] = spec.target
    params["evaluate"]["sensitive_features"] = [sensitive] if sensitive else []
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    sh(["make", "schema"], project, env=env)
    if all(all(cells) for cells in csv.reader(csv_text.splitlines())):  # not one gap
        assert "nullable: true" not in (project / "data/schema.yaml").read_text()
    sh(["make", "pipeline"], project, env=env)
    tests = sh(["make", "test"], project, env=env)
    assert " passed" in tests.stdout and " failed" not in tests.stdout
    commit_all(project, f"main: {table}")

    sh(["git", "checkout", "-q", "-b", "unchanged"], project)
    (project / "README.md").write_text((project / "README.md").read_text() + "\nA note.\n")
    commit_all(project, "an unchanged PR")
    review = sh(["make", "review", "BASE=main"], project, env=env)
    assert "## ✅ Model review: no metric regressed beyond tolerance" in review.stdout
    if sensitive:
        assert f"`{sensitive}`" in review.stdout  # its fairness section, judged

    sh(["make", "bento"], project, env=env)
    port = free_port()
    log = tmp_path / "serve.log"
    server = start_server(["make", "serve", f"PORT={port}"], project, env, log)
    try:
        wait_ready(f"http://127.0.0.1:{port}", server, log)
        smoke = sh(
            ["make", "smoke"], project, env={**env, "SERVICE_URL": f"http://127.0.0.1:{port}"}
        )
    finally:
        stop(server)
    assert "is ready and predicts" in smoke.stdout


class TestClassificationTables:
    @pytest.mark.parametrize("table", names("classification"))
    def test_the_readme_path_holds(self, table, shared_main, real_table_files, tmp_path):
        readme_path_on(table, shared_main, real_table_files, tmp_path)


class TestRegressionTables:
    @pytest.mark.parametrize("table", names("regression"))
    def test_the_readme_path_holds(self, table, shared_main, real_table_files, tmp_path):
        readme_path_on(table, shared_main, real_table_files, tmp_path)
