"""A release ships only the model dvc.lock records: any other file is refused, naming both
hashes and the fix, and the BentoML model is named by the reviewed hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core.errors import (
    UserError,
)
from {{ cookiecutter.package_name }}.core.lockfile import (
    check_reviewed_model,
    model_tag,
)
from {{ cookiecutter.package_name }}.core.params import (
    PACKAGE,
)

LOCK = """schema: '2.0'
stages:
  train:
    outs:
    - path: models/model.skops
      hash: md5
      md5: {md5}
      size: 5
"""


@pytest.fixture
def reviewed(tmp_path, monkeypatch):
    """A model file and the dvc.lock that records it, as paths relative to the repository."""
    monkeypatch.chdir(tmp_path)
    model = Path("models/model.skops")
    model.parent.mkdir()
    model.write_bytes(b"model")
    lock = Path("dvc.lock")
    lock.write_text(LOCK.format(md5=hashlib.md5(b"model").hexdigest()))
    return model, lock


def test_the_reviewed_file_passes_and_names_the_bento_model(reviewed):
    model, lock = reviewed
    md5 = hashlib.md5(b"model").hexdigest()
    assert check_reviewed_model(model, lock) == md5
    assert model_tag(model, lock) == f"{PACKAGE}:{md5}"


def test_another_file_is_refused_naming_both_hashes(reviewed):
    model, lock = reviewed
    model.write_bytes(b"planted")
    with pytest.raises(UserError) as error:
        check_reviewed_model(model, lock)
    assert hashlib.md5(b"planted").hexdigest() in str(error.value)
    assert hashlib.md5(b"model").hexdigest() in str(error.value)
    assert "make pull-data" in str(error.value)


def test_a_missing_model_or_record_names_the_fix(reviewed):
    model, lock = reviewed
    model.unlink()
    with pytest.raises(UserError, match="make pull-data"):
        check_reviewed_model(model, lock)
    lock.write_text("stages: {}\n")
    with pytest.raises(UserError, match="records no output"):
        check_reviewed_model(model, lock)


def test_the_image_installs_every_package_the_model_needs_from_the_lock():
    """`make bento` exports the `serving` group from uv.lock: a model package missing there
    would be installed at whatever version the image build resolves, or not at all."""
    import tomllib

    from {{ cookiecutter.package_name }}.core.model_file import MODEL_PACKAGES

    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    serving = set(pyproject["dependency-groups"]["serving"])
    assert {*MODEL_PACKAGES, "bentoml", "threadpoolctl"} <= serving
    assert not {"dvc", "mlflow", "pandera"} & serving, "the image stays small"
