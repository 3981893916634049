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


def test_bad_values_are_refused_naming_the_column(contract):
    record = example_record(contract)
    first = contract[0].name
    assert field_errors(contract, {**record, first: "not a value"}) == [("records", 0, first)]
    missing = {k: v for k, v in record.items() if k != first}
    if not contract[0].nullable:
        assert field_errors(contract, missing) == [("records", 0, first)]
    assert field_errors(contract, {**record, "surprise": 1}) == [("records", 0, "surprise")]
    numeric = next((c for c in contract if c.kind is float), None)
    if numeric is not None:
        assert field_errors(contract, {**record, numeric.name: math.nan})


def test_unknown_category_is_accepted_with_a_warning(contract):
    column = next(c for c in contract if c.categorical and c.categories)
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
    column = next(c for c in contract if c.kind is str)
    record = {**example_record(contract), column.name: "x" * (column.max_length + 1)}
    assert field_errors(contract, record) == [("records", 0, column.name)]


def test_prediction_ids_are_unique_within_and_across_batches():
    first, second = prediction_ids(3), prediction_ids(3)
    assert len(set(first) | set(second)) == 6
    assert [i.rsplit("-", 1)[1] for i in first] == ["0", "1", "2"]
    assert len({i.rsplit("-", 1)[0] for i in first}) == 1  # one batch, one prefix
