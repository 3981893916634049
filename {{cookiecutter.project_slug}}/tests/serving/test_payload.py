"""The service's request model, in-process: every row the model trained on is a valid
request, and what the service builds from requests predicts exactly what the model does."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel, ValidationError

from {{ cookiecutter.package_name }}.core.contract import (
    ColumnSpec,
    read_columns,
)
from {{ cookiecutter.package_name }}.serving.payload import (
    example_record,
    prediction_ids,
    record_model,
    request_model,
    to_frame,
    unknown_categories,
)


@pytest.fixture(scope="module")
def contract(params):
    features, _ = read_columns(params.data.schema_file, params.data.target)
    return features


def as_json_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as a client sends them: plain JSON values, missing ones as null."""
    return [
        {k: None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def parse(contract, records: list[dict]) -> list[BaseModel]:
    request = request_model(record_model(contract), max_records=len(records) or 1)
    return request.model_validate_json(json.dumps({"records": records})).records


def test_every_training_row_is_a_valid_request(contract, splits):
    features, _ = splits["train"]
    assert len(parse(contract, as_json_records(features))) == len(features)


def test_requests_predict_exactly_what_the_model_predicts(contract, splits, model):
    features, _ = splits["test"]
    frame = to_frame(parse(contract, as_json_records(features)), contract)
    np.testing.assert_array_equal(model.predict(frame), model.predict(features))


def test_example_record_is_valid(contract):
    assert len(parse(contract, [example_record(contract)])) == 1


def field_errors(contract, record: dict) -> list[tuple]:
    with pytest.raises(ValidationError) as caught:
        parse(contract, [record])
    return [error["loc"] for error in caught.value.errors()]


def closed_column(contract) -> ColumnSpec:
    """The first column with a closed set of categories or a range: what a bad value breaks."""
    column = next((c for c in contract if c.categories or c.bounds), None)
    if column is None:
        pytest.skip("the data contract gives no column a closed set of categories or a range")
    return column


def test_a_value_of_the_wrong_type_is_refused_naming_the_column(contract):
    column = closed_column(contract)
    wrong = 12345 if column.kind is str else "not a value"  # strict: no coercion either way
    record = example_record(contract)
    assert field_errors(contract, {**record, column.name: wrong}) == [("records", 0, column.name)]


def test_a_value_outside_the_declared_range_is_refused(contract):
    column = next((c for c in contract if c.bounds), None)
    if column is None:
        pytest.skip("the data contract gives no numeric column a range (in_range)")
    record = example_record(contract)
    if "le" in column.bounds or "lt" in column.bounds:
        top = column.bounds.get("le", column.bounds.get("lt"))
        value = top + max(abs(top), 1.0)
    else:
        bottom = column.bounds.get("ge", column.bounds.get("gt"))
        value = bottom - max(abs(bottom), 1.0)
    value = int(value) if column.kind is int else value
    assert field_errors(contract, {**record, column.name: value}) == [("records", 0, column.name)]


def test_a_missing_required_column_is_refused_naming_it(contract):
    column = next((c for c in contract if not c.nullable), None)
    if column is None:
        pytest.skip("every column is nullable in the data contract: none is required")
    record = {k: v for k, v in example_record(contract).items() if k != column.name}
    assert field_errors(contract, record) == [("records", 0, column.name)]


def test_an_unknown_column_or_a_nan_is_refused(contract):
    record = example_record(contract)
    surprise = "surprise"
    while surprise in record:
        surprise += "_"
    assert field_errors(contract, {**record, surprise: 1}) == [("records", 0, surprise)]
    numeric = next((c for c in contract if c.kind is float), None)
    if numeric is not None:
        assert field_errors(contract, {**record, numeric.name: math.nan})


def test_unknown_category_is_accepted_with_a_warning(contract):
    column = next((c for c in contract if c.kind is str and c.categories), None)
    if column is None:
        pytest.skip("the data contract gives no text column a closed set of categories (isin)")
    record = {**example_record(contract), column.name: "never-seen-before"}
    known = example_record(contract)
    warnings = unknown_categories(parse(contract, [known, record, known]), contract)
    assert list(warnings) == [1], "only the record with the unknown value"
    assert list(warnings[1]) == [column.name]
    assert "never-seen-before" in warnings[1][column.name]


def test_too_many_records_are_refused(contract):
    request = request_model(record_model(contract), max_records=2)
    records = [example_record(contract)] * 3
    with pytest.raises(ValidationError, match="at most 2"):
        request.model_validate_json(json.dumps({"records": records}))


def test_integers_beyond_int64_are_refused_not_overflowed(contract):
    column = next((c for c in contract if c.kind is int), None)
    if column is None:
        pytest.skip("the contract has no integer column")
    record = example_record(contract)
    assert field_errors(contract, {**record, column.name: 2**63}) == [("records", 0, column.name)]


def test_text_longer_than_the_contract_allows_is_refused(contract):
    column = next((c for c in contract if c.kind is str), None)
    if column is None:
        pytest.skip("the data contract has no text column")
    record = {**example_record(contract), column.name: "x" * (column.max_length + 1)}
    assert field_errors(contract, record) == [("records", 0, column.name)]


def test_prediction_ids_are_unique_within_and_across_batches():
    first, second = prediction_ids(3), prediction_ids(3)
    assert len(set(first) | set(second)) == 6
    assert [i.rsplit("-", 1)[1] for i in first] == ["0", "1", "2"]
    assert len({i.rsplit("-", 1)[0] for i in first}) == 1  # one batch, one prefix
