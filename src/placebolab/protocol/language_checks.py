"""Texts placebolab ships in English that a protocol in another language would show its participants as they
are: a bank instrument's items, prompt and scale labels, and the labels of a preset scale (``likert-7``, …).
``validate`` warns where they stand (the protocol stays valid: a study may mean to ask in English)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from placebolab.components import StepBase
from placebolab.components.catalogue import DEFAULT_LANGUAGE
from placebolab.components.scales import PRESETS, Scale
from placebolab.document.problems import Problem
from placebolab.instruments import Instrument, bank

if TYPE_CHECKING:
    from placebolab.protocol.models import Protocol
    from placebolab.protocol.schedule import Locate

#: how many of the English texts a warning quotes
QUOTED = 3


def english_texts(protocol: Protocol, locate: Locate) -> list[Problem]:
    """A warning per step that would show shipped English texts in a protocol of another ``language``."""
    if protocol.language == DEFAULT_LANGUAGE:
        return []
    warnings = []
    for index, step in enumerate(protocol.timeline):
        instrument = _bank_instrument(protocol, step)
        shown = _instrument_texts(step, instrument) if instrument else []
        shown += [label for scale in _scales(step) if _shipped(scale, instrument) for label in _labels(scale)]
        if not shown:
            continue
        texts = list(dict.fromkeys(shown))
        quoted = ", ".join(f"'{text}'" for text in texts[:QUOTED]) + (" …" if len(texts) > QUOTED else "")
        name = getattr(step, "instrument", None) if instrument else None
        where = "instrument" if name else "scale"
        warnings.append(locate(("timeline", index, where), _message(protocol.language, name, quoted)))
    return warnings


def _message(language: str, instrument: str | None, quoted: str) -> str:
    if instrument is None:
        return (
            f"this preset scale's labels are English ({quoted}), and the protocol's language is {language}: its "
            f"participants would read them as they are; write the scale out with labels in {language}, "
            "e.g. {type: likert, labels: [...]}"
        )
    return (
        f"instrument {instrument} is the bank's, in English ({quoted}), and the protocol's language is "
        f"{language}: its participants would read it as it is; give its texts in {language} (items under "
        "`wording:`, labels under `scale:`, the question under `prompt:`) or define it under the protocol's "
        "`instruments:`"
    )


def _bank_instrument(protocol: Protocol, step: StepBase) -> Instrument | None:
    name = getattr(step, "instrument", None)
    if name is None or name in (protocol.instruments or {}):
        return None
    return bank().get(name)


def _instrument_texts(step: StepBase, instrument: Instrument) -> list[str]:
    """The instrument's own item texts and question the step shows as the bank wrote them."""
    items, prompt = getattr(step, "items", None) or [], getattr(step, "prompt", None)
    texts = [i.text for i, b in zip(items, instrument.items, strict=False) if i.text == b.text]
    return ([prompt] if prompt and prompt == instrument.prompt else []) + texts


def _scales(step: StepBase) -> list[Scale]:
    scales = [getattr(step, "scale", None)]
    scales += [item.scale for item in getattr(step, "items", None) or []]
    return [scale for scale in scales if isinstance(scale, Scale)]


def _shipped(scale: Scale, instrument: Instrument | None) -> bool:
    """Whether a scale with labels is one placebolab ships: a preset, or the bank instrument's own."""
    if not _labels(scale):
        return False
    theirs = [instrument.scale, *(item.scale for item in instrument.items)] if instrument else []
    return any(scale == shipped for shipped in [*PRESETS.values(), *theirs] if shipped is not None)


def _labels(scale: Scale) -> list[str]:
    return [*(scale.labels or scale.anchors or [])]
