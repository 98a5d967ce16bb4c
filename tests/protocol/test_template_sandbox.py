"""A protocol's templates are untrusted code: the known jinja2 escapes are refused wherever a template
renders (validate, preview, a running session, a study reopened from its store), no command runs, and the
researcher gets a located sentence; a template that would render (or build) too much is refused too."""

from __future__ import annotations

import sqlite3
import time

import pytest
from click.testing import CliRunner

from placebolab.authoring.preview import preview_html
from placebolab.cli import main
from placebolab.components.templating import MAX_RENDERED, TemplateRefused, render_template
from placebolab.errors import ProtocolError, SessionError
from placebolab.protocol import load_protocol
from placebolab.session import Session, VirtualClock
from placebolab.study import Study

from .bad import CLINICIAN, copy_flagship, line_of, problems_of, replace_once

# Each escape, if it worked, would run CMD (which creates a file). None of them may.
ESCAPES = {
    "cycler globals": "{{ cycler.__init__.__globals__.os.popen('CMD').read() }}",
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__()[140].__init__.__globals__['popen']('CMD') }}",
    "self": "{{ self.__init__.__globals__.__builtins__.__import__('os').popen('CMD').read() }}",
    "lipsum globals": "{{ lipsum.__globals__['os'].popen('CMD').read() }}",
    "joiner globals": "{{ joiner.__init__.__globals__.os.popen('CMD').read() }}",
    "namespace globals": "{{ namespace.__init__.__globals__.os.popen('CMD').read() }}",
    "item access": "{{ cycler['__init__']['__globals__']['os'].popen('CMD').read() }}",
    "attr filter": "{{ (cycler|attr('__init__')|attr('__globals__'))['os'].popen('CMD').read() }}",
    "format string": "{{ '{0.__init__.__globals__[os]}'.format(cycler) }}",
}
# Escapes whose attribute names are computed while rendering: only the sandbox itself can stop them.
COMPUTED = {
    "computed attr": "{{ (cycler|attr('__in' ~ 'it__')|attr('__glo' ~ 'bals__'))['os'].popen('CMD').read() }}",
    "computed format string": "{{ ('{0.__in' ~ 'it__.__globals__[os]}').format(cycler) }}",
    "computed map attribute": "{{ [cycler]|map(attribute='__in' ~ 'it__')|list }}",
}
ALL = ESCAPES | COMPUTED
PLACE = "{{ fact_where }}"  # a line of clinician.md.j2 every cell renders


def _escape(template: str, marker) -> str:
    return template.replace("CMD", f"touch {marker}")


def _with_escape(tmp_path, escape: str, only_for: str | None = None):
    """The flagship copy with ``escape`` written into clinician.md.j2 (inside ``{% if only_for %}`` if given);
    the protocol, the template's text and the file the escape would create."""
    protocol = copy_flagship(tmp_path)
    marker = tmp_path / "escaped"
    inserted = _escape(escape, marker)
    if only_for:
        inserted = f"{{% if {only_for} %}}{inserted}{{% endif %}}"
    edited = replace_once(tmp_path / "stimuli" / "warmth-competence-itch" / CLINICIAN, PLACE, f"{PLACE}\n{inserted}")
    return protocol, edited, marker


@pytest.mark.parametrize("escape", list(ALL.values()), ids=list(ALL))
def test_render_refuses_every_escape(tmp_path, escape):
    marker = tmp_path / "escaped"
    with pytest.raises(TemplateRefused, match="the template tries to reach '_"):
        render_template(_escape(escape, marker), {"name": "Alex"})
    assert not marker.exists()


@pytest.mark.parametrize("escape", list(ALL.values()), ids=list(ALL))
def test_validate_refuses_every_escape_with_the_templates_line(tmp_path, escape):
    protocol, edited, marker = _with_escape(tmp_path, escape)
    (problem,) = problems_of(protocol)
    assert problem.line == line_of(protocol.read_text(), f"source: {CLINICIAN}")
    assert f"'{CLINICIAN}', line {line_of(edited, PLACE) + 1}: the template tries to reach '_" in problem.message
    assert "which templates may not" in problem.message
    assert not marker.exists()


@pytest.mark.parametrize("escape", list(ESCAPES.values()), ids=list(ESCAPES))
def test_an_escape_in_a_branch_no_example_takes_is_refused_all_the_same(tmp_path, escape):
    protocol, edited, marker = _with_escape(tmp_path, escape, only_for='name == "Mallory"')
    (problem,) = problems_of(protocol)
    assert f"line {line_of(edited, PLACE) + 1}: the template tries to reach" in problem.message
    assert not marker.exists()


def test_validate_and_preview_commands_refuse_it_in_one_line_each(tmp_path):
    protocol, _, marker = _with_escape(tmp_path, ESCAPES["cycler globals"])
    page = tmp_path / "page.html"
    for args in (["validate", str(protocol)], ["preview", str(protocol), "--out", str(page)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 3, result.output
        assert "tries to reach '__globals__'" in result.output and "Traceback" not in result.output
    assert not page.exists() and not marker.exists()


def test_preview_renders_sandboxed(tmp_path):
    protocol = load_protocol(copy_flagship(tmp_path))
    marker = tmp_path / "escaped"
    protocol.files[CLINICIAN] = _escape(COMPUTED["computed attr"], marker)  # as if it had slipped past validate
    with pytest.raises(TemplateRefused, match="tries to reach '__init__'"):
        preview_html(protocol)
    assert not marker.exists()


def test_a_running_session_refuses_an_escape_only_its_participant_reaches(tmp_path):
    """Validation renders with the example intake; a branch only a participant's answer takes is refused
    when the engine renders it: a clean SessionError, nothing shown, nothing stored for the step."""
    protocol, _, marker = _with_escape(tmp_path, COMPUTED["computed attr"], only_for='name == "Mallory"')
    study = Study.init(protocol, tmp_path / "study", seed=1)
    clock = VirtualClock()
    session = Session.start(study, "P001", {"sex": "female", "age": "30", "name": "Mallory"}, "test", clock)
    for _ in ("welcome", "itch_baseline"):
        current = session.current()
        session.submit(current.key, {i.id: i.min for i in current.occurrence.items if i.kind != "ack"}, clock.now())
    with pytest.raises(SessionError, match="step 'clinician' cannot be shown.*tries to reach '__init__'"):
        session.current()
    assert "clinician" not in study.store.completed_steps("P001")
    assert not marker.exists()
    study.close()


def test_a_template_tampered_with_in_the_store_is_refused_when_the_study_is_reopened(tmp_path):
    protocol = copy_flagship(tmp_path)
    Study.init(protocol, tmp_path / "study", seed=1).close()
    marker = tmp_path / "escaped"
    with sqlite3.connect(tmp_path / "study" / "study.db") as db:
        (path, content) = db.execute("SELECT path, content FROM files WHERE path LIKE '%clinician.md.j2'").fetchone()
        tampered = content.decode().replace(PLACE, f"{PLACE}\n{_escape(ESCAPES['cycler globals'], marker)}")
        db.execute("UPDATE files SET content = ? WHERE path = ?", (tampered.encode(), path))
    db.close()
    with pytest.raises(ProtocolError, match="tries to reach '__globals__'"):
        Study.open(tmp_path / "study")  # what run --resume, export and analyze do first
    assert not marker.exists()


# --- size ------------------------------------------------------------------------------------------------

BOMBS = {
    "string times a billion": "{{ 'x' * 10**9 }}",
    "a billion times a string": "{{ 10**9 * 'x' }}",
    "list times a billion": "{{ [1, 2] * 10**9 }}",
    "huge power": "{{ 10 ** (10**8) }}",
    "range of a billion": "{% for i in range(10**9) %}x{% endfor %}",
    "nested loops": "{% for i in range(100000) %}{% for j in range(100000) %}xy{% endfor %}{% endfor %}",
    "center method": "{{ 'x'.center(10**9) }}",
    "center filter": "{{ 'x'|center(10**9) }}",
    "indent filter": "{{ 'x'|indent(10**9) }}",
    "percent width": "{{ '%999999999d' % 1 }}",
    "format width": "{{ '{:>999999999}'.format(1) }}",
    "format width argument": "{{ '{:{w}}'.format('x', w=10**9) }}",
    "doubling in a namespace": "{% set ns = namespace(s='x' * 1000) %}"
    "{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "captured block": "{% set big %}{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}{% endset %}{{ big|length }}",
    "macro output": "{% macro m() %}{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}{% endmacro %}{{ m()|length }}",
    "doubling with ~": "{% set a = 'x' * 100000 %}{% set a = a ~ a %}{% set a = a ~ a %}{{ a|length }}",
    "join filter": "{{ (['x' * 100000] * 3) | join }}",
    "join method": "{{ ''.join(['x' * 100000] * 3) }}",
    "replace into every gap": "{{ ('x' * 100000)|replace('', 'y' * 100000) }}",
}


@pytest.fixture
def little_memory():
    """At most 2 GB more address space while a bomb goes off: a guard that fails must not take the machine."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (used + 2 * 1024**3, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.mark.parametrize("bomb", list(BOMBS.values()), ids=list(BOMBS))
def test_a_template_that_would_render_or_build_too_much_is_refused_before_it_does(bomb, little_memory):
    started = time.monotonic()
    # "builds a value of N" / "renders more than": refused by a size check, not by running out of memory
    with pytest.raises(TemplateRefused, match=f"(builds a value of|renders more than) .*{MAX_RENDERED:,}"):
        render_template(bomb, {})
    assert time.monotonic() - started < 5


def test_validate_names_the_step_of_a_template_that_renders_too_much(tmp_path):
    protocol, edited, _ = _with_escape(tmp_path, "{{ 'itch ' * 10**9 }}")
    (problem,) = problems_of(protocol)
    assert f"'{CLINICIAN}', line {line_of(edited, PLACE) + 1}" in problem.message
    assert "5,000,000,000 characters" in problem.message and "the limit is 200,000" in problem.message
    assert problem.line == line_of(protocol.read_text(), f"source: {CLINICIAN}")


@pytest.mark.parametrize("other", ["{% include 'x.md' %}", "{% import 'os' as os %}", "{% extends '/etc/passwd' %}"])
def test_a_template_may_not_pull_in_another_file(other):
    with pytest.raises(TemplateRefused, match="may not include, import or extend another file") as caught:
        render_template(f"Hello\n{{% if false %}}{other}{{% endif %}}", {})
    assert caught.value.lineno == 2


def test_ordinary_templates_still_render():
    context = {"name": "Alex", "warmth": "warm", "n": 1200000}
    text = (
        "{% set ns = namespace(greeting='Hi') %}{% set ns.greeting = ns.greeting ~ ' ' ~ name %}"
        "{{ ns.greeting }}, {{ '{:,}'.format(n) }} {{ 'people' | upper }} {{ 'x' * 3 }}"
        "{% for i in range(3) %}{{ loop.index }}{% endfor %} {{ '%5.1f' % 2.25 }}"
        "{{ ' warm' if warmth == 'warm' }} {{ cycler('a', 'b').next() }}"
    )
    assert render_template(text, context) == "Hi Alex, 1,200,000 PEOPLE xxx123   2.2 warm a"


def test_a_media_file_name_is_rendered_sandboxed_too(tmp_path):
    from .test_templates import _copy_video

    protocol = _copy_video(tmp_path)
    text = replace_once(protocol, "vignette-{{ warmth }}", "vignette-{{ cycler.__init__.__globals__ }}-{{ warmth }}")
    (problem,) = problems_of(protocol)
    assert problem.line == line_of(text, 'source: "vignette')
    assert "the file name does not render" in problem.message
    assert "the template tries to reach '__globals__'" in problem.message


def test_a_running_session_explains_a_template_error_only_its_participant_reaches(tmp_path):
    """jinja2's own errors (here an undefined attribute in a branch the example intake does not take) are
    the same clean SessionError as a refused reach: nothing shown, nothing stored for the step."""
    protocol = copy_flagship(tmp_path)
    branch = '{% if name == "Mallory" %}{{ cell.no_such_attribute }}{% endif %}'
    replace_once(tmp_path / "stimuli" / "warmth-competence-itch" / CLINICIAN, PLACE, f"{PLACE}\n{branch}")
    study = Study.init(protocol, tmp_path / "study", seed=1)
    clock = VirtualClock()
    session = Session.start(study, "P001", {"sex": "female", "age": "30", "name": "Mallory"}, "test", clock)
    for _ in ("welcome", "itch_baseline"):
        current = session.current()
        session.submit(current.key, {i.id: i.min for i in current.occurrence.items if i.kind != "ack"}, clock.now())
    with pytest.raises(SessionError, match="step 'clinician' cannot be shown.*its template fails.*no_such_attribute"):
        session.current()
    assert "clinician" not in study.store.completed_steps("P001")
    study.close()
