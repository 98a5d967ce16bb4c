"""Bad protocols: every kind of mistake a researcher makes is reported with file:line:column, the path inside
the document, what is wrong and what would be right — and every problem in a file is reported, not the first.

Each case copies the flagship (``protocols/x.yaml`` + ``stimuli/warmth-competence-itch/``) into a temporary
folder and edits one thing; the expected line is wherever the edit landed in the bad file."""

from __future__ import annotations

import pytest

from placebolab.errors import ProtocolError
from placebolab.protocol import load_protocol

from .bad import CLINICIAN, JARGON, Edit, assert_reported, copy_flagship, line_of, problems_of, replace_once

ITCH_POST_PROMPT = (
    "    prompt: How itchy is your forearm right now?\n    scale: nrs-0-100\n"
    "    anchors: [no itch at all, worst itch imaginable]\n    at:"
)
BASELINE_HEAD = "  - id: itch_baseline\n    type: rating\n    role: symptom\n    prompt:"
BASELINE_SCALE = "    scale: nrs-0-100\n    anchors: [no itch at all, worst itch imaginable]\n\n  - {id: clinician"
WELCOME = "{id: welcome, type: text, source: welcome.md}"
DEBRIEF = "{id: debrief, type: text, source: debrief.md}"

EDITS = [
    # --- keys: unknown, misspelt, missing, empty -------------------------------------------------------
    Edit(
        "unknown key, with did-you-mean",
        BASELINE_HEAD,
        BASELINE_HEAD.replace("prompt:", "promt:"),
        "timeline[1].promt",
        ("unknown key `promt`", "did you mean `prompt`?", "allowed here", "anchors"),
        "promt:",
    ),
    Edit(
        "a sentence where a mapping is wanted names the keys it needs",
        "      - {id: relief,   text: How much do you expect the cream to relieve your itch?}",
        "      - How much do you expect the cream to relieve your itch?",
        "timeline[3].items[0]",
        ("should be a mapping with the keys id, text, e.g. {id: …, text: …}", "not 'How much do you expect"),
    ),
    Edit(
        "unknown top-level key",
        "title: Clinician",
        "titel: Clinician",
        "titel",
        ("unknown key `titel`", "did you mean `title`?"),
    ),
    Edit(
        "unknown key without a near match",
        "{id: sex,  type: choice,",
        "{id: sex,  type: choice, colour: red,",
        "intake[0].colour",
        ("unknown key `colour`", "allowed here: id, type, label, choices"),
        "colour: red",
    ),
    Edit(
        "missing required key",
        "  target_n: 160\n",
        "",
        "allocation.target_n",
        ("missing required key `target_n`",),
        "allocation:\n",
    ),
    Edit(
        "missing required key of a step",
        ITCH_POST_PROMPT,
        ITCH_POST_PROMPT.split("\n", 1)[1],
        "timeline[6].prompt",
        ("missing required key `prompt`",),
        "- id: itch_post",
    ),
    Edit(
        "empty value",
        "title: Clinician warmth and competence in placebo itch relief",
        "title:",
        "title",
        ("should be text", "empty"),
        "title:\n",
    ),
    Edit(
        "misspelt required key (no extra 'missing' message)",
        "warmth:     {levels:",
        "warmth:     {level:",
        "factors.warmth.level",
        ("unknown key `level`", "did you mean `levels`?"),
        "level:",
    ),
    Edit(
        "unknown key inside an inline scale",
        "scale: {type: nrs, min: 0, max: 10,",
        "scale: {type: nrs, min: 0, maxx: 10,",
        "timeline[3].scale.maxx",
        ("unknown key `maxx`", "did you mean `max`?", "labels"),
        "maxx",
    ),
    Edit(
        "stimuli folder that does not exist",
        "stimuli: ../stimuli/warmth-competence-itch",
        "stimuli: ../stimuli/warmth",
        "stimuli",
        ("stimuli folder '../stimuli/warmth' does not exist", "relative to the protocol"),
    ),
    Edit(
        "mark that is not a name",
        "    mark: t0 ",
        "    mark: t0+1 ",
        "timeline[5].mark",
        ("'t0+1' is not a valid name", "letters, digits and '_'", "e.g. t0"),
    ),
    # --- types and values ------------------------------------------------------------------------------
    Edit(
        "text where a whole number goes",
        "target_n: 160",
        "target_n: many",
        "allocation.target_n",
        ("should be a whole number", "'many'"),
    ),
    Edit(
        "number below its minimum",
        "target_n: 160",
        "target_n: 0",
        "allocation.target_n",
        ("0 is out of range", "at least 1"),
    ),
    Edit(
        "value outside a fixed list",
        "    role: expectancy\n",
        "    role: expectation\n",
        "timeline[3].role",
        ("'expectation' is not allowed", "symptom, expectancy, manipulation_check, covariate"),
    ),
    Edit(
        "not true or false",
        "identifying: true",
        "identifying: maybe",
        "intake[2].identifying",
        ("should be true or false", "'maybe'"),
    ),
    Edit(
        "id that is not a name",
        "  - id: itch_post\n",
        "  - id: itch post\n",
        "timeline[6].id",
        ("'itch post' is not a valid name", "letters, digits", "e.g. itch_post"),
    ),
    Edit(
        "list item that is not a mapping",
        f"  - {DEBRIEF}",
        "  - debrief",
        "timeline[7]",
        ("should be a mapping", "'debrief'"),
    ),
    # --- steps -----------------------------------------------------------------------------------------
    Edit(
        "unknown step type",
        "    type: pause\n",
        "    type: pauze\n",
        "timeline[5].type",
        ("unknown step type 'pauze'", "did you mean 'pause'?", "text, script, rating"),
    ),
    Edit(
        "step without a type",
        WELCOME,
        "{id: welcome, source: welcome.md}",
        "timeline[0]",
        ("has no `type`", "questionnaire"),
        "{id: welcome, source",
    ),
    Edit(
        "text step with both text and source",
        WELCOME,
        "{id: welcome, type: text, source: welcome.md, text: Hi}",
        "timeline[0].text",
        ("either `text`", "or `source`", "not both"),
        "{id: welcome",
    ),
    Edit(
        "text step with neither text nor source",
        WELCOME,
        "{id: welcome, type: text}",
        "timeline[0]",
        ("needs `text`", "or `source`", "e.g. source: welcome.md"),
        "{id: welcome",
    ),
    Edit(
        "wrong type inside a text step that has a `text:` key",
        WELCOME,
        "{id: welcome, type: text, text: Hello, title: [a, b]}",
        "timeline[0].title",
        ("should be text", "not a list"),
        "{id: welcome",
    ),
    Edit(
        "duplicate step ids",
        "  - id: cream\n",
        "  - id: check\n",
        "timeline[5].id",
        ("'check' is already used by timeline[4]", "unique"),
        "- id: check\n    type: pause",
    ),
    Edit(
        "step cells naming an unknown cell",
        DEBRIEF,
        "{id: debrief, type: text, source: debrief.md, cells: [warm/hi]}",
        "timeline[7].cells[0]",
        ("'warm/hi' is not a cell", "did you mean 'warm/high'?", "neutral/low"),
        "{id: debrief",
    ),
    # --- scales ----------------------------------------------------------------------------------------
    Edit(
        "unknown scale preset",
        BASELINE_SCALE,
        BASELINE_SCALE.replace("nrs-0-100", "nrs-0-1000"),
        "timeline[1].scale",
        ("unknown scale 'nrs-0-1000'", "nrs-0-100", "likert-5", "e.g. {type: nrs"),
    ),
    Edit(
        "likert scale without labels",
        "scale: {type: nrs, min: 0, max: 10,",
        "scale: {type: likert,",
        "timeline[3].scale",
        ("likert scale needs labels", "one per point", "e.g. labels:"),
    ),
    Edit(
        "scale min not below max",
        "scale: {type: nrs, min: 0, max: 10,",
        "scale: {type: nrs, min: 10, max: 10,",
        "timeline[3].scale.min",
        ("min (10) must be below max (10)",),
    ),
    Edit(
        "anchors that are not two ends",
        "anchors: [no itch at all, worst itch imaginable]\n    at:",
        "anchors: [none, some, worst]\n    at:",
        "timeline[6].anchors",
        ("exactly two",),
    ),
    Edit(
        "anchors cut by a comma say what was read and why",
        "anchors: [no itch at all, worst itch imaginable]\n    at:",
        "anchors: [no itch at all, worst, unbearable itch]\n    at:",
        "timeline[6].anchors",
        ("exactly two", "read 3: no itch at all | worst | unbearable itch", "a comma inside [ ] starts a new label"),
    ),
    # --- questionnaires --------------------------------------------------------------------------------
    Edit(
        "duplicate item ids",
        "{id: logical,",
        "{id: relief,",
        "timeline[3].items[1].id",
        ("item id 'relief' is already used by items[0]", "unique"),
    ),
    Edit(
        "score naming a missing item",
        "expectancy: {items: [relief, logical, confident, doubt]",
        "expectancy: {items: [relief, logical, confident, doubtt]",
        "timeline[3].scores.expectancy.items[3]",
        ("'doubtt'", "does not have", "doubt"),
    ),
    # --- instruments -----------------------------------------------------------------------------------
    Edit(
        "unknown instrument id, with did-you-mean",
        "instrument: warmth-competence ",
        "instrument: warmth-competense ",
        "timeline[4].instrument",
        ("unknown instrument 'warmth-competense'", "did you mean 'warmth-competence'?", "ceq", "`instruments:`"),
    ),
    Edit(
        "instrument and items both given",
        "instrument: warmth-competence ",
        "instrument: warmth-competence\n    items: [{id: kind, text: Kind}] ",
        "timeline[4].items",
        ("either `instrument: warmth-competence` or `items`", "`wording`"),
        "items: [{id: kind",
    ),
    Edit(
        "wording for an item the instrument lacks",
        "instrument: warmth-competence ",
        "instrument: warmth-competence\n    wording: {warmm: Kind-hearted} ",
        "timeline[4].wording.warmm",
        ("'warmm' is not an item of warmth-competence", "did you mean 'warm'?"),
        "warmm:",
    ),
    Edit(
        "instrument step with scores that are not a mapping",
        "instrument: warmth-competence ",
        "instrument: warmth-competence\n    scores: [warmth] ",
        "timeline[4].scores",
        ("should be a mapping",),
        "scores: [warmth]",
    ),
    Edit(
        "instrument whose wording the protocol must give",
        "instrument: warmth-competence ",
        "instrument: care ",
        "timeline[4].instrument",
        ("wording of care is not shipped", "under `wording:`", "at_ease"),
    ),
    # --- times and pauses ------------------------------------------------------------------------------
    Edit(
        "`at` with a mark not set earlier",
        "at: [t0+3min,",
        "at: [t1+3min,",
        "timeline[6].at[0]",
        ("mark 't1' is not set by an earlier step", "marks: start, t0", "mark: t1"),
    ),
    Edit(
        "`at` with a mark set only later",
        BASELINE_SCALE,
        BASELINE_SCALE.replace("\n\n", "\n    at: t0+1min\n\n"),
        "timeline[1].at[0]",
        ("mark 't0' is not set by an earlier step", "timeline[5] sets it, later"),
        "at: t0+1min",
    ),
    Edit(
        "malformed `at`: t0+3minutes",
        "t0+9min,",
        "t0+9minutes,",
        "timeline[6].at[1]",
        ("'t0+9minutes' is not a scheduled time", "(s, sec, min, h, d or w)", "e.g. t0+3min"),
    ),
    Edit(
        "malformed `at`: 3min without a mark",
        "t0+9min,",
        "9min,",
        "timeline[6].at[1]",
        ("'9min' is not a scheduled time", "a mark, a plus and a number with its unit (s, sec, min, h, d or w)"),
    ),
    Edit(
        "malformed `at`: months are no unit",
        "t0+9min,",
        "t0+2mo,",
        "timeline[6].at[1]",
        ("'t0+2mo' is not a scheduled time", "(s, sec, min, h, d or w)", "t0+21d"),
    ),
    Edit(
        "`at` with a mark mistyped: to for t0",
        "at: [t0+3min,",
        "at: [to+3min,",
        "timeline[6].at[0]",
        ("mark 'to' is not set by an earlier step", "did you mean 't0'?", "marks: start, t0"),
    ),
    Edit(
        "pause until: duration without duration",
        "until: experimenter",
        "until: duration",
        "timeline[5].until",
        ("needs `duration`", "e.g. duration: 2min"),
    ),
    Edit(
        "pause with a duration that is not one",
        "until: experimenter",
        "until: duration\n    duration: 2 minutes",
        "timeline[5].duration",
        ("'2 minutes' is not a duration", "e.g. 30s, 3min"),
        "duration: 2 minutes",
    ),
    # --- stimuli ---------------------------------------------------------------------------------------
    Edit(
        "missing stimulus file",
        "source: debrief.md",
        "source: debriefing.md",
        "timeline[7].source",
        ("'debriefing.md' not found", "stimuli folder"),
    ),
    Edit(
        "speaker using an undefined variable",
        'speaker: "{{ clinician }}"',
        'speaker: "{{ clinicain }}"',
        "timeline[2].speaker",
        ("'clinicain' is undefined", "did you mean 'clinician'?", "warm/high"),
    ),
    # --- design and allocation -------------------------------------------------------------------------
    Edit(
        "factor with one level",
        "levels: [high, low]",
        "levels: [high]",
        "factors.competence.levels",
        ("at least two levels", "only 'high'", "e.g. levels: [warm, neutral]"),
    ),
    Edit(
        "factor with a level twice",
        "levels: [high, low]",
        "levels: [high, high]",
        "factors.competence.levels[1]",
        ("'high' appears twice",),
    ),
    Edit(
        "block size not a multiple of the cells",
        "block_sizes: [4, 8]",
        "block_sizes: [4, 6]",
        "allocation.block_sizes[1]",
        ("block size 6", "not a multiple of the 4 cells", "e.g. 4 or 8"),
    ),
    Edit(
        "strata naming a missing intake field",
        "strata: [sex]",
        "strata: [gender]",
        "allocation.strata[0]",
        ("'gender' is not an intake field", "sex, age, name"),
    ),
    Edit(
        "strata naming a non-choice field",
        "strata: [sex]",
        "strata: [age]",
        "allocation.strata[0]",
        ("'age' is an integer field", "choice"),
    ),
    Edit(
        "choice field without choices",
        "label: Sex, choices: [female, male, diverse]}",
        "label: Sex}",
        "intake[0]",
        ("needs `choices`", "e.g. choices:"),
        "{id: sex",
    ),
    Edit(  # checking the example against no choices was an internal error (TypeError), found by mypy
        "choice field without choices, with an example",
        "label: Sex, choices: [female, male, diverse]}",
        "label: Sex, example: female}",
        "intake[0]",
        ("needs `choices`", "e.g. choices:"),
        "{id: sex",
    ),
    # --- analysis plan ---------------------------------------------------------------------------------
    Edit(
        "analysis outcome that is not a measure",
        "primary: {outcome: itch_post,",
        "primary: {outcome: itch_postt,",
        "analysis.primary.outcome",
        ("'itch_postt' is not a measure", "did you mean 'itch_post'?", "expectancy.expectancy"),
        "primary: {",
    ),
    Edit(
        "analysis outcome at an occasion that does not exist",
        "primary: {outcome: itch_post,",
        "primary: {outcome: itch_post@t0+4min,",
        "analysis.primary.outcome",
        ("no occasion 't0+4min'", "t0+3min, t0+9min, t0+15min"),
        "primary: {",
    ),
    Edit(
        "analysis between naming an unknown factor",
        "baseline: itch_baseline, between: [warmth, competence]",
        "baseline: itch_baseline, between: [warmth, competance]",
        "analysis.primary.between[1]",
        ("'competance' is not a factor", "did you mean 'competence'?"),
        "baseline: itch_baseline",
    ),
    Edit(
        "manipulation check naming an unknown factor",
        "factor: competence}",
        "factor: competense}",
        "analysis.manipulation_checks[1].factor",
        ("'competense' is not a factor", "did you mean 'competence'?"),
    ),
    Edit(
        "manipulation check naming an unknown measure",
        "{measure: check.warmth,",
        "{measure: check.warmness,",
        "analysis.manipulation_checks[0].measure",
        ("'check.warmness' is not a measure", "check.warmth"),
    ),
    # --- YAML ------------------------------------------------------------------------------------------
    Edit(
        "YAML: bad indentation",
        ITCH_POST_PROMPT,
        "  " + ITCH_POST_PROMPT,
        None,
        ("YAML syntax", "indentation"),
        "      prompt:",
    ),
    Edit(
        "YAML: a tab in the indentation",
        "  target_n: 160",
        "\ttarget_n: 160",
        None,
        ("YAML syntax", "spaces, not tabs"),
    ),
    Edit(
        "YAML: duplicate key",
        "title: Clinician",
        "version: 2.0.0\ntitle: Clinician",
        None,
        ("key `version` appears twice", "first on line 5", "keep one"),
    ),
    Edit(
        "YAML: unclosed flow list",
        "strata: [sex]",
        "strata: [sex",
        None,
        ("YAML syntax", "`[` opened here is not closed", "close it with `]`", "was expected before line"),
    ),
]


@pytest.mark.parametrize("edit", EDITS, ids=[e.id for e in EDITS])
def test_each_mistake_is_one_located_message(tmp_path, edit):
    protocol = copy_flagship(tmp_path)
    line = edit.apply(protocol)
    problems = problems_of(protocol)

    assert_reported(problems, protocol, line, edit.path, edit.words)
    assert len(problems) == 1, "one mistake, one message:\n" + "\n".join(map(str, problems))
    for jargon in JARGON:
        assert jargon not in str(problems[0]), f"pydantic's voice leaks through: {problems[0]}"
    assert problems[0].column is not None and problems[0].column >= 1


def test_the_suite_covers_at_least_twenty_kinds_of_mistake():
    assert len({e.id for e in EDITS}) == len(EDITS) >= 20


# --- stimulus templates (the copy of clinician.md.j2 is edited) ------------------------------------------


def _template_case(tmp_path, old, new):
    protocol = copy_flagship(tmp_path)
    template = tmp_path / "stimuli" / "warmth-competence-itch" / CLINICIAN
    edited = replace_once(template, old, new)
    source_line = line_of(protocol.read_text(), f"source: {CLINICIAN}")
    return protocol, problems_of(protocol), line_of(edited, new), source_line


def test_template_using_an_undefined_variable(tmp_path):
    protocol, problems, template_line, source_line = _template_case(tmp_path, "Hi {{ name }},", "Hi {{ nmae }},")
    problem = assert_reported(
        problems,
        protocol,
        source_line,
        "timeline[2].source",
        (
            "'clinician.md.j2'",
            f"line {template_line}",
            "'nmae' is undefined",
            "did you mean 'name'?",
            "available variables",
            "warmth, competence",
        ),
    )
    assert "cell warm/high" in problem.message  # the only cells that greet by name
    assert len(problems) == 1


def test_template_used_only_in_some_cells_names_the_first_failing_cell(tmp_path):
    protocol, problems, template_line, source_line = _template_case(
        tmp_path, "Any questions can be directed to the experimenter.", "Ask {{ experimenter }}."
    )
    assert_reported(
        problems,
        protocol,
        source_line,
        "timeline[2].source",
        ("cell neutral/high", f"line {template_line}", "'experimenter' is undefined"),
    )


def test_template_syntax_error(tmp_path):
    protocol, problems, template_line, source_line = _template_case(
        tmp_path, "{{ shared_handover }}", "{{ shared_handover }"
    )
    assert_reported(
        problems,
        protocol,
        source_line,
        "timeline[2].source",
        ("template syntax error", "'clinician.md.j2'", f"line {template_line}"),
    )
    assert len(problems) == 1


# --- files that are not a protocol at all --------------------------------------------------------------

WHOLE_FILES = [
    ("empty", b"", 1, ("is empty", "protocol: NAME")),
    ("only blank lines", b"\n  \n\n", 1, ("is empty",)),
    ("binary (NUL bytes)", b"protocol: x\n\x00\x01\x02\xff", 2, ("binary file",)),
    (
        "non-UTF-8 text",
        "protocol: x\nversion: 1\ntitle: Müller\n".encode("latin-1"),
        3,
        ("not UTF-8", "0xfc", "save it as UTF-8"),
    ),
    (
        "a YAML list, not a mapping",
        b"# a list\n- protocol: x\n- version: 1\n",
        2,
        ("holds a list", "mapping", "protocol: NAME"),
    ),
    ("a lone word", b"warmth-competence-itch\n", 1, ("holds only 'warmth-competence-itch'", "mapping")),
]


@pytest.mark.parametrize(("raw", "line", "words"), [case[1:] for case in WHOLE_FILES], ids=[c[0] for c in WHOLE_FILES])
def test_a_file_that_is_not_a_protocol(tmp_path, raw, line, words):
    protocol = copy_flagship(tmp_path)
    protocol.write_bytes(raw)
    problems = problems_of(protocol)
    assert len(problems) == 1
    assert_reported(problems, protocol, line, None, words)


def test_non_utf8_column_points_at_the_byte(tmp_path):
    protocol = copy_flagship(tmp_path)
    protocol.write_bytes("title: Müller\n".encode("latin-1"))
    (problem,) = problems_of(protocol)
    assert (problem.line, problem.column) == (1, len("title: M") + 1)


def test_a_missing_file_is_one_sentence(tmp_path):
    with pytest.raises(ProtocolError) as caught:
        load_protocol(tmp_path / "nope.yaml")
    assert str(caught.value).count("\n") == 0
    assert "nope.yaml" in str(caught.value) and "no such file" in str(caught.value)


# --- every problem, not only the first -----------------------------------------------------------------


def _edit_all(tmp_path, edits):
    protocol = copy_flagship(tmp_path)
    for old, new in edits:
        replace_once(protocol, old, new)
    return protocol, protocol.read_text()


def test_three_independent_mistakes_are_all_reported_in_file_order(tmp_path):
    protocol, text = _edit_all(
        tmp_path,
        [
            ("factor: competence}", "factor: competense}"),
            ("block_sizes: [4, 8]", "block_sizes: [4, 6]"),
            ("source: debrief.md", "source: debriefing.md"),
        ],
    )
    problems = problems_of(protocol)
    assert len(problems) == 3, "\n".join(map(str, problems))
    assert_reported(problems, protocol, line_of(text, "[4, 6]"), "allocation.block_sizes[1]", ("block size 6",))
    assert_reported(problems, protocol, line_of(text, "debriefing.md"), "timeline[7].source", ("not found",))
    assert_reported(
        problems,
        protocol,
        line_of(text, "competense"),
        "analysis.manipulation_checks[1].factor",
        ("'competense' is not a factor",),
    )
    assert [p.line for p in problems] == sorted(p.line for p in problems)


def test_three_structural_mistakes_are_all_reported(tmp_path):
    protocol, text = _edit_all(
        tmp_path,
        [
            ("title: Clinician", "titel: Clinician"),
            (BASELINE_SCALE, BASELINE_SCALE.replace("nrs-0-100", "nrs-0-1000")),
            ("until: experimenter", "until: later"),
        ],
    )
    problems = problems_of(protocol)
    assert len(problems) == 3, "\n".join(map(str, problems))
    assert_reported(problems, protocol, line_of(text, "titel:"), "titel", ("did you mean `title`?",))
    assert_reported(problems, protocol, line_of(text, "nrs-0-1000"), "timeline[1].scale", ("unknown scale",))
    assert_reported(
        problems,
        protocol,
        line_of(text, "until: later"),
        "timeline[5].until",
        ("'later' is not allowed", "experimenter, duration"),
    )
    assert [p.line for p in problems] == sorted(p.line for p in problems)


def test_a_template_mistake_is_reported_alongside_other_problems(tmp_path):
    protocol, text = _edit_all(tmp_path, [("strata: [sex]", "strata: [gender]")])
    template = tmp_path / "stimuli" / "warmth-competence-itch" / CLINICIAN
    replace_once(template, "Hi {{ name }},", "Hi {{ nmae }},")
    problems = problems_of(protocol)
    assert len(problems) == 2, "\n".join(map(str, problems))
    assert_reported(problems, protocol, line_of(text, "[gender]"), "allocation.strata[0]", ("'gender'",))
    assert_reported(problems, protocol, line_of(text, f"source: {CLINICIAN}"), "timeline[2].source", ("'nmae'",))


def test_problem_str_is_file_line_column_path_message(tmp_path):
    protocol, text = _edit_all(tmp_path, [("block_sizes: [4, 8]", "block_sizes: [4, 6]")])
    (problem,) = problems_of(protocol)
    line = line_of(text, "[4, 6]")
    column = text.splitlines()[line - 1].index("6") + 1
    assert str(problem) == (
        f"{protocol}:{line}:{column}: allocation.block_sizes[1]: "
        "block size 6 is not a multiple of the 4 cells; use e.g. 4 or 8"
    )
