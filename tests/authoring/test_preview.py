"""The preview page: every cell side by side, the passages that differ between cells marked, the timeline's
timings, and nothing from a stimulus file reaching the page as markup."""

from __future__ import annotations

import re

from click.testing import CliRunner

from placebolab.authoring.preview import mark_differences, preview_html
from placebolab.cli import main
from placebolab.protocol import load_protocol
from tests.conftest import ROOT
from tests.protocol.bad import copy_flagship, replace_once

FLAGSHIP = ROOT / "protocols" / "warmth-competence-itch.yaml"


def _cell_html(page: str, step_id: str) -> list[str]:
    row = page[page.index(f'id="step-{step_id}"') :]
    row = row[: row.index("</tr>")]
    return re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)


def test_only_the_words_that_differ_are_marked():
    marked, differs = mark_differences(["<p>Hello dear Alex. The cream.</p>", "<p>Hello Alex. The cream.</p>"])
    assert differs
    assert marked == ["<p>Hello <mark>dear</mark> Alex. The cream.</p>", "<p>Hello Alex. The cream.</p>"]
    marked, _ = mark_differences(["<p>I can help.</p>", "<p>I will help.</p>"])
    assert marked == ["<p>I <mark>can</mark> help.</p>", "<p>I <mark>will</mark> help.</p>"]


def test_identical_passages_and_absent_cells_are_left_alone():
    assert mark_differences(["<p>Same</p>", None, "<p>Same</p>"]) == (["<p>Same</p>", None, "<p>Same</p>"], False)


def test_the_flagship_preview_shows_every_cell_and_marks_the_manipulated_passages():
    page = preview_html(load_protocol(FLAGSHIP))
    for cell in ("warm/high", "warm/low", "neutral/high", "neutral/low"):
        assert f"<th>{cell}</th>" in page
    warm_high, warm_low, neutral_high, neutral_low = _cell_html(page, "clinician")
    # the warm opening exists only in the warm cells, and is marked there
    assert "<mark>really</mark> <mark>nice</mark>" in warm_high and "really nice" not in neutral_high
    # the medical content is the same in every cell: shown in each, never marked
    fact = "This is an antihistamine cream. It reduces itch by blocking histamine"
    assert all(fact in cell for cell in (warm_high, warm_low, neutral_high, neutral_low))
    # a step that is the same everywhere is not marked at all
    assert all("<mark>" not in cell for cell in _cell_html(page, "welcome"))
    assert 'id="step-welcome" class="same"' in page and 'id="step-clinician" class="differs"' in page


def test_the_preview_shows_the_timeline_with_its_timings():
    page = preview_html(load_protocol(FLAGSHIP))
    assert "sets mark t0 when it ends" in page
    for when in ("at t0+3min", "at t0+9min", "at t0+15min"):
        assert when in page
    assert "until the experimenter continues" in page


def test_markup_in_a_stimulus_file_is_shown_as_text(tmp_path):
    protocol = copy_flagship(tmp_path)
    welcome = tmp_path / "stimuli" / "warmth-competence-itch" / "welcome.md"
    welcome.write_text(welcome.read_text() + '\n<script>alert("x")</script>\n<img src=x onerror=alert(1)>\n')
    page = preview_html(load_protocol(protocol))
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page


def test_preview_command_writes_the_page(tmp_path):
    protocol = copy_flagship(tmp_path)
    replace_once(protocol, "version: 1.0.0", "version: 1.0.1")
    out = tmp_path / "page.html"
    result = CliRunner().invoke(main, ["preview", str(protocol), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 cells side by side" in result.output
    assert "version 1.0.1" in out.read_text()


def test_preview_of_an_invalid_protocol_is_refused_with_its_problems(tmp_path):
    protocol = copy_flagship(tmp_path)
    replace_once(protocol, "strata: [sex]", "strata: [gender]")
    result = CliRunner().invoke(main, ["preview", str(protocol), "--out", str(tmp_path / "page.html")])
    assert result.exit_code == 3
    assert "'gender' is not an intake field" in result.output
    assert not (tmp_path / "page.html").exists()


def test_preview_shows_a_manipulation_that_does_not_reach_a_cell_beside_the_cells(tmp_path):
    protocol = copy_flagship(tmp_path)
    template = tmp_path / "stimuli" / "warmth-competence-itch" / "clinician.md.j2"
    template.write_text(template.read_text().replace('warmth == "warm"', 'warmth == "warm" and competence == "high"'))
    out = tmp_path / "page.html"
    result = CliRunner().invoke(main, ["preview", str(protocol), "--out", str(out)])
    assert result.exit_code == 3  # validate's verdict stands; the page is where to see it
    assert "does not reach every cell of step 'clinician'" in result.output
    page = out.read_text()
    assert 'class="problems"' in page and "1 template problem: placebolab validate refuses this protocol" in page
    row = page[page.index('id="step-clinician"') :]
    row = row[: row.index("</tr>")]
    assert 'id="step-clinician" class="differs problem"' in page
    assert "cell warm/low renders the same text as cell neutral/low" in row
    flagged = re.findall(r'<td( class="flagged")?>', row)
    assert [bool(f) for f in flagged] == [False, True, False, True]  # warm/high, warm/low, neutral/high, neutral/low


def test_preview_shows_a_comparison_with_a_level_that_does_not_exist(tmp_path):
    protocol = copy_flagship(tmp_path)
    template = tmp_path / "stimuli" / "warmth-competence-itch" / "clinician.md.j2"
    replace_once(template, '{% if warmth == "warm" -%}\nTake care', '{% if warmth == "Warm" -%}\nTake care')
    out = tmp_path / "page.html"
    result = CliRunner().invoke(main, ["preview", str(protocol), "--out", str(out)])
    assert result.exit_code == 3 and "did you mean 'warm'?" in result.output
    page = out.read_text()
    row = page[page.index('id="step-clinician"') :]
    row = row[: row.index("</tr>")]
    assert "warmth is compared with &#39;Warm&#39;" in row and "did you mean &#39;warm&#39;?" in row
    assert "warmth is compared with" in page[: page.index("<table")]  # and in the list at the top


def test_a_valid_protocol_has_no_problem_section():
    page = preview_html(load_protocol(FLAGSHIP))
    assert 'class="problems"' not in page and "⚠" not in page
