"""The report's view of the plan's comparisons and of the effect sizes with intervals, under each outcome."""

from __future__ import annotations

import pandas as pd

from placebolab.report import format as fmt

ADJUSTED = {"holm": "Holm", "bonferroni": "Bonferroni", "tukey": "Tukey", "dunnett": "Dunnett", "none": ""}


def outcome_extras(results, outcome) -> dict:
    """``comparisons`` (the plan's entries for this outcome) and ``effect_sizes`` rows for the template."""
    return {
        "comparisons": [_view(c) for c in results.comparisons if c.outcome == outcome.name and not outcome.error],
        "effect_sizes": _effect_size_rows(outcome.effect_sizes),
    }


def _view(result) -> dict:
    view = {"title": result.title, "error": result.error, "family": result.family, "intervals": result.intervals,
            "adjusted": ADJUSTED.get(result.padjust, result.padjust), "covariates": result.covariates, "rows": []}  # fmt: skip
    if result.table is None:
        return view
    view["rows"] = [
        {"contrast": row["contrast"], "estimate": fmt.fmt_num(row["estimate"]), "se": fmt.fmt_num(row["se"]),
         "ci": fmt.fmt_ci(row["ci_low"], row["ci_high"]), "test": fmt.fmt_t(row["t"], row["df"]),
         "p": fmt.fmt_p(row["p_unc"], with_symbol=False), "p_adj": fmt.fmt_p(row["p_adj"], with_symbol=False),
         "g": fmt.fmt_num(row["hedges_g"]), "g_ci": fmt.fmt_ci(row["g_ci_low"], row["g_ci_high"])}
        for _, row in result.table.iterrows()
    ]  # fmt: skip
    return view


def _effect_size_rows(table: pd.DataFrame | None) -> list[dict]:
    if table is None:
        return []
    return [
        {"source": row["Source"].replace(" * ", " × "), "np2": fmt.fmt_unit(row["np2"], 3),
         "np2_ci": fmt.fmt_ci(row["np2_ci_low"], row["np2_ci_high"], 3), "omega2": fmt.fmt_unit(row["omega2"], 3),
         "omega2_ci": fmt.fmt_ci(row["omega2_ci_low"], row["omega2_ci_high"], 3)}
        for _, row in table.iterrows()
    ]  # fmt: skip


def methods_sentences(results) -> list[str]:
    """The methods text's account of the effect-size intervals and of the comparisons' families."""
    sentences = [
        "Partial η² and partial ω² have one-sided 95% CIs from the noncentral F distribution (the default of R's "
        "effectsize; their lower bound is that of the two-sided 90% CI)."
    ]
    if not results.comparisons:
        return sentences
    families = "; ".join(f"{c.title.lower()} of {c.outcome}: {c.family}" for c in results.comparisons if c.family)
    arms = (
        " (arm comparisons in one model over every cell and arm)"
        if any(c.effect == "cell" for c in results.comparisons)
        else ""
    )
    sentences.append(
        f"Comparisons of (adjusted) marginal means used the pooled error term of the outcome's model, as emmeans "
        f"does{arms}. Each entry of the plan is one family, adjusted on its own{f' ({families})' if families else ''}. "
        "Hedges' g of each comparison is the difference over the model's residual SD (for an ANCOVA the "
        "baseline-adjusted SD), with a noncentral-t 95% CI as R's effectsize computes it."
    )
    return sentences
