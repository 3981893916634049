"""Reject bad template options before anything is written.

cookiecutter renders this file with Jinja, then runs it. A non-zero exit makes cookiecutter
remove the output directory, so bad input never leaves a half-made project behind.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
import unicodedata
from collections.abc import Mapping

# cookiecutter renders the whole context as JSON here; the raw string keeps backslashes.
OPTIONS: dict[str, str] = json.loads(r"""{{ cookiecutter | jsonify }}""")

CHOICES = {
    "python_version": ("3.11", "3.12", "3.13"),
    "task": ("classification", "regression"),
    "dvc_remote": ("local", "s3", "gcs", "azure"),
    "deploy_target": ("kubernetes", "bentocloud", "none"),
    "monitoring": ("yes", "no"),
    "license": ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"),
}

REMOTE_SCHEMES = {"s3": "s3://", "gcs": "gs://", "azure": "azure://"}
# A GitHub user (@name), team (@org/team) or e-mail: what .github/CODEOWNERS accepts.
OWNER_PATTERN = re.compile(
    r"^(@[A-Za-z0-9](-?[A-Za-z0-9])*(/[A-Za-z0-9._-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$"
)
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# Kubernetes object names and label values, and BentoML tags (named after the package).
MAX_NAME_LENGTH = 63
# Words YAML 1.1 reads as a boolean or null, as kubectl does: `name: yes` would not be a name.
YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
# configobj, which reads .dvc/config, cannot quote a '"' and expands "%(name)s" in any value.
DVC_CONFIG_UNSAFE = ('"', "%(")
# Line and paragraph separators break lines in YAML, although they are not category Cc.
LINE_BREAKS = frozenset({"\u2028", "\u2029"})
# The options whose values the defaults of others are made from, in that order.
SOURCE_OPTIONS = ("project_name", "project_slug")


def control_character(value: str) -> str | None:
    for char in value:
        if unicodedata.category(char) == "Cc" or char in LINE_BREAKS:
            return char
    return None


def option_keys(options: Mapping[str, object]) -> list[str]:
    """Sources first: jsonify sorts the keys, yet a bad project_name should be named rather than
    the project_slug and dvc_remote_url made from it. "_" keys are cookiecutter's settings."""
    sources = [key for key in SOURCE_OPTIONS if key in options]
    return sources + [key for key in options if key not in sources and not key.startswith("_")]


def check_control_characters(options: Mapping[str, object]) -> str | None:
    """Option values land in one-line strings of TOML, JSON, YAML and .dvc/config, where a
    newline or other control character would end the string or inject a setting."""
    for key in option_keys(options):
        value = options[key]
        if not isinstance(value, str):
            continue
        char = control_character(value)
        if char is not None:
            return (
                f"{key} contains the control character {char!r} (U+{ord(char):04X}): "
                "option values must be a single line of printable text"
            )
    return None


def check_slug(slug: str) -> str | None:
    if not SLUG_PATTERN.fullmatch(slug):
        return (
            f"project_slug {slug!r} is not allowed: use lowercase letters, digits and single "
            "dashes, starting with a letter (e.g. 'churn-model')"
        )
    if len(slug) > MAX_NAME_LENGTH:
        return (
            f"project_slug {slug!r} has {len(slug)} characters: Kubernetes names, made from "
            f"it, allow at most {MAX_NAME_LENGTH} characters"
        )
    if slug in YAML_WORDS:
        return (
            f"project_slug {slug!r} reads as a boolean or null in YAML (the Kubernetes "
            "manifests name things after it): choose another name"
        )
    return None


def check_package_name(name: str) -> str | None:
    if not name.isidentifier() or not name.isascii():
        return f"package_name {name!r} is not a Python identifier: use letters, digits and '_'"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"package_name {name!r} is a Python keyword: choose another name"
    if name != name.lower():
        return f"package_name {name!r} must be lowercase (PEP 8), e.g. {name.lower()!r}"
    if name in sys.stdlib_module_names:
        return f"package_name {name!r} shadows the standard-library module: choose another name"
    if len(name) > MAX_NAME_LENGTH:
        return (
            f"package_name {name!r} has {len(name)} characters: BentoML tags, made from it, "
            f"allow at most {MAX_NAME_LENGTH} characters"
        )
    return None


def check_choices(options: dict[str, str]) -> str | None:
    for key, allowed in CHOICES.items():
        if options[key] not in allowed:
            return f"{key} {options[key]!r} is not supported: choose one of {', '.join(allowed)}"
    return None


def check_remote_url(remote: str, url: str) -> str | None:
    if not url.strip():
        return "dvc_remote_url is empty: give the remote's URL or directory"
    unsafe = [text for text in DVC_CONFIG_UNSAFE if text in url]
    if unsafe:
        return (
            f"dvc_remote_url {url!r} contains {unsafe[0]!r}, which .dvc/config cannot hold: "
            "percent-encode it or choose another location"
        )
    if remote == "local":
        if "://" in url:
            return (
                f"dvc_remote_url {url!r} has a scheme, but dvc_remote is 'local': give a directory "
                "outside the repository, e.g. '../my-project-dvc-storage' or '/srv/dvc-storage'"
            )
        if not (url.startswith("/") or url.startswith("../") or url.startswith("~")):
            return (
                f"dvc_remote_url {url!r} would be inside the repository: a local remote must be "
                "outside it, e.g. '../my-project-dvc-storage' or an absolute path"
            )
        return None
    scheme = REMOTE_SCHEMES[remote]
    if not url.startswith(scheme) or len(url) <= len(scheme):
        return (
            f"dvc_remote_url {url!r} does not match dvc_remote {remote!r}: "
            f"it must start with {scheme} (e.g. {scheme}my-bucket/path)"
        )
    return None


def check_code_owners(owners: str) -> str | None:
    bad = [word for word in owners.split() if not OWNER_PATTERN.match(word)] or (
        [] if owners.split() else ["(nothing)"]
    )
    if bad:
        return (
            f"code_owners {bad[0]!r} is not a GitHub owner: give @user, @org/team or an e-mail, "
            "space-separated (they must approve every change outside the user's room)"
        )
    return None


def problems(options: dict[str, str]) -> list[str]:
    """Control characters first: a bad slug derived from such a project_name is only its echo."""
    found = [
        check_control_characters(options),
        check_choices(options),
        check_slug(options["project_slug"]),
        check_package_name(options["package_name"]),
        # A context replayed from before the option existed has none to check.
        check_code_owners(options["code_owners"]) if "code_owners" in options else None,
    ]
    if not found[1]:
        found.append(check_remote_url(options["dvc_remote"], options["dvc_remote_url"]))
    return [problem for problem in found if problem]


def main() -> int:
    """Print the first problem only: later ones (a package name derived from a bad slug)
    are usually its echo, and one line is easier to act on."""
    found = problems(OPTIONS)
    if found:
        print(f"ERROR: {found[0]}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
