"""Regenerate the bundled sample datasets shipped inside the template.

The CSVs are committed, so generating a project never needs this script or the network.
It exists so the data is reproducible and reviewable: same seed, same bytes.
Run: `uv run python scripts/make_sample_data.py`.

`--rows N --task T --output FILE` writes one larger table drawn from the same distributions
(same seed), for the scale benchmark: nothing is downloaded.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

# The samples live in the project template: the one folder whose name cookiecutter renders.
# Found, not named, and without importing cookiecutter: tests run this script in a generated
# project's environment (tests/support/drift_windows.py).
ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_FOLDER = next(path for path in ROOT.iterdir() if path.name.startswith("{{"))
SAMPLES = TEMPLATE_FOLDER / "data" / "samples"
ROWS = 1200  # the bundled samples
SEEDS = {"classification": 7, "regression": 11}
REGIONS = np.array(["north", "south", "east", "west"])


def with_missing(values: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    """Blank out a share of values so the imputers have real work to do."""
    return values.mask(rng.random(len(values)) < rate)


def churn(rng: np.random.Generator, rows: int = ROWS) -> pd.DataFrame:
    """Customer churn: will a subscriber leave? Binary target with string labels."""
    tenure = rng.integers(1, 73, rows)
    contract = rng.choice(["month-to-month", "one-year", "two-year"], rows, p=[0.55, 0.25, 0.2])
    charges = np.round(rng.normal(70, 20, rows).clip(18, 120), 2)
    calls = rng.poisson(1.5, rows)
    region = rng.choice(REGIONS, rows)
    payment = rng.choice(["card", "bank-transfer", "electronic-check"], rows)
    logit = (
        -1.0
        - 0.05 * tenure
        + 0.03 * (charges - 70)
        + 0.6 * calls
        + np.select([contract == "month-to-month", contract == "one-year"], [1.6, 0.2], -0.8)
        + 0.5 * (payment == "electronic-check")
    )
    churned = rng.random(rows) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "tenure_months": tenure,
            "monthly_charges": with_missing(pd.Series(charges), rng, 0.05),
            "support_calls": calls,
            "contract": contract,
            "payment_method": payment,
            "region": with_missing(pd.Series(region), rng, 0.03),
            "churned": np.where(churned, "yes", "no"),
        }
    )


def house_prices(rng: np.random.Generator, rows: int = ROWS) -> pd.DataFrame:
    """House prices in thousands: a numeric target with a skewed, noisy relationship."""
    area = np.round(rng.gamma(9, 12, rows).clip(25, 400), 1)
    rooms = np.clip(np.round(area / 30 + rng.normal(0, 0.8, rows)), 1, 10).astype(int)
    age = rng.integers(0, 100, rows)
    distance = np.round(rng.exponential(8, rows).clip(0.2, 60), 2)
    condition = rng.choice(["poor", "fair", "good", "excellent"], rows, p=[0.1, 0.3, 0.45, 0.15])
    region = rng.choice(REGIONS, rows)
    price = (
        40
        + 2.1 * area
        + 8 * rooms
        - 0.6 * age
        - 3.5 * distance
        + np.select(
            [condition == "poor", condition == "fair", condition == "excellent"], [-40, -15, 45], 0
        )
        + np.select([region == "north", region == "west"], [30, -20], 0)
        + rng.normal(0, 25, rows)
    )
    return pd.DataFrame(
        {
            "area_sqm": area,
            "rooms": rooms,
            "age_years": age,
            "distance_km": with_missing(pd.Series(distance), rng, 0.05),
            "condition": with_missing(pd.Series(condition), rng, 0.04),
            "region": region,
            "price": np.round(price.clip(20, None), 1),
        }
    )


TABLES = {"classification": churn, "regression": house_prices}


def write_table(task: str, rows: int, output: Path) -> Path:
    """`rows` rows of the task's sample table, from its fixed seed, as CSV at `output`."""
    output.parent.mkdir(parents=True, exist_ok=True)
    TABLES[task](np.random.default_rng(SEEDS[task]), rows).to_csv(output, index=False)
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, help="write one table of this many rows")
    parser.add_argument("--task", choices=sorted(TABLES), default="regression")
    parser.add_argument("--output", type=Path, help="where --rows writes its CSV")
    args = parser.parse_args()
    if args.rows is not None:
        if args.output is None:
            parser.error("--rows needs --output")
        print(f"wrote {args.rows} rows to {write_table(args.task, args.rows, args.output)}")
        return
    for task in TABLES:
        write_table(task, ROWS, SAMPLES / f"{task}.csv")
    print(f"wrote {ROWS} rows per dataset to {SAMPLES}")


if __name__ == "__main__":
    main()
