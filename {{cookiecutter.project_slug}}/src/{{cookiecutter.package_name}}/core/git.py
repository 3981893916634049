"""Git facts: which base a review compares with, what is not committed, the commit SHA."""

from __future__ import annotations

from pathlib import Path

from .errors import UserError
from .shell import run


def commit_of(rev: str) -> str | None:
    found = run("git", "rev-parse", "--verify", "--quiet", rev + "^{commit}")  # not a tree
    return found.stdout.strip() if found.returncode == 0 else None


def resolve_base(requested: str | None) -> tuple[str, str]:
    if run("git", "rev-parse", "--is-inside-work-tree").returncode != 0:
        raise UserError("not inside a git repository: the review compares git revisions")
    if run("git", "rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        raise UserError(
            "this is a shallow clone, so the base revision's metrics cannot be read. "
            "In GitHub Actions use actions/checkout with `fetch-depth: 0`; "
            "locally run `git fetch --unshallow`"
        )
    candidates = (requested,) if requested else ("origin/main", "main")
    for name in candidates:
        if sha := commit_of(name):
            return name, sha
    tried = " or ".join(candidates)
    raise UserError(
        f"base revision {tried} does not exist here. Fetch it (`git fetch origin main`), "
        "or name an existing one: `make review BASE=<branch, tag or commit>`"
    )


def file_at(revision: str, path: Path) -> str | None:
    found = run("git", "show", f"{revision}:{path.as_posix()}")
    return found.stdout if found.returncode == 0 else None


def head_commit() -> str:
    return commit_of("HEAD") or "(no commit yet)"


def tracked(pattern: str) -> list[str]:
    return sorted(run("git", "ls-files", pattern).stdout.split())


def changed_since(base_sha: str) -> list[str]:
    """Files changed since the branch left the base (as GitHub's PR diff shows), workspace too."""
    fork_point = run("git", "merge-base", base_sha, "HEAD").stdout.strip() or base_sha
    return sorted(set(run("git", "diff", "--name-only", fork_point).stdout.split()))


def uncommitted(paths: list[Path]) -> list[str]:
    names = map(str, paths)
    changed = run("git", "status", "--porcelain", "--untracked-files=all", "--", *names).stdout
    return sorted({line[3:].strip() for line in changed.splitlines() if line.strip()})


def version_of_head() -> str:
    """The commit SHA, with `-dirty` when tracked files differ from it: names a bento."""
    head = commit_of("HEAD")
    if head is None:
        raise UserError(
            "no git commit yet: the bento version is the commit SHA, so commit first "
            "(`git add -A && git commit`)"
        )
    dirty = run("git", "status", "--porcelain", "--untracked-files=no").stdout.strip()
    return head + ("-dirty" if dirty else "")
