"""Write current-data windows for the drift tests; runs inside a generated project's env.

The template's own environment has no pandas, so tests run this with the project's `uv run`:
  fresh <task> <seed> <rows> <out>   a new sample from the generator of the bundled data
  subsample <seed> <rows> <out>      rows drawn from data/raw/data.csv: inside the data contract
  shifted <task> <out>               the bundled data with a numeric column scaled toward its
                                     minimum and one category's rows tripled
  alarms <task> <package> <rows> <seeds...>  JSON {seed: drifted columns} of fresh windows
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from make_sample_data import churn, house_prices

GENERATORS = {"classification": churn, "regression": house_prices}
# The column scaled and the category re-weighted, per task.
SHIFTS = {
    "classification": ("monthly_charges", "contract"),
    "regression": ("area_sqm", "condition"),
}


def fresh(task: str, seed: int, rows: int) -> pd.DataFrame:
    return GENERATORS[task](np.random.default_rng(seed)).head(rows)


def shifted(task: str) -> pd.DataFrame:
    """Scaling toward the minimum keeps values inside the data contract's ranges."""
    frame = pd.read_csv("data/raw/data.csv")
    numeric, category = SHIFTS[task]
    low = frame[numeric].min()
    frame[numeric] = (low + 0.8 * (frame[numeric] - low)).round(2)
    top = frame[frame[category] == frame[category].mode()[0]]
    return pd.concat([frame, top, top], ignore_index=True)


def alarms(task: str, rows: int, seeds: list[int], package: str) -> dict[int, list[str]]:
    config = importlib.import_module(f"{package}.core.params")
    drift = importlib.import_module(f"{package}.monitoring.drift")
    params = config.load_params()
    found = {}
    window = Path("reports/fresh-window.csv")
    window.parent.mkdir(exist_ok=True)
    for seed in seeds:
        fresh(task, seed, rows).to_csv(window, index=False)
        outcome = drift.detect(params, window)
        if outcome.failed:
            found[seed] = outcome.failed
    return found


def main(argv: list[str]) -> None:
    command, task, *rest = argv
    if command == "fresh":
        fresh(task, int(rest[0]), int(rest[1])).to_csv(rest[2], index=False)
    elif command == "subsample":
        frame = pd.read_csv("data/raw/data.csv").sample(int(rest[0]), random_state=int(task))
        frame.to_csv(rest[1], index=False)
    elif command == "shifted":
        shifted(task).to_csv(rest[0], index=False)
    else:
        package, rows, *seeds = rest
        print(json.dumps(alarms(task, int(rows), [int(seed) for seed in seeds], package)))


if __name__ == "__main__":
    main(sys.argv[1:])
