"""The drift rules on numbers: what counts as a shift, and what is only sampling noise."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.errors import (
    UserError,
)
from {{ cookiecutter.package_name }}.core.params import (
    DriftParams,
)
from {{ cookiecutter.package_name }}.monitoring.drift import (
    UNSEEN,
    ColumnDrift,
    category_counts,
    compare_categorical,
    compare_numeric,
    judge,
    missing_rate,
    psi,
    read_current,
)

LIMITS = DriftParams()


def normal(seed: int, size: int = 1000, loc: float = 0.0, scale: float = 1.0) -> pd.Series:
    return pd.Series(np.random.default_rng(seed).normal(loc, scale, size))


def categories(seed: int, shares: list[float], size: int = 1000) -> pd.Series:
    return pd.Series(np.random.default_rng(seed).choice(["a", "b", "c"], size, p=shares))


def drifted(comparison, missing_reference=0.0, missing_current=0.0) -> list[str]:
    column = ColumnDrift("x", "numeric", comparison, missing_reference, missing_current)
    return judge(column, LIMITS)


def test_identical_distributions_have_zero_psi():
    counts = np.array([10, 20, 30])
    assert psi(counts, counts * 3) == pytest.approx(0.0)


def test_an_empty_bin_gives_a_large_but_finite_psi():
    assert 1 < psi(np.array([50, 50, 0]), np.array([0, 50, 50])) < np.inf


@pytest.mark.parametrize("seed", range(5))
def test_fresh_samples_of_one_distribution_do_not_drift(seed):
    reference = normal(seed)
    assert not drifted(compare_numeric(reference, normal(seed + 100, size=300), LIMITS.bins))
    shares = [0.5, 0.3, 0.2]
    found = compare_categorical(categories(seed, shares), categories(seed + 100, shares))
    assert not drifted(found)


def test_a_scaled_numeric_column_drifts_on_psi_and_ks():
    found = compare_numeric(normal(1, loc=10), normal(2, loc=10) * 1.3, LIMITS.bins)
    reasons = drifted(found)
    assert any(reason.startswith("PSI") for reason in reasons)
    assert any(reason.startswith("KS") for reason in reasons)


def test_a_reweighted_category_drifts():
    found = compare_categorical(categories(1, [0.5, 0.3, 0.2]), categories(2, [0.7, 0.2, 0.1]))
    assert found.chi2_pvalue is not None and found.chi2_pvalue < LIMITS.pvalue
    assert drifted(found)


def test_unseen_categories_share_one_bucket_and_count_as_drift():
    reference = pd.Series(["a", "b"] * 200)
    current = pd.Series(["a", "b", "new-1", "new-2"] * 100)
    ref_counts, cur_counts = category_counts(reference, current)
    assert list(ref_counts) == [200, 200, 0] and list(cur_counts) == [100, 100, 200]
    found = compare_categorical(reference, current)
    assert found.unseen_share == pytest.approx(0.5)
    assert drifted(found), f"half the rows in categories named {UNSEEN!r} must drift"


def test_a_rise_in_missing_values_drifts_even_when_the_rest_matches():
    values = normal(3)
    current = values.mask(np.arange(len(values)) % 5 == 0)
    assert missing_rate(current) == pytest.approx(0.2)
    found = compare_numeric(values, current, LIMITS.bins)
    assert drifted(found, missing_reference=0.0, missing_current=0.2) == ["missing share up +20.0%"]


def test_a_column_without_values_is_reported_not_crashed():
    found = compare_numeric(normal(4), pd.Series([None] * 300, dtype=float), LIMITS.bins)
    assert found.psi is None
    assert drifted(found, missing_current=1.0)


def test_a_column_missing_from_the_current_data_is_drift():
    assert drifted(None) == ["missing from the current data"]


def test_inference_log_lines_with_a_features_object_are_flattened(tmp_path: Path):
    log = tmp_path / "inference.jsonl"
    records = [{"features": {"x": i, "c": "a"}, "prediction": 1} for i in range(3)]
    log.write_text("".join(json.dumps(record) + "\n" for record in records))
    assert list(read_current(log).columns) == ["x", "c"]


def test_an_inference_log_being_written_is_read_up_to_its_last_whole_line(tmp_path: Path):
    log = tmp_path / "inference.jsonl"
    whole = "".join(json.dumps({"features": {"x": i}, "prediction": 1}) + "\n" for i in range(3))
    log.write_text(whole + '{"features": {"x": 3}, "predic')  # the service is mid-write
    assert read_current(log)["x"].tolist() == [0, 1, 2]


def test_a_bad_line_inside_an_inference_log_is_named_by_number(tmp_path: Path):
    log = tmp_path / "inference.jsonl"
    log.write_text('{"features": {"x": 1}}\n{"features": \n{"features": {"x": 2}}\n')
    with pytest.raises(UserError, match="line 2"):
        read_current(log)


def test_a_line_that_is_json_but_not_an_object_is_named_by_number(tmp_path: Path):
    log = tmp_path / "inference.jsonl"
    log.write_text('{"features": {"x": 1}}\n\n[1, 2]\n')
    with pytest.raises(UserError, match="line 3 is not a JSON object"):
        read_current(log)


def test_inference_log_entries_lacking_a_field_get_a_missing_value(tmp_path: Path):
    log = tmp_path / "inference.jsonl"
    entries = [{"features": {"x": 1.5}}, {"features": {"c": "a"}}, {"features": {"x": 2.5}}]
    log.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    current = read_current(log)
    assert current["x"].tolist()[::2] == [1.5, 2.5] and pd.isna(current["x"][1])
    assert current["c"].isna().tolist() == [True, False, True]


def test_an_empty_inference_log_is_a_clear_error(tmp_path: Path):
    log = tmp_path / "empty.jsonl"
    log.write_text("")
    assert read_current(log).empty  # detect() then refuses it, naming drift.min_rows
    with pytest.raises(UserError, match="not JSON lines"):
        (tmp_path / "bad.jsonl").write_text("not json\n")
        read_current(tmp_path / "bad.jsonl")
