"""The change from baseline is computed only when the outcome and its baseline have one range (the codebook's
min and max): a 0–10 rating minus a 0–100 one is no change. The report then says why, where the change would
stand and in the methods, and shows no numbers of it; the ANCOVA adjusting for the baseline is run as before."""

from __future__ import annotations

import html

import pytest

from placebolab.analysis.plan import planned_analyses, run_analyses
from placebolab.report import build_report
from placebolab.report.html import methods_paragraph
from tests.analysis.synthetic import codebook, write_export

WHY = (
    "'itch_post' ranges 0–100 and its baseline 'itch_baseline' 0–10: on different scales, their difference is "
    "no change from baseline, so it is not computed. The primary analysis (ANCOVA) adjusts for 'itch_baseline', "
    "which may be on any scale; rate both on the same scale for a change score."
)
METHODS = (
    "No change from baseline was computed: itch_post (0–100) and its baseline itch_baseline (0–10) are on "
    "different scales."
)
ALSO = "and so was its change from baseline"


def _book(**baseline) -> dict:
    """The synthetic codebook with itch_baseline's entry updated (``max=10``) or its range removed (``min=None``)."""
    book = codebook()
    entry = next(c for c in book["columns"] if c["name"] == "itch_baseline")
    entry.update(baseline)
    for key in [k for k, v in baseline.items() if v is None]:
        del entry[key]
    return book


def test_two_scales_give_no_change_score_and_say_why(tmp_path):
    export = write_export(tmp_path / "s", book=_book(max=10))
    results = run_analyses(export)
    primary, change = results.outcomes[0], results.outcomes[1]
    assert primary.error is None and primary.covariates == ["itch_baseline"]  # the ANCOVA, as before
    assert change.role == "change from baseline" and change.error == WHY
    assert change.descriptives is None and change.anova is None and change.emmeans is None
    assert change.effect_sizes is None and change.assumptions is None
    assert "itch_post_change" not in results.data.columns  # nothing computed to be shown or exported
    methods = methods_paragraph(results)
    assert METHODS in methods and ALSO not in methods
    page = html.unescape(build_report(export).read_text(encoding="utf-8"))
    assert f"Not analysed: {WHY}" in page and METHODS in page
    assert "itch_post_change" not in page  # no table, plot or column of it
    assert "Change from baseline: itch_post − itch_baseline" in page  # its section, with the note
    assert page.count("data:image/png;base64,") == 3  # primary, secondary, time course: no plot of the change


def test_the_preregistered_methods_say_it_too():
    methods = methods_paragraph(planned_analyses(_book(max=10)), sample=False)
    assert METHODS in methods and ALSO not in methods


@pytest.mark.parametrize("baseline", [{}, {"min": None, "max": None}], ids=["same range", "export without ranges"])
def test_one_scale_or_an_export_without_ranges_keeps_the_change_score(tmp_path, baseline):
    results = run_analyses(write_export(tmp_path / "s", book=_book(**baseline)))
    change = results.outcomes[1]
    assert change.name == "itch_post_change" and change.error is None and change.descriptives is not None
    data = results.data
    assert (data["itch_post_change"] == data["itch_post"] - data["itch_baseline"]).all()
    methods = methods_paragraph(results)
    assert ALSO in methods and "No change from baseline" not in methods
