"""Timeline step types. ``Step`` is the union the protocol's timeline holds, chosen by ``type``."""

from typing import Annotated

from pydantic import Field

from placebolab.components.base import Item, ScheduledTime, StepBase, measure_name, parse_duration
from placebolab.components.media import MEDIA_STEPS, AudioStep, ImageStep, MediaInfo, MediaShown, VideoStep
from placebolab.components.pause import PauseStep
from placebolab.components.questionnaire import QuestionnaireStep
from placebolab.components.rating import RatingStep
from placebolab.components.scales import PRESETS, Scale
from placebolab.components.text import ScriptStep, TextStep

STEP_TYPES = {
    "text": TextStep,
    "script": ScriptStep,
    "rating": RatingStep,
    "questionnaire": QuestionnaireStep,
    "pause": PauseStep,
    "image": ImageStep,
    "audio": AudioStep,
    "video": VideoStep,
}

Step = Annotated[
    TextStep | ScriptStep | RatingStep | QuestionnaireStep | PauseStep | ImageStep | AudioStep | VideoStep,
    Field(discriminator="type"),
]

__all__ = [
    "AudioStep",
    "ImageStep",
    "Item",
    "MEDIA_STEPS",
    "MediaInfo",
    "MediaShown",
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
    "TextStep",
    "measure_name",
    "parse_duration",
]
