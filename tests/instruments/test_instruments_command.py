"""`placebolab instruments ID` prints what its help promises: the items, the response scale with its anchors
or labels (and each item's own scale where it differs), and how every score is computed."""

from __future__ import annotations

from click.testing import CliRunner

from placebolab.cli import main
from placebolab.components.scales import PRESETS, Scale


def shown(instrument: str) -> list[str]:
    result = CliRunner().invoke(main, ["instruments", instrument])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_a_likert_instrument_shows_every_label_the_not_applicable_answer_and_its_scores():
    lines = shown("care")
    assert (
        "scale:   5-point Likert 1–5: 1 = Poor, 2 = Fair, 3 = Good, 4 = Very good, 5 = Excellent; "
        "0 = Does not apply (scored as missing); analysed as ordinal"
    ) in lines
    first_item = lines[lines.index("items:") + 1].split(maxsplit=1)
    assert first_item == ["at_ease", "(wording supplied by the protocol under `wording:`)"]
    assert any(
        line.split()[0] == "care" and line.endswith("(at least 8 of 10 answered, else missing)")
        for line in lines[lines.index("scores:") + 1 :]
    )


def test_items_with_their_own_scale_show_it_and_a_score_says_how_items_are_combined():
    lines = shown("ceq")
    assert "scale:   NRS 1–9, step 1: 1 = not at all … 9 = very much; analysed as continuous" in lines
    logical = lines.index(next(line for line in lines if line.split()[:1] == ["logical"]))
    assert lines[logical + 1].strip() == (
        "scale: NRS 1–9, step 1: 1 = not at all logical … 9 = very logical; analysed as continuous"
    )
    feel_help = lines.index(next(line for line in lines if line.split()[:1] == ["feel_help"]))
    assert lines[feel_help + 1].split()[0] == "improve_feel", "an item on the instrument's scale repeats it"
    assert any("sum of improve_think, feel_help, improve_feel, each first mapped linearly onto 1–9" in x for x in lines)


def test_reverse_keyed_items_say_how_they_are_scored():
    assert any(line.split()[0] == "cold" and "reverse-keyed" in line for line in shown("manipulation-check"))


def test_each_kind_of_scale_is_described_in_one_line():
    assert Scale(type="vas", min=0, max=100, anchors=["none", "worst"]).describe() == (
        "VAS 0–100, continuous: 0 = none … 100 = worst; analysed as continuous"
    )
    assert PRESETS["yes-no"].describe() == "2-point Likert 1–2: 1 = no, 2 = yes; analysed as binary"
    assert PRESETS["nrs-0-10"].describe() == "NRS 0–10, step 1; analysed as continuous"
