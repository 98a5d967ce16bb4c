"""Documents generated from the protocol and the study, never retyped: the preregistration
(``placebolab prereg``), the CONSORT 2025 and TIDieR-Placebo checklists and the SPIRIT schedule
(``placebolab checklist``). Each is built once as a :class:`~placebolab.documents.render.Document` and
written as Markdown or HTML; what only a person can state is marked ``TODO:``. docs/preregistration.md.
"""
