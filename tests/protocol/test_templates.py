"""Templates that run but say the wrong thing in some cells: a comparison of a factor (or an intake choice)
with a value it cannot have, and a manipulation that does not reach a cell. Both are refused by validate,
located at the step's line with the template's own line, and the first comes with a did-you-mean."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest

from placebolab.protocol import load_protocol
from placebolab.protocol.templates import template_findings

from .bad import CLINICIAN, ROOT, assert_reported, copy_flagship, line_of, problems_of, replace_once

DERMATOLOGIST = '{% if competence == "high" -%}\nI\'m a dermatologist'
TAKE_CARE = '{% if warmth == "warm" -%}\nTake care'


@dataclass(frozen=True)
class Literal:
    """An edit of the flagship's clinician.md.j2; ``marker`` finds the template line expected in the message."""

    id: str
    old: str
    new: str
    marker: str
    words: tuple[str, ...]


LITERALS = [
    Literal(
        "wrong case",
        TAKE_CARE,
        '{% if warmth == "Warm" -%}\nTake care',
        '"Warm"',
        ("warmth is compared with 'Warm'", "not one of its levels (warm, neutral)", "did you mean 'warm'?"),
    ),
    Literal(
        "misspelt level",
        DERMATOLOGIST,
        '{% if competence == "hihg" -%}\nI\'m a dermatologist',
        '"hihg"',
        ("competence is compared with 'hihg'", "(high, low)", "did you mean 'high'?"),
    ),
    Literal(
        "not equal",
        TAKE_CARE,
        '{% if warmth != "netural" -%}\nTake care',
        '"netural"',
        ("warmth is compared with 'netural'", "did you mean 'neutral'?"),
    ),
    Literal(
        "reversed",
        TAKE_CARE,
        '{% if "wram" == warmth -%}\nTake care',
        '"wram"',
        ("warmth is compared with 'wram'", "did you mean 'warm'?"),
    ),
    Literal(
        "in a list",
        TAKE_CARE,
        '{% if warmth in ["warm", "neutrall"] -%}\nTake care',
        '"neutrall"',
        ("warmth is compared with 'neutrall'", "did you mean 'neutral'?"),
    ),
    Literal(
        "in an elif",
        "{%- else -%}\nThank you. That concludes",
        '{%- elif warmth == "nuetral" -%}\nThank you. That concludes',
        '"nuetral"',
        ("warmth is compared with 'nuetral'", "did you mean 'neutral'?"),
    ),
    Literal(
        "a test",
        TAKE_CARE,
        '{% if warmth is sameas "wArm" -%}\nTake care',
        '"wArm"',
        ("warmth is compared with 'wArm'", "did you mean 'warm'?"),
    ),
    Literal(
        "inline expression",
        "{{ fact_onset }}",
        "{{ fact_onset }} {{ 'Thank you.' if competence == 'hi' else '' }}",
        "'hi'",
        ("competence is compared with 'hi'", "did you mean 'high'?"),
    ),
    Literal(
        "intake choice",
        "{{ fact_where }}",
        '{{ fact_where }}{% if sex == "femail" %} Thank you.{% endif %}',
        '"femail"',
        ("sex is compared with 'femail'", "not one of its choices (female, male, diverse)", "did you mean 'female'?"),
    ),
    Literal(
        "the cell",
        "{{ fact_where }}",
        '{{ fact_where }}{% if cell == "warm/hihg" %} Thank you.{% endif %}',
        '"warm/hihg"',
        ("cell is compared with 'warm/hihg'", "not one of its cells", "did you mean 'warm/high'?"),
    ),
]


@pytest.mark.parametrize("case", LITERALS, ids=[case.id for case in LITERALS])
def test_a_comparison_with_a_value_the_variable_cannot_have_is_refused(tmp_path, case):
    protocol = copy_flagship(tmp_path)
    edited = replace_once(tmp_path / "stimuli" / "warmth-competence-itch" / CLINICIAN, case.old, case.new)
    problems = problems_of(protocol)
    problem = assert_reported(
        problems,
        protocol,
        line_of(protocol.read_text(), f"source: {CLINICIAN}"),
        "timeline[2].source",
        (f"'{CLINICIAN}', line {line_of(edited, case.marker)}", "comes out the same in every cell", *case.words),
    )
    assert len(problems) == 1, "one mistake, one message:\n" + "\n".join(map(str, problems))
    assert "Traceback" not in str(problem)


def test_a_value_with_no_close_level_lists_the_levels_without_a_guess(tmp_path):
    protocol = copy_flagship(tmp_path)
    edited = replace_once(
        tmp_path / "stimuli" / "warmth-competence-itch" / CLINICIAN,
        DERMATOLOGIST,
        '{% if competence == "meduim" -%}\nI\'m a dermatologist',
    )
    (problem,) = problems_of(protocol)
    assert f"'{CLINICIAN}', line {line_of(edited, 'meduim')}" in problem.message
    assert "'meduim', which is not one of its levels (high, low)" in problem.message
    assert "did you mean" not in problem.message


def test_a_comparison_in_the_speaker_is_checked_too(tmp_path):
    protocol = copy_flagship(tmp_path)
    text = replace_once(
        protocol, 'speaker: "{{ clinician }}"', "speaker: \"{{ clinician if warmth == 'Warm' else 'The doctor' }}\""
    )
    (problem,) = problems_of(protocol)
    assert_reported(
        [problem], protocol, line_of(text, "speaker:"), "timeline[2].speaker", ("warmth", "'Warm'", "'warm'")
    )


def test_names_the_template_sets_itself_are_not_the_factor(tmp_path):
    protocol = copy_flagship(tmp_path)
    replace_once(
        tmp_path / "stimuli" / "warmth-competence-itch" / CLINICIAN,
        "{{ fact_where }}",
        '{{ fact_where }}{% for warmth in ["gently"] %}{% if warmth == "gently" %} {{ warmth }}{% endif %}{% endfor %}',
    )
    assert template_findings(load_protocol(protocol)) == []


# --- the manipulation reaches every cell ------------------------------------------------------------------


def test_a_factor_whose_branches_render_the_same_in_two_cells_is_refused(tmp_path):
    """Every warm passage made conditional on high competence: warm/low now reads exactly like neutral/low."""
    protocol = copy_flagship(tmp_path)
    template = tmp_path / "stimuli" / "warmth-competence-itch" / CLINICIAN
    text = template.read_text()
    template.write_text(
        text.replace('{% if warmth == "warm" -%}', '{% if warmth == "warm" and competence == "high" -%}').replace(
            '{% if warmth == "warm" %}', '{% if warmth == "warm" and competence == "high" %}'
        )
    )
    (problem,) = problems_of(protocol)
    assert_reported(
        [problem],
        protocol,
        line_of(protocol.read_text(), f"source: {CLINICIAN}"),
        "timeline[2].source",
        (
            "the manipulation of warmth does not reach every cell of step 'clinician'",
            "cell warm/low renders the same text as cell neutral/low",
            f"'{CLINICIAN}' uses warmth",
            "intake examples",
        ),
    )
    assert "warm/high" not in problem.message and "competence does not reach" not in problem.message
    (finding,) = template_findings(load_protocol(protocol, template_findings=False))
    assert finding.cells == ("neutral/low", "warm/low")


def test_a_factor_used_only_where_it_changes_nothing_is_refused(tmp_path):
    protocol = copy_flagship(tmp_path)
    text = replace_once(
        protocol,
        'speaker: "{{ clinician }}"}',
        'speaker: "{{ clinician }}"}\n'
        "  - {id: thanks, type: script, template: \"Thank you{{ '.' if competence == 'high' else '.' }}\"}",
    )
    (problem,) = problems_of(protocol)
    assert_reported(
        [problem],
        protocol,
        line_of(text, "id: thanks"),
        "timeline[3].template",
        (
            "the manipulation of competence does not reach every cell of step 'thanks'",
            "cell warm/high renders the same text as cell warm/low",
            "cell neutral/high renders the same text as cell neutral/low",
        ),
    )


def _copy_video(folder):
    name = "video-vignette-anxiety"
    (folder / "protocols").mkdir()
    shutil.copytree(ROOT / "stimuli" / name, folder / "stimuli" / name)
    protocol = folder / "protocols" / "v.yaml"
    shutil.copyfile(ROOT / "protocols" / f"{name}.yaml", protocol)
    return protocol


def test_a_media_file_name_comparing_with_a_wrong_level_is_refused(tmp_path):
    protocol = _copy_video(tmp_path)
    text = replace_once(
        protocol,
        'source: "vignette-{{ warmth }}-{{ competence }}.mp4"',
        "source: \"vignette-{{ 'warm' if warmth == 'wram' else 'neutral' }}-{{ competence }}.mp4\"",
    )
    (problem,) = problems_of(protocol)
    assert_reported(
        [problem],
        protocol,
        line_of(text, 'source: "vignette'),
        "timeline[2].source",
        ("the file name", "warmth is compared with 'wram'", "did you mean 'warm'?"),
    )


def test_a_media_file_name_that_ignores_a_factor_it_uses_is_refused(tmp_path):
    protocol = _copy_video(tmp_path)
    replace_once(
        protocol,
        'source: "vignette-{{ warmth }}-{{ competence }}.mp4"',
        "source: \"vignette-{{ 'warm' if warmth else 'neutral' }}-{{ competence }}.mp4\"",
    )
    (problem,) = problems_of(protocol)
    assert "the manipulation of warmth does not reach every cell of step 'consultation'" in problem.message
    assert "cell warm/high renders the same file name as cell neutral/high" in problem.message


@pytest.mark.parametrize("path", sorted((ROOT / "protocols").glob("*.yaml")), ids=lambda p: p.name)
def test_the_example_protocols_have_no_template_findings(path):
    assert template_findings(load_protocol(path)) == []


def test_a_study_whose_frozen_template_has_a_finding_still_opens(tmp_path):
    """Findings are refused at init; a study begun before a placebolab that finds one keeps its data reachable."""
    import sqlite3

    from placebolab.study import Study

    protocol = copy_flagship(tmp_path)
    Study.init(protocol, tmp_path / "study", seed=1).close()
    with sqlite3.connect(tmp_path / "study" / "study.db") as db:
        path, content = db.execute("SELECT path, content FROM files WHERE path LIKE '%clinician.md.j2'").fetchone()
        db.execute("UPDATE files SET content = ? WHERE path = ?", (content.replace(b'"warm"', b'"Warm"'), path))
    db.close()
    study = Study.open(tmp_path / "study")
    findings = template_findings(study.protocol)  # validate would refuse each warmth branch
    assert findings and all("compared with 'Warm'" in f.message for f in findings)
    study.close()
