"""A secondary outcome's `baseline:` is adjusted for (ANCOVA), as the primary outcome's is; it used to be
accepted by validate and silently left out of the analysis."""

from __future__ import annotations

import pandas as pd

from placebolab.analysis import anova
from placebolab.analysis.plan import run_analyses
from tests.analysis.synthetic import codebook, write_export

PLAN = {
    "primary": {"outcome": "itch_post", "between": ["warmth", "competence"]},
    "secondary": [{"outcome": "itch_post@t0+15min", "baseline": "itch_baseline", "between": ["warmth", "competence"]}],
}


def test_a_secondary_outcome_is_adjusted_for_its_baseline(tmp_path):
    results = run_analyses(write_export(tmp_path / "s", book=codebook(analysis=PLAN)))
    secondary = next(o for o in results.outcomes if o.role == "secondary")
    assert secondary.error is None and secondary.covariates == ["itch_baseline"]
    expected = anova(results.data, "itch_post@t0+15min", ["warmth", "competence"], covariates=["itch_baseline"])
    pd.testing.assert_frame_equal(secondary.anova.reset_index(drop=True), expected.reset_index(drop=True))
    assert "itch_baseline" in set(expected.iloc[:, 0])  # the covariate's own row: an ANCOVA, not the ANOVA
