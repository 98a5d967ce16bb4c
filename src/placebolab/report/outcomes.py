"""Report views of an outcome that is not continuous (categorical.html.j2) and of the evidence for no
difference an outcome's plan asks for (evidence.html.j2): rows of formatted text, nothing computed."""

from __future__ import annotations

import pandas as pd

from placebolab.report import format as fmt


def categorical_view(outcome) -> dict:
    """Tables of a binary or ordinal outcome's :class:`~placebolab.analysis.categorical.CategoricalResult`."""
    result, factors = outcome.categorical, list(outcome.between)
    view = {
        "measurement": result.measurement,
        "event": result.event,
        "categories": [str(label) for label in (result.labels or {}).values()],
        "tests": [
            _test_row(row) for _, row in (result.tests if result.tests is not None else pd.DataFrame()).iterrows()
        ],
        "model": [
            {
                "source": row["Source"].replace(" * ", " × "),
                "chi2": fmt.fmt_num(row["chi2"]),
                "df": str(int(row["DF"])),
                "p": fmt.fmt_p(row["p"], with_symbol=False),
            }
            for _, row in (result.model if result.model is not None else pd.DataFrame()).iterrows()
        ],  # fmt: skip
        "odds_ratios": [
            {
                "effect": row["effect"],
                "contrast": row["contrast"],
                "or": fmt.fmt_num(row["odds_ratio"]),
                "ci": fmt.fmt_ci(row["ci_low"], row["ci_high"]),
                "z": fmt.fmt_num(row["z"]),
                "p": fmt.fmt_p(row["p"], with_symbol=False),
            }
            for _, row in (result.odds_ratios if result.odds_ratios is not None else pd.DataFrame()).iterrows()
        ],  # fmt: skip
        "model_error": result.model_error,
        "model_name": "Logistic regression" if result.measurement == "binary" else "Proportional-odds model",
    }
    if result.measurement == "binary":
        view["cells"] = [
            {"levels": [str(row[f]) for f in factors], "n": int(row["n"]), "events": int(row["events"]),
             "percent": fmt.fmt_num(row["percent"], 1), "ci": fmt.fmt_ci(row["ci_low"], row["ci_high"], 1)}
            for _, row in result.distribution.iterrows()
        ]  # fmt: skip
    else:
        view["cells"] = [
            {"levels": [str(level) for level in levels], "n": int(cell["n"].iloc[0]),
             "median": fmt.fmt_num(cell["median"].iloc[0], 1),
             "percents": [fmt.fmt_num(p, 0) for p in cell["percent"]]}
            for levels, cell in result.distribution.groupby(factors, sort=False, observed=True)
        ]  # fmt: skip
    return view


def categorical_sentence(quoted: str, outcome, design: str) -> str:
    """The methods sentence of a binary or ordinal primary outcome."""
    adjusted = f" adjusting for {', '.join(outcome.covariates)}" if outcome.covariates else ""
    if outcome.measurement == "binary":
        return (
            f"The primary outcome, {quoted}, is a yes/no answer: its percentage per cell is compared with Pearson's "
            "χ² test, or Fisher's exact test when an expected count is below 5, and modelled by a logistic "
            f"regression on the {design} factors{adjusted} (likelihood-ratio tests; odds ratios with Wald 95% CIs)."
        )
    return (
        f"The primary outcome, {quoted}, is ordinal (ordered categories, not analysed as numbers): it is modelled "
        f"by a proportional-odds (cumulative logit) model on the {design} factors{adjusted} (likelihood-ratio "
        "tests; odds ratios of a higher category with Wald 95% CIs), with Kruskal–Wallis tests beside."
    )


def outcome_kind_sentences(outcomes) -> list[str]:
    """Methods sentences for the secondary outcomes that are not continuous and for the evidence of no
    difference any outcome's plan asks for (the primary outcome's own kind has its sentence already)."""
    sentences = []
    for kind, words in (("binary", "yes/no"), ("ordinal", "ordinal")):
        named = [o.name for o in outcomes if o.role != "primary" and o.measurement == kind]
        if named:
            model = "logistic regression" if kind == "binary" else "a proportional-odds model"
            sentences.append(f"The {words} outcome{'s' if len(named) > 1 else ''} {', '.join(named)} "
                             f"{'were' if len(named) > 1 else 'was'} analysed with {model}, not as numbers.")  # fmt: skip
    tost = [o for o in outcomes if o.equivalence_plan and o.measurement == "continuous"]
    if tost:
        sentences.append(
            "Equivalence was tested with two one-sided tests (TOST) of each two-level factor's adjusted contrast "
            "against the smallest effect of interest set in the plan ("
            + "; ".join(f"{o.name}: ±{o.equivalence_plan['bound']:g} {_units(o.equivalence_plan)}" for o in tost)
            + ")."
        )
    if any(o.bayes_factor and o.measurement == "continuous" for o in outcomes):
        sentences.append(
            "Bayes factors are JZS Bayes factors (Rouder et al., 2009) with a Cauchy prior of scale √2/2 on the "
            "standardized effect, JASP's default."
        )
    return sentences


def _units(plan: dict) -> str:
    return "SD (Cohen's d)" if plan.get("units") == "d" else "raw units"


def _test_row(row) -> dict:
    statistic = "" if pd.isna(row["statistic"]) else fmt.fmt_num(row["statistic"])
    df = "" if pd.isna(row["df"]) else str(int(row["df"]))
    return {"effect": str(row["effect"]), "test": row["test"], "statistic": statistic, "df": df,
            "p": fmt.fmt_p(row["p"], with_symbol=False)}  # fmt: skip


def evidence_view(outcome) -> dict | None:
    """The TOST and Bayes factor rows of an outcome, or None when its plan asks for neither."""
    if outcome.equivalence is None and outcome.bayes_factors is None and not outcome.evidence_error:
        return None
    plan = outcome.equivalence_plan or {}
    tost = []
    for _, row in (outcome.equivalence if outcome.equivalence is not None else pd.DataFrame()).iterrows():
        tost.append({
            "factor": row["factor"], "contrast": row["contrast"], "estimate": fmt.fmt_num(row["estimate"]),
            "bounds": f"±{fmt.fmt_num(row['bound_raw'])} (d = ±{fmt.fmt_num(row['bound_d'])})",
            "ci": fmt.fmt_ci(row["ci_low"], row["ci_high"]),
            "t": f"{fmt.fmt_num(row['t_low'])}, {fmt.fmt_num(row['t_high'])}", "df": str(int(row["df"])),
            "p": fmt.fmt_p(row["p"], with_symbol=False),
            "verdict": "equivalent" if row["equivalent"] else "not shown equivalent",
        })  # fmt: skip
    bayes = [
        {"factor": row["factor"], "contrast": row["contrast"], "t": fmt.fmt_num(row["t"]), "df": str(int(row["df"])),
         "bf10": _bf(row["bf10"]), "bf01": _bf(row["bf01"])}
        for _, row in (outcome.bayes_factors if outcome.bayes_factors is not None else pd.DataFrame()).iterrows()
    ]  # fmt: skip
    alpha = float(plan.get("alpha", 0.05))
    return {"tost": tost, "bayes": bayes, "error": outcome.evidence_error, "alpha": f"{alpha:g}",
            "ci_level": f"{100 * (1 - 2 * alpha):g}", "units": plan.get("units", "raw")}  # fmt: skip


def _bf(value: float) -> str:
    return f"{value:.3g}" if 0.01 <= value < 1000 else f"{value:.2e}"
