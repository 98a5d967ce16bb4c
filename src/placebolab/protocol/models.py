"""The protocol file as typed models. Structure only; cross-references are checked in ``checks.py``."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from placebolab.components import MediaInfo, Step
from placebolab.components.base import ID_PATTERN, Model, PlacedValueError, ShownText, parse_duration
from placebolab.components.catalogue import DEFAULT_LANGUAGE, Language, WordedError, Words
from placebolab.document.problems import DocPath, Problem
from placebolab.instruments import Instrument, expand_step
from placebolab.protocol.occurrences import Occurrence, plan

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"


class DataQuality(Model):
    """Flags the export adds for judging data quality (docs/tables.md); they flag, they never exclude anyone."""

    min_seconds_per_item: float = Field(
        1.0,
        ge=0,
        description="A step with answers is flagged too_fast when answered in less than this many seconds per "
        "item, onset to answer (online: the server's onset to its receipt of the form); 0: never flagged.",
    )


class Factor(Model):
    levels: list[str] = Field(description="The factor's levels, e.g. [warm, neutral].")
    description: str | None = None

    @field_validator("levels")
    @classmethod
    def _distinct(cls, levels: list[str]) -> list[str]:
        if len(levels) < 2:
            given = f"only '{levels[0]}'" if levels else "none"
            raise ValueError(
                f"a factor needs at least two levels (given: {given}), e.g. levels: [warm, neutral]; "
                "a condition outside the factorial is an arm (see `arms`)"
            )
        for index, level in enumerate(levels):
            if level in levels[:index]:
                raise PlacedValueError(f"level '{level}' appears twice; levels must be distinct", index)
            if "/" in level:
                raise PlacedValueError(f"level '{level}' contains '/', which separates levels in cell names", index)
        return levels


class Arm(Model):
    """A condition outside the factorial, e.g. a no-treatment control."""

    description: str | None = None
    levels: dict[str, str] = Field(
        default_factory=dict, description="Factor levels its stimuli use, if any (e.g. warmth: neutral)."
    )


class Allocation(Model):
    scheme: Literal["complete", "permuted-blocks", "minimization"] = "permuted-blocks"
    block_sizes: list[int] | None = Field(None, description="Block sizes drawn at random; multiples of the cells.")
    strata: list[str] = Field(
        default_factory=list, description="Intake fields (choices) to stratify by; with minimization, to balance."
    )
    target_n: int = Field(ge=1, description="Planned number of participants.")
    seed: int | None = Field(None, description="Seed of the list; recorded at init when not given.")
    ratio: dict[str, int] | None = Field(
        None, description="Allocation ratio per cell id, e.g. {warm/high: 2}; cells not named get 1."
    )
    weights: dict[str, float] | None = Field(None, description="Minimization: weight per stratum field (default 1).")
    imbalance: Literal["range", "variance"] | None = Field(None, description="Minimization: imbalance measure.")
    p_preferred: float | None = Field(
        None, gt=0, le=1, description="Minimization: probability of the arm that minimises imbalance (default 0.8)."
    )

    def ratio_of(self, cell_id: str) -> int:
        return (self.ratio or {}).get(cell_id, 1)


class IntakeField(Model):
    id: str = Field(pattern=ID_PATTERN)
    type: Literal["choice", "integer", "number", "text"]
    label: ShownText | None = Field(
        None, description="The question asked: by the experimenter in the lab, on the start page online."
    )
    choices: list[ShownText] | None = None
    min: float | None = None
    max: float | None = None
    identifying: bool = Field(False, description="Personal data (a name): used in the session, never exported.")
    example: str | None = Field(None, description="Value used when previewing and validating templates.")

    def check(self, raw: object) -> str | int | float:
        """The value as stored, or a WordedError (a ValueError) with a sentence saying what would be right, in
        the catalogue's words (a participant may read it: the online start page)."""
        text = str(raw).strip()
        if self.type == "choice":
            choices = self.choices or []  # validation refuses a choice field without choices (checks.py)
            if text not in choices:
                raise WordedError("intake.not_one_of", value=text, choices=", ".join(choices))
            return text
        if self.type == "text":
            if not text:
                raise WordedError("intake.needed")
            return text
        try:
            value = int(text) if self.type == "integer" else float(text)
        except ValueError:
            raise WordedError(
                "intake.not_whole_number" if self.type == "integer" else "answer.not_a_number", value=text
            ) from None
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            raise WordedError("intake.outside", value=text, range=_range_words(self.min, self.max))
        return value

    def example_value(self) -> str | int | float:
        if self.example is not None:
            return self.check(self.example)
        if self.type == "choice":  # no choices: TypeError or IndexError, taken as reported (checks._intake)
            return self.choices[0]  # type: ignore[index]
        if self.type == "text":
            return "Alex"
        low = self.min if self.min is not None else 0
        # the lowest value allowed, typed as a participant would (an integer field's min is read as a float: 18.0)
        return self.check(str(math.ceil(low)) if self.type == "integer" else str(low))


def _range_words(low: float | None, high: float | None) -> Words:
    if low is not None and high is not None:
        return Words("range.between", {"low": low, "high": high})
    return Words("range.at_least", {"low": low}) if low is not None else Words("range.at_most", {"high": high})


class Equivalence(Model):
    """The smallest effect of interest of an equivalence test (TOST, analysis/equivalence.py)."""

    bound: float = Field(gt=0, description="Differences within ±bound count as no meaningful difference.")
    units: Literal["raw", "d"] = Field(
        "raw", description="raw: the outcome's own units; d: Cohen's d (the pooled within-cell SD)."
    )
    alpha: float = Field(0.05, gt=0, lt=0.5, description="Level of each one-sided test (the CI is 1 − 2·alpha).")


class Outcome(Model):
    outcome: str = Field(description="A measure: a rating id, questionnaire.score or questionnaire.item.")
    baseline: str | None = Field(
        None,
        description="The same measure before the manipulation: the outcome is adjusted for it (ANCOVA); the "
        "primary outcome's change from baseline is analysed too when both are rated on the same scale.",
    )
    between: list[str] | None = Field(None, description="Factors to analyse (default: all).")
    equivalence: Equivalence | None = Field(
        None, description="Test each two-level factor for equivalence (TOST) against this smallest effect of interest."
    )
    bayes_factor: bool = Field(
        False,
        description="Report the JZS Bayes factor (Cauchy prior r = √2/2, JASP's default) of each two-level factor.",
    )


class ManipulationCheck(Model):
    measure: str
    factor: str


class SimpleEffect(Model):
    effect: str = Field(description="The factor whose effect is tested at each level of `by`.")
    by: list[str] = Field(min_length=1, description="The factor(s) at whose levels it is tested.")


class Mediation(Model):
    x: str = Field(description="The manipulated factor (or a measure) whose effect is carried.")
    m: str = Field(description="The mediator: a measure, e.g. expectancy.expectancy.")
    y: str = Field(description="The outcome measure.")
    covariates: list[str] = Field(default_factory=list, description="Factors or measures adjusted for.")
    moderator: str | None = Field(None, description="A factor moderating the x → m path (moderated mediation).")


class Contrast(Model):
    """Planned comparisons of one outcome, adjusted together (protocol/comparisons.py resolves the names)."""

    compare: list[str] = Field(
        min_length=1,
        description="Comparisons 'a - b' of two levels of one factor (marginal means), or of two cells or arms "
        "(e.g. augmented - waitlist: every cell and arm in one model).",
    )
    outcome: str | None = Field(None, description="The plan's primary outcome (default) or a secondary one.")
    padjust: Literal["holm", "bonferroni", "none"] = Field("holm", description="Adjustment over this entry's list.")


class PostHoc(Model):
    """Post-hoc tests of a main effect with more than two levels, or interaction contrasts of two factors."""

    effect: str = Field(
        description="A factor with three or more levels; 'a * b' for interaction contrasts; or 'cell' for every "
        "cell and arm in one model (e.g. each against a no-treatment arm with padjust: dunnett)."
    )
    outcome: str | None = Field(None, description="The plan's primary outcome (default) or a secondary one.")
    padjust: Literal["holm", "tukey", "dunnett", "bonferroni", "none"] = Field(
        "holm", description="tukey: all pairs (studentized range); dunnett: each level against `control`."
    )
    control: str | None = Field(None, description="Compare each level with this one (Dunnett, or Holm).")


class TimeCoursePlan(Model):
    """How the mixed model of the time course is specified (issue 12 item 3)."""

    random_slope: bool = Field(False, description="Add a random slope for time (the occasion's position).")
    ddf: Literal["satterthwaite", "kenward-roger"] = Field(
        "satterthwaite", description="Denominator df of the mixed model's F tests and means, as lmerTest."
    )


class Hypothesis(Model):
    """A preregistered hypothesis and the one test of the plan that decides it (protocol/hypotheses.py)."""

    id: str = Field(pattern=ID_PATTERN, description="A short name, e.g. H1.")
    text: str = Field(min_length=1, description="The hypothesis in words, as the preregistration states it.")
    test: str = Field(
        description="The test that decides it: a factor of the outcome's model (its main effect), 'a * b' (the "
        "interaction), or a comparison 'a - b' listed under `contrasts:` for the outcome."
    )
    outcome: str | None = Field(None, description="The plan's primary outcome (default) or a secondary one.")


class AnalysisPlan(Model):
    primary: Outcome
    secondary: list[Outcome] = Field(default_factory=list)
    manipulation_checks: list[ManipulationCheck] = Field(default_factory=list)
    simple_effects: list[SimpleEffect] = Field(default_factory=list)
    mediation: list[Mediation] = Field(default_factory=list)
    contrasts: list[Contrast] = Field(default_factory=list)
    post_hoc: list[PostHoc] = Field(default_factory=list)
    hypotheses: list[Hypothesis] = Field(
        default_factory=list, description="The hypotheses `placebolab prereg` registers, each with its deciding test."
    )
    ss_type: Literal[1, 2, 3] = 3
    time_course: TimeCoursePlan = Field(default_factory=TimeCoursePlan)
    adjust_for_strata: bool = Field(
        False,
        description="Add the allocation's strata (stratification or minimization factors) to the primary "
        "analysis as covariates, as EMA guidance on adjustment for baseline covariates asks.",
    )


@dataclass(frozen=True)
class Cell:
    """One condition: a combination of factor levels, or an arm outside the factorial."""

    id: str
    levels: dict[str, str] = field(default_factory=dict)
    arm: bool = False


class Protocol(Model):
    protocol: str = Field(pattern=NAME_PATTERN, description="Short name, e.g. warmth-competence-itch.")
    version: str
    title: str
    description: str | None = None
    stimuli: str | None = Field(
        None,
        description="Folder of the stimulus files, relative to this file (default: its folder): this folder, one "
        "in it or one beside it (e.g. ../stimuli/NAME). Nothing outside it is read.",
    )
    language: Language = Field(
        DEFAULT_LANGUAGE,
        description="The language of what every frontend adds around the protocol's own texts (buttons, 'please "
        "wait', waiting and error messages): en (default) or de. The protocol's texts, scale labels and "
        "instruments are shown as written (`validate` warns where a bank instrument or a preset scale would show "
        "its English texts).",
    )
    variables: dict[str, ShownText] = Field(
        default_factory=dict, description="Constants for templates, inserted as written (not templates themselves)."
    )
    factors: dict[str, Factor] = Field(min_length=1)
    arms: dict[str, Arm] = Field(default_factory=dict)
    allocation: Allocation
    intake: list[IntakeField] = Field(default_factory=list)
    instruments: dict[str, str | Instrument] = Field(
        default_factory=dict,
        description="The protocol's own instruments, named by questionnaire steps like bank ones "
        "(`instrument: my-scale`): each inline, or the path of a YAML file in the stimuli folder.",
    )
    timeline: list[Step] = Field(min_length=1)
    schedule_tolerance: str = Field(
        "60s",
        description="How late a scheduled occasion (`at:`) may be shown before the report flags it, e.g. 30s "
        "or 2min (default 60s). Every occasion's lateness is recorded as late_s; see docs/schedule.md.",
    )
    data_quality: DataQuality = Field(
        default_factory=DataQuality, description="Data-quality flags in the export (too_fast); none excludes anyone."
    )
    analysis: AnalysisPlan | None = None

    # Filled by the loader: stimulus files' text (path → text), and where the protocol came from.
    _files: dict[str, str] = PrivateAttr(default_factory=dict)
    # media files checked at load: (step id, cell id) → MediaInfo
    _media: dict[tuple[str, str], MediaInfo] = PrivateAttr(default_factory=dict)
    # what the loader found doubtful but not wrong (schedule.py, plan_checks.py): Problems that do not fail validation
    _warnings: list[Problem] = PrivateAttr(default_factory=list)
    # where a path of the document stands in its file (set by the loader): (path, message) → Problem
    _locator: Callable[[DocPath, str], Problem] | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _announce_instruments(cls, data: Any, info: ValidationInfo) -> Any:
        """Let steps know which instruments the protocol defines before those are validated (a broken one
        is then reported once, where it is defined, rather than again as unknown at every step using it),
        and how a questionnaire step's ``instrument`` is filled in."""
        if isinstance(info.context, dict):
            info.context.setdefault("expand_instrument", expand_step)
        if isinstance(info.context, dict) and isinstance(data, dict) and isinstance(data.get("instruments"), dict):
            info.context["instruments"] = dict.fromkeys(data["instruments"])
        return data

    @field_validator("instruments")
    @classmethod
    def _instruments_for_steps(
        cls, instruments: dict[str, str | Instrument], info: ValidationInfo
    ) -> dict[str, str | Instrument]:
        """Steps are validated after this field: hand them the definitions (a file's was read by the loader)."""
        if isinstance(info.context, dict):
            files = info.context.get("instrument_files", {})
            info.context["instruments"] = {
                name: files.get(value) if isinstance(value, str) else value for name, value in instruments.items()
            }
        return instruments

    @field_validator("schedule_tolerance")
    @classmethod
    def _tolerance_parses(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def tolerance_seconds(self) -> float:
        return parse_duration(self.schedule_tolerance)

    @property
    def warnings(self) -> list[Problem]:
        """Problems that do not make the protocol invalid (a schedule it cannot keep, a change from baseline of
        two scales the analysis will not compute), each located."""
        return self._warnings

    def locate(self, path: DocPath, message: str) -> Problem:
        """A problem at ``path`` of the protocol (``("timeline", 4, "type")``), with its file and line."""
        if self._locator is None:  # a protocol not read from a file
            return Problem(f"protocol {self.protocol}", None, None, tuple(path), message)
        return self._locator(path, message)

    @property
    def files(self) -> dict[str, str]:
        return self._files

    def media(self, step_id: str, cell_id: str) -> MediaInfo:
        """The checked media file (``MediaInfo``) a media step shows to a cell."""
        return self._media[(step_id, cell_id)]

    @cached_property
    def cells(self) -> tuple[Cell, ...]:
        """The factors' crossed levels, then the arms; made once (every session asks for its cell)."""
        names = list(self.factors)
        crossed = [
            Cell("/".join(combo), dict(zip(names, combo, strict=True)))
            for combo in itertools.product(*(f.levels for f in self.factors.values()))
        ]
        return (*crossed, *(Cell(name, dict(arm.levels), arm=True) for name, arm in self.arms.items()))

    @cached_property
    def plans(self) -> dict[str, tuple[Occurrence, ...]]:
        """Each cell's plan (``protocol.occurrences.plan``), computed once, not per participant: it depends
        only on the fields, and a protocol is frozen (pydantic keeps a cached property out of its fields;
        ``model_copy(update=…)`` would carry it over stale: a changed protocol is loaded anew, never copied so)."""
        return {cell.id: tuple(plan(self, cell.id)) for cell in self.cells}

    @cached_property
    def decline_keys(self) -> frozenset[str]:
        """The keys of every occurrence, in any cell's plan, of a step whose answer may end the session (a
        consent declined: ``may_decline``): a session reads their stored answers when it opens."""
        return frozenset(o.key for plan in self.plans.values() for o in plan if o.step.may_decline)

    def cell(self, cell_id: str) -> Cell:
        for cell in self.cells:
            if cell.id == cell_id:
                return cell
        raise KeyError(cell_id)

    def step(self, step_id: str) -> Step:
        return next(step for step in self.timeline if step.id == step_id)

    def intake_field(self, field_id: str) -> IntakeField:
        return next(f for f in self.intake if f.id == field_id)

    def template_context(self, cell: Cell, intake: Mapping[str, Any]) -> dict[str, Any]:
        """Variables a script sees: the protocol's constants, the intake, the cell's factor levels."""
        levels = {name: cell.levels.get(name) for name in self.factors}
        return {**self.variables, **intake, **levels, "cell": cell.id, "arm": cell.id if cell.arm else None}

    def example_intake(self) -> dict[str, Any]:
        return {f.id: f.example_value() for f in self.intake}
