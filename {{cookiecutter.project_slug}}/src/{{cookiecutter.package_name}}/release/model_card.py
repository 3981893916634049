"""The release's model card from the numbers the gate judged, your modeling/model_card.md and
the changes since BASE. Plain Markdown, not skops' Card (which titles nested sections by path,
needs the live MetricFrame, and pandoc to read a card back); the check reads its tables back."""

from __future__ import annotations

import json
import os
import re
from argparse import Namespace
from pathlib import Path
from typing import Any

import yaml

from ..core import reports
from ..core.errors import UserError
from ..core.git import commit_of, file_at, head_commit
from ..core.lockfile import recorded_outputs, reviewed_md5
from ..core.params import PACKAGE, TASK, FairnessGate, flatten, load_params
from ..core.paths import COST_RESULT, LOCK_FILE, METRICS_FILE, MODEL_FILE, PARAMS_FILE
from ..core.reports import parse_json, read_json, signed

CARD = Path("build/release/model_card.md")
HUMAN = Path(f"src/{PACKAGE}/modeling/model_card.md")  # your sections; .dvcignore'd
DEFAULT_BASE = "HEAD~1"
METRICS, CHANGED = "Metrics", "Changed since the last release"
FAIRNESS, GROUPS = "Fairness by ", "Groups of "
GENERATED = (METRICS, "Training", "Provenance", "Cost", CHANGED)


def cell(value: Any) -> str:
    """A table cell: a count as is, any other number to 4 decimals, text with `|` escaped."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "n/a" if value is None else str(value).replace("|", r"\|").replace("\n", " ")
    return str(value) if isinstance(value, int) else f"{value:.4f}"


def as_written(value: Any) -> str:
    """A param as params.yaml reads, not rounded like a metric."""
    return value if isinstance(value, str) else json.dumps(value)


def table(header: list[str], rows: list[list[Any]]) -> str:
    return reports.table(header, ([cell(v) for v in row] for row in rows))


def numbers(tree: dict[str, Any]) -> dict[str, Any]:
    """metrics.json's numbers by flat key, as DVC and the review name them."""
    flat = flatten(tree).items()
    return {k: v for k, v in flat if isinstance(v, int | float) and not isinstance(v, bool)}


def human_sections(path: Path = HUMAN) -> list[tuple[str, str]]:
    """The `## ` sections of your file, in order; text before the first is a note to you."""
    if not path.exists():
        raise UserError(f"{path} not found: it holds the card's hand-written sections")
    parts = re.split(r"^## (.*)$", path.read_text(), flags=re.MULTILINE)
    titles, bodies = parts[1::2], parts[2::2]  # the text before the first title is dropped
    sections = [(t.strip(), b.strip()) for t, b in zip(titles, bodies, strict=True)]
    for title, _ in sections:
        if title in GENERATED or title.startswith((FAIRNESS, GROUPS)):
            raise UserError(f"{path}: '{title}' is a generated section's title; rename yours")
    return sections


def judged_sections(metrics: dict[str, Any], min_rows: int) -> list[str]:
    """The sections of metrics.json's numbers: what the check reads back."""
    overall = [[k, v] for k, v in numbers(metrics).items() if not k.startswith("fairness.")]
    sections = [
        f"## {METRICS}\n\nThe {TASK} model on the held-out test split.\n\n"
        + table(["Metric", "Value"], overall)
    ]
    for feature, found in (metrics.get("fairness") or {}).items():
        measures = [[k, v] for k, v in found.items() if k != "groups"]
        groups = found.get("groups") or {}
        columns = sorted({name for scores in groups.values() for name in scores} - {"rows"})
        sections.append(
            f"## {FAIRNESS}{feature}\n\nMeasured over the groups of {min_rows} rows or more "
            "(review.fairness.min_rows); smaller groups are listed, not judged.\n\n"
            + (table(["Measure", "Value"], measures) if measures else "No measures: too few.")
            + f"\n\n### {GROUPS}{feature}\n\n"
            + table(
                ["Group", "rows", *columns],
                [[g, s.get("rows"), *(s.get(c) for c in columns)] for g, s in groups.items()],
            )
        )
    return sections


def changes(base: str | None) -> str:
    """Metric, fairness and params deltas against the base revision's committed files."""
    name = base or DEFAULT_BASE
    sha = commit_of(name)
    if sha is None:
        if base:
            raise UserError(f"base revision {base} does not exist here; name a commit or tag")
        return f"No earlier commit ({DEFAULT_BASE}) to compare with: this is the first release."
    old_text = file_at(sha, METRICS_FILE)
    if old_text is None:
        return f"`{name}` ({sha[:12]}) has no {METRICS_FILE}: nothing to compare with."
    old = numbers(parse_json(old_text, f"{METRICS_FILE} at {name}"))
    new = numbers(read_json(METRICS_FILE))
    moved = [[key, was, now, None if None in (was, now) else signed(now - was)]
             for key, was, now in differing(old, new)]  # fmt: skip
    old_params = flatten(yaml.safe_load(file_at(sha, PARAMS_FILE) or "") or {})
    new_params = flatten(yaml.safe_load(PARAMS_FILE.read_text()) or {})
    params = [[key, *(None if v is None else as_written(v) for v in pair)]
              for key, *pair in differing(old_params, new_params)]  # fmt: skip
    metric_table = table(["Number", "Last release", "This release", "Change"], moved)
    params_table = table(["Param", "Last release", "This release"], params)
    return (f"Against `{name}` ({sha[:12]}).\n\n"
            + (metric_table if moved else "No metric or fairness number changed.") + "\n\n"
            + (params_table if params else "No param changed."))  # fmt: skip


def differing(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    return [(k, old.get(k), new.get(k)) for k in sorted(old.keys() | new.keys())
            if old.get(k) != new.get(k)]  # fmt: skip


def registered_version(md5: str) -> tuple[str, str] | None:
    """(version, run id) of the @champion or else newest version tagged with this md5."""
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        return None
    from ..core.tracking import start_mlflow
    from .registry import ALIAS, tagged_versions  # with mlflow: only when a server is set

    found = tagged_versions(start_mlflow().MlflowClient(), md5)
    found.sort(key=lambda v: (ALIAS in (v.aliases or []), int(v.version)), reverse=True)
    return (str(found[0].version), str(found[0].run_id)) if found else None


def render(base: str | None = None) -> str:
    params = load_params()
    metrics = read_json(METRICS_FILE)
    md5 = reviewed_md5()
    raw = params.data.raw
    data_md5 = recorded_outputs(LOCK_FILE.read_text(), "deps").get(raw.as_posix())
    version = registered_version(md5)
    trained = flatten(params.model_dump(mode="json", by_alias=True, include={"data", "train"}))
    provenance = [
        ["Git commit", head_commit()],
        [f"Data md5 ({raw})", data_md5 or "not in dvc.lock"],
        [f"Model md5 ({MODEL_FILE})", md5],
        ["MLflow model version", f"{PACKAGE} v{version[0]}" if version
         else "none (no MLFLOW_TRACKING_URI, or no version holds this model)"],
    ]  # fmt: skip
    sections = [
        f"# Model card: {PACKAGE}\n\nWritten by `make model-card` from {METRICS_FILE}, "
        f"{PARAMS_FILE} and {LOCK_FILE}; the sections before Metrics are {HUMAN}. Edit that "
        f"file, not this one: `make check-model-card` fails on a number that differs from "
        f"{METRICS_FILE}.",
        *(f"## {title}\n\n{body}" for title, body in human_sections()),
        *judged_sections(metrics, (params.review.fairness or FairnessGate()).min_rows),
        "## Training\n\n"
        + table(["Param", "Value"], [[k, as_written(v)] for k, v in trained.items()]),
        "## Provenance\n\n" + table(["Item", "Value"], provenance),
    ]
    cost = (json.loads(COST_RESULT.read_text()) or {}) if COST_RESULT.exists() else {}
    if figures := cost.get("pr"):  # the review's cost figures for this model (its "pr" side)
        sections.append(
            "## Cost\n\nMeasured by the review on its machine.\n\n"
            + table(["Figure", "Value"], list(numbers(figures).items()))
        )
    sections.append(f"## {CHANGED}\n\n{changes(base)}")
    return "\n\n".join(sections) + "\n"


def card_numbers(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """The numbers of the card's tables (outside code fences) by metrics.json's flat keys:
    (Metrics and fairness tables, the Changed section's "This release" column)."""
    judged: dict[str, str] = {}
    latest: dict[str, str] = {}
    header: list[str] = []
    section, fenced = "", False
    for line in text.splitlines():
        fenced ^= line.startswith("```")
        if fenced:
            continue
        if not line.startswith("|"):
            header = []
            if heading := re.match(r"#{1,6} (.*)", line):
                section = heading[1].strip()
            continue
        row = [c.strip().replace(r"\|", "|") for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
        if not header:
            header = row
        elif all(re.fullmatch(":?-+:?", c) for c in row):
            continue
        elif section == METRICS and header[0] == "Metric":
            judged[row[0]] = row[1]
        elif section.startswith(FAIRNESS) and header[0] == "Measure":
            judged[f"fairness.{section.removeprefix(FAIRNESS)}.{row[0]}"] = row[1]
        elif section.startswith(GROUPS) and header[0] == "Group":
            prefix = f"fairness.{section.removeprefix(GROUPS)}.groups.{row[0]}"
            cells = zip(header[1:], row[1:], strict=False)
            judged |= {f"{prefix}.{name}": value for name, value in cells}
        elif section == CHANGED and header[0] == "Number":
            latest[row[0]] = row[header.index("This release")]
    return judged, latest


def check(text: str, metrics: dict[str, Any]) -> list[str]:
    """Each number of the card that differs from metrics.json, or is missing from either; both
    are read back from rendered tables, so a group name a cell cannot hold verbatim compares."""
    expected, _ = card_numbers("\n\n".join(judged_sections(metrics, FairnessGate().min_rows)))
    judged, latest = card_numbers(text)
    as_read = {cell(k).replace(r"\|", "|").strip(): cell(v) for k, v in numbers(metrics).items()}
    problems = [
        f"{key}: the card says {judged.get(key, 'nothing')}, {METRICS_FILE} has "
        f"{expected.get(key, 'nothing')}"
        for key in sorted(expected.keys() | judged.keys())
        if judged.get(key) != expected.get(key)
    ]
    return problems + [
        f"{key}: the card's {CHANGED} says {value} for this release, {METRICS_FILE} has "
        f"{as_read.get(key, 'nothing')}"
        for key, value in sorted(latest.items())
        if value != as_read.get(key, "n/a")
    ]


def model_card_command(args: Namespace) -> str:
    CARD.parent.mkdir(parents=True, exist_ok=True)
    CARD.write_text(render(args.base or None))
    return f"wrote {CARD}"


def check_model_card_command(args: Namespace) -> str:
    if not CARD.exists():
        raise UserError(f"{CARD} not found: run `make model-card` first")
    if problems := check(CARD.read_text(), read_json(METRICS_FILE)):
        raise UserError(f"{CARD} disagrees with {METRICS_FILE}:\n  " + "\n  ".join(problems))
    return f"every number in {CARD} is {METRICS_FILE}'s"


def publish_model_card_command(args: Namespace) -> str:
    """Written, checked, then attached to the MLflow version when a server holds it. The GitHub
    Release is `make github-release`'s, after the deploy: only that job may write to the repo."""
    done = [model_card_command(args), check_model_card_command(args)]
    if version := registered_version(reviewed_md5()):
        from ..core.tracking import start_mlflow

        client = start_mlflow().MlflowClient()
        client.log_artifact(version[1], str(CARD), artifact_path="model_card")
        uri = f"runs:/{version[1]}/model_card/{CARD.name}"
        client.set_model_version_tag(PACKAGE, version[0], "model_card", uri)
        done.append(f"attached to MLflow model {PACKAGE} v{version[0]} ({uri})")
    return "\n".join(done)
