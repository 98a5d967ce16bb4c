"""Turn an :class:`~placebolab.analysis.plan.AnalysisResult` into HTML (jinja2); it reads nothing else.

Numbers are formatted here, in Python, so the template only lays out strings; jinja2's
autoescaping then makes any text from the study (names, labels, levels) safe to show.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import placebolab
from placebolab.analysis.plan import AnalysisResult, OutcomeResult, change_scales
from placebolab.report import format as fmt
from placebolab.report.baseline_table import baseline_view
from placebolab.report.comparisons import methods_sentences, outcome_extras
from placebolab.report.consort_diagram import consort_view
from placebolab.report.outcomes import categorical_sentence, categorical_view, evidence_view, outcome_kind_sentences

TEMPLATES = Path(__file__).parent / "templates"
SS_TYPE_WORDS = {
    1: "type I (sequential) sums of squares",
    2: "type II sums of squares",
    3: "type III sums of squares (sum-to-zero contrasts)",
}


def render_report(results: AnalysisResult, registration: dict | None = None) -> str:
    """The report as one HTML string (inline CSS, figures as data URIs)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in the template fails the tests, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
    )
    context = report_context(results)
    if registration is not None:  # report/registration.py: the study against its preregistration
        from placebolab.report.registration import registration_view

        context["registration"] = registration_view(registration, results.study.codebook)
    return env.get_template("report.html.j2").render(**context)


def report_context(results: AnalysisResult) -> dict:
    """Everything the template shows, as plain strings, lists and dicts."""
    study = results.study
    return {
        "header": results.header,
        "title": results.header.get("protocol_title") or results.header.get("protocol") or "Study report",
        "methods": methods_paragraph(results),
        "cells": _cell_rows(results.cell_counts, list(study.factors)),
        "factors": list(study.factors),
        "outcomes": [
            {
                **_outcome_view(outcome, results.data),
                **outcome_extras(results, outcome),
                "missing": _missing_words(outcome.name, results),
            }
            for outcome in results.outcomes
        ],
        "checks": _check_rows(results.manipulation_checks),
        "checks_by_cell": [
            {"at": row["at"], **view}
            for row, view in zip(
                _records(results.manipulation_by_cell),
                _check_rows(results.manipulation_by_cell),
                strict=True,
            )
        ],
        "simple_effects": _simple_rows(results.simple_effects),
        "simple_effects_error": results.simple_effects_error,
        "time_course": _time_course_view(results.time_course),
        "mediations": [_mediation_view(m) for m in results.mediation or []],
        "checks_error": results.manipulation_checks_error,
        "ss_words": SS_TYPE_WORDS.get(results.ss_type, str(results.ss_type)),
        "generator": f"placebolab {placebolab.__version__}",
        "consort": consort_view(results.consort),
        "schedule": _schedule_view(results.late_occasions),
        "corrections": correction_phrase(results.header),
        "blinding_note": results.blinding_note,
        "baseline": baseline_view(results.baseline, results.baseline_error, results.cell_counts),
        "registration": None,
    }


def _schedule_view(found: dict | None) -> dict | None:
    """Scheduled occasions of the analysed participants shown later than the tolerance (analysis/schedule.py)."""
    if found is None:
        return None
    view = {**found, "tolerance": f"{found['tolerance_s']:g} s"}
    if found["recorded"]:
        view["max_late"] = "—" if found["max_late_s"] is None else f"{found['max_late_s']:.1f} s"
        view["late"] = [{**row, "late": f"{row['late_s']:.1f} s"} for row in found["late"]]
    return view


def methods_paragraph(results: AnalysisResult, sample: bool = True) -> str:
    """A short methods paragraph generated from the codebook and the sample.

    ``sample=False`` leaves out the sentence on who was enrolled and analysed: the paragraph then says
    only what the plan does, and ``placebolab prereg`` registers it with ``analysis.plan.planned_analyses``
    standing in for the results (docs/preregistration.md), the text the report will print.
    """
    study, primary = results.study, results.primary
    factors = {f: study.factors.get(f, []) for f in primary.between}
    sizes = [str(len(levels)) for levels in factors.values()]
    design = " × ".join(sizes) if len(sizes) > 1 else f"one-way ({sizes[0]}-group)"  # not "a 2 … design"
    sentences = [
        _design_sentence(study, factors, design),
        *([_sample_sentence(results.header, results.consort)] if sample else []),
        _analysis_sentence(results, design),
    ]
    if results.manipulation_checks is not None:
        sentences.append(
            "Manipulation checks were tested with Welch's t-tests; effect sizes are Hedges' g with 95% CIs."
        )
    sentences += _suite_sentences(results)
    sentences += methods_sentences(results)
    sentences += outcome_kind_sentences(results.outcomes)
    return " ".join(sentences)


def _suite_sentences(results: AnalysisResult) -> list[str]:
    from placebolab.analysis.suite import BOOT_SEED, N_BOOT

    sentences = []
    if results.simple_effects is not None:
        sentences.append(
            "Simple effects were tested within the full model against its pooled error term (as emmeans "
            "and JASP do), Holm-adjusted."
        )
    course = results.time_course
    if course is not None and course.error is None:
        sentences.append(
            f"The time course over {len(course.occasions)} occasions ({', '.join(course.occasions)}) was analysed with a "
            "mixed ANOVA (occasion within, factors between; Greenhouse–Geisser and Huynh–Feldt corrections, "
            f"generalized eta squared ηG²) and {_mixed_model_phrase(course.mixed_model)}."
        )
    if results.mediation:
        sentences.append(
            "Mediation was estimated with OLS paths (factors coded 1 for their first level, 0 for the second); the "
            f"indirect effect a·b has a percentile bootstrap 95% CI ({N_BOOT} resamples, seed {BOOT_SEED})."
        )
    sentences.append(
        "Assumptions were checked with the Shapiro–Wilk test of the residuals, Levene's test (median-centred) and, "
        "for ANCOVA, the homogeneity of regression slopes; where a check failed, HC3-robust F tests and "
        "Freedman–Lane permutation p values are shown beside."
    )
    return sentences


def _mixed_model_phrase(model) -> str:
    if model is None:
        return "a linear mixed model with a random intercept per participant"
    slope = " and a random slope for time" if model.random_slope else ""
    ddf = {"satterthwaite": "Satterthwaite's", "kenward-roger": "the Kenward–Roger"}[model.ddf]
    return (
        f"a linear mixed model (REML, as lme4) with a random intercept{slope} per participant, its fixed effects "
        f"tested with type III F tests on {ddf} degrees of freedom (as lmerTest)"
    )


def _design_sentence(study, factors: dict, design: str) -> str:
    descriptions = study.codebook.get("factor_descriptions") or {}
    crossing = " and ".join(_factor_phrase(f, levels, descriptions.get(f)) for f, levels in factors.items())
    verb = "crossing" if len(factors) > 1 else "varying"
    allocation = allocation_phrase(study.codebook.get("allocation"))
    return (
        f"Participants were randomly allocated to the cells of a {design} between-subjects design "
        f"{verb} {crossing} by {allocation}."
    )


def _sample_sentence(header: dict, flow: dict | None = None) -> str:
    """``flow``: the export's consort.json (None without one), for those who declined before enrolment."""
    excluded = f"{header['n_incomplete']} incomplete sessions excluded"
    if header.get("n_declined_consent"):
        excluded += f"; {header['n_declined_consent']} declined consent"
    if header["n_pilot"]:
        verb = "included" if header["pilot_included"] else "excluded"
        excluded += f"; {header['n_pilot']} completed pilot sessions {verb}"
    if header["n_in_arms"]:
        excluded += f"; {header['n_in_arms']} in arms outside the factorial design not in the ANOVA"
    corrections = correction_phrase(header)
    if corrections:
        excluded += f"; {corrections}"
    declined = (flow or {}).get("declined_before_enrolment", 0)
    before = f" (not counting {declined} who declined consent before enrolment, never allocated)" if declined else ""
    return (
        f"Of {header['n_rows']} participants enrolled{before}, {header['n_completed']} completed the session "
        f"and {header['n_analysed']} were analysed ({excluded})."
    )


def correction_phrase(header: dict) -> str:
    """``2 withdrawn (felt unwell: 1; withdrew consent: 1), 1 excluded (took antihistamine)``, or "".

    The participants :func:`~placebolab.analysis.plan.analysed_sample` left out because of a
    correction recorded in the study's log, by disposition and reason.
    """
    parts = []
    for disposition, reasons in (header.get("corrected_reasons") or {}).items():
        n = sum(reasons.values())
        named = {reason or "no reason recorded": count for reason, count in reasons.items()}
        why = "; ".join(reason if len(named) == 1 else f"{reason}: {count}" for reason, count in named.items())
        parts.append(f"{n} {disposition.replace('-', ' ')} ({why})")
    return ", ".join(parts)


def _analysis_sentence(results: AnalysisResult, design: str) -> str:
    primary = results.primary
    change = next((o for o in results.outcomes if o.role == "change from baseline"), None)
    scales = change_scales(results.study.codebook, *change.derived_from) if change and change.derived_from else None
    also = " and so was its change from baseline" if change and not scales else ""
    ss_words = SS_TYPE_WORDS.get(results.ss_type, str(results.ss_type))
    if primary.measurement != "continuous":
        return categorical_sentence(_quoted(primary.label, primary.name), primary, design)
    if primary.covariates:
        return (
            f"The primary outcome, {_quoted(primary.label, primary.name)}, was analysed with a {design} "
            f"between-subjects ANCOVA adjusting for {_and_list(primary.covariates)}, with {ss_words}{also}; "
            f"adjusted means are estimated marginal means at the covariate's mean{_strata_words(results)}; effect "
            "sizes are partial eta squared (ηp²)." + _no_change_words(change, scales)
        )
    return (
        f"The primary outcome, {_quoted(primary.label, primary.name)}, was analysed with a {design} "
        f"between-subjects ANOVA with {ss_words}{also}; effect sizes are partial eta squared (ηp²)."
    )


def _no_change_words(change: OutcomeResult | None, scales: tuple[str, str] | None) -> str:
    """`` No change from baseline was computed: …`` when the outcome and its baseline are on different scales."""
    if change is None or change.derived_from is None or scales is None:
        return ""
    (outcome, baseline), (outcome_range, baseline_range) = change.derived_from, scales
    return (
        f" No change from baseline was computed: {outcome} ({outcome_range}) and its baseline {baseline} "
        f"({baseline_range}) are on different scales."
    )


def _strata_words(results: AnalysisResult) -> str:
    strata = list(results.strata_adjusted)
    if not strata:
        return ""
    verb = (
        "minimised on"
        if (results.study.codebook.get("allocation") or {}).get("scheme") == "minimization"
        else "stratified by"
    )
    return (
        f", averaged with equal weights over the levels of {_and_list(strata)}, which enter as categorical covariates "
        f"because allocation was {verb} {'it' if len(strata) == 1 else 'them'} (as the analysis plan states, following "
        "EMA's guideline on adjustment for baseline covariates, EMA/CHMP/295050/2013)"
    )


def _quoted(label: str, name: str) -> str:
    return name if label == name else f"“{label}” ({name})"


def _factor_phrase(factor: str, levels: list, description: str | None) -> str:
    """``warmth (warm vs neutral), the emotional component``."""
    phrase = f"{factor} ({' vs '.join(map(str, levels))})"
    if not description:
        return phrase
    first = description.split(maxsplit=1)[0].lower()
    article = "" if first in _DETERMINERS or first.endswith("'s") else "the "  # not "the the …", "the what …"
    return f"{phrase}, {article}{description},"


# Words a factor's description may start with that take no "the" before them.
_DETERMINERS = {
    "the",
    "a",
    "an",
    "this",
    "that",
    "its",
    "their",
    "his",
    "her",
    "our",
    "what",
    "how",
    "whether",
    "which",
    "who",
}


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
    if allocation.get("ratio"):  # CONSORT 8b: an unequal ratio must be said, else a reader assumes 1:1
        weights = _and_list(f"{cell} {weight}" for cell, weight in allocation["ratio"].items())
        words += f", allocation weights {weights} (1 for any cell not named)"
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
            "n_corrected": int(row.get("n_corrected", 0)),
            "n_declined": int(row.get("n_declined", 0)),
            "n_attention_failed": int(row.get("n_attention_failed", 0)),
            "n_too_fast": int(row.get("n_too_fast", 0)),
        }
        for _, row in counts.iterrows()
    ]


def _missing_words(column: str, results: AnalysisResult) -> str | None:
    """How many analysed participants have no value of ``column`` (left out of its analysis), and when the
    codebook says it is empty; None when everyone has one."""
    if column not in results.data.columns:
        return None
    missing, total = int(results.data[column].isna().sum()), len(results.data)
    if not missing:
        return None
    entry: dict = next((c for c in results.study.codebook.get("columns") or [] if c.get("name") == column), {})
    why = f" (codebook: {entry['missing']})" if entry.get("missing") else ""
    have = "has" if missing == 1 else "have"
    return f"{missing} of the {total} analysed participants {have} no value of {column}{why}: it is analysed for {total - missing}."


def _outcome_view(outcome, data: pd.DataFrame) -> dict:
    view = {"name": outcome.name, "label": outcome.label, "role": outcome.role, "error": outcome.error,
            "between": outcome.between, "descriptives": [], "anova": [], "effects": [], "plot": None,
            "covariates": list(outcome.covariates), "emmeans": [], "assumptions": [], "robust": []}  # fmt: skip
    view["categorical"], view["evidence"] = None, None  # report/outcomes.py fills them in
    # a change score not computed (two scales, a part missing) is no column of the data: none is named
    view["column"] = None if outcome.derived_from and outcome.name not in data.columns else outcome.name
    if outcome.error:
        return view
    if outcome.categorical is not None:  # a binary or ordinal outcome: its own tables, no ANOVA
        return view | {"categorical": categorical_view(outcome), "evidence": evidence_view(outcome)}
    view["evidence"] = evidence_view(outcome)
    view["descriptives"] = _descriptive_rows(outcome.descriptives, outcome.between)
    view["anova"], view["effects"] = _anova_rows(outcome.anova)
    if outcome.covariates and outcome.emmeans is not None:
        view["emmeans"] = [
            {"levels": [_text(row[f]) for f in outcome.between], "mean": fmt.fmt_num(row["emmean"]),
             "se": fmt.fmt_num(row["se"]), "ci": fmt.fmt_ci(row["ci_low"], row["ci_high"])}
            for _, row in outcome.emmeans.iterrows()
        ]  # fmt: skip
    view["assumptions"] = _assumption_rows(outcome.assumptions)
    if outcome.robust is not None:
        view["robust"] = [
            {"source": _source(row["Source"]), "df": f"{int(row['DF'])}, {int(outcome.robust.iloc[-1]['DF'])}",
             "f": fmt.fmt_num(row["F"]), "p": fmt.fmt_p(row["p_unc"], with_symbol=False),
             "p_perm": fmt.fmt_p(row["p_perm"], with_symbol=False) if "p_perm" in row else ""}
            for row in _records(outcome.robust.iloc[:-1])
        ]  # fmt: skip
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
    from placebolab.report.plots import figure_to_data_uri, interaction_plot

    if len(outcome.between) > 2:
        return None  # an interaction plot shows two factors at most
    # An ANCOVA is read through its adjusted means, so those are what the plot shows.
    adjusted = outcome.emmeans if outcome.covariates else None
    fig = interaction_plot(data, outcome.name, outcome.between, means=adjusted)
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


def _records(table) -> list[dict]:
    return [] if table is None else [row for _, row in table.iterrows()]


def _assumption_rows(table) -> list[dict]:
    return [
        {"check": row["check"], "statistic": fmt.fmt_num(row["statistic"], 3),
         "df": "" if pd.isna(row["df1"]) else f"{fmt.fmt_int_or_num(row['df1'])}, {fmt.fmt_int_or_num(row['df2'])}",
         "p": fmt.fmt_p(row["p_val"], with_symbol=False), "ok": "met" if row["ok"] else "not met", "note": row["note"]}
        for row in _records(table)
    ]  # fmt: skip


def _simple_rows(table) -> list[dict]:
    return [
        {"at": row["at"], "effect": row["effect"], "contrast": row["contrast"],
         "estimate": fmt.fmt_num(row["estimate"]), "ci": "" if pd.isna(row["ci_low"]) else fmt.fmt_ci(row["ci_low"], row["ci_high"]),
         "test": fmt.fmt_f(row["F"], row["DF1"], row["DF2"]) if pd.isna(row["t"]) else fmt.fmt_t(row["t"], row["DF2"]),
         "p": fmt.fmt_p(row["p_unc"], with_symbol=False), "p_adj": fmt.fmt_p(row["p_adj"], with_symbol=False)}
        for row in _records(table)
    ]  # fmt: skip


def _time_course_view(course) -> dict | None:
    if course is None:
        return None
    view = {"outcome": course.outcome, "occasions": course.occasions, "error": course.error,
            "lmm_error": course.lmm_error, "anova": [], "lmm": [], "plot": None, "between": course.between,
            "lmm_caption": "", "variance": [], "icc": "", "lmm_means": []}  # fmt: skip
    if course.error:
        return view
    view["anova"] = [
        {"source": _source(row["Source"]), "df": f"{fmt.fmt_int_or_num(row['DF1'])}, {fmt.fmt_int_or_num(row['DF2'])}",
         "f": fmt.fmt_num(row["F"]), "p": fmt.fmt_p(row["p_unc"], with_symbol=False), "eps": fmt.fmt_num(row["eps"], 3),
         "p_gg": fmt.fmt_p(row["p_GG_corr"], with_symbol=False), "eps_hf": fmt.fmt_num(row["eps_HF"], 3),
         "p_hf": fmt.fmt_p(row["p_HF_corr"], with_symbol=False), "ng2": fmt.fmt_unit(row["ng2"], 3)}
        for row in _records(course.anova)
    ]  # fmt: skip
    view.update(_mixed_model_view(course.mixed_model, course.between))
    from placebolab.report.plots import figure_to_data_uri, time_course_plot

    view["plot"] = figure_to_data_uri(time_course_plot(course.descriptives, course.outcome, course.between))
    return view


def _mixed_model_view(model, between: list[str]) -> dict:
    """The mixed model's F tests, variance components, ICC and model-based means, as strings."""
    if model is None:
        return {}
    ddf = {"satterthwaite": "Satterthwaite", "kenward-roger": "Kenward–Roger"}[model.ddf]
    return {
        "lmm": [
            {
                "source": _source(row["Source"]),
                "df": f"{int(row['NumDF'])}, {fmt.fmt_num(row['DenDF'], 1)}",
                "f": fmt.fmt_num(row["F"]),
                "p": fmt.fmt_p(row["p_unc"], with_symbol=False),
            }
            for row in _records(model.anova)
        ],  # fmt: skip
        "lmm_caption": (
            f"Linear mixed model (REML) with a random intercept{' and a random slope for time' if model.random_slope else ''} "
            f"per participant: type III F tests, {ddf} degrees of freedom ({model.n_observations} observations "
            f"of {model.n_participants} participants)"
            + (
                "; singular fit: a variance is estimated at 0 (or a correlation at ±1), so a simpler random part fits "
                "as well"
                if model.singular
                else ""
            )
        ),
        "variance": [
            {
                "component": row["component"],
                "variance": fmt.fmt_num(row["variance"]),
                "sd": fmt.fmt_num(row["sd"]),
                "corr": "" if pd.isna(row["corr"]) else fmt.fmt_num(row["corr"], 3),
            }
            for row in _records(model.variance)
        ],  # fmt: skip
        "icc": fmt.fmt_unit(model.icc, 3),
        "lmm_means": [
            {
                "occasion": row["occasion"],
                "levels": [_text(row[f]) for f in between],
                "mean": fmt.fmt_num(row["emmean"]),
                "se": fmt.fmt_num(row["se"]),
                "df": fmt.fmt_num(row["df"], 1),
                "ci": fmt.fmt_ci(row["ci_low"], row["ci_high"]),
            }
            for row in _records(model.emmeans)
        ],  # fmt: skip
    }


def _mediation_view(result) -> dict:
    spec = result.spec
    view = {"x": spec["x"], "m": spec["m"], "y": spec["y"], "covariates": list(spec.get("covariates") or []),
            "moderator": spec.get("moderator"), "error": result.error, "rows": [], "paths": {}, "n": result.n,
            "coding": "; ".join(f"{f}: {levels[0]} = 1, {levels[1]} = 0" for f, levels in result.levels.items() if len(levels) == 2)}  # fmt: skip
    if result.error:
        return view
    for row in _records(result.table):
        p = "" if pd.isna(row["p_val"]) else fmt.fmt_p(row["p_val"], with_symbol=False)
        view["rows"].append({"path": row["path"], "label": row["label"], "coef": fmt.fmt_num(row["coef"]),
                             "se": fmt.fmt_num(row["se"]), "p": p, "ci": fmt.fmt_ci(row["ci_low"], row["ci_high"]),
                             "kind": "bootstrap" if pd.isna(row["p_val"]) else "OLS"})  # fmt: skip
        star = "*" if row["sig"] else ""
        view["paths"][row["path"]] = f"{fmt.fmt_num(row['coef'])}{star}"
    view["paths"].setdefault("indirect", view["paths"].get("index", ""))
    return view
