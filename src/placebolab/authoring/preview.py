"""The preview: one self-contained HTML page with every cell's stimuli side by side, step by step.

What differs between cells is highlighted word by word (``difflib`` against every other cell), which is
the fidelity check researchers otherwise do by hand: the medical content must be the same in every
cell, and only the manipulated passages may differ. Scripts are rendered with the intake fields'
examples. Markdown becomes HTML with markdown-it-py with raw HTML escaped, and the page is rendered by
jinja2 with autoescaping, so nothing in a stimulus file can inject markup into the page.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from placebolab.components import ConsentStep, PauseStep, QuestionnaireStep, RatingStep
from placebolab.components.catalogue import catalogue
from placebolab.components.consent import text_sha256
from placebolab.protocol.models import Cell, Protocol

_TOKENS = re.compile(r"<[^>]*>|[^\s<]+|\s+")


@dataclass
class Row:
    """One step of the timeline: its timing, and what each cell sees (HTML), differences marked."""

    step_id: str
    kind: str
    title: str | None
    timing: list[str]
    shown: list[str | None]  # per cell: HTML, or None where the step is not shown to the cell
    differs: bool = False
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # template findings on this step (validate refuses them)
    flagged: list[bool] = field(default_factory=list)  # per cell: named by one of those findings


def preview_html(protocol: Protocol) -> str:
    """The preview page of ``protocol`` (already loaded, so its stimulus files are read and checked)."""
    import jinja2
    from markupsafe import Markup

    from placebolab.protocol.templates import template_findings

    intake = protocol.example_intake()
    cells = protocol.cells
    findings = template_findings(protocol)
    rows = []
    for index, step in enumerate(protocol.timeline):
        mine = [f for f in findings if f.index == index]
        named = {cell for f in mine for cell in f.cells}
        shown = [
            _step_html(protocol, step, cell, intake) if not step.cells or cell.id in step.cells else None
            for cell in cells
        ]
        marked, differs = mark_differences(shown)
        rows.append(
            Row(
                step.id,
                step.type,
                step.title,
                _timing(step),
                # markdown-it (raw HTML off) and escape() made every piece; only <mark> was added
                [None if h is None else Markup(h) for h in marked],  # noqa: S704
                differs,
                problems=[f.message for f in mine],
                flagged=[cell.id in named for cell in cells],
            )
        )
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("placebolab.authoring", "templates"), autoescape=True, keep_trailing_newline=True
    )
    return env.get_template("preview.html.j2").render(
        protocol=protocol,
        cells=cells,
        rows=rows,
        intake=intake,
        n_differing=sum(r.differs for r in rows),
        n_problems=len(findings),
    )


def mark_differences(versions: list[str | None]) -> tuple[list[str | None], bool]:
    """Each version of an HTML passage with the words that differ from at least one other version wrapped in
    ``<mark>``; and whether any differ. Tags are never marked, so the HTML stays well formed."""
    present = [v for v in versions if v is not None]
    if len(set(present)) <= 1:
        return versions, False
    tokens = [None if v is None else _TOKENS.findall(v) for v in versions]
    marked: list[str | None] = []
    for index, mine in enumerate(tokens):
        if mine is None:
            marked.append(None)
            continue
        differing: set[int] = set()
        for other_index, other in enumerate(tokens):
            if other is None or other_index == index or other == mine:
                continue
            matcher = difflib.SequenceMatcher(None, other, mine, autojunk=False)
            for tag, _, _, start, end in matcher.get_opcodes():
                if tag != "equal":
                    differing.update(range(start, end))
        marked.append(
            "".join(
                f"<mark>{token}</mark>" if i in differing and not token.startswith("<") and token.strip() else token
                for i, token in enumerate(mine)
            )
        )
    return marked, True


def _markdown(text: str) -> str:
    from markdown_it import MarkdownIt

    # commonmark with html off: raw HTML in a stimulus shows as text instead of becoming markup
    return MarkdownIt("commonmark", {"html": False}).render(text)


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def _step_html(protocol: Protocol, step, cell: Cell, intake: dict) -> str:
    return SCREENS[step.type](protocol, step, cell, intake)


def _pages_html(protocol: Protocol, step, cell: Cell, intake: dict) -> str:
    context = protocol.template_context(cell, intake)
    pages = step.render(protocol.files, context)
    speaker = step.render_speaker(context)
    speaker_html = f'<p class="speaker">{_escape(speaker)}</p>\n' if speaker else ""
    return speaker_html + '<hr class="page">\n'.join(_markdown(page) for page in pages)


def _rating_html(protocol: Protocol, step: RatingStep, cell: Cell, intake: dict) -> str:
    check = _attention_note(step.attention_check)
    return f"<p>{_escape(step.prompt)}</p>\n{_scale_html(step.effective_scale)}{check}"


def _attention_note(check) -> str:
    return f'\n<p class="note">attention check: expects {check.expect:g}</p>' if check else ""


def _consent_html(protocol: Protocol, step: ConsentStep, cell: Cell, intake: dict) -> str:
    body = step.body(protocol.files)
    statements = "".join(f"<li>☐ {_escape(s.text)}</li>" for s in step.statements)
    say = catalogue(protocol.language)  # the buttons a participant sees: the protocol's, else its language's
    choices = f"agree: {step.agree or say('consent.agree')} · decline: {step.decline or say('consent.decline')}"
    return (
        _markdown(body.strip())
        + (f"<ul>{statements}</ul>" if statements else "")
        + f'\n<p class="note">{_escape(choices)}; declining ends the session; text sha256 {text_sha256(body)[:12]}</p>'
    )


def _pause_html(protocol: Protocol, step: PauseStep, cell: Cell, intake: dict) -> str:
    until = (
        f"for {step.duration}"
        if step.until == "duration"
        else f"until the experimenter presses {step.experimenter_key}"
    )
    return f'<p>{_escape(step.text)}</p>\n<p class="note">waits {_escape(until)}</p>'


def _media_html(protocol: Protocol, step, cell: Cell, intake: dict) -> str:
    info = protocol.media(step.id, cell.id)
    facts = [step.media_kind]
    if info.duration is not None:
        facts.append(f"{info.duration:.1f} s")
    if info.size:
        facts.append(f"{info.size[0]}x{info.size[1]} px")
    prompt = f"<p>{_escape(step.prompt)}</p>\n" if step.prompt else ""
    facts_text = _escape(", ".join(facts))
    return f'{prompt}<p class="media">{_escape(info.path)}</p>\n<p class="note">{facts_text}; sha256 {info.sha256[:12]}</p>'


def _questionnaire_html(protocol: Protocol, step: QuestionnaireStep, cell: Cell, intake: dict) -> str:
    parts = []
    if step.instrument:
        parts.append(f'<p class="note">instrument: {_escape(step.instrument)}</p>')
    if step.prompt:
        parts.append(f"<p>{_escape(step.prompt)}</p>")
    items = []
    for item in step.items:
        own = f" — {_scale_text(item.scale)}" if item.scale else ""
        reverse = " (reverse-keyed)" if item.reverse else ""
        check = f" (attention check: expects {item.attention_check.expect:g})" if item.attention_check else ""
        items.append(f"<li>{_escape(item.text)}{_escape(own + reverse + check)}</li>")
    parts.append("<ol>" + "".join(items) + "</ol>")
    if step.scale:
        parts.append(_scale_html(step.scale))
    for name, rule in step.scores.items():
        parts.append(
            f'<p class="note">score {_escape(name)}: {_escape(rule.method)} of {_escape(", ".join(rule.items))}</p>'
        )
    return "\n".join(parts)


def _scale_text(scale) -> str:
    if scale.type == "likert":
        text = " / ".join(f"{n} {label}" for n, label in enumerate(scale.labels, start=1))
    else:
        ends = f" ({scale.anchors[0]} … {scale.anchors[1]})" if scale.anchors else ""
        step = f", steps of {scale.step:g}" if scale.step not in (None, 1) else ""
        text = f"{scale.type.upper()} {scale.min:g}–{scale.max:g}{step}{ends}"
    return text + (f"; 0 = {scale.not_applicable}" if scale.not_applicable else "")


def _scale_html(scale) -> str:
    return f'<p class="scale">{_escape(_scale_text(scale))}</p>'


def _timing(step) -> list[str]:
    """When the step runs: its scheduled occasions, how long it lasts, the mark it sets, the cells it is for."""
    timing = [f"at {when.label}" for when in step.occasions if when is not None]
    if step.lasts():
        timing.append(step.lasts())
    if step.mark:
        timing.append(f"sets mark {step.mark} when it ends")
    if step.cells:
        timing.append(f"only for {', '.join(step.cells)}")
    return timing


#: how the preview shows each step type: ``html(protocol, step, cell, intake)`` for one cell's column
SCREENS = {
    "text": _pages_html,
    "script": _pages_html,
    "rating": _rating_html,
    "questionnaire": _questionnaire_html,
    "pause": _pause_html,
    "image": _media_html,
    "audio": _media_html,
    "video": _media_html,
    "consent": _consent_html,
}
