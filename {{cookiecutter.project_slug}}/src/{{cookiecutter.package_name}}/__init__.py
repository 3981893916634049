"""Your code in modeling/, the shared core, one folder per moment: imports point one way,
modeling <- core <- pipeline, review, release, serving, monitoring <- cli (tests/test_layers.py).
"""

import os

# Before sklearn loads OpenMP: idle threads sleep instead of spinning, so a multi-threaded fit
# does not steal the cores it shares with other work. The fitted model does not depend on it.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

__version__ = "0.1.0"
