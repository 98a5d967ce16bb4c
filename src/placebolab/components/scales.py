"""Response scales: numeric rating scales (NRS), visual analogue scales (VAS) and labelled Likert scales."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from placebolab.components.base import Item, Model, PlacedValueError, ShownText
from placebolab.errors import InternalError

ScaleType = Literal["nrs", "vas", "likert"]
# How the analysis treats an answer (docs/tables.md, "measurement"): a mean of continuous answers, the
# categories of ordinal ones (proportional odds, never an ANOVA on their codes), yes/no as an event.
Measurement = Literal["continuous", "ordinal", "binary"]

NOT_APPLICABLE_CODE = 0.0  # what a "does not apply" answer is stored as; every scale offering it starts above 0


class Scale(Model):
    """A response scale. NRS: whole numbers min..max; VAS: continuous; Likert: one value per label, 1..k."""

    type: ScaleType
    if TYPE_CHECKING:  # a validated scale always has its range (``_fill_in``); 0.0 stands for the None default
        min: float = 0.0
        max: float = 0.0
    else:
        min: float | None = None
        max: float | None = None
    step: float | None = Field(None, description="Resolution; NRS defaults to 1, VAS is continuous.")
    anchors: list[ShownText] | None = Field(None, description="Labels of the two ends, e.g. [no itch, worst itch].")
    labels: list[ShownText] | None = Field(None, description="Likert: one label per point, lowest first.")
    not_applicable: ShownText | None = Field(
        None,
        description="Label of a 'does not apply' answer (e.g. the CARE measure's); stored as 0, scored as missing.",
    )
    measurement: Measurement | None = Field(
        None,
        description="How an outcome on this scale is analysed: continuous (ANOVA; default for NRS and VAS), ordinal "
        "(ordered categories: proportional-odds model; default for a Likert scale of 3 or more points) or binary "
        "(exactly two points, e.g. no/yes: percentages, chi-squared or Fisher, logistic regression; default for "
        "a two-point scale). The event of a binary scale is its higher point (its last label).",
    )

    @model_validator(mode="after")
    def _complete(self) -> Scale:
        self._fill_in()
        self._measurement()
        if self.not_applicable is not None and self.min <= NOT_APPLICABLE_CODE:
            raise PlacedValueError(
                f"a scale offering '{self.not_applicable}' must start above 0 (0 stores that answer); "
                f"it starts at {self.min:g}",
                "not_applicable",
            )
        return self

    def _fill_in(self) -> None:
        if self.type == "likert":
            if not self.labels or len(self.labels) < 2:
                raise PlacedValueError(
                    "a likert scale needs labels, one per point, e.g. labels: [disagree, neutral, agree]",
                    *(("labels",) if self.labels is not None else ()),
                )
            object.__setattr__(self, "min", 1.0)
            object.__setattr__(self, "max", float(len(self.labels)))
            object.__setattr__(self, "step", 1.0)
            return
        if self.min is None or self.max is None:
            raise ValueError(f"a {self.type} scale needs min and max, e.g. {{type: {self.type}, min: 0, max: 100}}")
        if self.min >= self.max:
            raise PlacedValueError(f"min ({self.min:g}) must be below max ({self.max:g})", "min")
        if self.type == "nrs" and self.step is None:
            object.__setattr__(self, "step", 1.0)
        if self.anchors is not None and len(self.anchors) != 2:
            raise PlacedValueError(anchors_problem(self.anchors, "[none, worst]"), "anchors")

    @property
    def points(self) -> int | None:
        """How many answers the scale offers (None for a VAS, which is continuous)."""
        if self.type == "vas":
            return None
        if self.step is None:
            raise InternalError("an NRS or Likert scale has its step (_fill_in)")
        return int(round((self.max - self.min) / self.step)) + 1

    def _measurement(self) -> None:
        points = self.points
        if self.measurement is None:
            default = "binary" if points == 2 else "ordinal" if self.type == "likert" else "continuous"
            object.__setattr__(self, "measurement", default)
        elif self.measurement == "binary" and points != 2:
            offers = "a continuous range" if points is None else f"{points} points"
            raise PlacedValueError(
                f"a binary scale offers exactly two answers (e.g. the preset yes-no); this one offers {offers}",
                "measurement",
            )
        elif self.measurement == "ordinal" and points is None:
            raise PlacedValueError(
                "a VAS is continuous, so it cannot be ordinal; use an nrs or likert scale for ordered categories",
                "measurement",
            )

    @property
    def na_code(self) -> float | None:
        """The stored value of a "does not apply" answer, or None when the scale does not offer one."""
        return NOT_APPLICABLE_CODE if self.not_applicable is not None else None

    def describe(self) -> str:
        """The scale in one line, as a researcher reads it: ``'NRS 1–9, step 1: 1 = not at all … 9 = very much;
        analysed as continuous'``."""
        kind = {"nrs": "NRS", "vas": "VAS", "likert": f"{len(self.labels or [])}-point Likert"}[self.type]
        grain = "continuous" if self.type == "vas" else f"step {self.step:g}"
        text = f"{kind} {self.min:g}–{self.max:g}" + (f", {grain}" if self.type != "likert" else "")
        if self.labels:
            text += ": " + ", ".join(f"{value} = {label}" for value, label in enumerate(self.labels, start=1))
        elif self.anchors:
            text += f": {self.min:g} = {self.anchors[0]} … {self.max:g} = {self.anchors[1]}"
        if self.not_applicable is not None:
            text += f"; {NOT_APPLICABLE_CODE:g} = {self.not_applicable} (scored as missing)"
        return f"{text}; analysed as {self.measurement}"

    def with_anchors(self, anchors: list[str] | None) -> Scale:
        return self if anchors is None else self.model_copy(update={"anchors": anchors})


PRESETS: dict[str, Scale] = {
    "nrs-0-10": Scale(type="nrs", min=0, max=10),
    "nrs-0-100": Scale(type="nrs", min=0, max=100),
    "vas-0-100": Scale(type="vas", min=0, max=100),
    "likert-5": Scale(
        type="likert",
        labels=["strongly disagree", "disagree", "neither agree nor disagree", "agree", "strongly agree"],
    ),
    "likert-7": Scale(
        type="likert",
        labels=[
            "strongly disagree",
            "disagree",
            "somewhat disagree",
            "neither agree nor disagree",
            "somewhat agree",
            "agree",
            "strongly agree",
        ],
    ),
    # Adequate relief (Mangel et al. 1998), as asked weekly in IBS trials: stored 1 = no, 2 = yes.
    "yes-no": Scale(type="likert", labels=["no", "yes"], measurement="binary"),
    # The IBS Global Improvement Scale (Gordon et al. 2003; Kaptchuk et al. 2008, BMJ 336:999): symptoms
    # compared with before the study, 1 = substantially worse … 4 = no change … 7 = substantially improved.
    "global-improvement-7": Scale(
        type="likert",
        labels=[
            "substantially worse",
            "moderately worse",
            "slightly worse",
            "no change",
            "slightly improved",
            "moderately improved",
            "substantially improved",
        ],
        measurement="ordinal",
    ),
}


def anchors_problem(anchors: list[str], example: str) -> str:
    """Why ``anchors`` (not two) are refused; for more than two, the labels as read and why a comma split one."""
    problem = f"anchors label the two ends of the scale: give exactly two, e.g. {example}"
    if len(anchors) < 3:
        return problem
    read = " | ".join(anchors)
    return (
        f"{problem}; read {len(anchors)}: {read} — a comma inside [ ] starts a new label, so put a label "
        'holding a comma in quotes, e.g. [none, "worst, unbearable"]'
    )


def resolve_scale(value: Any) -> Any:
    """A preset name becomes its Scale; anything else is validated as an inline scale."""
    if isinstance(value, str):
        if value not in PRESETS:
            raise ValueError(
                f"unknown scale '{value}'; use one of {', '.join(PRESETS)} "
                "or describe it, e.g. {type: nrs, min: 0, max: 100, anchors: [none, worst]}"
            )
        return PRESETS[value]
    return value


# What a `scale:` key accepts, for the JSON Schema: a preset's name or a scale written out.
ScaleOrPreset: Any = Literal[tuple(PRESETS)] | Scale | None


def not_applicable_label(item: Item, scale: Scale) -> str | None:
    """The label of the "does not apply" answer a question offers: its scale names one and its item stores it
    (``na_code``, which the engine then accepts); None when it offers none. Every frontend asks this."""
    return scale.not_applicable if item.na_code is not None else None
