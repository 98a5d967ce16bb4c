"""Timeline step types. Each is declared once, in its own module (see ``components/base.py`` for what a
declaration holds); ``STEP_TYPES`` is the registry derived from them, and ``Step`` the union the
protocol's timeline holds, chosen by ``type``. To add a step type, add its class to ``DECLARED``."""

from typing import TYPE_CHECKING, Annotated, Union, get_args

from pydantic import Field

from placebolab.components.base import (
    Datum,
    Item,
    Measure,
    ScheduledTime,
    StepBase,
    StepInfo,
    Template,
    measure_name,
    parse_duration,
)
from placebolab.components.consent import ConsentStep
from placebolab.components.media import AudioStep, ImageStep, MediaInfo, MediaShown, MediaStep, VideoStep
from placebolab.components.pause import PauseStep
from placebolab.components.questionnaire import QuestionnaireStep
from placebolab.components.rating import RatingStep
from placebolab.components.scales import PRESETS, Scale
from placebolab.components.text import ScriptStep, TextStep

#: every step type, in the order `placebolab validate` lists them
DECLARED: tuple[type[StepBase], ...] = (
    TextStep,
    ScriptStep,
    RatingStep,
    QuestionnaireStep,
    PauseStep,
    ImageStep,
    AudioStep,
    VideoStep,
    ConsentStep,
)


def type_name(step_class: type[StepBase]) -> str:
    """The ``type:`` a protocol writes for a step class: its ``type`` field's one literal value."""
    (name,) = get_args(step_class.model_fields["type"].annotation)
    return str(name)


#: ``type:`` → step class, the one registry of step types (the protocol, the validation and every
#: frontend's table of screens are checked against it)
STEP_TYPES: dict[str, type[StepBase]] = {type_name(cls): cls for cls in DECLARED}

if TYPE_CHECKING:  # a type checker sees the common base; pydantic, the union chosen by `type`
    Step = StepBase
else:
    Step = Annotated[Union[tuple(STEP_TYPES.values())], Field(discriminator="type")]  # noqa: UP007

__all__ = [
    "AudioStep",
    "ConsentStep",
    "DECLARED",
    "Datum",
    "ImageStep",
    "Item",
    "Measure",
    "MediaInfo",
    "MediaShown",
    "MediaStep",
    "VideoStep",
    "PRESETS",
    "PauseStep",
    "QuestionnaireStep",
    "RatingStep",
    "STEP_TYPES",
    "Scale",
    "ScheduledTime",
    "ScriptStep",
    "Step",
    "StepBase",
    "StepInfo",
    "Template",
    "TextStep",
    "measure_name",
    "parse_duration",
    "type_name",
]
