"""What a PR changes outside the user's room (`modeling/`, `params.yaml`, the data: what main's
CODEOWNERS leaves unowned), machinery and dvc.yaml alike, so a reviewer sees the judge change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pathspec.util import lookup_pattern

from ..core import recipe
from ..core.git import changed_since, file_at
from ..core.params import flatten
from ..core.paths import METRICS_FILE, PIPELINE_FILE

CODEOWNERS = Path(".github/CODEOWNERS")
Pattern = lookup_pattern("gitignore")


def owner_rule(text: str) -> Callable[[str], bool]:
    """Whether CODEOWNERS gives a path an owner: the last matching line decides, as on GitHub,
    and a line without owners leaves its paths unowned."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    rules = [(Pattern(words[0]), len(words) > 1) for words in lines if words[0][0] != "#"]

    def owned(path: str) -> bool:
        found = [owners for pattern, owners in rules if pattern.match_file(path) is not None]
        return bool(found) and found[-1]

    return owned


def read_numbers(path: Path) -> dict[str, Any]:
    """A metrics file flattened as DVC flattens it; unreadable means nothing to shadow."""
    try:
        return flatten(yaml.safe_load(path.read_text()))
    except (OSError, yaml.YAMLError):
        return {}


def shadowed(gated: set[str], pr_recipe: recipe.Recipe) -> list[str]:
    """A gated name in another metrics file: DVC merges the files, so it could hide main's."""
    others = [name for name in recipe.metrics_files(pr_recipe) if name != str(METRICS_FILE)]
    return [
        f"{name} (also in {other})"
        for other in others
        for name in sorted(gated & set(read_numbers(Path(other))))
    ]


def section(base_name: str, base_sha: str, pr_recipe: recipe.Recipe) -> str:
    """The changed files a code owner must approve, and how dvc.yaml differs from the base's."""
    text = file_at(base_sha, CODEOWNERS)
    source = f"`{CODEOWNERS}` on `{base_name}`"
    if text is None and CODEOWNERS.exists():
        text, source = CODEOWNERS.read_text(), f"this PR's `{CODEOWNERS}` (none on `{base_name}`)"
    owned = owner_rule(text or "")
    changes = [f"- `{path}`" for path in changed_since(base_sha) if owned(path)]
    main_recipe = recipe.parse(file_at(base_sha, PIPELINE_FILE), f"{PIPELINE_FILE} on {base_name}")
    changes += [f"- {PIPELINE_FILE}: {line}" for line in recipe.differences(main_recipe, pr_recipe)]
    if text is None:
        source = f"no `{CODEOWNERS}`: machinery is not owned, so any approval merges it"
    head = "### Machinery changes\n\n"
    if not changes:
        return f"{head}None: this PR changes only the user's room (owners from {source})."
    return (
        f"{head}⚠️ **A code owner must approve these changes**: they change how the model is "
        f"trained, judged or shipped (owners from {source}).\n\n" + "\n".join(changes)
    )
