"""Outcomes that are not continuous: yes/no answers (binary) and ordered categories (ordinal).

An outcome's measurement comes from the codebook (a scale's ``measurement``, docs/tables.md): a binary
one gets its percentage per cell, a χ² or Fisher test per factor and a logistic regression with the
factors and the baseline; an ordinal one its distribution per cell, a Kruskal–Wallis test per factor and
a proportional-odds (cumulative logit) model. Neither is ever analysed as an ANOVA of category codes.

The models use sum-to-zero coding and likelihood-ratio tests of each term (type II or III, as
``car::Anova(fit, type = …)``; type I enters the covariates first, then the factor terms in order).
Odds ratios compare two levels of a factor averaged over the other factors' levels, covariates at their
mean, with Wald (z) intervals: as ``pairs(emmeans(fit, ~ factor), type = "response")``.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from placebolab.analysis._linear import checked_rows
from placebolab.analysis._validate import levels_of
from placebolab.errors import AnalysisError

MEASUREMENTS = ("continuous", "ordinal", "binary")
MIN_EXPECTED = 5  # below this expected count in any cell of the table, Fisher's exact test replaces χ²
MAX_EXACT_TABLES = 2_000_000  # beyond, Fisher's p value is estimated from random tables (and says so)
N_MONTE_CARLO = 100_000


@dataclass(frozen=True)
class CategoricalResult:
    """The analysis of a binary or ordinal outcome (see the module's docstring)."""

    measurement: str  # "binary" or "ordinal"
    distribution: pd.DataFrame  # binary: per cell n, events, percent, CI; ordinal: per cell and category
    tests: pd.DataFrame | None  # binary: χ² or Fisher per factor; ordinal: Kruskal–Wallis per factor
    model: pd.DataFrame | None = None  # likelihood-ratio tests of the logistic / proportional-odds model
    odds_ratios: pd.DataFrame | None = None
    model_error: str | None = None  # why the tests or the model could not be computed (the other tables stand)
    event: str = ""  # binary: what the percentage counts, e.g. "yes"
    labels: dict | None = None  # code → label of each category


def categorical_outcome(
    data: pd.DataFrame, dv: str, between, measurement: str, covariates=None, labels: dict | None = None,
    ss_type: int = 3,
) -> CategoricalResult:  # fmt: skip
    """The whole analysis of a binary or ordinal outcome; a model that cannot be fitted keeps its reason.

    ``labels`` maps each code of the scale to its label (lowest first: the codebook's ``min`` upward), so a
    category nobody chose is still shown; the event of a binary outcome is its higher code.

    Examples
    --------
    >>> import pandas as pd
    >>> from placebolab.analysis import categorical_outcome
    >>> df = pd.DataFrame({"arm": ["limited"] * 10 + ["augmented"] * 10,
    ...                    "relief": [2, 1, 1, 2, 1, 1, 1, 2, 1, 1] + [2, 2, 1, 2, 2, 1, 2, 2, 1, 2]})
    >>> result = categorical_outcome(df, "relief", "arm", "binary", labels={1: "no", 2: "yes"})
    >>> result.event, result.distribution[["arm", "n", "events", "percent"]]
    ('yes',          arm   n  events  percent
    0  augmented  10       7     70.0
    1    limited  10       3     30.0)
    >>> result.odds_ratios[["contrast", "odds_ratio", "ci_low", "ci_high"]].round(2)
                   contrast  odds_ratio  ci_low  ci_high
    0  augmented vs limited        5.44     0.8    36.87
    """
    if measurement not in ("binary", "ordinal"):
        raise AnalysisError(f"measurement must be binary or ordinal here, not {measurement!r}.")
    rows, factors, covs = checked_rows(data, dv, between, covariates)
    codes = _codes(rows[dv], labels, dv, measurement)
    labels = labels or {code: f"{code:g}" for code in codes}
    binary = measurement == "binary"
    # Tests and model may fail (everyone gave one answer; separation) while the distribution still informs.
    tests, tests_error = _attempt(lambda: (association_tests if binary else rank_tests)(rows, dv, factors))
    fit = logistic_regression if binary else proportional_odds
    fitted, model_error = _attempt(lambda: fit(rows, dv, factors, covs, ss_type=ss_type))
    model, odds = fitted or (None, None)
    error = " ".join(dict.fromkeys(e for e in (tests_error, model_error) if e)) or None
    if binary:
        return CategoricalResult(
            "binary", binary_table(rows, dv, factors, event=codes[-1]), tests, model, odds, error,
            event=str(labels.get(codes[-1], codes[-1])), labels=labels,
        )  # fmt: skip
    return CategoricalResult(
        "ordinal", ordinal_table(rows, dv, factors, labels), tests, model, odds, error, labels=labels
    )


def _attempt(compute):
    try:
        return compute(), None
    except AnalysisError as err:
        return None, str(err)


def _codes(values: pd.Series, labels: dict | None, dv: str, measurement: str) -> list[float]:
    """The scale's codes, lowest first; every answer must be one of them."""
    seen = sorted(float(v) for v in pd.unique(values.dropna()))
    codes = sorted(float(c) for c in labels) if labels else seen
    stray = [v for v in seen if v not in codes]
    if stray:
        raise AnalysisError(
            f"Column '{dv}' holds {stray[0]:g}, which is not a category of its scale ({', '.join(f'{c:g}' for c in codes)})."
        )
    if measurement == "binary" and len(codes) != 2:
        raise AnalysisError(
            f"Column '{dv}' is analysed as binary but holds {len(codes)} different values; a yes/no outcome has two."
        )
    return codes


# ---------------------------------------------------------------- binary


def binary_table(data: pd.DataFrame, dv: str, between, event=None, confidence: float = 0.95) -> pd.DataFrame:
    """Per cell: ``n``, ``events`` (answers equal to ``event``, default the highest value), ``percent`` and
    its Wilson interval (``prop.test(events, n, correct = FALSE)$conf.int`` in R), in percent."""
    from statsmodels.stats.proportion import proportion_confint

    factors = [between] if isinstance(between, str) else list(between)
    rows = data.dropna(subset=[dv, *factors])
    event = float(rows[dv].max()) if event is None else event
    out = []
    for levels in itertools.product(*[levels_of(rows[f]) for f in factors]):
        mask = np.ones(len(rows), dtype=bool)
        for factor, level in zip(factors, levels, strict=True):
            mask &= (rows[factor] == level).to_numpy()
        n, events = int(mask.sum()), int((rows.loc[mask, dv] == event).sum())
        low, high = proportion_confint(events, n, alpha=1 - confidence, method="wilson") if n else (np.nan, np.nan)
        out.append({**dict(zip(factors, levels, strict=True)), "n": n, "events": events,
                    "percent": 100 * events / n if n else np.nan, "ci_low": 100 * low, "ci_high": 100 * high})  # fmt: skip
    return pd.DataFrame(out)


def association_tests(data: pd.DataFrame, dv: str, between) -> pd.DataFrame:
    """Each factor's levels × the outcome's two values (pooled over the other factors) and, with several
    factors, the cells × the outcome: Pearson's χ² (with Yates' correction on a 2 × 2 table, as R's
    ``chisq.test``) or, when an expected count is below 5, Fisher's exact test (R's ``fisher.test``).

    Returns ``effect, test, statistic, df, p, min_expected`` (``statistic`` and ``df`` empty for Fisher).
    """
    factors = [between] if isinstance(between, str) else list(between)
    rows = data.dropna(subset=[dv, *factors])
    groupings = [[f] for f in factors] + ([factors] if len(factors) > 1 else [])
    out = []
    for grouping in groupings:
        table = pd.crosstab([rows[f] for f in grouping], rows[dv]).to_numpy()
        name = " × ".join(grouping) if len(grouping) > 1 else grouping[0]
        out.append({"effect": "cells" if len(grouping) > 1 else name, **_independence(table, name, dv)})
    return pd.DataFrame(out, columns=["effect", "test", "statistic", "df", "p", "min_expected"])


def _independence(table: np.ndarray, rows_name: str, dv: str) -> dict:
    from scipy import stats

    if table.shape[1] < 2 or table.shape[0] < 2:
        raise AnalysisError(f"'{dv}' takes one value only (or '{rows_name}' one level), so nothing can be compared.")
    expected = stats.contingency.expected_freq(table)
    smallest = float(expected.min())
    if smallest < MIN_EXPECTED:
        p, how = fisher_exact(table)
        return {"test": f"Fisher's exact test{how}", "statistic": np.nan, "df": np.nan, "p": p,
                "min_expected": smallest}  # fmt: skip
    chi2, p, df, _ = stats.chi2_contingency(table, correction=True)
    yates = " with Yates' continuity correction" if df == 1 else ""
    return {"test": f"Pearson's χ²{yates}", "statistic": float(chi2), "df": int(df), "p": float(p),
            "min_expected": smallest}  # fmt: skip


def fisher_exact(table: np.ndarray) -> tuple[float, str]:
    """Two-sided p of Fisher's exact test of an r × 2 table (as R's ``fisher.test``: the tables with the same
    margins no more probable than the observed one, relative tolerance 1e-7), and how it was computed:
    "" when every table was enumerated, else a note that the p value is a Monte Carlo estimate."""
    from scipy import stats

    table = np.asarray(table, dtype=int)
    if table.shape == (2, 2):
        return float(stats.fisher_exact(table).pvalue), ""
    if table.shape[1] != 2:
        table = table.T
    if table.shape[1] != 2:
        raise AnalysisError("Fisher's exact test is computed for a table with two columns (a yes/no outcome).")
    rows, column = table.sum(axis=1), int(table[:, 0].sum())
    if _n_tables(rows, column) > MAX_EXACT_TABLES:
        method = stats.MonteCarloMethod(n_resamples=N_MONTE_CARLO, rng=np.random.default_rng(0))
        return float(stats.fisher_exact(table, method=method).pvalue), f" (Monte Carlo, {N_MONTE_CARLO:,} tables)"
    firsts = _compositions(rows, column)
    log_p = _log_probability(firsts, rows, column)
    observed = _log_probability(table[:, :1].T, rows, column)[0]
    return float(min(1.0, np.exp(log_p[log_p <= observed + 1e-7 * abs(observed) + 1e-12]).sum())), ""


def _n_tables(rows: np.ndarray, total: int) -> int:
    ways: np.ndarray = np.zeros(total + 1)
    ways[0] = 1
    for n in rows:
        ways = np.convolve(ways, np.ones(int(n) + 1))[: total + 1]
    return int(ways[total])


def _compositions(rows: np.ndarray, total: int) -> np.ndarray:
    """Every first column (x_1 … x_r) with 0 ≤ x_i ≤ rows_i summing to ``total``."""
    partial = np.zeros((1, 0), dtype=int)
    for index, n in enumerate(rows):
        room = int(rows[index + 1 :].sum())
        grown = [np.column_stack([partial, np.full(len(partial), x)]) for x in range(int(n) + 1)]
        partial = np.vstack(grown)
        used = partial.sum(axis=1)
        partial = partial[(used <= total) & (used + room >= total)]
    return partial


def _log_probability(firsts: np.ndarray, rows: np.ndarray, total: int) -> np.ndarray:
    from scipy.special import gammaln

    def log_choose(n, k):
        return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)

    return log_choose(rows, firsts).sum(axis=1) - log_choose(rows.sum(), total)


def logistic_regression(data: pd.DataFrame, dv: str, between, covariates=None, ss_type: int = 3):
    """Logistic regression of ``dv`` (event: its highest value) on the factors (all interactions) and the
    covariates: likelihood-ratio tests of each term (``Source, chi2, DF, p``) and odds ratios
    (``contrast, odds_ratio, se_log, z, p, ci_low, ci_high``), as R's ``glm(family = binomial)``.

    Raises when a cell has only one of the two answers (complete separation: the odds ratios are
    infinite; the exact test of :func:`association_tests` is the one to read).
    """
    rows, factors, covs = checked_rows(data, dv, between, covariates)
    values = sorted(pd.unique(rows[dv]))
    if len(values) != 2:
        raise AnalysisError(f"Column '{dv}' holds {len(values)} different values; logistic regression needs two.")
    for levels, cell in rows.groupby(factors, observed=True)[dv]:
        if cell.nunique() < 2:
            where = ", ".join(f"{f} = {lv}" for f, lv in zip(factors, np.atleast_1d(levels), strict=True))
            raise AnalysisError(
                f"Every participant with {where} gave the same answer to '{dv}', so the odds ratios are infinite "
                "(complete separation) and the logistic model cannot be estimated; read the exact test instead."
            )
    y = (rows[dv] == values[1]).to_numpy(dtype=float)
    return _model(rows, y, factors, covs, ss_type, ordinal=False)


def ordinal_table(data: pd.DataFrame, dv: str, between, labels: dict | None = None) -> pd.DataFrame:
    """Per cell and category: ``value, label, count, percent`` (every category of ``labels``, chosen or
    not), with the cell's ``n`` and ``median``."""
    factors = [between] if isinstance(between, str) else list(between)
    rows = data.dropna(subset=[dv, *factors])
    codes = sorted(labels) if labels else sorted(pd.unique(rows[dv]))
    out = []
    for levels in itertools.product(*[levels_of(rows[f]) for f in factors]):
        mask = np.ones(len(rows), dtype=bool)
        for factor, level in zip(factors, levels, strict=True):
            mask &= (rows[factor] == level).to_numpy()
        answers = rows.loc[mask, dv]
        for code in codes:
            count = int((answers == code).sum())
            out.append({**dict(zip(factors, levels, strict=True)), "n": len(answers), "median": answers.median(),
                        "value": code, "label": (labels or {}).get(code, f"{code:g}"), "count": count,
                        "percent": 100 * count / len(answers) if len(answers) else np.nan})  # fmt: skip
    return pd.DataFrame(out)


def rank_tests(data: pd.DataFrame, dv: str, between) -> pd.DataFrame:
    """Kruskal–Wallis test of each factor's levels, pooled over the other factors (tie-corrected, as R's
    ``kruskal.test``; with two levels it is the Wilcoxon rank-sum test without continuity correction):
    ``effect, test, statistic, df, p``."""
    from scipy import stats

    factors = [between] if isinstance(between, str) else list(between)
    rows = data.dropna(subset=[dv, *factors])
    out = []
    for factor in factors:
        groups = [rows.loc[rows[factor] == level, dv].to_numpy(dtype=float) for level in levels_of(rows[factor])]
        if rows[dv].nunique() < 2:
            raise AnalysisError(f"Every participant gave the same answer to '{dv}', so nothing can be compared.")
        h, p = stats.kruskal(*groups)
        out.append({"effect": factor, "test": "Kruskal–Wallis", "statistic": float(h), "df": len(groups) - 1,
                    "p": float(p)})  # fmt: skip
    return pd.DataFrame(out)


def proportional_odds(data: pd.DataFrame, dv: str, between, covariates=None, ss_type: int = 3):
    """Proportional-odds (cumulative logit) model of ``dv`` on the factors (all interactions) and the
    covariates, as ``MASS::polr`` / ``ordinal::clm``: likelihood-ratio tests of each term and odds ratios
    of a higher category (``contrast, odds_ratio, se_log, z, p, ci_low, ci_high``)."""
    rows, factors, covs = checked_rows(data, dv, between, covariates)
    if rows[dv].nunique() < 3:
        raise AnalysisError(
            f"Column '{dv}' takes {rows[dv].nunique()} different values among the analysed rows; a "
            "proportional-odds model needs three or more (with two, analyse it as binary)."
        )
    _, y = np.unique(rows[dv].to_numpy(dtype=float), return_inverse=True)
    return _model(rows, y, factors, covs, ss_type, ordinal=True)


# ---------------------------------------------------------------- the models


@dataclass(frozen=True)
class _Design:
    matrix: np.ndarray  # with the intercept in column 0
    terms: list[tuple[str, list[int], frozenset]]  # (source name, columns, factors it involves)
    info: object  # patsy DesignInfo, for the reference grid
    frame: pd.DataFrame


def _design(rows: pd.DataFrame, factors: list[str], covs: list[str]) -> _Design:
    from patsy import dmatrix

    frame = pd.DataFrame(index=range(len(rows)))
    for i, factor in enumerate(factors):
        frame[f"f{i}"] = pd.Categorical(
            rows[factor].astype(str).to_numpy(), categories=[str(v) for v in levels_of(rows[factor])]
        )
    for i, cov in enumerate(covs):
        frame[f"z{i}"] = rows[cov].to_numpy(dtype=float)
    formula = " + ".join(["*".join(f"C(f{i}, Sum)" for i in range(len(factors))), *[f"z{i}" for i in range(len(covs))]])
    matrix = dmatrix(formula, frame)
    info = matrix.design_info
    names = {f"f{i}": f for i, f in enumerate(factors)} | {f"z{i}": c for i, c in enumerate(covs)}
    terms = []
    for term, span in info.term_name_slices.items():
        if term == "Intercept":
            continue
        keys = [part[2:].split(",")[0] if part.startswith("C(") else part for part in term.split(":")]
        source = " * ".join(names[k] for k in keys)
        involved = frozenset(k for k in keys if k.startswith("f"))
        terms.append((source, list(range(span.start, span.stop)), involved))
    covariate_terms = [t for t in terms if not t[2]]  # type I: covariates first, as SPSS enters them
    terms = covariate_terms + [t for t in terms if t[2]]
    return _Design(np.asarray(matrix), terms, info, frame)


def _fit(y: np.ndarray, x: np.ndarray, ordinal: bool):
    """The fitted model (statsmodels) and its log-likelihood; ``x`` holds the intercept in column 0."""
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not ordinal:
            result = sm.GLM(y, x, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=200)
            return result, float(result.llf)
        if x.shape[1] == 1:  # thresholds only: the multinomial likelihood of the observed proportions
            counts = np.bincount(y)
            counts = counts[counts > 0]
            return None, float((counts * np.log(counts / counts.sum())).sum())
        from statsmodels.miscmodels.ordinal_model import OrderedModel

        model = OrderedModel(y, x[:, 1:], distr="logit")
        start = np.r_[np.zeros(x.shape[1] - 1), model.start_params[x.shape[1] - 1 :]]
        result = model.fit(start_params=start, method="newton", maxiter=200, disp=False)
        if not result.mle_retvals.get("converged", True):
            result = model.fit(start_params=start, method="bfgs", maxiter=5000, gtol=1e-10, disp=False)
    if not np.isfinite(result.llf) or not result.mle_retvals.get("converged", True):
        raise AnalysisError("The proportional-odds model did not converge (too few answers in some categories?).")
    return result, float(result.llf)


def _model(rows, y, factors, covs, ss_type: int, ordinal: bool):
    design = _design(rows, factors, covs)
    full, llf_full = _fit(y, design.matrix, ordinal)
    tests = []
    for index, (source, columns, _) in enumerate(design.terms):
        kept, added = _nested(design.terms, index, ss_type)
        reduced_cols = [0, *kept]
        _, llf_reduced = _fit(y, design.matrix[:, reduced_cols], ordinal)
        if ss_type == 3:
            llf_with = llf_full
        else:
            _, llf_with = _fit(y, design.matrix[:, sorted([0, *kept, *added])], ordinal)
        chi2 = max(0.0, 2 * (llf_with - llf_reduced))
        tests.append({"Source": source, "chi2": chi2, "DF": len(columns), "p": _chi2_sf(chi2, len(columns))})
    return pd.DataFrame(tests), _odds_ratios(full, design, factors, covs, ordinal)


def _nested(terms, index: int, ss_type: int) -> tuple[list[int], list[int]]:
    """Columns of the model without the term, and the term's columns added to it (see the module's docstring)."""
    _, columns, involved = terms[index]
    if ss_type == 3:
        others = [c for i, (_, cols, _) in enumerate(terms) if i != index for c in cols]
    elif ss_type == 2:  # every term that does not contain this one
        others = [c for i, (_, cols, inv) in enumerate(terms) if i != index and not (involved and involved <= inv)
                  for c in cols]  # fmt: skip
    elif ss_type == 1:
        others = [c for _, cols, _ in terms[:index] for c in cols]
    else:
        raise AnalysisError(f"ss_type must be 1, 2 or 3, not {ss_type!r}.")
    return others, columns


def _chi2_sf(chi2: float, df: int) -> float:
    from scipy import stats

    return float(stats.chi2.sf(chi2, df))


def _odds_ratios(result, design: _Design, factors: list[str], covs: list[str], ordinal: bool) -> pd.DataFrame:
    from patsy import build_design_matrices
    from scipy import stats

    params, cov = np.asarray(result.params), np.asarray(result.cov_params())
    if ordinal:  # OrderedModel: the predictors' coefficients first, then the thresholds; no intercept
        k = design.matrix.shape[1] - 1
        params, cov = np.r_[0.0, params[:k]], np.pad(cov[:k, :k], ((1, 0), (1, 0)))
    grid = pd.DataFrame(
        list(itertools.product(*[list(design.frame[f"f{i}"].cat.categories) for i in range(len(factors))])),
        columns=[f"f{i}" for i in range(len(factors))],
    )
    for i in range(len(factors)):
        grid[f"f{i}"] = pd.Categorical(grid[f"f{i}"], categories=design.frame[f"f{i}"].cat.categories)
    for i in range(len(covs)):
        grid[f"z{i}"] = float(design.frame[f"z{i}"].mean())
    (cells,) = build_design_matrices([design.info], grid)
    cells = np.asarray(cells)
    weights, names = [], []
    for i, factor in enumerate(factors):
        levels = list(grid[f"f{i}"].cat.categories)
        means = [cells[(grid[f"f{i}"] == level).to_numpy()].mean(axis=0) for level in levels]
        for a, b in itertools.combinations(range(len(levels)), 2):
            weights.append(means[a] - means[b])
            names.append((factor, f"{levels[a]} vs {levels[b]}"))
    for cov_name in covs:
        unit = np.zeros(len(params))
        unit[design.terms[[t[0] for t in design.terms].index(cov_name)][1][0]] = 1.0
        weights.append(unit)
        names.append((cov_name, "per unit"))
    matrix = np.array(weights)
    estimate = matrix @ params
    se = np.sqrt(np.einsum("ij,jk,ik->i", matrix, cov, matrix))
    z = estimate / se
    quantile = stats.norm.ppf(0.975)
    return pd.DataFrame({
        "effect": [n[0] for n in names], "contrast": [n[1] for n in names],
        "odds_ratio": np.exp(estimate), "se_log": se, "z": z, "p": 2 * stats.norm.sf(np.abs(z)),
        "ci_low": np.exp(estimate - quantile * se), "ci_high": np.exp(estimate + quantile * se),
    })  # fmt: skip


def measurement_of(codebook: dict, column: str) -> tuple[str, dict | None]:
    """A column's measurement in the codebook (``continuous`` when not recorded, as in exports made before
    it was) and its categories ``{code: label}`` (codes ``min``, ``min + 1`` …), or None."""
    entry = next((c for c in codebook.get("columns") or [] if isinstance(c, dict) and c.get("name") == column), {})
    measurement = entry.get("measurement") or "continuous"
    if measurement not in MEASUREMENTS:
        raise AnalysisError(
            f"codebook.json gives column '{column}' the measurement {measurement!r}; it must be one of "
            f"{', '.join(MEASUREMENTS)}. Export the study again."
        )
    labels = entry.get("labels")
    low = entry.get("min")
    if measurement == "continuous" or not labels or low is None or not math.isfinite(float(low)):
        return measurement, None
    return measurement, {float(low) + i: str(label) for i, label in enumerate(labels)}
