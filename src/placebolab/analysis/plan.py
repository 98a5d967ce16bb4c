"""Run the analysis plan of an export folder into one typed, frozen :class:`AnalysisResult`.

Only statistics here; :mod:`placebolab.report` renders the result (HTML, terminal tables) and reads
nothing else.
"""

from __future__ import annotations

import json
import math
import re
import typing
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from placebolab.analysis import suite
from placebolab.analysis.anova import anova
from placebolab.analysis.assumptions import assumption_checks, permutation_anova, robust_anova
from placebolab.analysis.categorical import CategoricalResult, categorical_outcome, measurement_of
from placebolab.analysis.comparisons import ComparisonResult, run_comparisons
from placebolab.analysis.descriptives import cell_descriptives
from placebolab.analysis.effect_sizes import anova_effect_sizes
from placebolab.analysis.emmeans import estimated_marginal_means
from placebolab.analysis.exported import ExportedStudy, load_export
from placebolab.analysis.manipulation import manipulation_checks, manipulation_checks_by_cell
from placebolab.analysis.schedule import late_occasions
from placebolab.analysis.suite import MediationResult, TimeCourseResult
from placebolab.errors import AnalysisError

DEFAULT_SS_TYPE = 3
N_PERM = 4999  # Freedman–Lane permutations per effect when an assumption check fails


@dataclass(frozen=True)
class OutcomeResult:
    """The analysis of one outcome: its descriptives and ANOVA, or why it could not be run."""

    name: str
    label: str
    role: str  # "primary", "change from baseline" or "secondary"
    between: list[str]
    descriptives: pd.DataFrame | None = None
    anova: pd.DataFrame | None = None
    error: str | None = None
    derived_from: tuple[str, str] | None = field(default=None)  # (outcome, baseline) of a change score
    covariates: list[str] = field(default_factory=list)  # ANCOVA: e.g. the baseline of the primary outcome
    emmeans: pd.DataFrame | None = None  # adjusted (estimated marginal) cell means with CIs
    assumptions: pd.DataFrame | None = None
    robust: pd.DataFrame | None = None  # HC3 table, computed when an assumption check fails
    effect_sizes: pd.DataFrame | None = None  # partial eta² and omega² with noncentral-F CIs (effect_sizes.py)
    # Outcomes that are not continuous (analysis/categorical.py): the codebook's measurement decides.
    measurement: str = "continuous"  # continuous | binary | ordinal
    categories: dict | None = field(default=None)  # code → label of a binary or ordinal outcome
    categorical: CategoricalResult | None = None  # set instead of anova/emmeans for binary and ordinal
    # Evidence for "no difference" (analysis/equivalence.py), when the plan's outcome asks for it.
    equivalence_plan: dict | None = field(default=None)  # {bound, units, alpha}
    bayes_factor: bool = False
    equivalence: pd.DataFrame | None = None
    bayes_factors: pd.DataFrame | None = None
    evidence_error: str | None = None


@dataclass(frozen=True)
class AnalysisResult:
    """Every analysis of the codebook's plan on the analysed sample: what the report shows, and all it reads.

    ``header`` (dict: study, protocol, protocol_title, protocol_version, protocol_sha256,
    package_version, exported_at, n_rows, n_completed, n_incomplete, n_pilot, pilot_included,
    n_in_arms, n_analysed, n_simulated, all_simulated, n_withdrawn, n_excluded,
    n_allocated_in_error, ``corrected``: one dict per participant left out by a correction with
    participant, cell, disposition, reason, status, and ``corrected_reasons``: disposition →
    reason → count). ``cell_counts`` (``cell``, one column per factor, ``arm, n, n_incomplete,
    n_pilot, n_corrected``; ``n`` counts the analysed participants). ``outcomes``: the primary
    outcome, its change from baseline ``<outcome>_change`` = outcome − baseline when the plan names
    a baseline (not computed when the two are on different scales, :func:`change_scales`: its ``error``
    says why), then each secondary outcome; with a baseline the primary outcome's model (and a
    secondary outcome's, when it names one) is the ANCOVA adjusting for it. An outcome that cannot
    be analysed (say a cell without data) does not stop the others: its ``error`` holds the reason
    and its tables are None; the same holds for the other analyses and their ``*_error``.
    """

    study: ExportedStudy
    header: dict
    cell_counts: pd.DataFrame
    outcomes: tuple[OutcomeResult, ...]
    manipulation_checks: pd.DataFrame | None  # of :func:`manipulation_checks`, None without checks
    manipulation_checks_error: str | None
    manipulation_by_cell: pd.DataFrame | None  # each check within each level of the other factors
    simple_effects: pd.DataFrame | None  # the plan's, on the primary outcome; column ``at`` names the level
    simple_effects_error: str | None
    time_course: TimeCourseResult | None  # of the primary outcome over its occasions; None when unscheduled
    mediation: tuple[MediationResult, ...]  # one per plan entry
    ss_type: int
    data: pd.DataFrame  # the analysed rows
    consort: dict | None  # the export's consort.json; None for an export made before it existed
    late_occasions: dict | None  # of :func:`~placebolab.analysis.schedule.late_occasions`
    blinding_note: str | None = None  # why real data analysed with level names before unblinding is early
    comparisons: tuple[ComparisonResult, ...] = ()  # the plan's contrasts and post-hoc tests (comparisons.py)
    # CONSORT table 1: intake fields and baseline measures per cell (arms included), of
    # :func:`~placebolab.analysis.baseline.baseline_characteristics`; None when there is nothing to describe
    baseline: pd.DataFrame | None = None
    baseline_error: str | None = None
    strata_adjusted: tuple[str, ...] = ()  # the allocation's strata the primary analysis adjusts for (plan key)

    @property
    def primary(self) -> OutcomeResult:
        return self.outcomes[0]

    @property
    def primary_outcome(self) -> str:
        return self.primary.name

    @property
    def primary_descriptives(self) -> pd.DataFrame | None:
        return self.primary.descriptives

    @property
    def primary_anova(self) -> pd.DataFrame | None:
        return self.primary.anova

    def require_analysed(self, name) -> AnalysisResult:
        """This result, or an :class:`AnalysisError` saying why there is nothing to report."""
        if not self.header.get("n_analysed"):
            raise AnalysisError(
                f"nothing to analyse in {name}: {self.header.get('n_rows', 0)} participants enrolled, "
                f"{self.header.get('n_completed', 0)} completed (pilot sessions count only with --include-pilot); "
                "run or simulate participants first"
            )
        return self


def run_analyses(
    export_dir, ss_type: int | None = None, include_pilot: bool = False, blinding_note: str | None = None
) -> AnalysisResult:
    """Run every analysis of the codebook's analysis plan on the completed, included participants.

    Parameters
    ----------
    export_dir : str or pathlib.Path
        The export folder (``experiments/NAME/export``) holding ``wide.csv`` and ``codebook.json``.
    ss_type : {1, 2, 3}, optional
        Type of sums of squares; default the plan's ``analysis.ss_type``, else 3.
    include_pilot : bool
        Analyse sessions flagged ``pilot`` too. By default they are left out and counted, as the
        codebook says pilot sessions are not for the main analysis.
    blinding_note : str, optional
        A warning the report shows (e.g. real data analysed with level names before unblinding).

    Returns
    -------
    AnalysisResult

    Raises
    ------
    placebolab.errors.StoreError
        If the export folder or one of its files is missing.
    placebolab.errors.AnalysisError
        If the codebook has no analysis plan, ``wide.csv`` has no ``status`` column or its
        ``disposition`` column holds an unknown value.
    """
    study = load_export(export_dir)
    plan = analysis_plan(study)
    ss_type = ss_type if ss_type is not None else plan.get("ss_type", DEFAULT_SS_TYPE)
    data, header = analysed_sample(study, include_pilot)
    outcomes = tuple(_analyse(data, spec, ss_type) for spec in outcome_specs(study, plan, data))
    baseline, baseline_error = _baseline(study, plan, include_pilot)
    checks, checks_error = _manipulation(data, plan, study)
    simple, simple_error = suite.run_simple_effects(data, plan, outcomes[0], ss_type)
    participants = data["participant"] if "participant" in data else []
    return AnalysisResult(
        study=study,
        header=header,
        cell_counts=cell_counts(study, include_pilot),
        outcomes=outcomes,
        manipulation_checks=checks,
        manipulation_checks_error=checks_error,
        manipulation_by_cell=_manipulation_by_cell(data, plan, study),
        simple_effects=simple,
        simple_effects_error=simple_error,
        time_course=suite.run_time_course(study, data, plan, ss_type),
        mediation=tuple(suite.run_mediations(data, plan, study.factors)),
        ss_type=ss_type,
        data=data,
        consort=consort_flow(study.export_dir),
        late_occasions=late_occasions(study.export_dir, study.codebook, participants),
        blinding_note=blinding_note,
        comparisons=run_comparisons(plan, outcomes, data, sample_with_arms(study, include_pilot)),
        baseline=baseline,
        baseline_error=baseline_error,
        strata_adjusted=tuple(strata_covariates(study, plan)),
    )


def planned_analyses(codebook: dict) -> AnalysisResult:
    """The analyses the codebook's plan will run, none run: every outcome, check, comparison and mediation
    as :func:`run_analyses` sets it up, without data (empty tables, no sample).

    For texts written before there are data, a preregistration's analysis plan above all: they describe
    the analyses with the very code that describes them in the report (``report.html.methods_paragraph``).
    """
    from placebolab.analysis.comparisons import planned_comparisons

    columns = [c["name"] for c in codebook.get("columns") or [] if isinstance(c, dict) and c.get("name")]
    study = ExportedStudy(Path("."), pd.DataFrame(columns=columns), codebook)
    plan = analysis_plan(study)
    empty = study.wide.copy()
    outcomes = tuple(outcome_specs(study, plan, empty))
    course = None
    occasions = suite.occasion_columns(study, plan["primary"]["outcome"])
    if len(occasions) >= 2:
        between = list(plan["primary"].get("between") or study.factors)
        from placebolab.analysis.lmm import MixedModelResult

        options = plan.get("time_course") or {}
        model = MixedModelResult(
            pd.DataFrame(),
            pd.DataFrame(),
            float("nan"),
            pd.DataFrame(),
            str(options.get("ddf", "satterthwaite")),
            bool(options.get("random_slope")),
            0,
            0,
            float("nan"),
        )  # fmt: skip  (the model as the plan specifies it, not fitted)
        course = TimeCourseResult(plan["primary"]["outcome"], [o for o, _ in occasions], between, mixed_model=model)
    counts = pd.DataFrame(columns=["cell", *study.factors, "arm", "n", "n_incomplete", "n_pilot", "n_corrected"])
    return AnalysisResult(
        study=study,
        header={**{key: codebook.get(key) for key in _HEADER_KEYS}, "n_analysed": 0},
        cell_counts=counts,
        outcomes=outcomes,
        manipulation_checks=pd.DataFrame() if plan.get("manipulation_checks") else None,
        manipulation_checks_error=None,
        manipulation_by_cell=None,
        simple_effects=pd.DataFrame() if plan.get("simple_effects") else None,
        simple_effects_error=None,
        time_course=course,
        mediation=tuple(MediationResult(dict(spec)) for spec in plan.get("mediation") or []),
        ss_type=plan.get("ss_type", DEFAULT_SS_TYPE),
        data=empty,
        consort=None,
        late_occasions=None,
        comparisons=planned_comparisons(plan, outcomes),
        strata_adjusted=tuple(strata_covariates(study, plan)),
    )


def strata_covariates(study: ExportedStudy, plan: dict) -> list[str]:
    """The allocation's strata when the plan asks the primary analysis to adjust for them (else [])."""
    if not plan.get("adjust_for_strata"):
        return []
    return list((study.codebook.get("allocation") or {}).get("strata") or [])


def _baseline(study: ExportedStudy, plan: dict, include_pilot: bool) -> tuple[pd.DataFrame | None, str | None]:
    """Table 1 of the completed, included participants of every cell (arms too): intake and baselines."""
    from placebolab.analysis.baseline import baseline_characteristics

    entries = {c.get("name"): c for c in study.codebook.get("columns") or [] if isinstance(c, dict)}
    outcomes = [plan["primary"], *[s for s in plan.get("secondary") or [] if isinstance(s, dict)]]
    baselines = [o["baseline"] for o in outcomes if o.get("baseline")]
    intake = [name for name, entry in entries.items() if entry.get("kind") == "intake"]
    variables = [v for v in dict.fromkeys([*intake, *baselines]) if v in study.wide.columns]
    if not variables or "cell" not in study.wide.columns:
        return None, None
    completed, pilot, _, included = _masks(study)
    rows = study.wide.loc[(completed if include_pilot else completed & ~pilot) & included]
    order = [c.get("id") for c in study.codebook.get("cells") or [] if isinstance(c, dict)]
    present = [str(c) for c in pd.unique(rows["cell"].dropna())]
    rows = rows.assign(
        cell=pd.Categorical(rows["cell"], [c for c in order if c in present] + sorted(set(present) - set(order)))
    )
    labels = {v: study.label(v) for v in variables}
    levels = {v: entries[v]["levels"] for v in variables if entries.get(v, {}).get("levels")}
    try:
        return baseline_characteristics(rows, "cell", variables, labels, levels), None
    except AnalysisError as err:
        return None, str(err)


def consort_flow(export_dir) -> dict | None:
    """The export's ``consort.json`` (enrolled, allocated, followed up, analysed per cell), or None."""
    path = Path(export_dir) / "consort.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def primary_analysis(export_dir, ss_type: int | None = None, include_pilot: bool = False) -> OutcomeResult:
    """Descriptives and ANOVA of the primary outcome only; raises if they cannot be computed.

    Raises
    ------
    placebolab.errors.AnalysisError
        If the primary outcome cannot be analysed (the message names the column and the problem).
    """
    study = load_export(export_dir)
    plan = analysis_plan(study)
    ss_type = ss_type if ss_type is not None else plan.get("ss_type", DEFAULT_SS_TYPE)
    data, _ = analysed_sample(study, include_pilot)
    spec = outcome_specs(study, plan, data)[0]
    return _analyse(data, spec, ss_type, strict=True)


def manipulation_check_table(export_dir, include_pilot: bool = False) -> pd.DataFrame:
    """The manipulation checks of the analysis plan on the completed participants; raises on bad data."""
    study = load_export(export_dir)
    plan = analysis_plan(study)
    data, _ = analysed_sample(study, include_pilot)
    return manipulation_checks(data, plan.get("manipulation_checks") or [], study.factors)


def time_course_analysis(export_dir, ss_type: int | None = None, include_pilot: bool = False) -> TimeCourseResult:
    """The primary outcome over its scheduled occasions; raises if it has none or the analysis fails."""
    study = load_export(export_dir)
    plan = analysis_plan(study)
    data, _ = analysed_sample(study, include_pilot)
    course = suite.run_time_course(study, data, plan, ss_type or plan.get("ss_type", DEFAULT_SS_TYPE))
    if course is None:
        raise AnalysisError(
            f"The primary outcome '{plan['primary']['outcome']}' has no scheduled occasions (no `at:`)."
        )
    if course.error:
        raise AnalysisError(course.error)
    return course


def mediation_analyses(export_dir, include_pilot: bool = False) -> list[MediationResult]:
    """Each mediation of the plan (an entry that cannot be run keeps its ``error``)."""
    study = load_export(export_dir)
    data, _ = analysed_sample(study, include_pilot)
    return suite.run_mediations(data, analysis_plan(study), study.factors)


def analysis_plan(study: ExportedStudy) -> dict:
    """The codebook's ``analysis`` section, checked to name a primary outcome."""
    plan = study.codebook.get("analysis")
    primary = plan.get("primary") if isinstance(plan, dict) else None
    if not isinstance(plan, dict) or not isinstance(primary, dict) or not primary.get("outcome"):
        raise AnalysisError(
            "codebook.json names no primary outcome ('analysis.primary.outcome'); "
            "add an analysis section to the protocol and export again."
        )
    return plan


def analysed_sample(study: ExportedStudy, include_pilot: bool = False) -> tuple[pd.DataFrame, dict]:
    """The rows to analyse, and the header counts of who was left out and why.

    Analysed: ``status == "completed"``, ``disposition == "included"`` (no withdrawal, exclusion or
    allocation in error recorded; an export without the column counts everyone as included), in a
    cell of the factorial (not an arm outside it), and not a pilot session unless ``include_pilot``.
    The left-out groups do not overlap: a corrected participant counts under their correction only.
    """
    wide = study.wide
    if "status" not in wide.columns:
        raise AnalysisError("Column 'status' is not in wide.csv; it is needed to keep completed participants only.")
    completed, pilot, in_arm, included = _masks(study)
    declined = (wide["status"] == "declined").fillna(False).astype(bool)  # ended at a consent step
    kept = (completed if include_pilot else completed & ~pilot) & included
    data = wide.loc[kept & ~in_arm].copy()
    n_simulated = int(data["simulated"].sum()) if "simulated" in data else 0
    corrected = _corrected(study, ~included)
    header = {
        **{key: study.codebook.get(key) for key in _HEADER_KEYS},
        "n_rows": len(wide),
        "n_completed": int(completed.sum()),
        "n_incomplete": int((~completed & ~declined & included).sum()),
        "n_declined_consent": int((declined & included).sum()),
        "n_pilot": int((completed & pilot & included).sum()),
        "pilot_included": include_pilot,
        "n_in_arms": int((kept & in_arm).sum()),
        "n_analysed": len(data),
        "n_simulated": n_simulated,
        "all_simulated": len(data) > 0 and n_simulated == len(data),
        **{f"n_{kind.replace('-', '_')}": sum(c["disposition"] == kind for c in corrected) for kind in CORRECTED},
        "corrected": corrected,
        "corrected_reasons": _reasons(corrected),
    }
    return data, header


_HEADER_KEYS = (
    "study", "protocol", "protocol_title", "protocol_version",
    "protocol_sha256", "package_version", "exported_at",
)  # fmt: skip

#: Dispositions that leave a participant out of every analysis (docs/tables.md), in reporting order.
CORRECTED = ("withdrawn", "excluded", "allocated-in-error")


def sample_with_arms(study: ExportedStudy, include_pilot: bool = False) -> pd.DataFrame:
    """The analysed participants together with those of arms outside the factorial (for arm comparisons)."""
    completed, pilot, _, included = _masks(study)
    return study.wide.loc[(completed if include_pilot else completed & ~pilot) & included].copy()


def _masks(study: ExportedStudy) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Completed, pilot, in-an-arm-outside-the-factorial and included: one boolean per row of ``wide``."""
    wide = study.wide
    completed = (wide["status"] == "completed").fillna(False).astype(bool)
    pilot = wide["pilot"].astype(bool) if "pilot" in wide.columns else pd.Series(False, index=wide.index)
    return completed, pilot, _in_arm(study), _included(wide)


def _included(wide: pd.DataFrame) -> pd.Series:
    # Exports made before dispositions existed have no column: nobody was marked, so all are included.
    if "disposition" not in wide.columns:
        return pd.Series(True, index=wide.index)
    disposition = wide["disposition"].fillna("included").astype(str).str.strip()
    unknown = sorted(set(disposition) - {"included", *CORRECTED})
    if unknown:
        raise AnalysisError(
            f"Column 'disposition' of wide.csv holds {unknown[0]!r}; it must be one of included, "
            f"{', '.join(CORRECTED)}. Export the study again."
        )
    return disposition == "included"


def _corrected(study: ExportedStudy, mask: pd.Series) -> list[dict]:
    """The participants left out by a correction: participant, cell, disposition, reason, status."""
    rows = study.wide.loc[mask]
    reasons = rows["disposition_reason"] if "disposition_reason" in rows else pd.Series(None, index=rows.index)
    cells = rows["cell"] if "cell" in rows else pd.Series(None, index=rows.index)
    listed = [
        {
            "participant": str(rows.at[i, "participant"]) if "participant" in rows else str(i),
            "cell": None if pd.isna(cells.at[i]) else str(cells.at[i]),
            "disposition": str(rows.at[i, "disposition"]).strip(),
            "reason": "" if pd.isna(reasons.at[i]) else str(reasons.at[i]),
            "status": str(rows.at[i, "status"]),
        }
        for i in rows.index
    ]
    order = {kind: n for n, kind in enumerate(CORRECTED)}
    return sorted(listed, key=lambda c: (order[c["disposition"]], c["participant"]))


def _reasons(corrected: list[dict]) -> dict[str, dict[str, int]]:
    """Disposition → reason → how many, for the disposition that occur (in reporting order)."""
    counted: dict[str, dict[str, int]] = {}
    for c in corrected:
        per = counted.setdefault(c["disposition"], {})
        per[c["reason"]] = per.get(c["reason"], 0) + 1
    return counted


def _in_arm(study: ExportedStudy) -> pd.Series:
    # Arms outside the factorial (e.g. a no-treatment control) are not part of the factorial ANOVA.
    arms = {c.get("id") for c in study.codebook.get("cells") or [] if isinstance(c, dict) and c.get("arm")}
    if not arms or "cell" not in study.wide.columns:
        return pd.Series(False, index=study.wide.index)
    return study.wide["cell"].isin(arms).fillna(False).astype(bool)


def cell_counts(study: ExportedStudy, include_pilot: bool = False) -> pd.DataFrame:
    """Analysed, incomplete, pilot and corrected participants per cell, in the codebook's cell order.

    ``n`` (analysed) equals ``analysed`` in ``consort.json`` for the same export (without
    ``include_pilot``); ``n_corrected`` counts the withdrawn, excluded and allocated in error;
    ``n_declined`` those whose session ended at a consent step they declined (not in ``n_incomplete``).
    ``n_attention_failed`` and ``n_too_fast`` count analysed participants with at least one attention check
    answered other than instructed, or one step answered too fast (wide.csv's flags): counted, not excluded.
    """
    wide, factors = study.wide, list(study.factors)
    if "cell" not in wide.columns:
        raise AnalysisError("Column 'cell' is not in wide.csv; it is needed to count participants per cell.")
    completed, pilot, _, included = _masks(study)
    counted = (completed if include_pilot else completed & ~pilot) & included
    declined = (wide["status"] == "declined").fillna(False).astype(bool)
    failed, fast = (_positive(wide, column) for column in ("attention_failed", "too_fast_steps"))
    cells = [c for c in study.codebook.get("cells") or [] if isinstance(c, dict)]
    listed = [c.get("id") for c in cells]
    unlisted = [{"id": cell} for cell in pd.unique(wide["cell"].dropna()) if cell not in listed]
    rows = []
    for cell in cells + unlisted:
        in_cell = wide["cell"] == cell.get("id")
        levels = cell.get("levels") or {}
        rows.append({
            "cell": cell.get("id"),
            **{factor: levels.get(factor) for factor in factors},
            "arm": bool(cell.get("arm")),
            "n": int((in_cell & counted).sum()),
            "n_incomplete": int((in_cell & ~completed & ~declined & included).sum()),
            "n_pilot": int((in_cell & completed & pilot & included).sum()),
            "n_corrected": int((in_cell & ~included).sum()),
            "n_declined": int((in_cell & declined & included).sum()),
            "n_attention_failed": int((in_cell & counted & failed).sum()),
            "n_too_fast": int((in_cell & counted & fast).sum()),
        })  # fmt: skip
    columns = ["cell", *factors, "arm", "n", "n_incomplete", "n_pilot", "n_corrected", "n_declined"]
    return pd.DataFrame(rows, columns=[*columns, "n_attention_failed", "n_too_fast"])


def _positive(wide: pd.DataFrame, column: str) -> pd.Series:
    """Rows whose count ``column`` is above 0 (an export without the column: none)."""
    if column not in wide.columns:
        return pd.Series(False, index=wide.index)
    return (pd.to_numeric(wide[column], errors="coerce") > 0).fillna(False).astype(bool)


def outcome_specs(study: ExportedStudy, plan: dict, data: pd.DataFrame) -> list[OutcomeResult]:
    """The outcomes to analyse: primary, its change from baseline (added to ``data``), secondaries."""
    primary = plan["primary"]
    default_between = list(primary.get("between") or study.factors)
    outcome, baseline = primary["outcome"], primary.get("baseline")
    # With a baseline the primary analysis adjusts for it (ANCOVA): more power than the change score
    # and unbiased under randomisation (Vickers & Altman, BMJ 2001). With adjust_for_strata it also
    # adjusts for what allocation stratified or minimised on (EMA/CHMP/295050/2013).
    covariates = ([baseline] if baseline else []) + strata_covariates(study, plan)
    for stratum in strata_covariates(study, plan):
        if stratum in data.columns:  # a choice field, even one with choices 1, 2, 3 (a missing one is named later)
            data[stratum] = pd.Categorical(data[stratum].map(_choice_text))
    specs = [_spec(study, primary, outcome, "primary", default_between, covariates)]
    if baseline and specs[0].measurement == "continuous":  # no change score of categories
        specs.append(_change_spec(study, data, outcome, baseline, default_between))
    for secondary in plan.get("secondary") or []:
        name = secondary.get("outcome") if isinstance(secondary, dict) else secondary
        name = typing.cast(str, name)  # the export writes each secondary outcome with its name
        between = list(secondary.get("between") or default_between) if isinstance(secondary, dict) else default_between
        baseline = secondary.get("baseline") if isinstance(secondary, dict) else None
        # A secondary outcome's baseline is adjusted for as the primary's is (ANCOVA).
        entry = secondary if isinstance(secondary, dict) else {}
        specs.append(_spec(study, entry, name, "secondary", between, [baseline] if baseline else []))
    return specs


def _spec(study: ExportedStudy, entry: dict, name: str, role: str, between: list, covariates: list) -> OutcomeResult:
    """An outcome to analyse, with its measurement (codebook) and the evidence for no difference it asks for."""
    measurement, categories = measurement_of(study.codebook, name)
    return OutcomeResult(
        name, study.label(name), role, between, covariates=covariates, measurement=measurement,
        categories=categories, equivalence_plan=entry.get("equivalence"), bayes_factor=bool(entry.get("bayes_factor")),
    )  # fmt: skip


def _choice_text(value):
    # pandas reads choices 1, 2 as numbers (1.0 with a gap): back to the text the participant chose
    if pd.isna(value):
        return None
    text = str(value)
    return text[:-2] if isinstance(value, float | str) and re.fullmatch(r"-?\d+\.0", text) else text


def _change_spec(study: ExportedStudy, data: pd.DataFrame, outcome: str, baseline: str, between: list) -> OutcomeResult:
    """The change from baseline ``<outcome>_change`` (added to ``data``), or, when the two are on different
    scales, the same outcome with the reason it is not computed as its ``error`` (and no column)."""
    change = f"{outcome}_change"
    label = f"Change from baseline: {outcome} − {baseline} (negative: lower than at baseline)"
    spec = OutcomeResult(change, label, "change from baseline", between, derived_from=(outcome, baseline))
    scales = change_scales(study.codebook, outcome, baseline)
    if scales is not None:
        return replace(spec, error=different_scales(outcome, baseline, *scales))
    _add_change(data, change, outcome, baseline)
    return spec


def change_scales(codebook: dict, outcome: str, baseline: str) -> tuple[str, str] | None:
    """The ranges (``"0–10"``, ``"0–100"``) of an outcome and its baseline when they differ, else None.

    A 0–10 rating minus a 0–100 one is no change from baseline, so that change score is not computed
    (the ANCOVA adjusting for the baseline is: a covariate may be on any scale). A range the codebook does
    not give (an export made before it gave them) counts as the same: the change is computed as it was.
    """
    found, before = _range(codebook, outcome), _range(codebook, baseline)
    if found is None or before is None or found == before:
        return None
    return f"{found[0]:g}–{found[1]:g}", f"{before[0]:g}–{before[1]:g}"


def different_scales(outcome: str, baseline: str, outcome_range: str, baseline_range: str) -> str:
    """Why the change from baseline is not computed, for the report where it would stand."""
    return (
        f"'{outcome}' ranges {outcome_range} and its baseline '{baseline}' {baseline_range}: on different scales, "
        f"their difference is no change from baseline, so it is not computed. The primary analysis (ANCOVA) "
        f"adjusts for '{baseline}', which may be on any scale; rate both on the same scale for a change score."
    )


def _range(codebook: dict, column: str) -> tuple[float, float] | None:
    """A column's ``min`` and ``max`` in the codebook, or None when either is not a finite number."""
    entry = next((c for c in codebook.get("columns") or [] if isinstance(c, dict) and c.get("name") == column), {})
    low, high = entry.get("min"), entry.get("max")
    if not (_number(low) and _number(high) and math.isfinite(low) and math.isfinite(high)):
        return None
    return float(low), float(high)


def _add_change(data: pd.DataFrame, change: str, outcome: str, baseline: str) -> None:
    # Left out when either part is unusable; _analyse then says which part.
    numeric = [c in data.columns and pd.api.types.is_numeric_dtype(data[c]) for c in (outcome, baseline)]
    if all(numeric):
        data[change] = data[outcome] - data[baseline]


def _analyse(data: pd.DataFrame, spec: OutcomeResult, ss_type: int, strict: bool = False) -> OutcomeResult:
    if spec.error:  # not to be computed at all (a change score of two scales: _change_spec)
        return spec
    covariates = spec.covariates or None
    if spec.measurement != "continuous":  # never an ANOVA on category codes
        asked = spec.equivalence_plan or spec.bayes_factor  # validate refuses it; an older study may ask
        refused = f"'{spec.name}' is {spec.measurement}; equivalence tests and Bayes factors compare means."
        try:
            return replace(spec, evidence_error=refused if asked else None, categorical=categorical_outcome(
                data, spec.name, spec.between, spec.measurement, covariates, spec.categories, ss_type
            ))  # fmt: skip
        except AnalysisError as err:
            if strict:
                raise
            return replace(spec, error=str(err))
    try:
        if spec.derived_from and spec.name not in data.columns:
            missing = next(
                c for c in spec.derived_from if c not in data.columns or not pd.api.types.is_numeric_dtype(data[c])
            )
            raise AnalysisError(f"Column '{missing}' is missing or not numeric, so '{spec.name}' cannot be computed.")
        analysed = replace(
            spec,
            anova=anova(data, spec.name, spec.between, covariates=covariates, ss_type=ss_type),
            descriptives=cell_descriptives(data, spec.name, spec.between),
            emmeans=estimated_marginal_means(data, spec.name, spec.between, covariates=covariates),
        )
    except AnalysisError as err:
        if strict:
            raise
        return replace(spec, error=str(err))
    analysed = replace(analysed, effect_sizes=anova_effect_sizes(analysed.anova))
    return replace(analysed, **_check_assumptions(data, spec, ss_type), **_evidence(data, spec))


def _evidence(data: pd.DataFrame, spec: OutcomeResult) -> dict:
    """The outcome's equivalence tests and Bayes factors, when its plan asks for them."""
    from placebolab.analysis.equivalence import bayes_factors, equivalence_tests

    found, covariates = {}, spec.covariates or None
    try:
        if spec.equivalence_plan:
            bound, units, alpha = _equivalence_plan(spec.equivalence_plan)
            found["equivalence"] = equivalence_tests(
                data, spec.name, spec.between, bound, standardized=units == "d", covariates=covariates, alpha=alpha
            )
        if spec.bayes_factor:
            found["bayes_factors"] = bayes_factors(data, spec.name, spec.between, covariates=covariates)
    except AnalysisError as err:
        found["evidence_error"] = str(err)
    return found


def _equivalence_plan(plan) -> tuple[float, str, float]:
    """``bound, units, alpha`` of a codebook's ``equivalence`` entry (validated by the protocol's model)."""
    entry = plan if isinstance(plan, dict) else {}
    bound, units, alpha = entry.get("bound"), entry.get("units", "raw"), entry.get("alpha", 0.05)
    if not _number(bound) or not _number(alpha) or units not in ("raw", "d") or not 0 < alpha < 0.5:
        raise AnalysisError(
            f"codebook.json: the equivalence entry {plan!r} needs a number `bound`, `units` raw or d and `alpha` "
            "between 0 and 0.5; export the study again."
        )
    return float(bound), units, float(alpha)


def _number(value: object) -> typing.TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_assumptions(data: pd.DataFrame, spec: OutcomeResult, ss_type: int) -> dict:
    """``assumptions`` and, when a check fails, ``robust`` (HC3 with Freedman–Lane p values)."""
    covariates = spec.covariates or None
    try:
        assumptions = assumption_checks(data, spec.name, spec.between, covariates=covariates)
        if assumptions["ok"].all():
            return {"assumptions": assumptions}
        robust = robust_anova(data, spec.name, spec.between, covariates=covariates, ss_type=ss_type)
        permuted = permutation_anova(data, spec.name, spec.between, covariates=covariates, n_perm=N_PERM, seed=0)
        robust["p_perm"] = permuted["p_perm"].to_numpy()
    except AnalysisError:
        return {}  # the ANOVA ran; a check that cannot is left out
    return {"assumptions": assumptions, "robust": robust}


def _manipulation_by_cell(data: pd.DataFrame, plan: dict, study: ExportedStudy) -> pd.DataFrame | None:
    checks = plan.get("manipulation_checks") or []
    if not checks or len(study.factors) < 2:
        return None
    try:
        return manipulation_checks_by_cell(data, checks, study.factors)
    except AnalysisError:
        return None  # the overall checks already say what is wrong


def _manipulation(data: pd.DataFrame, plan: dict, study: ExportedStudy):
    checks = plan.get("manipulation_checks") or []
    if not checks:
        return None, None
    # One check at a time, so that a bad measure does not hide the checks that can be run.
    tables, errors = [], []
    for check in checks:
        try:
            tables.append(manipulation_checks(data, [check], study.factors))
        except AnalysisError as err:
            errors.append(str(err))
    table = pd.concat(tables, ignore_index=True) if tables else None
    return table, " ".join(errors) or None
