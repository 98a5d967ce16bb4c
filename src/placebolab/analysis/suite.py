"""The analyses of the plan beyond one ANOVA per outcome: time course, mediation, per-cell checks.

Each runs on the analysed sample of :func:`placebolab.analysis.plan.run_analyses`; a failure is
kept as the sentence of its :class:`~placebolab.errors.AnalysisError`, so one analysis that
cannot run never hides the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from placebolab.analysis.categorical import measurement_of
from placebolab.analysis.lmm import MixedModelResult
from placebolab.errors import AnalysisError

N_BOOT = 5000
BOOT_SEED = 20261125  # fixed, so the same export always gives the same report


@dataclass(frozen=True)
class TimeCourseResult:
    outcome: str
    occasions: list[str]
    between: list[str]
    anova: pd.DataFrame | None = None
    lmm: pd.DataFrame | None = None
    descriptives: pd.DataFrame | None = None
    error: str | None = None
    lmm_error: str | None = None
    mixed_model: MixedModelResult | None = None  # the model behind ``lmm``: variance components, ICC, means


@dataclass(frozen=True)
class MediationResult:
    spec: dict
    table: pd.DataFrame | None = None
    error: str | None = None
    n: int = 0
    levels: dict = field(default_factory=dict)  # how each factor was coded (1 = first level)


def occasion_columns(study, outcome: str) -> list[tuple[str, str]]:
    """``[(occasion, column), …]`` of a scheduled measure, in the codebook's (time) order."""
    found = []
    for entry in study.codebook.get("columns") or []:
        name = str(entry.get("name", ""))
        if name.startswith(f"{outcome}@") and name in study.wide.columns:
            found.append((name.split("@", 1)[1], name))
    return found


def long_occasions(
    data: pd.DataFrame, outcome: str, columns: list[tuple[str, str]], between: list[str]
) -> pd.DataFrame:
    """One row per participant and occasion, ``occasion`` categorical in time order."""
    names = [column for _, column in columns]
    long = data[["participant", *between, *names]].melt(
        id_vars=["participant", *between], value_vars=names, var_name="column", value_name=outcome
    )
    long["occasion"] = pd.Categorical(long["column"].str.split("@", n=1).str[1], [o for o, _ in columns])
    return long.drop(columns="column")


def run_time_course(study, data: pd.DataFrame, plan: dict, ss_type: int) -> TimeCourseResult | None:
    """Mixed ANOVA and mixed model of the primary outcome over its occasions (None if unscheduled).

    The mixed model follows the plan's ``time_course`` (random slope for time, denominator df method).
    """
    from placebolab.analysis.timecourse import mixed_model, time_course

    primary = plan["primary"]
    outcome, between = primary["outcome"], list(primary.get("between") or study.factors)
    columns = occasion_columns(study, outcome)
    if len(columns) < 2:
        return None
    result = TimeCourseResult(outcome, [o for o, _ in columns], between)
    kind, _ = measurement_of(study.codebook, columns[0][1])
    if kind != "continuous":  # a mixed ANOVA of category codes is what this must never be
        return replace(result, error=(
            f"'{outcome}' is {kind} at each occasion; its time course is not analysed as numbers (each occasion "
            "can be named as an outcome, e.g. " + f"{columns[0][1]})."
        ))  # fmt: skip
    try:
        if "participant" not in data.columns:
            raise AnalysisError(
                "Column 'participant' is not in wide.csv; the time course needs one row per participant."
            )
        long = long_occasions(data, outcome, columns, between)
        result = replace(
            result,
            anova=time_course(long, outcome, "occasion", "participant", between, ss_type=2 if ss_type == 2 else 3),
            descriptives=_occasion_means(long, outcome, between),
        )
    except AnalysisError as err:
        return replace(result, error=str(err))
    options = plan.get("time_course") or {}
    try:
        model = mixed_model(long, outcome, "occasion", "participant", between,
                            random_slope=bool(options.get("random_slope")), ddf=options.get("ddf") or "satterthwaite")  # fmt: skip
        return replace(result, lmm=model.anova, mixed_model=model)
    except AnalysisError as err:
        return replace(result, lmm_error=str(err))


def _occasion_means(long: pd.DataFrame, outcome: str, between: list[str]) -> pd.DataFrame:
    from placebolab.analysis.descriptives import cell_descriptives

    return cell_descriptives(long, outcome, ["occasion", *between])


def run_mediations(data: pd.DataFrame, plan: dict, factors: dict) -> list[MediationResult]:
    from placebolab.analysis.mediation import mediation

    results = []
    for spec in plan.get("mediation") or []:
        covariates = list(spec.get("covariates") or [])
        try:
            table = mediation(
                _as_factors(data, factors), spec["x"], spec["m"], spec["y"], covariates=covariates,
                moderator=spec.get("moderator"), n_boot=N_BOOT, seed=BOOT_SEED,
            )  # fmt: skip
            used = [
                spec["x"],
                spec["m"],
                spec["y"],
                *covariates,
                *([spec["moderator"]] if spec.get("moderator") else []),
            ]
            n = int(data[used].notna().all(axis=1).sum())
            levels = {c: list(factors[c]) for c in used if c in factors}
            results.append(MediationResult(dict(spec), table, n=n, levels=levels))
        except AnalysisError as err:
            results.append(MediationResult(dict(spec), error=str(err)))
    return results


def _as_factors(data: pd.DataFrame, factors: dict) -> pd.DataFrame:
    # Keep the protocol's level order, so the first level (e.g. 'high') is coded 1.
    out = data.copy()
    for factor, levels in factors.items():
        if factor in out.columns and not isinstance(out[factor].dtype, pd.CategoricalDtype):
            out[factor] = pd.Categorical(out[factor], [str(v) for v in levels])
    return out


def run_simple_effects(data: pd.DataFrame, plan: dict, outcome, ss_type: int):
    """The plan's simple effects on the primary outcome (with its covariates); (table, error)."""
    from placebolab.analysis.emmeans import SIMPLE_COLUMNS, simple_effects

    specs = plan.get("simple_effects") or []
    if not specs or outcome.error:
        return None, None
    if outcome.measurement != "continuous":
        return None, (
            f"Simple effects compare means; the primary outcome '{outcome.name}' is {outcome.measurement}, so read "
            "the odds ratios of its model instead."
        )
    tables, errors = [], []
    for spec in specs:
        try:
            tables.append(
                simple_effects(
                    data, outcome.name, spec["effect"], by=list(spec["by"]), covariates=outcome.covariates or None
                )
            )
        except AnalysisError as err:
            errors.append(str(err))
    if not tables:
        return None, " ".join(errors) or None
    table = pd.concat(tables, ignore_index=True)
    by_columns = [c for c in table.columns if c not in SIMPLE_COLUMNS]
    table.insert(
        0, "at", [", ".join(f"{c} = {row[c]}" for c in by_columns if pd.notna(row[c])) for _, row in table.iterrows()]
    )
    return table.drop(columns=by_columns), " ".join(errors) or None
