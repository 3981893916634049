"""The fairness gate on numbers: bounds, worsening against main, and the names it fails with."""

from __future__ import annotations

from {{ cookiecutter.package_name }}.core.fairness_gate import (
    FeatureFairness,
    fairness_section,
    measure_status,
    split_metrics,
)
from {{ cookiecutter.package_name }}.core.params import (
    FairnessGate,
    FairnessLimit,
    GroupGate,
)

DIFFERENCE = FairnessLimit(max=0.2, max_increase=0.05)
RATIO = FairnessLimit(min=0.5, max_decrease=0.1)


def test_a_measure_fails_beyond_its_bound_or_when_it_worsens_too_much():
    assert measure_status(0.10, 0.12, DIFFERENCE) == "within tolerance"
    assert measure_status(0.10, 0.16, DIFFERENCE) == "regressed"  # up 0.06 > 0.05
    assert measure_status(0.19, 0.21, DIFFERENCE) == "beyond limit"  # above the ceiling
    assert measure_status(None, 0.21, DIFFERENCE) == "beyond limit"  # even with no baseline
    assert measure_status(0.70, 0.62, RATIO) == "within tolerance"
    assert measure_status(0.70, 0.55, RATIO) == "regressed"  # down 0.15 > 0.1
    assert measure_status(0.52, 0.48, RATIO) == "beyond limit"
    assert measure_status(0.10, None, DIFFERENCE) == "regressed"  # a bounded measure vanished


def test_a_bound_alone_judges_only_the_pr():
    ceiling = FairnessLimit(max=0.2)
    assert measure_status(0.01, 0.19, ceiling) == "within tolerance"
    assert measure_status(0.01, 0.21, ceiling) == "beyond limit"


def test_the_section_names_the_feature_the_group_and_the_metric():
    gate = FairnessGate(
        metrics={"demographic_parity_difference": DIFFERENCE},
        groups=GroupGate(metric="f1_macro", better="higher", max_drop=0.05),
        min_rows=30,
    )
    main = FeatureFairness(
        {"demographic_parity_difference": 0.10},
        {
            "north": {"f1_macro": 0.80, "rows": 60},
            "south": {"f1_macro": 0.80, "rows": 60},
            "tiny": {"f1_macro": 0.90, "rows": 5},
        },
    )
    pr = FeatureFairness(
        {"demographic_parity_difference": 0.25},
        {
            "north": {"f1_macro": 0.60, "rows": 60},
            "south": {"f1_macro": 0.79, "rows": 60},
            "tiny": {"f1_macro": 0.10, "rows": 5},
        },
    )

    section, regressions = fairness_section(["region"], {"region": main}, {"region": pr}, gate)

    assert regressions == ["demographic_parity_difference[region]", "f1_macro[region=north]"]
    assert "| north | 60 | 0.8000 | 0.6000 | -0.2000 | ❌ regressed |" in section
    assert "| tiny | 5 | 0.9000 | 0.1000 | -0.8000 | ⚪ too small to gate |" in section
    assert "Worst gated group: **north**" in section


def test_an_unchanged_pr_passes_and_no_feature_means_no_section():
    gate = FairnessGate(metrics={"demographic_parity_difference": DIFFERENCE})
    same = {"region": FeatureFairness({"demographic_parity_difference": 0.15}, {})}
    section, regressions = fairness_section(["region"], same, same, gate)
    assert regressions == [] and "✅ unchanged" in section
    assert fairness_section([], same, same, gate) == ("", [])


def test_metrics_json_keys_split_into_measures_and_groups():
    _, fairness = split_metrics(
        {
            "f1_macro": 0.7,
            "fairness.region.demographic_parity_ratio": 0.5,
            "fairness.region.groups.north.f1_macro": 0.6,
            "fairness.region.groups.north.rows": 58,
        }
    )
    assert fairness["region"].measures == {"demographic_parity_ratio": 0.5}
    assert fairness["region"].groups == {"north": {"f1_macro": 0.6, "rows": 58.0}}


def test_a_relative_bound_scales_with_mains_gap():
    relative = FairnessLimit(max_relative_increase=0.25)
    assert measure_status(40.0, 49.0, relative) == "within tolerance"  # up 22.5%
    assert measure_status(40.0, 51.0, relative) == "regressed"  # up 27.5%
    assert measure_status(None, 1e6, relative) == "new"  # no ceiling: nothing to judge alone


def test_the_default_policy_lets_an_inherent_gap_pass_and_fails_a_wider_one(params):
    """This project's own review.fairness: a gap the data already has, however large, passes
    every PR that keeps it; a PR that widens it beyond the tolerance fails, naming it."""
    gate = params.review.fairness
    if gate is None or not gate.metrics:
        return
    # A gap of 0.6 (a ratio of 0.4) is far beyond any sample's; widened by half of it.
    lower = {name: limit.better == "lower" for name, limit in gate.metrics.items()}
    inherent = {name: 0.6 if lower[name] else 0.4 for name in gate.metrics}
    wider = {name: 0.9 if lower[name] else 0.2 for name in gate.metrics}
    main = {"feature": FeatureFairness(inherent, {})}
    _, unchanged = fairness_section(["feature"], main, main, gate)
    assert unchanged == []
    _, widened = fairness_section(["feature"], main, {"feature": FeatureFairness(wider, {})}, gate)
    assert sorted(widened) == sorted(f"{name}[feature]" for name in gate.metrics)


def test_a_group_whose_metric_neither_side_measured_is_shown_not_failed():
    gate = FairnessGate(groups=GroupGate(metric="f1_macro", better="higher", max_drop=0.05))
    unmeasured = {"region": FeatureFairness({}, {"north": {"rows": 60}})}
    section, regressions = fairness_section(["region"], unmeasured, unmeasured, gate)
    assert regressions == []
    assert "| north | 60 | n/a | n/a | n/a | ⚪ measured on neither side |" in section
