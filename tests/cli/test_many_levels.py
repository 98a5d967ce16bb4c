"""Designs beyond the flagship's size: a factor of 30 levels initialises (blinding codes go on past Z), and
`placebolab status` never cuts a cell's name, however narrow the terminal and long the level names."""

from __future__ import annotations

import json
import string

from click.testing import CliRunner

from placebolab.cli import main
from placebolab.export.blinding import level_codes
from placebolab.study import Study

LONG_LEVELS = {
    "warmth": ["warm_and_deeply_empathic", "neutral_and_businesslike"],
    "competence": ["highly_competent_specialist", "visibly_unsure_trainee"],
}


def _protocol(folder, factors: dict[str, list[str]], target_n: int) -> str:
    lines = "\n".join(f"  {name}: {{levels: [{', '.join(levels)}]}}" for name, levels in factors.items())
    path = folder / "p.yaml"
    path.write_text(
        "protocol: wide-design\nversion: 1.0.0\ntitle: A wide design\n"
        f"factors:\n{lines}\nallocation: {{scheme: complete, target_n: {target_n}}}\n"
        "timeline:\n  - {id: pain, type: rating, prompt: How much pain?, scale: nrs-0-100, role: symptom}\n",
        encoding="utf-8",
    )
    return str(path)


def test_blinding_codes_go_on_past_z_and_keep_a_to_z_for_small_designs():
    assert level_codes(2) == ["A", "B"]
    assert level_codes(26) == list(string.ascii_uppercase)  # keys of studies sealed before stay what they were
    assert level_codes(30)[26:] == ["AA", "AB", "AC", "AD"]
    assert len(set(level_codes(800))) == 800


def test_init_with_a_factor_of_30_levels(tmp_path):
    levels = [f"clinician_{i:02d}" for i in range(1, 31)]
    protocol = _protocol(tmp_path, {"clinician": levels}, 60)
    folder = tmp_path / "study"
    result = CliRunner().invoke(main, ["init", protocol, str(folder)])
    assert result.exit_code == 0, result.output
    study = Study.open(folder)
    try:
        key = json.loads(study.store.sealed()["blinding_key"])
    finally:
        study.close()
    codes = key["factors"]["clinician"]
    assert set(codes) == set(levels) and sorted(codes.values()) == sorted(level_codes(30))
    assert not any(level in code for level in levels for code in key["cells"].values())
    shown = CliRunner().invoke(main, ["unblind", str(folder), "--reason", "test", "--by", "tester"])
    assert shown.exit_code == 0, shown.output
    listed = [pair.split(" = ")[0] for pair in shown.output.split("clinician: ", 1)[1].splitlines()[0].split(", ")]
    assert listed == level_codes(30)  # A … Z, then AA … AD


def test_status_never_cuts_a_cell_name_in_an_80_column_terminal(tmp_path):
    protocol = _protocol(tmp_path, LONG_LEVELS, 40)
    folder = str(tmp_path / "study")
    runner = CliRunner()
    assert runner.invoke(main, ["init", protocol, folder]).exit_code == 0
    assert runner.invoke(main, ["simulate", folder, "-n", "12", "--seed", "5"]).exit_code == 0
    shown = runner.invoke(main, ["status", folder], env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert max(map(len, lines)) <= 80
    assert "…" not in shown.output
    for level in [*LONG_LEVELS["warmth"], *LONG_LEVELS["competence"]]:
        assert shown.output.count(level) == 2, level  # whole, once in each of its two cells
    analysed = [line for line in lines if line.strip("│ ").startswith("analysed")]
    counts = [int(n) for line in analysed for n in line.replace("│", " ").split()[1:]]
    assert len(counts) == 4 and sum(counts) == 12  # every cell's count shown
