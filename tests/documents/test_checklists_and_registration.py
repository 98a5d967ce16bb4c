"""`placebolab checklist` on a simulated study of every example protocol, and `analyze --prereg`: the report
says whether the study ran on the registered protocol and lists each deviation (added analyses exploratory)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from placebolab.analysis.plan import run_analyses
from placebolab.cli.app import main
from placebolab.documents.checklists import CONSORT_2025, TIDIER_PLACEBO, write_checklists
from placebolab.documents.prereg import planned_methods, preregistration, protocol_facts
from placebolab.documents.render import write
from placebolab.export import export_study
from placebolab.report import format as fmt
from placebolab.report.html import _sample_sentence, methods_paragraph
from placebolab.simulation.model import load_effects
from placebolab.simulation.run import simulate_study
from placebolab.study import Study
from tests.conftest import ROOT

PROTOCOLS = sorted((ROOT / "protocols").glob("*.yaml"))
PLACEHOLDERS = re.compile(r"\bNone\b|\bnan\b|\bNaN\b|\bnull\b|\{\{|\}\}|\{%")


def _without_families(text: str) -> str:
    """The methods text less what only data give: the size of each family of comparisons."""
    return re.sub(r"adjusted on its own.*?\. Hedges' g", "adjusted on its own. Hedges' g", text, flags=re.S)


def _simulated(path, folder, per_cell=12, effects=None):
    # (with 6 per cell an ordinal model of ibs-three-arm meets a singular matrix: an analysis matter, left alone)
    study = Study.init(path, folder, seed=2)
    effects = effects or ROOT / "protocols" / "effects" / path.name
    simulate_study(study, per_cell * len(study.protocol.cells), load_effects(effects, study.protocol), seed=3)
    return study


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.stem)
def test_every_protocol_gives_readable_prefilled_checklists_whose_numbers_are_the_reports(path, tmp_path):
    study = _simulated(path, tmp_path / "study")
    try:
        results = run_analyses(export_study(study))
        written = write_checklists(study, results, tmp_path / "out")
    finally:
        study.close()
    assert sorted(p.name for p in written) == sorted(
        f"{n}.{s}" for n in ("consort-2025", "tidier-placebo", "spirit-schedule") for s in ("md", "html")
    )
    texts = {p.name: p.read_text() for p in written}
    for name, text in texts.items():
        assert not PLACEHOLDERS.search(text), (name, PLACEHOLDERS.search(text).group(0))
        assert "<script" not in text.lower()
    consort = texts["consort-2025.md"]
    for number, *_ in CONSORT_2025:
        assert f"\n| {number} |" in consort
    assert "TODO:" in consort
    flow = results.consort["cells"]
    for cell, counts in flow.items():  # item 22a: the export's consort.json, cell by cell
        assert f"{cell}: {counts['allocated']} allocated, {counts['received']} received the intervention, " \
               f"{counts['analysed']} analysed" in consort  # fmt: skip
    assert f"Planned N = {study.protocol.allocation.target_n}." in consort
    assert study.meta["list_sha256"] in consort
    for outcome in results.outcomes:  # item 26: per cell n, mean and 95% CI as the report formats them
        if outcome.descriptives is None or outcome.measurement != "continuous":
            continue
        for _, row in outcome.descriptives.iterrows():
            levels = " | ".join(str(row[f]) for f in outcome.between)
            line = f"| {levels} | {int(row['n'])} | {fmt.fmt_num(row['mean'])} | {fmt.fmt_num(row['sd'])} | " \
                   f"{fmt.fmt_ci(row['ci_low'], row['ci_high'])} |"  # fmt: skip
            assert line.replace("_", "\\_").replace("[", "\\[").replace("]", "\\]") in consort, line
        for _, row in outcome.effect_sizes.iterrows():  # and each effect's partial eta squared with its CI
            line = f"| {row['Source'].replace(' * ', ' × ')} | {fmt.fmt_unit(row['np2'], 3)} | " \
                   f"{fmt.fmt_ci(row['np2_ci_low'], row['np2_ci_high'], 3)} |"  # fmt: skip
            assert line.replace("_", "\\_").replace("[", "\\[").replace("]", "\\]") in consort, line
    # the preregistration's analysis plan is the report's methods paragraph, from the same generator
    planned = planned_methods(protocol_facts(path))
    ran = methods_paragraph(results, sample=False)
    assert _without_families(planned) == _without_families(ran)
    assert methods_paragraph(results).replace(_sample_sentence(results.header) + " ", "") == ran
    tidier = texts["tidier-placebo.md"]
    for number, item in TIDIER_PLACEBO:
        assert f"| {number}. {item} |" in tidier
    for cell in study.protocol.cells:
        assert f"| {cell.id} " in tidier.split("\n| --- ")[0]
    assert "Schedule of enrolment, interventions and assessments" in texts["spirit-schedule.html"]


def test_the_tidier_table_sets_the_cells_scripts_side_by_side(tmp_path):
    study = _simulated(ROOT / "protocols" / "warmth-competence-itch.yaml", tmp_path / "study", per_cell=2)
    study.close()
    result = CliRunner().invoke(main, ["checklist", str(tmp_path / "study"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert result.output.count("Written: ") == 6
    row = next(line for line in (tmp_path / "out" / "tidier-placebo.md").read_text().splitlines()
               if line.startswith("| 4. "))  # fmt: skip
    warm_high, warm_low, neutral_high, neutral_low = row.split(" | ")[1:5]
    assert "It's really nice to meet you" in warm_high and "It's really nice to meet you" not in neutral_high
    assert "twelve years" in warm_high and "twelve years" not in warm_low  # competence: high vs low
    assert "Hi Alex" in warm_low and "Hi Alex" not in neutral_low  # rendered with the example intake


def test_the_report_says_whether_the_study_ran_on_the_registered_protocol_and_lists_deviations(tmp_path):
    source = ROOT / "protocols" / "warmth-competence-itch.yaml"
    prereg = tmp_path / "prereg.md"
    write(preregistration(protocol_facts(source)), prereg)
    same = _simulated(source, tmp_path / "same", per_cell=3)
    same.close()
    runner = CliRunner()
    result = runner.invoke(main, ["analyze", str(tmp_path / "same"), "--prereg", str(prereg)])
    assert result.exit_code == 0, result.output
    assert "Ran on the preregistered protocol." in result.output
    report = (tmp_path / "same" / "report.html").read_text()
    assert "The study ran on exactly the preregistered protocol" in report
    # a changed protocol: an added secondary outcome, a dropped simple effect and a larger N
    changed = tmp_path / "protocols" / "x.yaml"
    changed.parent.mkdir()
    import shutil

    shutil.copytree(ROOT / "stimuli" / "warmth-competence-itch", tmp_path / "stimuli" / "warmth-competence-itch")
    text = source.read_text().replace("target_n: 160", "target_n: 200")
    text = text.replace("    - {outcome: expectancy.expectancy, between: [warmth, competence]}\n",
                        "    - {outcome: expectancy.expectancy, between: [warmth, competence]}\n"
                        "    - {outcome: check.warmth, between: [warmth, competence]}\n")  # fmt: skip
    text = text.replace("    - {effect: competence, by: [warmth]}\n", "")
    changed.write_text(text)
    other = _simulated(changed, tmp_path / "other", per_cell=3, effects=ROOT / "protocols" / "effects" / source.name)
    other.close()
    result = runner.invoke(main, ["analyze", str(tmp_path / "other"), "--prereg", str(prereg)])
    assert result.exit_code == 0, result.output
    assert "Not the preregistered protocol" in result.output
    report = (tmp_path / "other" / "report.html").read_text()
    assert "did <strong>not</strong> run on the preregistered protocol" in report
    assert "secondary outcome added after registration (exploratory): " in report and "check.warmth" in report
    assert "registered simple-effects analysis not in the plan run: by: [warmth], effect: competence" in report
    assert "allocation changed" in report and "target_n: 200" in report
    assert "exploratory: added after registration" in report  # at the outcome's own heading
    # the SHA-256 alone says whether, not what
    sha = protocol_facts(source).sha256
    result = runner.invoke(main, ["analyze", str(tmp_path / "other"), "--prereg", sha])
    assert "only the SHA-256 was given" in (tmp_path / "other" / "report.html").read_text()


def test_a_file_without_a_registration_record_is_refused_in_one_line(tmp_path):
    note = tmp_path / "notes.md"
    note.write_text("# my notes\n")
    result = CliRunner().invoke(main, ["analyze", str(tmp_path), "--prereg", str(note)])
    assert result.exit_code == 7 and "holds no placebolab preregistration record" in result.output
    result = CliRunner().invoke(main, ["analyze", str(tmp_path), "--prereg", "abc"])
    assert result.exit_code == 7 and "not a SHA-256" in result.output


def test_a_prereg_of_the_study_folder_carries_the_sealed_lists_commitment_and_changed_stimuli_are_a_deviation(
    tmp_path,
):
    import shutil

    (tmp_path / "protocols").mkdir()
    shutil.copytree(ROOT / "stimuli" / "warmth-competence-itch", tmp_path / "stimuli" / "warmth-competence-itch")
    source = tmp_path / "protocols" / "x.yaml"
    shutil.copyfile(ROOT / "protocols" / "warmth-competence-itch.yaml", source)
    effects = ROOT / "protocols" / "effects" / "warmth-competence-itch.yaml"
    registered = _simulated(source, tmp_path / "registered", per_cell=1, effects=effects)
    commitment = registered.meta["list_sha256"]
    registered.close()
    prereg = tmp_path / "prereg.html"
    result = CliRunner().invoke(main, ["prereg", str(tmp_path / "registered"), "--out", str(prereg)])
    assert result.exit_code == 0, result.output
    text = prereg.read_text()
    assert f"its SHA-256 commitment is {commitment}" in text and "add the allocation list" not in text
    from_file = protocol_facts(source)
    assert from_file.bundle_sha256 and from_file.bundle_sha256 in text  # the same bundle as init sealed
    # the same protocol text, one script edited: the manipulation is not the registered one
    script = tmp_path / "stimuli" / "warmth-competence-itch" / "clinician.md.j2"
    script.write_text(script.read_text().replace("twelve years", "two years"))
    edited = _simulated(source, tmp_path / "edited", per_cell=3, effects=effects)
    edited.close()
    result = CliRunner().invoke(main, ["analyze", str(tmp_path / "edited"), "--prereg", str(prereg)])
    assert result.exit_code == 0 and "Not the preregistered protocol" in result.output
    report = (tmp_path / "edited" / "report.html").read_text()
    assert "its stimulus files are not" in report and "the stimulus files differ from those registered" in report


def test_a_blinded_export_hides_the_levels_the_hypotheses_name(tmp_path):
    import json

    study = _simulated(ROOT / "protocols" / "ibs-three-arm.yaml", tmp_path / "study", per_cell=1)
    try:
        key = json.loads(study.store.sealed()["blinding_key"])
        folder = export_study(study, blinded=True)
    finally:
        study.close()
    hypotheses = json.loads((folder / "codebook.json").read_text())["analysis"]["hypotheses"]
    cells = key["cells"]
    assert [h["test"] for h in hypotheses] == [
        f"{cells['limited']} - {cells['waitlist']}",
        f"{cells['augmented']} - {cells['limited']}",
    ]
    text = (folder / "codebook.json").read_text()
    assert "waitlist" not in text.split('"hypotheses"')[1].split("]")[0]
    assert all(h["text"].startswith("(blinded") for h in hypotheses)
