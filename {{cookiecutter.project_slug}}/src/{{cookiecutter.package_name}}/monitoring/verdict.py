"""How a monitoring check ends, for drift and performance alike.

Both write a Markdown report, a JSON result and its Prometheus gauges, tell a workflow the
verdict through GITHUB_OUTPUT, and exit 3 on a bad verdict (exit 2 is for bad input), so
retrain.yml and the alerts treat the two checks the same way.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.reports import publish

BAD_VERDICT_EXIT = 3


def conclude(
    *,
    text: str,
    report: Path,
    result: dict[str, Any],
    result_file: Path,
    write_gauges: Callable[[Path], Path],
    flag: str,
    failed: list[str],
    failure: str,
    report_only: bool,
) -> int:
    """Write the outputs, set `flag` for the workflow, print, and return the exit code."""
    publish(text, report)
    result_file.parent.mkdir(parents=True, exist_ok=True)
    result_file.write_text(json.dumps(result, indent=2) + "\n")
    write_gauges(result_file.with_suffix(".prom"))
    if github_output := os.environ.get("GITHUB_OUTPUT"):
        with open(github_output, "a") as handle:
            handle.write(f"{flag}={'true' if failed else 'false'}\n")
    print(text)
    if failed and not report_only:
        print(f"error: {failure} in {', '.join(failed)}", file=sys.stderr)
        return BAD_VERDICT_EXIT
    return 0
