"""dvc.yaml read as data: a PR that freezes a stage, adds a metrics file or rewires a stage
changes what CI computes, so it is refused, or shown for a code owner to approve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import UserError
from .params import yaml_mapping
from .paths import PIPELINE_FILE

Recipe = dict[str, Any]  # dvc.yaml as parsed: {"stages": {...}, "metrics": [...], ...}


def parse(text: str | None, source: str = str(PIPELINE_FILE)) -> Recipe:
    return yaml_mapping(text or "", source, "a mapping with `stages:`")


def read(path: Path = PIPELINE_FILE) -> Recipe:
    return parse(path.read_text() if path.exists() else None, str(path))


def stages(recipe: Recipe) -> dict[str, dict[str, Any]]:
    return {name: spec or {} for name, spec in (recipe.get("stages") or {}).items()}


def paths_of(entries: list[Any] | None) -> list[str]:
    """dvc.yaml lists a path either bare or as a one-key mapping carrying its options."""
    return [next(iter(entry)) if isinstance(entry, dict) else str(entry) for entry in entries or []]


def stage_paths(recipe: Recipe, *keys: str) -> list[str]:
    specs = stages(recipe).values()
    return [path for spec in specs for key in keys for path in paths_of(spec.get(key))]


def outputs(recipe: Recipe) -> list[str]:
    """Every file a stage writes: what CI recomputes and must never restore."""
    return stage_paths(recipe, "outs", "metrics", "plots")


def metrics_files(recipe: Recipe) -> list[str]:
    """Every metrics file DVC would read: the stages' and the top-level list."""
    return [*stage_paths(recipe, "metrics"), *paths_of(recipe.get("metrics"))]


def refuse_frozen(recipe: Recipe) -> None:
    """DVC never re-runs a frozen stage, so its output would ship untrained by CI."""
    if frozen := [name for name, spec in stages(recipe).items() if spec.get("frozen")]:
        raise UserError(
            f"{PIPELINE_FILE} freezes stage(s) {', '.join(frozen)}: CI must recompute every "
            "output it reviews and ships, so `frozen: true` is refused. Remove it."
        )


def differences(main: Recipe, pr: Recipe) -> list[str]:
    """One line per stage or top-level entry that is not as on main."""
    lines = []
    main_stages, pr_stages = stages(main), stages(pr)
    for name in [*main_stages, *(name for name in pr_stages if name not in main_stages)]:
        old, new = main_stages.get(name), pr_stages.get(name)
        if old is None or new is None:
            lines.append(f"stage `{name}` {'added' if old is None else 'removed'}")
            continue
        if changed := sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key)):
            lines.append(f"stage `{name}`: {', '.join(f'`{key}`' for key in changed)} changed")
    top = sorted(key for key in (set(main) | set(pr)) - {"stages"} if main.get(key) != pr.get(key))
    lines += [f"top-level `{key}` changed" for key in top]
    return lines
