"""The alert rules a project ships pass promtool: `promtool check rules` parses them and
`promtool test rules` runs monitoring/alerts.test.yaml, through `make alerts-test` as the
generated CI does. Their PromQL against live data is tested in test_image.py."""

from __future__ import annotations

import pytest

from support.projects import sh
from support.tools import tool

pytestmark = pytest.mark.xdist_group("image")


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_alert_rules_parse_and_their_unit_tests_pass(render, task):
    tool("promtool")
    project = render(task=task, monitoring="yes")
    result = sh(["make", "alerts-test"], project)
    assert "SUCCESS" in result.stdout + result.stderr
