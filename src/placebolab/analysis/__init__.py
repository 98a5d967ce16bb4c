"""Prepared analyses of exported placebolab studies, pingouin style: DataFrame in, tidy DataFrame out.

Importing this package is cheap: pingouin, statsmodels, scipy, matplotlib and jinja2 are imported
inside the functions that need them, so ``placebolab --help`` stays quick.

Functions
---------
cell_descriptives   n, mean, SD, SE and 95 % CI per cell
anova               N-way between-subjects ANOVA, or ANCOVA with covariates (type I, II or III)
estimated_marginal_means  adjusted (estimated marginal) means with CIs, as emmeans
simple_effects      one factor's effect at each level of the others, pooled error term
time_course         mixed ANOVA (GG correction, generalized eta²) or random-intercept mixed model
mediation           paths a, b, c, c′ and bootstrap CI of the indirect effect; moderated mediation
assumption_checks   residual normality, Levene, homogeneity of regression slopes
robust_anova        the ANOVA/ANCOVA with HC3 heteroscedasticity-consistent tests
permutation_anova   the ANOVA/ANCOVA with Freedman–Lane permutation p values
manipulation_checks Welch t-test and Hedges' g per manipulation-check measure
interaction_plot    cell means with 95 % CI error bars (matplotlib Figure)
figure_to_data_uri  a figure as a base64 PNG data URI
load_export         read wide.csv + codebook.json of an export folder
run_analyses        every analysis of the codebook's plan, as DataFrames
primary_analysis    descriptives and ANOVA of the primary outcome (raises on bad data)
build_report        run_analyses + one self-contained HTML report
"""

from placebolab.analysis.anova import anova
from placebolab.analysis.assumptions import assumption_checks, permutation_anova, robust_anova
from placebolab.analysis.descriptives import cell_descriptives
from placebolab.analysis.emmeans import estimated_marginal_means, simple_effects
from placebolab.analysis.exported import ExportedStudy, load_export
from placebolab.analysis.manipulation import manipulation_checks
from placebolab.analysis.mediation import mediation
from placebolab.analysis.plots import figure_to_data_uri, interaction_plot
from placebolab.analysis.report import (
    OutcomeResult,
    build_report,
    manipulation_check_table,
    primary_analysis,
    run_analyses,
)
from placebolab.analysis.timecourse import time_course

__all__ = [
    "ExportedStudy",
    "OutcomeResult",
    "anova",
    "assumption_checks",
    "estimated_marginal_means",
    "mediation",
    "permutation_anova",
    "robust_anova",
    "simple_effects",
    "time_course",
    "build_report",
    "cell_descriptives",
    "figure_to_data_uri",
    "interaction_plot",
    "load_export",
    "manipulation_check_table",
    "manipulation_checks",
    "primary_analysis",
    "run_analyses",
]
