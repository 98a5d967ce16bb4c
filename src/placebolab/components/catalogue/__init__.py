"""What every frontend says to a participant besides the protocol's own texts (buttons, "please wait",
waiting and quit screens, error messages), in each language a protocol may choose with ``language:``.

One YAML file per language beside this module (``en.yaml``, ``de.yaml``), each mapping the same keys to a
text; a text may hold ``{placeholders}`` (with a format spec, ``{low:g}``), the same in every language
(tests/frontends/test_catalogue.py checks both). Frontends look a text up through a :class:`Catalogue`:
``say = catalogue(protocol.language); say("continue")``. What the experimenter reads (the command line,
the intake dialog, validation messages) stays English and is not here.

A ValueError a participant may read (an answer off the scale, an intake value out of range) is raised as
a :class:`WordedError`: its ``str()`` is the English text, and a frontend shows it in the protocol's
language with ``say.problem(exc)``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal, get_args

from placebolab.errors import InternalError

#: the languages of the catalogue (one file each); a protocol's ``language:`` is one of them
Language = Literal["en", "de"]
LANGUAGES: tuple[str, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "en"


@dataclass(frozen=True)
class Words:
    """A text of the catalogue not yet put into a language: its key and the values of its placeholders
    (a value may itself be Words, put into the same language)."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)


class WordedError(ValueError):
    """A ValueError a participant may read: ``str()`` is its English text, ``words`` what a frontend shows
    in the protocol's language (``Catalogue.problem``)."""

    def __init__(self, key: str, /, **values: object):
        self.words = Words(key, values)
        super().__init__(catalogue(DEFAULT_LANGUAGE).words(self.words))


class Catalogue:
    """The texts of one language; calling it looks one up: ``say("wait.comes_at", next=…, time=…)``."""

    def __init__(self, language: str, texts: Mapping[str, str]):
        self.language = language
        self.texts = dict(texts)

    def __call__(self, key: str, /, **values: object) -> str:
        try:
            text = self.texts[key]
        except KeyError:
            raise InternalError(f"no text '{key}' in the {self.language} catalogue") from None
        resolved = {name: self.words(v) if isinstance(v, Words) else v for name, v in values.items()}
        try:
            return text.format(**resolved)
        except (KeyError, IndexError, ValueError) as exc:
            raise InternalError(
                f"text '{key}' ({self.language}) cannot be filled in from {sorted(values)}: {exc}"
            ) from exc

    def words(self, words: Words) -> str:
        return self(words.key, **words.values)

    def problem(self, exc: Exception) -> str:
        """What a participant reads of ``exc``: a WordedError in this language, any other its own text."""
        return self.words(exc.words) if isinstance(exc, WordedError) else str(exc)


@cache
def catalogue(language: str = DEFAULT_LANGUAGE) -> Catalogue:
    """The catalogue of ``language`` (one of LANGUAGES; a protocol's ``language:`` was validated as one)."""
    if language not in LANGUAGES:
        raise InternalError(f"no catalogue for language '{language}'; there are {', '.join(LANGUAGES)}")
    return Catalogue(language, read_texts(language))


def read_texts(language: str) -> dict[str, str]:
    """The key → text mapping of ``<language>.yaml`` (every value a string, else InternalError)."""
    from ruamel.yaml import YAML

    source = resources.files(__name__).joinpath(f"{language}.yaml").read_text(encoding="utf-8")
    data = YAML(typ="safe", pure=True).load(source)
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise InternalError(f"the {language} catalogue must map each key to a text")
    return data


def placeholders(text: str) -> set[str]:
    """The names of the ``{placeholders}`` in ``text`` (``{low:g}`` → ``low``)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def shipped_languages() -> list[str]:
    """The languages with a file beside this module (a test checks they are LANGUAGES)."""
    return sorted(e.name.removesuffix(".yaml") for e in resources.files(__name__).iterdir() if e.name.endswith(".yaml"))
