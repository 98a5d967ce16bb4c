"""Step pages rendered once for everyone who sees them: a page's fixed part kept, each visit's values put in.

A step's page is its template rendered with a context. Most of that context is the step's as shown in a cell (the
screen's questions or pages, the title, the key), the same for every participant who sees it; a few values are the
visit's own (``VISIT``: the link's token, the onset, the form token signing them, a text's next-page link, the media
file's name signed for the participant, the consent form's address). ``KeptPages`` renders a page once with a
marker in place of each visit value, splits it at the markers, and serves every visit by joining the parts with
that visit's values, escaped as the template escapes them.

Why every participant gets the very bytes that rendering the page would give them:

- the key is everything else the template is given (``_key``): two visits with the same key differ only in their
  visit values. A kept screen's context (``fixed_screen``: a questionnaire's questions, made once per step) is
  keyed by the screen itself (the key holds it, so its id is never another's; it never changes), every other value
  by its type and content (a script's pages differ by cell and intake, a text's shown page by the page asked for);
- the templates only print a visit value, escaped (``{{ token }}``, also as part of ``'/s/' ~ token ~ '/step'``),
  or test whether it is there. A marker is letters and digits, which escaping leaves alone, and it is true, as is
  every visit value (a page with an empty one is rendered whole); escaping is per character, so the escaped value
  where the marker stands is what escaping the page rendered with the value gives;
- a marker holds a random nonce made when the server starts, so no protocol's text holds one. Each page is rendered
  with two sets of markers (two nonces of two lengths): unless it is the same text around them (not so if a template
  cut, measured or changed a value before printing it), it is refused, never served.

Pages shown again with an error and what was given, and countdowns, are rendered whole (the app does not ask).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from jinja2 import Environment
from markupsafe import escape

from placebolab.errors import InternalError

#: the values of a step's page that are the visit's own, not the step's (each stands in a kept page as a marker)
VISIT = ("token", "onset", "csrf", "next_page", "media_url", "action")
#: how many pages a server keeps (a protocol shows far fewer: its steps' pages, a script's per cell and intake)
SIZE = 256


class KeptPages:
    """``render(template, context, kept)``: the page, its fixed part rendered once per key (at most ``size`` kept,
    the oldest forgotten first; 0: every page rendered whole)."""

    def __init__(self, templates: Environment, size: int = SIZE):
        self.templates, self.size = templates, size
        self._nonces = (secrets.token_hex(16), secrets.token_hex(20))  # two lengths: a value's length is no constant
        self._kept: dict[tuple, list[str]] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def render(self, template: str, context: dict[str, Any], kept: Any = None) -> str:
        """``template`` rendered with ``context``; ``kept``: the screen that gave the context its fixed values when
        the server keeps it (``fixed_screen``), which then stands for them in the key."""
        if self.size <= 0 or not all(context[name] for name in VISIT if name in context):
            return self.whole(template, context)
        key = _key(template, context, kept)
        parts = self._kept.get(key)
        if parts is None:
            parts = self._parts(template, context)
            if len(self._kept) >= self.size:
                del self._kept[next(iter(self._kept))]
            self._kept[key] = parts
        pieces = parts.copy()
        pieces[1::2] = [str(escape(context[name])) for name in parts[1::2]]
        return "".join(pieces)

    def whole(self, template: str, context: dict[str, Any]) -> str:
        return self.templates.get_template(template).render(**context)

    def _parts(self, template: str, context: dict[str, Any]) -> list[str]:
        """The page rendered with markers for the visit's values, split at them: text, a visit value's name, text, …"""
        split = [self._marked(template, context, nonce) for nonce in self._nonces]
        if split[0] != split[1]:
            raise InternalError(f"{template} changes a visit's value before printing it: its pages cannot be kept")
        parts = split[0]
        parts[1::2] = [VISIT[int(index)] for index in parts[1::2]]
        return parts

    def _marked(self, template: str, context: dict[str, Any], nonce: str) -> list[str]:
        """The page with each visit value's marker (``nonce`` and its index in ``VISIT``), split at the markers."""
        markers = {name: f"{nonce}{index:02d}" for index, name in enumerate(VISIT) if name in context}
        return re.split(nonce + r"(\d\d)", self.whole(template, context | markers))


class _Same:
    """A part of a key equal only to a key holding the same object (a kept screen: no value of its own)."""

    __slots__ = ("thing",)

    def __init__(self, thing: Any):
        self.thing = thing

    def __hash__(self) -> int:
        return id(self.thing)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.thing is self.thing


_ABSENT = object()


def _key(template: str, context: dict[str, Any], kept: Any) -> tuple:
    """All the page depends on but the visit values' own (only whether each is there): the template, the context's
    other values by content, and those of the kept screen by the screen's identity."""
    kept_values = kept.context if kept is not None else {}
    items: list[Any] = []
    for name, value in context.items():
        if name in VISIT:
            items.append(name)
        elif kept_values.get(name, _ABSENT) is not value:
            items.append((name, _content(value)))
    return (template, _Same(kept), tuple(items))


def _content(value: Any) -> Any:
    """``value`` as part of a key: its type with it (a str and its Markup are equal, but printed differently), lists
    and dicts as tuples. A value that cannot be a key (no screen gives one) fails the lookup: never keyed on less."""
    if isinstance(value, list | tuple):
        return (type(value), tuple(_content(v) for v in value))
    if isinstance(value, dict):
        return (dict, tuple((k, _content(v)) for k, v in value.items()))
    return (type(value), value)
