"""Turn the results of :func:`placebolab.analysis.report.run_analyses` into HTML (jinja2).

Numbers are formatted here, in Python, so the template only lays out strings; jinja2's
autoescaping then makes any text from the study (names, labels, levels) safe to show.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import placebolab
from placebolab.analysis import format as fmt
from placebolab.analysis.consort import consort_view

TEMPLATES = Path(__file__).parent / "templates"
SS_TYPE_WORDS = {
    1: "type I (sequential) sums of squares",
    2: "type II sums of squares",
    3: "type III sums of squares (sum-to-zero contrasts)",
}


def render_report(results: dict) -> str:
    """The report as one HTML string (inline CSS, figures as data URIs)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in the template fails the tests, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2").render(**report_context(results))


def report_context(results: dict) -> dict:
    """Everything the template shows, as plain strings, lists and dicts."""
    study = results["study"]
    return {
        "header": results["header"],
        "title": results["header"].get("protocol_title") or results["header"].get("protocol") or "Study report",
        "methods": methods_paragraph(results),
        "cells": _cell_rows(results["cell_counts"], list(study.factors)),
        "factors": list(study.factors),
        "outcomes": [_outcome_view(outcome, results["data"]) for outcome in results["outcomes"]],
        "checks": _check_rows(results["manipulation_checks"]),
        "checks_error": results["manipulation_checks_error"],
        "ss_words": SS_TYPE_WORDS.get(results["ss_type"], str(results["ss_type"])),
        "generator": f"placebolab {placebolab.__version__}",
        "consort": consort_view(study.export_dir),
    }


def methods_paragraph(results: dict) -> str:
    """A short methods paragraph generated from the codebook and the sample."""
    study, primary = results["study"], results["primary"]
    factors = {f: study.factors.get(f, []) for f in primary.between}
    design = " × ".join(str(len(levels)) for levels in factors.values())
    sentences = [
        _design_sentence(study, factors, design),
        _sample_sentence(results["header"]),
        _analysis_sentence(results, design),
    ]
    if results["manipulation_checks"] is not None:
        sentences.append(
            "Manipulation checks were tested with Welch's t-tests; effect sizes are Hedges' g with 95% CIs."
        )
    return " ".join(sentences)


def _design_sentence(study, factors: dict, design: str) -> str:
    descriptions = study.codebook.get("factor_descriptions") or {}
    crossing = " and ".join(_factor_phrase(f, levels, descriptions.get(f)) for f, levels in factors.items())
    verb = "crossing" if len(factors) > 1 else "varying"
    allocation = allocation_phrase(study.codebook.get("allocation"))
    return (
        f"Participants were randomly allocated to the cells of a {design} between-subjects design "
        f"{verb} {crossing} by {allocation}."
    )


def _sample_sentence(header: dict) -> str:
    excluded = f"{header['n_incomplete']} incomplete sessions excluded"
    if header["n_pilot"]:
        verb = "included" if header["pilot_included"] else "excluded"
        excluded += f"; {header['n_pilot']} completed pilot sessions {verb}"
    if header["n_in_arms"]:
        excluded += f"; {header['n_in_arms']} in arms outside the factorial design not in the ANOVA"
    return (
        f"Of {header['n_rows']} participants enrolled, {header['n_completed']} completed the session "
        f"and {header['n_analysed']} were analysed ({excluded})."
    )


def _analysis_sentence(results: dict, design: str) -> str:
    primary = results["primary"]
    roles = {outcome.role for outcome in results["outcomes"]}
    also = " and so was its change from baseline" if "change from baseline" in roles else ""
    ss_words = SS_TYPE_WORDS.get(results["ss_type"], str(results["ss_type"]))
    return (
        f"The primary outcome, {_quoted(primary.label, primary.name)}, was analysed with a {design} "
        f"between-subjects ANOVA with {ss_words}{also}; effect sizes are partial eta squared (ηp²)."
    )


def _quoted(label: str, name: str) -> str:
    return name if label == name else f"“{label}” ({name})"


def _factor_phrase(factor: str, levels: list, description: str | None) -> str:
    """``warmth (warm vs neutral), the emotional component``."""
    phrase = f"{factor} ({' vs '.join(map(str, levels))})"
    return f"{phrase}, the {description}," if description else phrase


def allocation_phrase(allocation) -> str:
    """``permuted-block randomisation (block sizes 4 and 8) stratified by sex``, and the like."""
    allocation = allocation if isinstance(allocation, dict) else {}
    scheme = allocation.get("scheme")
    words = {
        "complete": "complete (simple) randomisation",
        "permuted-blocks": "permuted-block randomisation",
        "stratified": "stratified permuted-block randomisation",
        "minimization": "minimisation (Pocock–Simon)",
    }.get(scheme, f"{scheme} allocation" if scheme else "an allocation scheme not recorded in the codebook")
    if allocation.get("block_sizes"):
        words += f" (block sizes {_and_list(allocation['block_sizes'])})"
    if allocation.get("strata"):
        words += f" {'on' if scheme == 'minimization' else 'stratified by'} {_and_list(allocation['strata'])}"
    if allocation.get("target_n"):
        words += f", target N = {allocation['target_n']}"
    return words


def _and_list(items) -> str:
    words = [str(item) for item in items]
    return " and ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)


def _cell_rows(counts: pd.DataFrame, factors: list[str]) -> list[dict]:
    return [
        {
            "cell": row["cell"],
            "levels": [_text(row[f]) for f in factors],
            "arm": "arm outside the factorial" if row["arm"] else "",
            "n": int(row["n"]),
            "n_incomplete": int(row["n_incomplete"]),
            "n_pilot": int(row["n_pilot"]),
        }
        for _, row in counts.iterrows()
    ]


def _outcome_view(outcome, data: pd.DataFrame) -> dict:
    view = {"name": outcome.name, "label": outcome.label, "role": outcome.role, "error": outcome.error,
            "between": outcome.between, "descriptives": [], "anova": [], "effects": [], "plot": None}  # fmt: skip
    if outcome.error:
        return view
    view["descriptives"] = _descriptive_rows(outcome.descriptives, outcome.between)
    view["anova"], view["effects"] = _anova_rows(outcome.anova)
    view["plot"] = _plot_uri(data, outcome)
    return view


def _descriptive_rows(table: pd.DataFrame, factors: list[str]) -> list[dict]:
    return [
        {
            "levels": [_text(row[f]) for f in factors],
            "n": int(row["n"]),
            "mean": fmt.fmt_num(row["mean"]),
            "sd": fmt.fmt_num(row["sd"]),
            "se": fmt.fmt_num(row["se"]),
            "ci": fmt.fmt_ci(row["ci_low"], row["ci_high"]),
        }
        for _, row in table.iterrows()
    ]


def _anova_rows(table: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    df_residual = int(table.iloc[-1]["DF"])
    rows, effects = [], []
    for _, row in table.iterrows():
        is_effect = row["Source"] != "Residual"
        rows.append({
            "source": _source(row["Source"]), "ss": fmt.fmt_num(row["SS"]), "df": str(int(row["DF"])),
            "ms": fmt.fmt_num(row["MS"]),
            "f": fmt.fmt_num(row["F"]) if is_effect else "",
            "p": fmt.fmt_p(row["p_unc"], with_symbol=False) if is_effect else "",
            "np2": fmt.fmt_unit(row["np2"]) if is_effect else "",
        })  # fmt: skip
        if is_effect:
            effects.append({"source": _source(row["Source"]), "text": fmt.fmt_anova_effect(row, df_residual)})
    return rows, effects


def _source(source: str) -> str:
    return source.replace(" * ", " × ")  # the interaction as a reader writes it


def _plot_uri(data: pd.DataFrame, outcome) -> str | None:
    from placebolab.analysis.plots import figure_to_data_uri, interaction_plot

    if len(outcome.between) > 2:
        return None  # an interaction plot shows two factors at most
    fig = interaction_plot(data, outcome.name, outcome.between)
    return figure_to_data_uri(fig)


def _check_rows(table: pd.DataFrame | None) -> list[dict]:
    if table is None:
        return []
    return [
        {
            "measure": row["measure"], "factor": row["factor"],
            "a": _level_text(row, "a"), "b": _level_text(row, "b"),
            "text": fmt.fmt_check(row),
        }
        for _, row in table.iterrows()
    ]  # fmt: skip


def _level_text(row, suffix: str) -> str:
    if pd.isna(row[f"level_{suffix}"]):
        return ""
    return (
        f"{row[f'level_{suffix}']}: M = {fmt.fmt_num(row[f'mean_{suffix}'])}, "
        f"SD = {fmt.fmt_num(row[f'sd_{suffix}'])}, n = {int(row[f'n_{suffix}'])}"
    )


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
