"""The plan as each cell lives it: a mark a cell's scheduled step needs is set in that cell; the analyses the
plan asks for are ones the analysis can run on this design (else validate says what would work)."""

from __future__ import annotations

from click.testing import CliRunner

from placebolab.cli import main

from .bad import assert_reported, copy_flagship, line_of, problems_of, replace_once

CREAM_TITLE = "    title: The cream\n"
ITCH_POST_AT = "    at: [t0+3min, t0+9min, t0+15min]"


def test_a_mark_set_only_in_some_cells_is_refused_where_another_cell_needs_it(tmp_path):
    protocol = copy_flagship(tmp_path)
    edited = replace_once(protocol, CREAM_TITLE, CREAM_TITLE + "    cells: [warm/high, warm/low]\n")
    problem = assert_reported(
        problems_of(protocol),
        protocol,
        line_of(edited, ITCH_POST_AT),
        "timeline[6].at[0]",
        ("mark 't0' is never set in cells neutral/high, neutral/low", "timeline[5] (cream)", "warm/high, warm/low"),
    )
    assert "cells: [warm/high, warm/low]" in problem.message  # what would work
    # reported once per step, not once per occasion
    assert sum("never set" in p.message for p in problems_of(protocol)) == 1


def test_a_mark_set_in_the_cells_that_use_it_is_accepted(tmp_path):
    protocol = copy_flagship(tmp_path)
    replace_once(protocol, CREAM_TITLE, CREAM_TITLE + "    cells: [warm/high, warm/low]\n")
    replace_once(protocol, ITCH_POST_AT, ITCH_POST_AT + "\n    cells: [warm/high, warm/low]")
    text = protocol.read_text()
    protocol.write_text(text[: text.index("\nanalysis:\n")])  # its analyses need itch_post in every cell
    result = CliRunner().invoke(main, ["validate", str(protocol)])
    assert result.exit_code == 0, result.output


def test_init_refuses_a_protocol_whose_mark_some_cells_never_set(tmp_path):
    protocol = copy_flagship(tmp_path)
    replace_once(protocol, CREAM_TITLE, CREAM_TITLE + "    cells: [neutral/low]\n")
    result = CliRunner().invoke(main, ["init", str(protocol), str(tmp_path / "study")])
    assert result.exit_code == 3, result.output
    assert "mark 't0' is never set in cells warm/high, warm/low, neutral/high" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "study").exists()
