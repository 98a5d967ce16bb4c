"""A study whose primary outcome (itch_post, 0–100) has its baseline rated 0–10, end to end: the export's
codebook carries both ranges, the analysis leaves out the change from baseline (a 0–10 rating minus a 0–100
one) and every text made from the plan says so instead of presenting it: report, preregistration, CONSORT."""

from __future__ import annotations

import html
import json

import pytest

from placebolab.analysis.plan import run_analyses
from placebolab.documents.checklists import write_checklists
from placebolab.documents.prereg import preregistration, protocol_facts
from placebolab.documents.render import to_markdown
from placebolab.export import export_study
from placebolab.report import build_report
from placebolab.simulation.model import load_effects
from placebolab.simulation.run import simulate_study
from placebolab.study import Study
from tests.conftest import FLAGSHIP_EFFECTS
from tests.protocol.bad import flagship_with_baseline_on

NOT_COMPUTED = "itch_post (0–100) and its baseline itch_baseline (0–10) are on different scales"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scales")
    protocol = flagship_with_baseline_on(folder, "nrs-0-10")
    effects = folder / "effects.yaml"
    text = FLAGSHIP_EFFECTS.read_text(encoding="utf-8")
    effects.write_text(text.replace("itch_baseline: {mean: 56, sd: 16}", "itch_baseline: {mean: 5.6, sd: 1.6}"))
    made = Study.init(protocol, folder / "study", seed=4)
    simulate_study(made, 48, load_effects(effects, made.protocol), seed=5)
    yield made
    made.close()


def test_the_analysis_and_report_leave_the_change_out_and_say_why(study):
    export = export_study(study)
    columns = json.loads((export / "codebook.json").read_text(encoding="utf-8"))["columns"]
    ranges = {c["name"]: (c.get("min"), c.get("max")) for c in columns}
    assert ranges["itch_baseline"] == (0, 10) and ranges["itch_post"] == (0, 100)
    results = run_analyses(export)
    change = next(o for o in results.outcomes if o.role == "change from baseline")
    assert change.error.startswith("'itch_post' ranges 0–100 and its baseline 'itch_baseline' 0–10")
    assert change.descriptives is None and "itch_post_change" not in results.data.columns
    assert results.primary.anova is not None and "itch_baseline" in set(results.primary.anova["Source"])
    page = html.unescape(build_report(export).read_text(encoding="utf-8"))
    assert f"No change from baseline was computed: {NOT_COMPUTED}." in page
    assert "itch_post_change" not in page and "so was its change from baseline" not in page

    consort = _plain(write_checklists(study, results, export.parent / "checklists")[0].read_text(encoding="utf-8"))
    assert "ANCOVA adjusting for itch_baseline" in consort
    assert "itch_post_change" not in consort  # item 14 lists no change score as an outcome
    assert NOT_COMPUTED in consort  # item 21a, the methods paragraph


def test_the_preregistration_says_no_change_is_computed(study):
    text = _plain(to_markdown(preregistration(protocol_facts(study.folder))))
    assert (
        f"No change from baseline is computed: {NOT_COMPUTED}; the primary analysis adjusts for itch_baseline." in text
    )
    assert "is analysed besides the primary" not in text and "so was its change from baseline" not in text


def _plain(markdown: str) -> str:
    """Markdown text without its escapes of underscores (``itch\\_post``), to find names in it."""
    return markdown.replace("\\_", "_")
