"""APA formatting helpers."""

from __future__ import annotations

import pytest

from placebolab.report import format as fmt


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.0, "p < .001"), (0.000999, "p < .001"), (0.001, "p = .001"), (0.0344, "p = .034"), (0.05, "p = .050"),
     (0.9999, "p = 1.000"), (float("nan"), "—")],
)  # fmt: skip
def test_p(p, text):
    assert fmt.fmt_p(p) == text


def test_anova_effect_sentence():
    row = {"DF": 1, "F": 12.3449, "p_unc": 0.00058, "np2": 0.0733}
    assert fmt.fmt_anova_effect(row, 156) == "F(1, 156) = 12.34, p < .001, ηp² = .07"
    row = {"DF": 2, "F": 4.107, "p_unc": 0.02186, "np2": 0.132}
    assert fmt.fmt_anova_effect(row, 54) == "F(2, 54) = 4.11, p = .022, ηp² = .13"


def test_numbers():
    assert fmt.fmt_num(-0.0001) == "0.00"
    assert fmt.fmt_num(None) == "—"
    assert fmt.fmt_unit(1.0) == "1.00"
    assert fmt.fmt_unit(-0.5) == "-.50"
    assert fmt.fmt_int_or_num(54.0) == "54"
    assert fmt.fmt_t(-2.84199, 9.49438) == "t(9.49) = -2.84"


def test_check_sentence_for_anova():
    row = {"test": "anova", "statistic": 5.0, "df1": 2.0, "df2": 9.0, "p_val": 0.04, "np2": 0.53}
    assert fmt.fmt_check(row) == "F(2, 9) = 5.00, p = .040, ηp² = .53"


def test_a_factor_description_gets_an_article_only_when_it_has_none():
    # found in user runs: "the the practitioner's interaction style", "the what the clinician says"
    from placebolab.report.html import _factor_phrase

    assert _factor_phrase("warmth", ["warm", "neutral"], "emotional component") == (
        "warmth (warm vs neutral), the emotional component,"
    )
    assert _factor_phrase("style", ["a", "b"], "the practitioner's interaction style").endswith(
        ", the practitioner's interaction style,"
    )
    assert _factor_phrase("talk", ["a", "b"], "what the clinician says") == "talk (a vs b), what the clinician says,"
    assert _factor_phrase("talk", ["a", "b"], "Clinician's words").endswith(", Clinician's words,")
    assert _factor_phrase("talk", ["a", "b"], None) == "talk (a vs b)"
