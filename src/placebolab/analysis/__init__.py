"""Prepared analyses of exported placebolab studies, pingouin style: DataFrame in, tidy DataFrame out.

Importing this package is cheap: pingouin, statsmodels, scipy, matplotlib and jinja2 are imported
inside the functions that need them, so ``placebolab --help`` stays quick.

Functions
---------
cell_descriptives   n, mean, SD, SE and 95 % CI per cell
anova               N-way between-subjects ANOVA (type I, II or III sums of squares)
manipulation_checks Welch t-test and Hedges' g per manipulation-check measure
interaction_plot    cell means with 95 % CI error bars (matplotlib Figure)
figure_to_data_uri  a figure as a base64 PNG data URI
load_export         read wide.csv + codebook.json of an export folder
run_analyses        every analysis of the codebook's plan, as DataFrames
primary_analysis    descriptives and ANOVA of the primary outcome (raises on bad data)
build_report        run_analyses + one self-contained HTML report
"""

from placebolab.analysis.anova import anova
from placebolab.analysis.descriptives import cell_descriptives
from placebolab.analysis.exported import ExportedStudy, load_export
from placebolab.analysis.manipulation import manipulation_checks
from placebolab.analysis.plots import figure_to_data_uri, interaction_plot
from placebolab.analysis.report import (
    OutcomeResult,
    build_report,
    manipulation_check_table,
    primary_analysis,
    run_analyses,
)

__all__ = [
    "ExportedStudy",
    "OutcomeResult",
    "anova",
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
