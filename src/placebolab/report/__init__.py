"""Rendering of an :class:`~placebolab.analysis.plan.AnalysisResult`: the HTML report and terminal tables.

The statistics (:mod:`placebolab.analysis`) compute the result and never import this package; here
are the templates, plots, APA number formatting and the CONSORT drawing, reading only that result.
Importing it is cheap: jinja2, matplotlib and rich are imported inside the functions that use them.
"""

from __future__ import annotations

from pathlib import Path

from placebolab.analysis.plan import AnalysisResult, run_analyses


def build_report(export_dir, out_path=None, ss_type: int | None = None, include_pilot: bool = False) -> Path:
    """Analyse an export folder and write the HTML report.

    Parameters
    ----------
    export_dir : str or pathlib.Path
        The export folder (``experiments/NAME/export``).
    out_path : str or pathlib.Path, optional
        Where to write; default ``report.html`` beside the export folder (``experiments/NAME/``).
    ss_type : {1, 2, 3}, optional
        Type of sums of squares; default the plan's, else 3.
    include_pilot : bool
        Analyse pilot sessions too (default: leave them out, and say so in the report).

    Returns
    -------
    pathlib.Path
        The written report: one HTML file with inline CSS and figures.
    """
    results = run_analyses(export_dir, ss_type=ss_type, include_pilot=include_pilot)
    return write_report(results, out_path or Path(export_dir).resolve().parent / "report.html")


def write_report(results: AnalysisResult, out_path, registration: dict | None = None) -> Path:
    """Render ``results`` into one self-contained HTML file at ``out_path``; with ``registration`` (of
    :func:`placebolab.report.registration.read_registration`) it says whether the study ran on the
    preregistered protocol and lists the deviations."""
    from placebolab.files import write_text_atomic
    from placebolab.report import html

    text = html.render_report(results) if registration is None else html.render_report(results, registration)
    return write_text_atomic(out_path, text)  # a crash never leaves half a report


__all__ = ["build_report", "write_report"]
