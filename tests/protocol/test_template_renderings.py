"""A rendering is handed out again for the same values of the variables its template names (a script renders
the same text for every participant of a cell, components/templating.py ``render_template``): never for
values that would render differently, never for a template whose output is not fixed by them, and never
for a rendering that failed: each participant whose values take a failing branch gets the error."""

from __future__ import annotations

import jinja2
import pytest

from placebolab.components.templating import render_template
from placebolab.errors import SessionError
from placebolab.session import Session, VirtualClock
from placebolab.study import Study

from .bad import CLINICIAN, copy_flagship, replace_once


def test_the_same_values_of_the_named_variables_give_the_kept_rendering():
    template = "{{ clinician }} greets {{ name }}."
    first = render_template(template, {"clinician": "Dr. Lee", "name": "Alex", "age": 30})
    again = render_template(template, {"clinician": "Dr. Lee", "name": "Alex", "age": 41})  # age: not named
    assert first == "Dr. Lee greets Alex." and again is first
    assert render_template(template, {"clinician": "Dr. Lee", "name": "Sam"}) == "Dr. Lee greets Sam."


@pytest.mark.parametrize(
    "values",
    [
        (1, 1.0, True),  # equal in Python, written differently
        (0.0, -0.0, 0),
        ([1, 2], (1, 2), {1: 2}),
        ({"a": 1}, {"a": 1.0}, {"a": True}),
        ([[0.0]], [[-0.0]], [[False]]),
    ],
)
def test_values_that_python_finds_equal_render_each_as_itself(values):
    for _ in range(2):
        assert [render_template("{{ x }}", {"x": x}) for x in values] == [str(x) for x in values]


def test_a_failing_branch_fails_for_every_participant_who_takes_it():
    template = "{% if name == 'Mallory' %}{{ no_such_variable }}{% else %}Hello {{ name }}{% endif %}"
    for name in ("Alex", "Mallory", "Alex", "Mallory"):
        if name == "Mallory":
            with pytest.raises(jinja2.UndefinedError, match="no_such_variable"):
                render_template(template, {"name": name})
        else:
            assert render_template(template, {"name": name}) == "Hello Alex"


def test_a_variable_named_like_a_jinja2_global_is_a_variable_like_any_other():
    assert [render_template("{{ range }}", {"range": r}) for r in ("a", "b", "a")] == ["a", "b", "a"]


@pytest.mark.parametrize("template", ["{{ range(1000) | random }}", "{{ [range(1000)] | map('random') | first }}"])
def test_a_template_that_draws_at_random_draws_again_at_every_rendering(template):
    assert len({render_template(template, {}) for _ in range(40)}) > 1


def test_a_value_whose_text_may_change_is_rendered_anew():
    class Counter:
        count = 0

        def __str__(self) -> str:
            self.count += 1
            return str(self.count)

    counter = Counter()
    assert [render_template("{{ x }}", {"x": counter}) for _ in range(2)] == ["1", "2"]


def test_a_session_whose_intake_takes_a_failing_branch_fails_after_others_rendered_the_script(tmp_path):
    protocol = copy_flagship(tmp_path)
    place = "{{ fact_where }}"  # a line of clinician.md.j2 every cell renders
    branch = '{% if name == "Mallory" %}{{ cell.no_such_attribute }}{% endif %}'
    replace_once(tmp_path / "stimuli" / "warmth-competence-itch" / CLINICIAN, place, f"{place}\n{branch}")
    study = Study.init(protocol, tmp_path / "study", seed=1)
    clock = VirtualClock()
    shown, alex = {}, 0
    for number, name in enumerate(["Alex", "Mallory"] * 6):  # 6 Alex in 4 cells: one cell twice at least
        session = Session.start(study, f"P{number:03d}", {"sex": "female", "age": "30", "name": name}, "test", clock)
        for _ in ("welcome", "itch_baseline"):
            current = session.current()
            session.submit(current.key, {i.id: i.min for i in current.occurrence.items if i.kind != "ack"}, clock.now())
        if name == "Mallory":
            with pytest.raises(SessionError, match="step 'clinician' cannot be shown.*no_such_attribute"):
                session.current()
        else:
            pages = session.current().pages
            assert shown.setdefault(session.participant.cell, pages) == pages
            alex += 1
    assert alex == 6 > len(shown)  # a cell's script came from an earlier participant's rendering
    study.close()
