"""A user's own table, first run: the README's whole path with the defaults, on real tables.

Each table ships inside scikit-learn (nothing is downloaded) and differs from the sample in
shape: a clean binary table with many numeric columns and names with spaces, a multiclass
table with missing values and a text column, a regression table with an integer target. On a
copy of a built project, with nothing but params.yaml's target and sensitive feature set:
`make schema`, `make pipeline`, `make test`, an unchanged PR's `make review`, `make bento`,
and one prediction from the served bento (`make smoke`).
"""

from __future__ import annotations

import pytest
import yaml

from support.projects import commit_all, project_env, sh, working_copy
from support.servers import free_port, start_server, stop, wait_ready

pytestmark = pytest.mark.e2e

# name: (task, Python that writes data/raw/data.csv in the project's env, target, sensitive)
TABLES = {
    "breast-cancer": (
        "classification",
        """
from sklearn.datasets import load_breast_cancer
frame = load_breast_cancer(as_frame=True).frame
frame["size band"] = pd.cut(frame["mean radius"], 3, labels=["small", "medium", "large"])
frame["diagnosis"] = frame.pop("target").map({0: "malignant", 1: "benign"})
""",
        "diagnosis",
        "size band",
    ),
    "wine-with-gaps": (
        "classification",
        """
from sklearn.datasets import load_wine
frame = load_wine(as_frame=True).frame
frame["colour"] = pd.cut(frame["color_intensity"], 2, labels=["pale", "deep"]).astype(str)
for step, column in enumerate(["alcohol", "magnesium", "colour"]):
    frame.loc[frame.index % (7 + step) == 0, column] = None
frame["cultivar"] = frame.pop("target")
""",
        "cultivar",
        "colour",
    ),
    "diabetes": (
        "regression",
        """
from sklearn.datasets import load_diabetes
frame = load_diabetes(as_frame=True, scaled=False).frame
frame["sex"] = frame["sex"].map({1.0: "f", 2.0: "m"})
frame["progression"] = frame.pop("target").round().astype(int)
""",
        "progression",
        "sex",
    ),
}


@pytest.mark.parametrize(
    "table",
    [
        pytest.param(name, marks=pytest.mark.xdist_group(task))
        for name, (task, *_) in TABLES.items()
    ],
)
def test_the_readme_path_holds_on_a_real_table(table, shared_main, tmp_path):
    task, write, target, sensitive = TABLES[table]
    project = working_copy(shared_main(task), tmp_path / table)
    env = {**project_env(), "BENTOML_HOME": str(tmp_path / "bentoml")}
    program = f"import pandas as pd\n{write}\nframe.to_csv('data/raw/data.csv', index=False)\n"
    sh(["uv", "run", "--locked", "python", "-c", program], project)
    sh(["uv", "run", "--locked", "dvc", "add", "data/raw/data.csv"], project)
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["data"]["target"] = target
    params["evaluate"]["sensitive_features"] = [sensitive]
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    sh(["make", "schema"], project, env=env)
    sh(["make", "pipeline"], project, env=env)
    tests = sh(["make", "test"], project, env=env)
    assert " passed" in tests.stdout and " failed" not in tests.stdout
    commit_all(project, f"main: {table}")

    sh(["git", "checkout", "-q", "-b", "unchanged"], project)
    (project / "README.md").write_text((project / "README.md").read_text() + "\nA note.\n")
    commit_all(project, "an unchanged PR")
    review = sh(["make", "review", "BASE=main"], project, env=env)
    assert "## ✅ Model review: no metric regressed beyond tolerance" in review.stdout
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
