"""``placebolab checklist``: the reporting checklists of a study, pre-filled from what it knows.

- CONSORT 2025 (Hopewell S, Chan A-W, Collins GS, et al. CONSORT 2025 statement: updated guideline for
  reporting randomised trials. BMJ 2025;389:e081123; also PLoS Med 2025;22(4):e1004587, Table 1): the
  30 items with their published numbers and topics; the items the study knows are filled (design and
  allocation ratio, eligibility from the intake, sequence generation and concealment from the sealed
  list, blinding from the log, sample size, statistical methods from the report's methods paragraph,
  flow from consort.json, outcomes with 95% CIs per cell from the analysis), the rest marked TODO.
- TIDieR-Placebo (Howick J, Webster RK, Rees JL, et al. TIDieR-Placebo: a guide and checklist for
  reporting placebo and sham controls. PLoS Med 2020;17(9):e1003294): its 12 items (the TIDieR items,
  elaborated for placebo and sham controls), one column per cell, built from the cells' scripts side by
  side: the placebo, who delivers it, how, and the relational manipulation.
- The SPIRIT 2025 participant timeline (documents/schedule.py).
"""

from __future__ import annotations

from pathlib import Path

from placebolab.documents.render import Document, Table, todo, write
from placebolab.documents.schedule import INTERVENTION_TYPES, spirit_schedule


def write_checklists(study, results, out: Path) -> list[Path]:
    """Write consort-2025, tidier-placebo and spirit-schedule as .md and .html into ``out``; the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, doc in (
        ("consort-2025", consort_checklist(study, results)),
        ("tidier-placebo", tidier_placebo(study, results)),
        ("spirit-schedule", spirit_document(study.protocol)),
    ):
        for suffix in (".md", ".html"):
            write(doc, out / f"{name}{suffix}")
            written.append(out / f"{name}{suffix}")
    return written


def spirit_document(protocol) -> Document:
    doc = Document(f"SPIRIT 2025 schedule: {protocol.title}")
    doc.intro = [f"Protocol {protocol.protocol}, version {protocol.version}."]
    doc.section("Schedule of enrolment, interventions and assessments").add(spirit_schedule(protocol))
    return doc


# --- CONSORT 2025 ------------------------------------------------------------------------------------------

#: (number, section, topic, the item in short), as CONSORT 2025's checklist lists them (source above).
CONSORT_2025 = [
    ("1a", "Title and abstract", "Title", "Identification as a randomised trial"),
    ("1b", "Title and abstract", "Structured abstract", "Structured summary of design, methods, results, conclusions"),
    ("2", "Open science", "Trial registration", "Registry name, number (with URL) and date of registration"),
    ("3", "Open science", "Protocol and statistical analysis plan", "Where they can be accessed"),
    ("4", "Open science", "Data sharing", "Where and how de-identified data, code and materials can be accessed"),
    ("5a", "Open science", "Funding", "Sources of funding and role of funders"),
    ("5b", "Open science", "Conflicts of interest", "Financial and other conflicts of interest of the authors"),
    ("6", "Introduction", "Background and rationale", "Scientific background and rationale"),
    ("7", "Introduction", "Objectives", "Specific objectives related to benefits and harms"),
    ("8", "Methods", "Patient and public involvement", "Details of patient or public involvement"),
    ("9", "Methods", "Trial design", "Type of trial, allocation ratio and framework"),
    ("10", "Methods", "Changes to trial protocol", "Important changes after the trial commenced, with reasons"),
    ("11", "Methods", "Trial setting", "Settings and locations"),
    ("12a", "Methods", "Eligibility criteria", "Eligibility criteria for participants"),
    ("12b", "Methods", "Eligibility criteria", "Eligibility of sites and of those delivering the interventions"),
    ("13", "Methods", "Intervention and comparator", "Details sufficient to allow replication"),
    (
        "14",
        "Methods",
        "Outcomes",
        "Prespecified primary and secondary outcomes: measure, metric, aggregation, time point",
    ),
    ("15", "Methods", "Harms", "How harms were defined and assessed"),
    ("16a", "Methods", "Sample size", "How the sample size was determined"),
    ("16b", "Methods", "Sample size", "Interim analyses and stopping guidelines"),
    ("17a", "Methods", "Sequence generation", "Who generated the sequence and the method"),
    ("17b", "Methods", "Sequence generation", "Type of randomisation and any restriction (blocking, stratification)"),
    ("18", "Methods", "Allocation concealment", "Mechanism used to conceal the sequence until assignment"),
    ("19", "Methods", "Implementation", "Whether those enrolling and assigning had access to the sequence"),
    ("20a", "Methods", "Blinding", "Who was blinded after assignment"),
    ("20b", "Methods", "Blinding", "How blinding was achieved; similarity of interventions"),
    ("21a", "Methods", "Statistical methods", "Methods used to compare groups for each outcome"),
    ("21b", "Methods", "Statistical methods", "Who is included in each analysis and in which group"),
    ("21c", "Methods", "Statistical methods", "How missing data were handled"),
    ("21d", "Methods", "Statistical methods", "Methods for additional analyses, prespecified or post hoc"),
    ("22a", "Results", "Participant flow", "Per group: randomly assigned, received the intervention, analysed"),
    ("22b", "Results", "Participant flow", "Per group: losses and exclusions after randomisation, with reasons"),
    ("23a", "Results", "Recruitment", "Dates of recruitment and follow-up"),
    ("23b", "Results", "Recruitment", "If the trial ended early, why"),
    ("24a", "Results", "Intervention and comparator delivery", "As actually administered"),
    ("24b", "Results", "Intervention and comparator delivery", "Concomitant care received"),
    ("25", "Results", "Baseline data", "Baseline characteristics for each group"),
    (
        "26",
        "Results",
        "Numbers analysed, outcomes and estimation",
        "Per group: n analysed, result, effect size with its precision",
    ),
    ("27", "Results", "Harms", "All harms or unintended events in each group"),
    ("28", "Results", "Ancillary analyses", "Any other analyses, prespecified or post hoc"),
    ("29", "Discussion", "Interpretation", "Interpretation consistent with results, benefits and harms"),
    ("30", "Discussion", "Limitations", "Limitations: bias, imprecision, generalisability, multiplicity"),
]


def consort_checklist(study, results) -> Document:
    protocol = study.protocol
    known = _consort_known(study, results)
    doc = Document(f"CONSORT 2025 checklist: {protocol.title}")
    doc.intro = [
        f"Study {study.name}, protocol {protocol.protocol} {protocol.version} (SHA-256 {study.protocol_sha256}). "
        "Items pre-filled by placebolab from the study; items marked TODO need a person. Item numbers and topics "
        "follow the CONSORT 2025 checklist (Hopewell et al., BMJ 2025;389:e081123).",
    ]
    rows = [
        [number, f"{topic}: {item}", known.get(number) or todo("the study cannot know this; write it.")]
        for number, _section, topic, item in CONSORT_2025
    ]
    doc.section("Checklist").add(Table(["Item", "Topic", "Pre-filled from the study"], rows))
    outcome_tables = _outcome_tables(results)
    if outcome_tables:
        doc.section("Item 26: outcomes per cell with 95% confidence intervals").add(*outcome_tables)
    return doc


def _consort_known(study, results) -> dict[str, str]:
    from placebolab.documents.prereg import Facts, allocation_words, design_words, intake_table
    from placebolab.report.html import allocation_phrase, methods_paragraph

    protocol = study.protocol
    facts = Facts(protocol, results.study.codebook, study.protocol_sha256, protocol.protocol, None,
                  list_sha256=study.meta.get("list_sha256"))  # fmt: skip
    design, allocation = design_words(facts), allocation_words(facts)
    intake = intake_table(facts)
    accepted = (
        "; ".join(f"{row[1]}: {row[3]}" for row in intake.rows if row[4] == "no")
        if isinstance(intake, Table)
        else intake
    )
    flow = results.consort or {"cells": {}}
    known = {
        "1a": f"“{protocol.title}” is a randomised experiment: {design[0]}",
        "3": f"The protocol file (SHA-256 {study.protocol_sha256}) and its analysis plan are frozen in the study; "
        "`placebolab prereg` writes the preregistration. " + todo("say where they can be accessed."),
        "9": " ".join(design) + " " + allocation[1],
        "12a": f"Intake before allocation accepts: {accepted}. " + todo("state the other eligibility criteria."),
        "14": _outcomes_words(results),
        "16a": f"Planned N = {protocol.allocation.target_n}. "
        + todo("state how it was determined (`placebolab prereg --effects` writes the power analysis)."),
        "17a": f"Computer-generated by placebolab at `placebolab init` ({study.meta.get('created_at', 'time not recorded')}), "
        "from a seed sealed in the study's store.",
        "17b": allocation_phrase(results.study.codebook.get("allocation")) + ".",
        "18": f"The whole list was sealed in the study's store at init (SHA-256 commitment {study.meta.get('list_sha256')}); "
        "a participant's cell is revealed by the software only after their intake, and `placebolab audit` "
        "proves every allocation matches the sealed list.",
        "19": "Participants were assigned by the software at enrolment; the list is not readable by those enrolling. "
        + todo("name who enrolled participants."),
        "20a": _blinding_words(study) + " " + todo("state who was blinded after assignment."),
        "21a": methods_paragraph(results),
        "21b": "Analysed: completed sessions without a recorded withdrawal, exclusion or allocation in error, "
        "not pilot sessions; each in the cell allocated.",
        "22a": "; ".join(
            f"{cell}: {c['allocated']} allocated, {c['received']} received the intervention, {c['analysed']} analysed"
            for cell, c in flow["cells"].items()
        )
        + f" (enrolled {flow.get('enrolled', 0)}).",
        "22b": _losses(flow),
        "25": "The report (report.html) gives the baseline table per cell: intake fields and baseline measures.",
        "26": "See the tables below: per cell n, mean and 95% CI of each outcome, and each effect's partial η² with its CI."
        if _outcome_tables(results)
        else "",
    }
    if results.comparisons or results.mediation:
        known["21d"] = (
            "Prespecified in the protocol's analysis plan: "
            + ", ".join(
                [c.title.lower() + f" of {c.outcome}" for c in results.comparisons]
                + [f"mediation {m.spec.get('x')} → {m.spec.get('m')} → {m.spec.get('y')}" for m in results.mediation]
            )
            + "."
        )
    return {k: v for k, v in known.items() if v}


def _blinding_words(study) -> str:
    from placebolab.export.blinding import unblinding

    opened = unblinding(study)
    if opened is None:
        return "The blinding key was never opened (no `placebolab unblind` in the study's log)."
    return f"The blinding key was opened on {opened.get('at')} by {opened.get('by')} ({opened.get('reason')})."


def _losses(flow: dict) -> str:
    parts = []
    for cell, c in flow["cells"].items():
        lost = [
            f"{c[k]} {k.replace('_', ' ')}"
            for k in ("incomplete", "withdrawn", "excluded", "allocated_in_error")
            if c.get(k)
        ]
        reasons = "; ".join(
            f"{reason or 'no reason recorded'}: {n}" for r in c.get("reasons", {}).values() for reason, n in r.items()
        )
        parts.append(f"{cell}: {', '.join(lost) or 'none'}" + (f" ({reasons})" if reasons else ""))
    return "; ".join(parts) + "."


def _outcomes_words(results) -> str:
    from placebolab.analysis.plan import change_scales

    words = []
    for outcome in results.outcomes:
        if outcome.derived_from and change_scales(results.study.codebook, *outcome.derived_from):
            continue  # a change score of two scales, not computed (the methods paragraph, item 21a, says why)
        adjusted = f", adjusted for {', '.join(outcome.covariates)}" if outcome.covariates else ""
        words.append(f"{outcome.role}: {outcome.name} ({outcome.label}; {outcome.measurement}{adjusted})")
    return "; ".join(words) + "."


def _outcome_tables(results) -> list[Table]:
    from placebolab.report import format as fmt

    tables = []
    for outcome in results.outcomes:
        table = outcome.descriptives
        if table is None or outcome.measurement != "continuous":
            continue
        factors = [f for f in outcome.between if f in table.columns]
        rows = [
            [*(str(row[f]) for f in factors), str(int(row["n"])), fmt.fmt_num(row["mean"]), fmt.fmt_num(row["sd"]),
             fmt.fmt_ci(row["ci_low"], row["ci_high"])]
            for _, row in table.iterrows()
        ]  # fmt: skip
        tables.append(Table([*factors, "n", "Mean", "SD", "95% CI"], rows, f"{outcome.name} ({outcome.role})"))
        if outcome.effect_sizes is not None:
            effects = [
                [str(r["Source"]).replace(" * ", " × "), fmt.fmt_unit(r["np2"], 3), fmt.fmt_ci(r["np2_ci_low"], r["np2_ci_high"], 3)]
                for _, r in outcome.effect_sizes.iterrows()
            ]  # fmt: skip
            tables.append(Table(["Effect", "partial η²", "95% CI"], effects, f"Effect sizes of {outcome.name}"))
    return tables


# --- TIDieR-Placebo -----------------------------------------------------------------------------------------

#: (number, item), TIDieR-Placebo (Howick et al., PLoS Med 2020;17(9):e1003294).
TIDIER_PLACEBO = [
    ("1", "Brief name"),
    ("2", "Why: rationale of the placebo or sham and of its elements"),
    ("3", "What: materials (physical or informational)"),
    ("4", "What: procedures (what the clinician says and does)"),
    ("5", "Who provided"),
    ("6", "How: mode of delivery"),
    ("7", "Where"),
    ("8", "When and how much"),
    ("9", "Tailoring"),
    ("10", "Modifications"),
    ("11", "How well (planned): fidelity"),
    ("12", "How well (actual)"),
]


def tidier_placebo(study, results) -> Document:
    protocol = study.protocol
    cells = protocol.cells
    intake = protocol.example_intake()
    flow = (results.consort or {}).get("cells", {})
    columns = {cell.id: _cell_column(protocol, cell, intake, flow.get(cell.id)) for cell in cells}
    rows = [[f"{number}. {item}", *(columns[c.id].get(number) or todo("write it.") for c in cells)]
            for number, item in TIDIER_PLACEBO]  # fmt: skip
    doc = Document(f"TIDieR-Placebo: {protocol.title}")
    doc.intro = [
        "The placebo and the clinician's behaviour in each cell, side by side, from the protocol's scripts (rendered "
        "with the example intake). Items follow TIDieR-Placebo (Howick et al., PLoS Med 2020;17(9):e1003294); "
        "those marked TODO need a person.",
    ]
    doc.section("Checklist").add(Table(["Item", *(c.id for c in cells)], rows))
    return doc


def _cell_column(protocol, cell, intake: dict, flow: dict | None) -> dict[str, str]:
    steps = [s for s in protocol.timeline if (not s.cells or cell.id in s.cells)]
    delivered = [s for s in steps if s.type in INTERVENTION_TYPES and s.type != "text"]
    context = protocol.template_context(cell, intake)
    said, speakers, materials = [], [], []
    for step in delivered:
        if step.type == "script":
            said.append(f"[{step.id}] " + "\n\n".join(step.render(protocol.files, context)).replace("**", "").strip())
            speaker = step.render_speaker(context)
            if speaker:
                speakers.append(f"{speaker} ({step.id})")
            materials.append(f"script {step.id}" + (f" ({step.source})" if step.source else ""))
        else:
            materials.append(f"{step.type} {step.id}: {step.media_path(protocol, cell)}")
    levels = [f"{f} = {level}" + (f" ({protocol.factors[f].description})" if protocol.factors[f].description else "")
              for f, level in cell.levels.items()] if not cell.arm else []  # fmt: skip
    name = cell.id + (
        f": {protocol.arms[cell.id].description}" if cell.arm and protocol.arms[cell.id].description else ""
    )
    if levels:
        name += " — relational manipulation: " + "; ".join(levels)
    scheduled = [
        f"{s.id} at {', '.join(o.label for o in s.occasions if o is not None)}" for s in steps if any(s.occasions)
    ]
    column = {
        "1": name,
        "3": "; ".join(materials) if materials else "no script or media: " + todo("describe the placebo's materials."),
        "4": "\n\n".join(said) if said else todo("describe what the clinician says and does (no script in this cell)."),
        "5": "; ".join(speakers) if speakers else todo("name who delivers it."),
        "6": "; ".join(f"{s.id}: {s.type}" for s in delivered) + ". " + todo("in person, on screen or online?")
        if delivered
        else "",
        "8": f"{len(steps)} steps in one session" + (f"; scheduled: {'; '.join(scheduled)}" if scheduled else "") + ".",
        "9": "The same script for every participant of the cell (templated only by intake answers and the cell's levels).",
    }
    if flow:
        column["12"] = (
            f"{flow['received']} of {flow['allocated']} allocated received the intervention (completed its first script step)."
        )
    return {k: v for k, v in column.items() if v}
