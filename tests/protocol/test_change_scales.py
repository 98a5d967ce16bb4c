"""`validate` warns when the primary outcome and its baseline are on different scales: their difference is no
change from baseline, so the analysis leaves the change score out (the ANCOVA adjusting for the baseline stays).
It used to pass without a word, and the report showed a 0–10 rating minus a 0–100 one as a change."""

from __future__ import annotations

from placebolab.protocol import load_protocol

from .bad import FLAGSHIP, PRIMARY, flagship_with_baseline_on, validate


def _line_of(protocol, text: str) -> int:
    return protocol.read_text(encoding="utf-8").splitlines().index(text) + 1


def test_validate_warns_at_the_baseline_with_both_ranges_and_what_the_analysis_does(tmp_path):
    protocol = flagship_with_baseline_on(tmp_path, "nrs-0-10")
    result = validate(protocol)
    assert result.returncode == 0, result.stderr  # a warning, not a problem
    assert result.stdout.strip().endswith("1 warning")
    lines = protocol.read_text(encoding="utf-8").splitlines()
    baseline_scale = next(i + 1 for i, line in enumerate(lines) if "scale: nrs-0-10" in line)
    post_scale = next(i + 1 for i, line in enumerate(lines) if "scale: nrs-0-100" in line)
    assert baseline_scale < post_scale
    column = PRIMARY.index("itch_baseline,") + 1
    assert result.stderr.splitlines() == [
        f"warning: {protocol}:{_line_of(protocol, PRIMARY)}:{column}: analysis.primary.baseline: 'itch_post' ranges "
        f"0–100 (scale of step itch_post, line {post_scale}) and its baseline 'itch_baseline' ranges 0–10 (scale of "
        f"step itch_baseline, line {baseline_scale}): on different scales, their difference is no change from "
        "baseline, so the analysis will not compute it (itch_post − itch_baseline); the primary analysis (ANCOVA) "
        "still adjusts for itch_baseline, as a covariate may be on any scale. Rate both on the same scale for a "
        "change score"
    ]


def test_two_numeric_scales_of_different_ranges_are_different_scales(tmp_path):
    protocol = flagship_with_baseline_on(tmp_path, "{type: nrs, min: 1, max: 7}")
    (warning,) = load_protocol(protocol).warnings
    assert warning.path == ("analysis", "primary", "baseline") and warning.line == _line_of(protocol, PRIMARY)
    assert "'itch_baseline' ranges 1–7" in warning.message and "'itch_post' ranges 0–100" in warning.message


def test_a_questionnaire_score_as_baseline_of_a_rating(tmp_path):
    primary = "  primary: {outcome: itch_post, baseline: expectancy.expectancy, between: [warmth, competence]}"
    protocol = flagship_with_baseline_on(tmp_path, "nrs-0-100", primary)
    (warning,) = load_protocol(protocol).warnings
    scale_line = _line_of(protocol, "    scale: {type: nrs, min: 0, max: 10, anchors: [not at all, completely]}")
    assert f"'expectancy.expectancy' ranges 0–10 (scale of step expectancy, line {scale_line})" in warning.message


def test_the_same_range_on_another_kind_of_scale_is_the_same_scale(tmp_path):
    """A VAS of 0–100 and an NRS of 0–100 measure in the same units: their difference is a change."""
    assert load_protocol(flagship_with_baseline_on(tmp_path, "vas-0-100")).warnings == []


def test_the_flagship_rates_itch_on_one_scale_both_times():
    result = validate(FLAGSHIP)
    assert result.returncode == 0 and result.stderr == "" and "warning" not in result.stdout
