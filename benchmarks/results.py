"""benchmarks/results.md, the one place measured figures live: each benchmark rewrites its own
section with the table it printed, stamped with the date (UTC) and the machine.

A section's figures sit between `<!-- make-bench:<slug>:start -->` and
`<!-- make-bench:<slug>:end -->` under its `## <title>` heading. The slug is the heading's
GitHub anchor, so the README links to `benchmarks/results.md#<slug>`. Text outside the
markers (notes, earlier runs) is kept. A section not in the file yet is appended.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
from pathlib import Path

RESULTS_FILE = Path(__file__).with_name("results.md")


def slug(title: str) -> str:
    """The GitHub anchor of a `## title` heading: lowercase, punctuation dropped, dashes."""
    kept = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return kept.replace(" ", "-")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024 / 1e9
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (AttributeError, ValueError, OSError):
        return None


def machine() -> str:
    """One line: CPU model, cores, memory, Python, OS."""
    memory = memory_gb()
    parts = [
        cpu_model(),
        f"{os.cpu_count()} cores",
        f"{memory:.1f} GB memory" if memory else "memory unknown",
        f"Python {platform.python_version()}",
        f"{platform.system()} {platform.release()}".strip(),
    ]
    return ", ".join(parts)


def stamp(command: str = "") -> str:
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    line = f"_Measured {today} (UTC) on {machine()}"
    return line + (f"; `{command}`._" if command else "._")


def fenced(text: str) -> str:
    """Printed plain-text output as a Markdown block, so its columns stay aligned."""
    return f"```text\n{text.strip(chr(10))}\n```"


def record(section: str, markdown: str, command: str = "", path: Path = RESULTS_FILE) -> None:
    """Replace `section`'s figures in the results file with `markdown`, stamped with today's
    date and this machine. `section` is the heading's title, e.g. "Pipeline"."""
    key = slug(section)
    start, end = f"<!-- make-bench:{key}:start -->", f"<!-- make-bench:{key}:end -->"
    block = f"{start}\n{stamp(command)}\n\n{markdown.strip()}\n{end}"
    text = path.read_text() if path.exists() else "# Measured figures\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + block + after
    else:
        text = text.rstrip("\n") + f"\n\n## {section}\n\n{block}\n"
    scratch = path.with_suffix(".md.tmp")
    scratch.write_text(text)
    scratch.replace(path)
