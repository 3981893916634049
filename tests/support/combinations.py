"""Option combinations the template supports, and ones its pre-gen hook must reject.

Rendering every product of the options (3*2*4*3*2*4 = 576) is too slow to run on each
change, so SUPPORTED is a pairwise-complete set: every pair of values of any two options
appears together in at least one combination. `test_supported_set_covers_all_pairs` proves it.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[2]
CHOICE_OPTIONS = {
    key: value
    for key, value in json.loads((TEMPLATE / "cookiecutter.json").read_text()).items()
    if isinstance(value, list) and not key.startswith("_")  # "_" keys are settings
}


def all_pairs() -> set[tuple[tuple[str, str], tuple[str, str]]]:
    pairs = set()
    for first, second in itertools.combinations(CHOICE_OPTIONS, 2):
        for a, b in itertools.product(CHOICE_OPTIONS[first], CHOICE_OPTIONS[second]):
            pairs.add(((first, a), (second, b)))
    return pairs


def pairs_of(combo: dict[str, str]) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    return {
        ((first, combo[first]), (second, combo[second]))
        for first, second in itertools.combinations(CHOICE_OPTIONS, 2)
    }


def pairwise_combinations() -> list[dict[str, str]]:
    """Greedy all-pairs: repeatedly add the full combination that covers most uncovered pairs.

    Deterministic (candidates are scanned in a fixed order), so test ids are stable.
    """
    uncovered = all_pairs()
    chosen: list[dict[str, str]] = []
    candidates = [
        dict(zip(CHOICE_OPTIONS, values, strict=True))
        for values in itertools.product(*CHOICE_OPTIONS.values())
    ]
    while uncovered:
        best = max(candidates, key=lambda combo: len(pairs_of(combo) & uncovered))
        chosen.append(best)
        uncovered -= pairs_of(best)
    return chosen


def combo_id(combo: dict[str, str]) -> str:
    return "-".join(combo[key] for key in CHOICE_OPTIONS)


SUPPORTED = pairwise_combinations()

# Rejected by hooks/pre_gen_project.py: the options, and a fragment of the one-line error.
UNSUPPORTED = [
    ({"project_slug": "My Project"}, "project_slug 'My Project' is not allowed"),
    ({"project_slug": "Churn-Model"}, "project_slug 'Churn-Model' is not allowed"),
    ({"project_slug": "churn--model"}, "project_slug 'churn--model' is not allowed"),
    ({"package_name": "class"}, "is a Python keyword"),
    ({"package_name": "my-package"}, "is not a Python identifier"),
    ({"package_name": "2fast"}, "is not a Python identifier"),
    ({"package_name": "json"}, "shadows the standard-library module"),
    ({"dvc_remote": "s3", "dvc_remote_url": "gs://bucket/x"}, "must start with s3://"),
    ({"dvc_remote": "gcs", "dvc_remote_url": "s3://bucket/x"}, "must start with gs://"),
    (
        {"dvc_remote": "azure", "dvc_remote_url": "https://x.blob.core.windows.net/c"},
        "must start with azure://",
    ),
    ({"dvc_remote": "local", "dvc_remote_url": "s3://bucket/x"}, "has a scheme"),
    ({"dvc_remote": "local", "dvc_remote_url": "storage"}, "would be inside the repository"),
    ({"dvc_remote": "local", "dvc_remote_url": ""}, "dvc_remote_url is empty"),
    # A newline would end the url setting in .dvc/config and start one of the user's choosing.
    (
        {"dvc_remote": "s3", "dvc_remote_url": "s3://bucket/x\n[core]\n    remote = other"},
        "dvc_remote_url contains the control character '\\n' (U+000A)",
    ),
    ({"project_name": "Churn\x07Model"}, "project_name contains the control character '\\x07'"),
    ({"description": "Churn\tmodel"}, "description contains the control character '\\t'"),
    ({"author_name": "ML\u2028Team"}, "author_name contains the control character '\\u2028'"),
    ({"project_slug": "churn-model-" + "x" * 52}, "allow at most 63 characters"),
    ({"package_name": "churn_model_" + "x" * 52}, "BentoML tags, made from it, allow at most 63"),
    ({"project_slug": "yes"}, "project_slug 'yes' reads as a boolean or null in YAML"),
    ({"dvc_remote": "s3", "dvc_remote_url": 's3://bucket/"x"'}, "contains '\"', which .dvc/config"),
    ({"dvc_remote": "s3", "dvc_remote_url": "s3://b/%(x)s"}, "contains '%(', which .dvc/config"),
    # CODEOWNERS ignores a line with an invalid owner: the machinery would be owned by nobody.
    ({"code_owners": "ml-platform"}, "code_owners 'ml-platform' is not a GitHub owner"),
    ({"code_owners": "@org/team *.py"}, "code_owners '*.py' is not a GitHub owner"),
    ({"code_owners": "  "}, "code_owners '(nothing)' is not a GitHub owner"),
]

# A value outside a choice list never reaches the hook: cookiecutter itself refuses it before
# anything is written ("... provided for choice variable ..., but the choices are [...]").
# The hook checks choices again for replayed or hand-edited contexts.
UNSUPPORTED_CHOICES = [
    {"python_version": "3.10"},
    {"task": "clustering"},
    {"dvc_remote": "hdfs"},
    {"deploy_target": "heroku"},
    {"monitoring": "maybe"},
    {"license": "GPL-3.0"},
]
