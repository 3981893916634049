"""Package size: lines of Python in the generated package, per folder, now and at a base commit.

What a new engineer reads before they can draw the machinery on one page. Counts every `.py`
file under `src/<package>` of a render with the default options (`wc -l`: docstrings, comments
and blank lines included), here and, with `--base`, at an earlier commit of the template, and
lists the files each side has that the other lacks. `--newer FILE ...` names the files of
features the base did not have, for a like-for-like total.
Run: `uv run --locked python benchmarks/package_size.py [--base REV [--newer FILE ...]]`.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from io import BytesIO
from pathlib import Path

from generated_project import TEMPLATE, generate
from results import fenced, record

TOP_LEVEL = "(top level)"


def rendered_files(template: Path, scratch: Path) -> dict[str, int]:
    """Lines of each .py file of the package a default render of `template` generates."""
    project = generate(scratch, scratch / "storage", template)
    package = next((project / "src").iterdir())
    return {
        str(path.relative_to(package)): len(path.read_text().splitlines())
        for path in sorted(package.rglob("*.py"))
    }


def template_at(revision: str, scratch: Path) -> Path:
    """The template's files at `revision`, unpacked from `git archive`."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision],
        cwd=TEMPLATE,
        capture_output=True,
        check=True,
    ).stdout
    target = scratch / "template"
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def per_folder(files: dict[str, int]) -> Counter[str]:
    folders: Counter[str] = Counter()
    for name, lines in files.items():
        folder, _, rest = name.partition("/")
        folders[folder if rest else TOP_LEVEL] += lines
    return folders


def report(
    now: dict[str, int], base: dict[str, int] | None, revision: str, newer: list[str]
) -> str:
    now_folders = per_folder(now)
    base_folders = per_folder(base) if base is not None else Counter()
    names = sorted(set(now_folders) | set(base_folders), key=lambda name: (name == TOP_LEVEL, name))
    header = f"{'folder':<14}" + (f"{revision[:12]:>14}" if base is not None else "")
    lines = [header + f"{'now':>8}" + (f"{'change':>9}" if base is not None else "")]
    for name in [*names, "total"]:
        count = sum(now.values()) if name == "total" else now_folders[name]
        row = f"{name:<14}"
        if base is not None:
            before = sum(base.values()) if name == "total" else base_folders[name]
            row += f"{before:>14,}{count:>8,}{count - before:>+9,}"
        else:
            row += f"{count:>8,}"
        lines.append(row)
    lines.append(f"{len(now)} files now" + (f", {len(base)} at {revision}" if base else ""))
    if base is not None:
        for title, ours, theirs in (("only now", now, base), (f"only at {revision}", base, now)):
            extra = {name: count for name, count in ours.items() if name not in theirs}
            listed = ", ".join(f"{name} {count}" for name, count in extra.items()) or "none"
            lines.append(f"{title} ({sum(extra.values()):,} lines): {listed}")
    if newer and base is not None:
        later = sum(now[name] for name in newer)
        like = sum(now.values()) - later
        lines.append(
            f"features {revision} did not have ({later:,} lines): {', '.join(newer)}; "
            f"without them {like:,} lines, {like - sum(base.values()):+,} against {revision}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="a template commit to compare with, e.g. a tag or SHA")
    parser.add_argument(
        "--newer", nargs="*", default=[], help="package files of features the base did not have"
    )
    parser.add_argument("--no-record", action="store_true", help="print only; keep results.md")
    args = parser.parse_args()
    if args.newer and not args.base:
        parser.error("--newer compares with a base: give --base too")
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        now = rendered_files(TEMPLATE, scratch / "now")
        base = None
        if args.base:
            base = rendered_files(template_at(args.base, scratch), scratch / "base")
    if unknown := [name for name in args.newer if name not in now]:
        parser.error(f"--newer names files the package does not have: {', '.join(unknown)}")
    text = report(now, base, args.base or "", args.newer)
    print(text)
    if not args.no_record:
        command = shlex.join(["python", "benchmarks/package_size.py", *sys.argv[1:]])
        record("Package size", fenced(text), command)


if __name__ == "__main__":
    main()
