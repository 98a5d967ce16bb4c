"""The plan's `contrasts:` (planned comparisons, arm comparisons) and `post_hoc:` tests, run on the analysed sample.

Each entry is one family: its comparisons are adjusted together, and nothing else is in it (the
report and the methods text say so). An entry that cannot run keeps its error and hides no other.
The comparisons use each outcome's model: the outcome's factors, and its baseline as covariate
(ANCOVA) when the plan names one; comparisons of cells and arms use one model over every cell and
arm (column ``cell`` of wide.csv), so an arm outside the factorial is compared with the same error term.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from placebolab.analysis.contrasts import contrasts, interaction_contrasts, pairwise
from placebolab.errors import AnalysisError

CELLS = "cell"  # `on` of a contrast entry comparing cells and arms (protocol/comparisons.py writes it)


@dataclass(frozen=True)
class ComparisonResult:
    """One `contrasts:` or `post_hoc:` entry of the plan: its table (of :func:`pairwise`) or why it is missing."""

    kind: str  # "contrasts" or "post hoc"
    outcome: str
    effect: str  # the factor compared, "cell" for cells and arms, or "a * b" for interaction contrasts
    padjust: str
    covariates: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None
    family: str | None = None  # which tests were adjusted together, and how
    intervals: str | None = None  # how the intervals are adjusted
    error: str | None = None

    @property
    def title(self) -> str:
        if self.effect == CELLS:
            return "Arm comparisons"
        if self.kind == "contrasts":
            return f"Planned contrasts of {self.effect}"
        if "*" in self.effect:
            return f"Interaction contrasts of {self.effect.replace(' * ', ' × ')}"
        return f"Post-hoc tests of {self.effect}"


def run_comparisons(plan: dict, outcomes, data: pd.DataFrame, with_arms: pd.DataFrame) -> tuple[ComparisonResult, ...]:
    """Every `contrasts:` then `post_hoc:` entry of the codebook's plan.

    ``outcomes`` are the :class:`~placebolab.analysis.plan.OutcomeResult` of the plan (their factors
    and covariates are the model); ``data`` the analysed rows of the factorial; ``with_arms`` the
    same participants plus those of arms outside it.
    """
    results = []
    for entry in plan.get("contrasts") or []:
        results.append(_run(entry, "contrasts", outcomes, plan, lambda o, e: _contrast(o, e, data, with_arms)))
    for entry in plan.get("post_hoc") or []:
        results.append(_run(entry, "post hoc", outcomes, plan, lambda o, e: _post_hoc(o, e, data, with_arms)))
    return tuple(results)


def planned_comparisons(plan: dict, outcomes) -> tuple[ComparisonResult, ...]:
    """Every `contrasts:` then `post_hoc:` entry of the plan as it will be run, none run (no table, no family)."""
    entries = [("contrasts", e) for e in plan.get("contrasts") or []]
    entries += [("post hoc", e) for e in plan.get("post_hoc") or []]
    return tuple(_entry(entry, kind, outcomes, plan)[0] for kind, entry in entries)


def _entry(entry: dict, kind: str, outcomes, plan: dict):
    """The entry's result before it is run, and its outcome's result (None when the plan has no such outcome)."""
    name = entry.get("outcome") or plan["primary"]["outcome"]
    effect = entry.get("on") if kind == "contrasts" else str(entry.get("effect", "")).replace("×", "*")
    effect = " * ".join(part.strip() for part in str(effect).split("*"))
    padjust = str(entry.get("padjust") or "holm")
    outcome = next((o for o in outcomes if o.name == name and o.role != "change from baseline"), None)
    return ComparisonResult(kind, name, effect, padjust, list(outcome.covariates) if outcome else []), outcome


def _run(entry: dict, kind: str, outcomes, plan: dict, compute) -> ComparisonResult:
    result, outcome = _entry(entry, kind, outcomes, plan)
    name = result.outcome
    try:
        if outcome is None:
            raise AnalysisError(f"'{name}' is not an outcome of the plan.")
        if outcome.error:
            raise AnalysisError(f"the outcome '{name}' was not analysed ({outcome.error})")
        if kind == "contrasts" and (entry.get("error") or not entry.get("on")):
            raise AnalysisError(entry.get("error") or "codebook.json lacks the resolved comparisons; export again.")
        table = compute(outcome, entry)
    except AnalysisError as err:
        return ComparisonResult(**{**result.__dict__, "error": str(err)})
    return ComparisonResult(
        **{**result.__dict__, "table": table, "family": table.attrs["family"], "intervals": table.attrs["intervals"]}
    )


def _contrast(outcome, entry: dict, data: pd.DataFrame, with_arms: pd.DataFrame) -> pd.DataFrame:
    covariates = outcome.covariates or None
    pairs = [tuple(pair) for pair in entry["pairs"]]
    if entry["on"] == CELLS:
        rows = with_arms.assign(cell=with_arms["cell"].astype(str))
        return contrasts(rows, outcome.name, CELLS, pairs, covariates=covariates, padjust=entry["padjust"])
    return contrasts(
        data, outcome.name, outcome.between, pairs, covariates=covariates, padjust=entry["padjust"], effect=entry["on"]
    )


def _post_hoc(outcome, entry: dict, data: pd.DataFrame, with_arms: pd.DataFrame) -> pd.DataFrame:
    covariates = outcome.covariates or None
    factors = [part.strip() for part in str(entry["effect"]).replace("×", "*").split("*")]
    if factors == [CELLS]:
        rows = with_arms.assign(cell=with_arms["cell"].astype(str))
        return pairwise(
            rows, outcome.name, CELLS, covariates=covariates, padjust=entry["padjust"], control=entry.get("control")
        )
    if len(factors) == 2:
        return interaction_contrasts(
            data, outcome.name, outcome.between, covariates=covariates, padjust=entry["padjust"], factors=factors
        )
    return pairwise(
        data, outcome.name, outcome.between, covariates=covariates, padjust=entry["padjust"],
        control=entry.get("control"), effect=factors[0],
    )  # fmt: skip
