"""Refuse a table that cannot fit in memory up front, with its size and what to do.

Reading a CSV with pandas peaks at about 4 times the file's size (measured: a 32 MB,
1M-row table peaked 137 MB above the interpreter), and a stage then holds a copy or two
more, so a stage needs about NEED_PER_CSV_BYTE times the file. Checking before reading
turns what would be a MemoryError traceback minutes later, or the kernel killing the
process, into one line naming the file, its size and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import UserError

NEED_PER_CSV_BYTE = 6
MB = 1024 * 1024
OVERRIDE = "AVAILABLE_MEMORY_MB"  # set it to plan for a smaller machine (CI runner, container)


def available_mb() -> float | None:
    """Memory free for this process: $AVAILABLE_MEMORY_MB, else the OS's, else None (unknown)."""
    if OVERRIDE in os.environ:
        try:
            return float(os.environ[OVERRIDE])
        except ValueError:
            raise UserError(f"{OVERRIDE} must be a number of megabytes") from None
    meminfo = Path("/proc/meminfo")  # Linux: MemAvailable counts reclaimable page cache too
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / MB
    except (AttributeError, ValueError, OSError):  # not every OS exposes it
        return None


def megabytes(value: float) -> str:
    return f"{value:,.0f} MB" if value >= 10 else f"{value:.2g} MB"


def too_large(path: Path, size_mb: float, free_mb: float) -> UserError:
    need_mb = size_mb * NEED_PER_CSV_BYTE
    return UserError(
        f"{path} is {megabytes(size_mb)}; reading it needs about {megabytes(need_mb)} of memory "
        f"and {megabytes(free_mb)} is available: run the pipeline on a machine with more "
        "memory, or train on a sample of the rows (keep the full table out of data/raw)"
    )


def check_fits(path: Path) -> None:
    """Raise UserError when reading the CSV at `path` would need more memory than is free."""
    size_mb = path.stat().st_size / MB
    free_mb = available_mb()
    if free_mb is not None and size_mb * NEED_PER_CSV_BYTE > free_mb:
        raise too_large(path, size_mb, free_mb)


@contextmanager
def memory_guard(path: Path) -> Iterator[None]:
    """A MemoryError while working on `path` becomes the same one-line UserError."""
    try:
        yield
    except MemoryError:
        raise too_large(path, path.stat().st_size / MB, available_mb() or 0.0) from None
