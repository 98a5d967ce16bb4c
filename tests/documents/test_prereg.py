"""`placebolab prereg`: every example protocol gives a readable preregistration in both structures and formats,
its numbers are those of `power` and of the plan, and the report of the study says whether it ran on it."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from placebolab.cli.app import main
from placebolab.documents.prereg import planned_methods, planned_n, preregistration, protocol_facts
from placebolab.documents.render import to_html, to_markdown
from placebolab.power.analytic import analytic_power
from placebolab.power.planning import outcome_model, required_n
from placebolab.simulation.model import load_effects
from tests.conftest import ROOT

PROTOCOLS = sorted((ROOT / "protocols").glob("*.yaml"))
PLACEHOLDERS = re.compile(r"\bNone\b|\bnan\b|\bNaN\b|\bnull\b|\{\{|\}\}|\{%|\bundefined\b")


def _effects(path):
    return ROOT / "protocols" / "effects" / path.name


def test_the_readability_check_finds_an_empty_section():
    with pytest.raises(AssertionError, match="section 'Empty' is empty"):
        _readable("<h1>T</h1><p>x</p><h2>Empty</h2>\n<h2>Next</h2><p>y</p>", html=True)
    with pytest.raises(AssertionError, match="Empty"):
        _readable("# T\n\nx\n\n## Empty\n\n## Next\n\ny\n", html=False)
    with pytest.raises(AssertionError, match="None"):
        _readable("# T\n\nthe n is None\n", html=False)


def _readable(text: str, html: bool) -> None:
    """No placeholder text (the record at the end is JSON and may say null), and no empty section."""
    body = text.split("<!-- placebolab-preregistration")[0]
    assert not PLACEHOLDERS.search(body), PLACEHOLDERS.search(body).group(0)
    if html:
        parts = re.split(r"<h([1-3])>(.*?)</h\1>", body)[1:]  # level, title, content, level, title, …
        headings = list(zip(parts[0::3], parts[1::3], parts[2::3], strict=True))
        for (level, title, content), following in zip(headings, [*headings[1:], ("0", "", "")], strict=True):
            deeper = int(following[0]) > int(level)
            assert re.sub(r"<[^>]+>|\s", "", content) or deeper, f"section '{title}' is empty"
    else:
        blocks = re.split(r"\n(?=#{1,3} )", body)
        for block, following in zip(blocks, [*blocks[1:], ""], strict=True):
            heading, _, content = block.partition("\n")
            deeper = following.startswith("#" * (len(heading) - len(heading.lstrip("#")) + 1) + " ")
            assert content.strip() or deeper, f"section '{heading}' is empty"


@pytest.mark.parametrize("form", ["osf", "aspredicted"])
@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.stem)
def test_every_protocol_gives_a_readable_preregistration(path, form):
    facts = protocol_facts(path, _effects(path))
    doc = preregistration(facts, form)
    markdown, html = to_markdown(doc), to_html(doc)
    _readable(markdown, html=False)
    _readable(html, html=True)
    for text in (markdown, html):
        assert facts.sha256 in text
        assert "TODO:" in text  # what the protocol cannot know is asked for, not invented
        assert planned_methods(facts).split(".")[0].replace("“", "").split(" (")[0][:40] in text.replace("“", "")
        for hypothesis in facts.protocol.analysis.hypotheses:
            assert hypothesis.id in text
    assert "<script" not in html.lower()


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.stem)
def test_the_numbers_are_those_of_power_and_the_plan(path):
    facts = protocol_facts(path, _effects(path))
    text = to_markdown(preregistration(facts))
    protocol = facts.protocol
    assert f"Planned N = {protocol.allocation.target_n} " in text
    for cell, n in planned_n(protocol).items():
        shown = f"{n:g}" if n == int(n) else f"{n:.1f}"  # 262 over 3 cells: 87.3 expected per cell
        assert re.search(rf"\| {re.escape(cell)} \|.*\| {re.escape(shown)} \|", text), cell
    if facts.power is None:
        assert facts.power_problem and f"cannot compute it for this protocol ({facts.power_problem})" in text
        return
    # the power command's analytic values at the planned n per cell, recomputed here
    model = outcome_model(protocol, load_effects(_effects(path), protocol), str(_effects(path)))
    n = {cell: int(planned_n(protocol)[cell]) for cell in model.cell_means}
    table = analytic_power(n_per_cell=n, alpha=0.05, **model.arguments())
    analysis = "ANCOVA" if model.baseline_r is not None else "ANOVA"
    needed = required_n(model, 0.8, 0.05).set_index(["analysis", "effect"])["n_per_cell"]
    assert "α = 0.05" in text and f"sd {model.sd:.4g}" in text
    rows = table[(table.analysis == analysis) & (table.kind != "simple")]
    assert len(rows) == len(facts.power["rows"])
    for row in rows.itertuples():
        need = needed[(analysis, row.effect)]
        expected = f"| {row.effect.replace(' * ', ' × ')} | {row.df1}, {row.df2} | {row.f:.3f} | {row.power:.3f} | "
        expected += "— (no effect under the model)" if need != need or need is None else str(int(need))
        assert expected in text


def test_without_an_effects_file_the_sample_size_rationale_is_a_todo():
    facts = protocol_facts(PROTOCOLS[0])
    text = to_markdown(preregistration(facts))
    assert "**TODO:** justify the sample size: run" in text and "Cohen's f" not in text


def test_a_protocol_without_hypotheses_asks_for_them(tmp_path):
    source = (ROOT / "protocols" / "warmth-competence-itch.yaml").read_text()
    start = source.index("  hypotheses:")
    end = source.index("  ss_type: 3")
    path = tmp_path / "protocols" / "x.yaml"
    path.parent.mkdir()
    import shutil

    shutil.copytree(ROOT / "stimuli" / "warmth-competence-itch", tmp_path / "stimuli" / "warmth-competence-itch")
    path.write_text(source[:start] + source[end:])
    text = to_markdown(preregistration(protocol_facts(path)))
    assert "**TODO:** state the hypotheses: add `hypotheses:`" in text


def test_the_command_writes_markdown_or_html_and_refuses_another_suffix(tmp_path):
    runner = CliRunner()
    flagship = str(ROOT / "protocols" / "warmth-competence-itch.yaml")
    for name in ("prereg.md", "prereg.html"):
        result = runner.invoke(main, ["prereg", flagship, "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert "protocol SHA-256" in result.output
    assert (tmp_path / "prereg.html").read_text().startswith("<!DOCTYPE html>")
    result = runner.invoke(main, ["prereg", flagship, "--out", str(tmp_path / "prereg.pdf")])
    assert result.exit_code == 2 and "must end in .md" in result.output


def test_an_invalid_protocol_is_refused_with_its_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("protocol: x\nversion: 1\ntitle: t\nfactors: {}\n")
    result = CliRunner().invoke(main, ["prereg", str(bad), "--out", str(tmp_path / "p.md")])
    assert result.exit_code == 3 and "bad.yaml:" in result.output and "Traceback" not in result.output
