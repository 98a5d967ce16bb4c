"""Time course: mixed ANOVA (time within, factors between) and a linear mixed model.

The mixed ANOVA uses the univariate approach of afex/car: the repeated measures are turned into
an orthonormal set of within-subject contrasts, a between-subjects model (sum-to-zero coding,
type III) is fitted to each, and the within effects are the traces of those fits — so unbalanced
cells are handled as in afex::aov_ez / SPSS GLM, and the Greenhouse–Geisser epsilon and
Mauchly's test come from the pooled within-cell covariance of the contrasts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from placebolab.analysis._linear import anova_table, fit_linear, source_name
from placebolab.analysis._validate import as_factor_list, levels_of, require_columns, require_frame, require_numeric
from placebolab.analysis.lmm import MixedModelResult, fit_mixed_model
from placebolab.errors import AnalysisError, InternalError

MIXED_COLUMNS = [
    "Source",
    "SS",
    "DF1",
    "DF2",
    "MS",
    "F",
    "p_unc",
    "eps",
    "p_GG_corr",
    "eps_HF",
    "p_HF_corr",
    "ng2",
    "np2",
    "W_spher",
    "p_spher",
]


def time_course(
    data: pd.DataFrame,
    dv: str,
    within: str,
    subject: str,
    between=None,
    model: str = "anova",
    ss_type: int = 3,
    random_slope: bool = False,
    ddf: str = "satterthwaite",
) -> pd.DataFrame:
    """Time × between-factors analysis of a repeated outcome (long data: one row per occasion).

    Parameters
    ----------
    data : pandas.DataFrame
        Long format: one row per participant and occasion.
    dv : str
        Numeric outcome.
    within : str
        The occasion column (e.g. ``"occasion"`` with ``t0+3min, t0+9min, t0+15min``); its
        categorical order, or else sorted order, is the time order.
    subject : str
        Participant identifier. A participant missing any occasion is left out (complete cases,
        as afex and SPSS do for the ANOVA); the mixed model uses every row.
    between : str or list of str, optional
        Between-subjects factors, constant within a participant.
    model : {"anova", "lmm"}
        ``"anova"``: mixed ANOVA with Greenhouse–Geisser correction and generalized eta squared.
        ``"lmm"``: linear mixed model fitted by REML as lme4 fits it, fixed effects time ×
        factors (sum-to-zero coding), a random intercept per participant (and a random slope for
        time with ``random_slope``), type III F tests as lmerTest's ``anova(fit)``; see
        :func:`mixed_model` for its variance components, ICC and adjusted means.
    ss_type : {2, 3}
        Sums of squares of the mixed ANOVA for unbalanced cells (default 3, as afex and SPSS;
        2 as JASP's type II). Balanced designs give the same table either way.
    random_slope, ddf
        Of the mixed model only: see :func:`mixed_model`.

    Returns
    -------
    pandas.DataFrame
        ``"anova"``: ``Source, SS, DF1, DF2, MS, F, p_unc, eps, p_GG_corr, eps_HF, p_HF_corr,
        ng2, np2, W_spher, p_spher`` — one row per between effect, then the within effect and its
        interactions (``"occasion * warmth"``). ``eps`` is Greenhouse–Geisser's epsilon,
        ``eps_HF`` Huynh–Feldt's (Lecoutre-corrected, as car/afex; shown above 1 when it is, the
        p value then uses 1). Both are 1 and the sphericity columns NaN for between effects and
        for two occasions. ``ng2`` is generalized eta squared (Olejnik & Algina,
        2003; all factors manipulated), as afex's ``ges``.
        ``"lmm"``: ``Source, NumDF, DenDF, F, p_unc`` per fixed term, the denominator df by
        Satterthwaite's method (or Kenward–Roger's with ``ddf="kenward-roger"``).

    Raises
    ------
    placebolab.errors.AnalysisError
        If a column is missing, the outcome is not numeric, there are fewer than two occasions,
        a between factor varies within a participant, or the model has too few participants.

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import time_course
    >>> long = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
    ...                      "time": ["pre", "post"] * 6,
    ...                      "group": ["a"] * 6 + ["b"] * 6,
    ...                      "y": [5.0, 4.0, 6.0, 4.5, 5.5, 4.0, 5.0, 5.0, 6.0, 6.5, 5.5, 5.0]})
    >>> long["time"] = pd.Categorical(long["time"], ["pre", "post"])
    >>> time_course(long, "y", "time", "id", "group")[["Source", "DF1", "DF2", "F"]].round(3)
             Source  DF1  DF2       F
    0         group    1    4   2.286
    1          time    1    4  16.000
    2  time * group    1    4  16.000
    """
    if ss_type not in (2, 3):
        raise AnalysisError(f"ss_type of a time course must be 2 or 3, not {ss_type!r}.")
    if model not in ("anova", "lmm"):
        raise AnalysisError(f"model must be 'anova' or 'lmm', not {model!r}.")
    factors = _checked(data, dv, within, subject, between)
    if model == "lmm":
        return fit_mixed_model(data, dv, within, subject, factors, random_slope, ddf).anova
    return _mixed_anova(data, dv, within, subject, factors, ss_type)


def mixed_model(
    data: pd.DataFrame,
    dv: str,
    within: str,
    subject: str,
    between=None,
    random_slope: bool = False,
    ddf: str = "satterthwaite",
    confidence: float = 0.95,
) -> MixedModelResult:
    """Linear mixed model of a repeated outcome, as ``lmerTest::lmer`` fits and tests it.

    The model is ``dv ~ within * between (sum-to-zero coding) + (1 | subject)``, or
    ``(1 + time | subject)`` with ``random_slope`` (time = the occasion's position: 0, 1, 2, …),
    fitted by REML to lme4's optimum. Every row with a value is used (no complete cases needed).

    Parameters
    ----------
    data, dv, within, subject, between
        As :func:`time_course`.
    random_slope : bool
        Add a random slope for time (correlated with the intercept).
    ddf : {"satterthwaite", "kenward-roger"}
        Denominator degrees of freedom of the F tests and of the adjusted means, as lmerTest's
        ``anova(fit, type = 3, ddf = …)`` and emmeans' ``lmer.df``.
    confidence : float
        Level of the intervals of the adjusted means.

    Returns
    -------
    MixedModelResult
        ``anova`` (``Source, NumDF, DenDF, F, p_unc``), ``variance`` (``component, variance, sd,
        corr``), ``icc``, ``emmeans`` (one model-based mean per occasion × cell with ``se, df,
        ci_low, ci_high``), ``reml_criterion`` and the counts.

    Raises
    ------
    placebolab.errors.AnalysisError
        As :func:`time_course`, and when an occasion × cell combination has no data.

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import mixed_model
    >>> long = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
    ...                      "time": ["pre", "post"] * 6,
    ...                      "group": ["a"] * 6 + ["b"] * 6,
    ...                      "y": [5.0, 4.0, 6.0, 4.5, 5.5, 4.0, 5.0, 5.0, 6.0, 6.5, 5.5, 5.0]})
    >>> long["time"] = pd.Categorical(long["time"], ["pre", "post"])
    >>> mixed_model(long, "y", "time", "id", "group").anova.round(3)
             Source  NumDF  DenDF       F  p_unc
    0          time      1    4.0  16.000  0.016
    1         group      1    4.0   2.286  0.205
    2  time * group      1    4.0  16.000  0.016
    """
    factors = _checked(data, dv, within, subject, between)
    return fit_mixed_model(data, dv, within, subject, factors, random_slope, ddf, confidence)


def _checked(data, dv, within, subject, between) -> list[str]:
    require_frame(data)
    factors = as_factor_list(between) if between is not None and between != [] else []
    require_columns(data, [dv, within, subject, *factors])
    require_numeric(data, dv)
    occasions = _observed_occasions(data.loc[data[dv].notna(), within])
    if len(occasions) < 2:
        raise AnalysisError(
            f"Column '{within}' has {len(occasions)} occasion(s) with a value of '{dv}'; a time course needs at least two."
        )
    for factor in factors:
        varying = data.dropna(subset=[factor]).groupby(subject, observed=True)[factor].nunique()
        if (varying > 1).any():
            raise AnalysisError(
                f"Factor '{factor}' changes within participant {varying[varying > 1].index[0]!r}; "
                "a between-subjects factor must be constant for each participant."
            )
    return factors


def _observed_occasions(series: pd.Series) -> list:
    # Declared order (categorical) or sorted order, but only occasions that hold data.
    return [level for level in levels_of(series) if (series == level).any()]


def _wide(data, dv, within, subject, factors) -> tuple[pd.DataFrame, list]:
    data = data.dropna(subset=[dv])
    occasions = _observed_occasions(data[within])
    duplicated = data.duplicated([subject, within])
    if duplicated.any():
        row = data.loc[duplicated].iloc[0]
        raise AnalysisError(
            f"Participant {row[subject]!r} has two rows for occasion {row[within]!r} in column '{within}'."
        )
    values = data.pivot(index=subject, columns=within, values=dv).reindex(columns=occasions)
    levels = data.dropna(subset=factors).groupby(subject, observed=True)[factors].first() if factors else None
    wide = values.join(levels) if factors else values
    complete = wide.dropna()
    if len(complete) < 2:
        raise AnalysisError(
            f"Too few participants have a value of '{dv}' at every occasion of '{within}' "
            f"({len(complete)} of {len(wide)}); the mixed ANOVA needs complete participants (the mixed model does not)."
        )
    return complete, occasions


def _contrasts(k: int) -> np.ndarray:
    """Orthonormal contrasts (k × k−1), orthogonal to the constant: the within-subject space."""
    basis = np.linalg.qr(np.column_stack([np.ones(k), np.eye(k)[:, : k - 1]]))[0]
    return basis[:, 1:]


def _mixed_anova(data, dv, within, subject, factors, ss_type) -> pd.DataFrame:
    wide, occasions = _wide(data, dv, within, subject, factors)
    y = wide[occasions].to_numpy(dtype=float)
    k = len(occasions)
    between_rows = _between_part(wide, y, factors, k, ss_type)
    within_rows, error_ss = _within_part(wide, y, factors, within, k, ss_type)
    table = pd.DataFrame(between_rows + within_rows)
    if factors:
        subjects_ss = between_rows[-1]["SS"]  # the between-subjects error (participants within cells)
    else:  # no between factor: all variation between participants is error
        sums = y.sum(axis=1) / np.sqrt(k)
        subjects_ss = float(((sums - sums.mean()) ** 2).sum())
    total_error = subjects_ss + error_ss
    effects = table[table["Source"] != "Residual"].copy()
    effects["ng2"] = effects["SS"] / (effects["SS"] + total_error)
    return effects.reindex(columns=MIXED_COLUMNS).reset_index(drop=True)


def _between_part(wide, y, factors, k, ss_type) -> list[dict]:
    if not factors:
        return []
    frame = wide[factors].copy()
    frame["__sum"] = y.sum(axis=1) / np.sqrt(k)  # SS on this scale = k × SS of subject means
    table = anova_table(fit_linear(frame, "__sum", factors), ss_type=ss_type)
    resid = table.iloc[-1]
    rows = []
    for _, row in table.iterrows():
        rows.append({"Source": row["Source"], "SS": row["SS"], "DF1": row["DF"], "DF2": int(resid["DF"]),
                     "MS": row["MS"], "F": row["F"], "p_unc": row["p_unc"], "eps": 1.0, "p_GG_corr": row["p_unc"],
                     "eps_HF": 1.0, "p_HF_corr": row["p_unc"],
                     "np2": row["np2"], "W_spher": np.nan, "p_spher": np.nan})  # fmt: skip
    return rows


def _within_part(wide, y, factors, within, k, ss_type) -> tuple[list[dict], float]:
    from scipy import stats

    transformed = y @ _contrasts(k)
    sums: dict[str, float] = {}
    resid_ss, residuals, df_resid = 0.0, [], None
    for j in range(k - 1):
        terms, ss_error, resid, df_resid = _contrast_fit(wide, transformed[:, j], factors, ss_type)
        for name, ss in terms.items():
            sums[name] = sums.get(name, 0.0) + ss
        resid_ss += ss_error
        residuals.append(resid)
    if df_resid is None:
        raise InternalError("a time course has two occasions or more")
    eps, w, p_w = _sphericity(np.column_stack(residuals), df_resid)
    eps_hf = _huynh_feldt(eps, df_resid, k - 1)
    hf = min(1.0, eps_hf)  # car and afex show ε > 1 but correct with 1
    df2 = df_resid * (k - 1)
    rows = []
    for name, (ss, df_term) in _with_df(sums, wide, factors).items():
        df1 = df_term * (k - 1)
        f_value = (ss / df1) / (resid_ss / df2)
        source = within if name == "Intercept" else f"{within} * {name}"
        rows.append({"Source": source, "SS": ss, "DF1": df1, "DF2": df2, "MS": ss / df1, "F": f_value,
                     "p_unc": float(stats.f.sf(f_value, df1, df2)), "eps": eps,
                     "p_GG_corr": float(stats.f.sf(f_value, df1 * eps, df2 * eps)),
                     "eps_HF": eps_hf, "p_HF_corr": float(stats.f.sf(f_value, df1 * hf, df2 * hf)),
                     "np2": ss / (ss + resid_ss), "W_spher": w, "p_spher": p_w})  # fmt: skip
    return rows, resid_ss


def _with_df(sums: dict, wide, factors) -> dict:
    levels = {f: len(levels_of(wide[f])) for f in factors}
    out = {}
    for name, ss in sums.items():
        df = 1 if name == "Intercept" else int(np.prod([levels[f] - 1 for f in name.split(" * ")]))
        out[name] = (ss, df)
    return out


def _contrast_fit(wide, values, factors, ss_type) -> tuple[dict, float, np.ndarray, int]:
    """Type II or III SS of the intercept and each between effect for one within-subject contrast."""
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    frame = pd.DataFrame({"y": values})
    names = {}
    for i, factor in enumerate(factors):
        names[f"f{i}"] = factor
        frame[f"f{i}"] = wide[factor].astype(str).to_numpy()
    rhs = "*".join(f"C(f{i}, Sum)" for i in range(len(factors))) or "1"
    result = smf.ols(f"y ~ {rhs}", data=frame).fit()
    if result.df_resid < 1:
        raise AnalysisError(f"Too few complete participants ({len(frame)}) for the time-course model of these factors.")
    if not factors:
        return (
            {"Intercept": len(values) * float(np.mean(values)) ** 2},
            float(result.ssr),
            np.asarray(result.resid),
            int(result.df_resid),
        )
    table = sm.stats.anova_lm(result, typ=ss_type)
    if ss_type == 2:  # type II tests the intercept (time) first: the weighted grand mean
        table.loc["Intercept", "sum_sq"] = len(values) * float(np.mean(values)) ** 2
    terms = {("Intercept" if t == "Intercept" else source_name(t, names)): float(row["sum_sq"])
             for t, row in table.iterrows() if t != "Residual"}  # fmt: skip
    terms = {"Intercept": terms.pop("Intercept"), **terms}  # time first, then its interactions
    return terms, float(result.ssr), np.asarray(result.resid), int(result.df_resid)


def _huynh_feldt(eps_gg: float, df_error: int, p: int) -> float:
    """Huynh–Feldt epsilon with Lecoutre's (1991) correction, as car::summary.Anova.mlm and afex compute it."""
    if p < 2:
        return 1.0
    return ((df_error + 1) * p * eps_gg - 2) / (p * (df_error - p * eps_gg))


def _sphericity(residuals: np.ndarray, df_resid: int) -> tuple[float, float, float]:
    """Greenhouse–Geisser epsilon and Mauchly's W from the pooled within-cell covariance."""
    from scipy import stats

    p = residuals.shape[1]
    if p < 2:
        return 1.0, np.nan, np.nan
    sscp = residuals.T @ residuals
    eps = float(np.trace(sscp) ** 2 / (p * np.trace(sscp @ sscp)))
    cov = sscp / df_resid
    w = float(np.linalg.det(cov) / (np.trace(cov) / p) ** p)
    dof = p * (p + 1) / 2 - 1
    chi2 = -(df_resid - (2 * p**2 + p + 2) / (6 * p)) * np.log(w)
    return eps, w, float(stats.chi2.sf(chi2, dof))
