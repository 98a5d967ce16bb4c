"""Prepared analyses of exported placebolab studies, pingouin style: DataFrame in, tidy DataFrame out.

Statistics only: :mod:`placebolab.report` renders their result (HTML report, plots, terminal tables)
and this package never imports it. Importing it is cheap: pingouin, statsmodels and scipy are
imported inside the functions that need them, so ``placebolab --help`` stays quick.

Functions
---------
cell_descriptives   n, mean, SD, SE and 95 % CI per cell
anova               N-way between-subjects ANOVA, or ANCOVA with covariates (type I, II or III)
estimated_marginal_means  adjusted (estimated marginal) means with CIs, as emmeans
simple_effects      one factor's effect at each level of the others, pooled error term
pairwise            pairs of (adjusted) marginal means, or levels vs a control: Holm, Tukey, Dunnett
contrasts           planned comparisons ("augmented - limited"); interaction_contrasts for 2 × k
anova_effect_sizes  partial η² and ω² with noncentral-F CIs (as R effectsize)
time_course         mixed ANOVA (GG correction, generalized eta²) or random-intercept mixed model
time_course         mixed ANOVA (GG and HF corrections, generalized eta²) or mixed-model F tests
mixed_model         linear mixed model as lme4/lmerTest: Satterthwaite or Kenward–Roger F, variance
                    components, ICC, model-based means; random slopes for time as an option
mediation           paths a, b, c, c′ and bootstrap CI of the indirect effect; moderated mediation
assumption_checks   residual normality, Levene, homogeneity of regression slopes
robust_anova        the ANOVA/ANCOVA with HC3 heteroscedasticity-consistent tests
permutation_anova   the ANOVA/ANCOVA with Freedman–Lane permutation p values
manipulation_checks Welch t-test and Hedges' g per manipulation-check measure
categorical_outcome a binary (% per cell, χ² or Fisher, logistic regression) or ordinal (proportional odds,
                    Kruskal–Wallis) outcome; logistic_regression, proportional_odds, association_tests
equivalence_tests   TOST of each two-level factor's adjusted contrast against a smallest effect of interest
bayes_factors       JZS Bayes factor (Cauchy r = √2/2, JASP's default) of each two-level factor
load_export         read wide.csv + codebook.json of an export folder
run_analyses        every analysis of the codebook's plan, as one frozen AnalysisResult
primary_analysis    descriptives and ANOVA of the primary outcome (raises on bad data)
"""

from placebolab.analysis.anova import anova
from placebolab.analysis.assumptions import assumption_checks, permutation_anova, robust_anova
from placebolab.analysis.categorical import (
    association_tests,
    categorical_outcome,
    logistic_regression,
    proportional_odds,
    rank_tests,
)
from placebolab.analysis.contrasts import contrasts, interaction_contrasts, pairwise
from placebolab.analysis.descriptives import cell_descriptives
from placebolab.analysis.effect_sizes import anova_effect_sizes
from placebolab.analysis.emmeans import estimated_marginal_means, simple_effects
from placebolab.analysis.equivalence import bayes_factors, equivalence_tests
from placebolab.analysis.exported import ExportedStudy, load_export
from placebolab.analysis.lmm import MixedModelResult
from placebolab.analysis.manipulation import manipulation_checks
from placebolab.analysis.mediation import mediation
from placebolab.analysis.plan import (
    AnalysisResult,
    OutcomeResult,
    manipulation_check_table,
    primary_analysis,
    run_analyses,
)
from placebolab.analysis.timecourse import mixed_model, time_course

__all__ = [
    "AnalysisResult",
    "ExportedStudy",
    "MixedModelResult",
    "OutcomeResult",
    "anova",
    "anova_effect_sizes",
    "contrasts",
    "interaction_contrasts",
    "pairwise",
    "association_tests",
    "assumption_checks",
    "bayes_factors",
    "categorical_outcome",
    "equivalence_tests",
    "logistic_regression",
    "proportional_odds",
    "rank_tests",
    "estimated_marginal_means",
    "mediation",
    "mixed_model",
    "permutation_anova",
    "robust_anova",
    "simple_effects",
    "time_course",
    "cell_descriptives",
    "load_export",
    "manipulation_check_table",
    "manipulation_checks",
    "primary_analysis",
    "run_analyses",
]
