"""The project's package: your code in modeling/, the shared core, and one folder per moment.

Imports point one way: modeling <- core <- pipeline, review, release, serving, monitoring <-
cli. `tests/test_layers.py` checks it.
"""

import os

# Before anything imports sklearn's OpenMP runtime: idle OpenMP threads sleep instead of
# spinning, so a multi-threaded fit does not steal the cores it shares with other work. The
# fitted model does not depend on it. An explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

__version__ = "0.1.0"
