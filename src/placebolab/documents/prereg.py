"""``placebolab prereg``: a preregistration generated from the protocol, never retyped.

Two structures: the OSF Preregistration template (Bowman et al. 2020, "OSF Prereg Template",
https://osf.io/epgjd: study information with hypotheses, design plan, sampling plan, variables,
analysis plan) and AsPredicted's questions (https://aspredicted.org: data collected, hypothesis,
dependent variable, conditions, analyses, outliers and exclusions, sample size, other). Everything
comes from the protocol: the design, allocation, measures with their scales and scoring, the analysis
plan in the words of the report's methods paragraph (``report.html.methods_paragraph`` on
``analysis.plan.planned_analyses``: one generator), the hypotheses of ``analysis.hypotheses`` with the
test deciding each, and, given an effects file, the power analysis of ``placebolab power`` (its
analytic values) justifying the sample size. What a protocol cannot know is written ``TODO:``.

The document ends with a machine-readable record (report/registration.py) carrying the protocol's
SHA-256: ``placebolab analyze --prereg FILE`` says whether the study ran on it and lists deviations.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import placebolab
from placebolab.documents.render import Bullets, Document, Table, todo
from placebolab.documents.schedule import spirit_schedule
from placebolab.errors import InternalError

FORMATS = ("osf", "aspredicted")
METHODS_LEAD = (
    "The report of the finished study describes its analyses in the paragraph below, generated from this plan by "
    "the code that writes the report (which adds what depends on the data: the sample analysed and the size of "
    "each family of comparisons):"
)
POWER_TARGET = 0.8


@dataclass
class Facts:
    """What the generators know of one protocol: it, its codebook, its SHA-256, the power analysis."""

    protocol: Any  # placebolab.protocol.Protocol
    codebook: dict
    sha256: str
    path: str
    power: dict | None  # of :func:`power_facts`, None without an effects file
    power_problem: str | None = None  # why `power` cannot compute it for this protocol
    bundle_sha256: str | None = None  # the protocol with every stimulus file, as `init` seals it
    list_sha256: str | None = None  # the sealed allocation list's commitment, once a study folder exists


def protocol_facts(source, effects=None, alpha: float = 0.05, target: float = POWER_TARGET) -> Facts:
    """The protocol file ``source`` (validated: ProtocolError when invalid), or the study folder made from it
    (its frozen protocol, with the list commitment), its codebook, and the power analysis."""
    from placebolab.export.tables import planned_columns, protocol_codebook

    if Path(source).is_dir():
        from placebolab.study import Study

        with Study.open(source) as study:
            protocol, meta = study.protocol, dict(study.meta)
        sha, bundle, commitment = meta["protocol_sha256"], meta.get("bundle_sha256"), meta.get("list_sha256")
        name = meta.get("protocol_file") or str(source)
    else:
        protocol, sha, bundle = _read_protocol(Path(source))
        commitment, name = None, str(source)
    codebook = protocol_codebook(protocol, planned_columns(protocol), None, sha) | {"bundle_sha256": bundle}
    facts = Facts(protocol, codebook, sha, name, None, bundle_sha256=bundle, list_sha256=commitment)
    if effects is not None:
        from placebolab.errors import PowerError

        try:
            facts.power = power_facts(protocol, effects, alpha, target)
        except PowerError as err:  # the design is one `power` does not compute: say why, never invent
            facts.power_problem = str(err)
    return facts


def _read_protocol(path: Path):
    """The protocol, the SHA-256 of its file and its bundle hash, read as ``placebolab init`` reads them."""
    from placebolab.document.yaml_source import read_limited
    from placebolab.errors import ProtocolError
    from placebolab.instruments import with_bank
    from placebolab.protocol import parse_protocol
    from placebolab.store.base import bundle_hash

    if not path.is_file():
        raise ProtocolError(f"{path}: no such file; give the path of a protocol .yaml file (or a study folder)")
    read: dict[str, bytes] = {}
    source = with_bank(lambda relative: (path.parent / relative).read_bytes())

    def read_file(relative: str) -> bytes:
        read[relative] = source(relative)
        return read[relative]

    text = read_limited(path)
    protocol = parse_protocol(text, str(path), read_file, folder=path.parent)
    return protocol, hashlib.sha256(text).hexdigest(), bundle_hash(text, read)


def planned_n(protocol) -> dict[str, float]:
    """Expected participants per cell (arms too) at the planned N: target_n split by the allocation ratio."""
    cells = protocol.cells
    weights = {c.id: protocol.allocation.ratio_of(c.id) for c in cells}
    total = sum(weights.values())
    return {cell: protocol.allocation.target_n * w / total for cell, w in weights.items()}


def power_facts(protocol, effects_path, alpha: float, target: float) -> dict:
    """The analytic power (noncentral F, as ``placebolab power`` prints it) of the primary analysis at the
    planned n per cell, and the n per cell each effect needs for ``target``."""
    from placebolab.power.analytic import analytic_power
    from placebolab.power.design import check_alpha
    from placebolab.power.planning import outcome_model, required_n
    from placebolab.simulation.model import load_effects

    check_alpha(alpha)
    model = outcome_model(protocol, load_effects(effects_path, protocol), str(effects_path))
    expected = planned_n(protocol)
    n_cells = {cell: int(expected[cell]) for cell in model.cell_means}  # whole participants, rounded down
    table = analytic_power(n_per_cell=n_cells, alpha=alpha, **model.arguments())
    analysis = "ANCOVA" if model.baseline_r is not None else "ANOVA"
    table = table[(table["analysis"] == analysis) & (table["kind"] != "simple")]
    needed = required_n(model, target, alpha)
    needed = needed[needed["analysis"] == analysis].set_index("effect")["n_per_cell"]
    rows = [
        {
            "effect": row.effect,
            "df1": int(row.df1),
            "df2": int(row.df2),
            "f": float(row.f),
            "power": float(row.power),
            "needed": None if needed.get(row.effect) is None or needed[row.effect] != needed[row.effect]
            else int(needed[row.effect]),
        }
        for row in table.itertuples(index=False)
    ]  # fmt: skip
    return {
        "effects_file": str(effects_path),
        "analysis": analysis,
        "outcome": model.outcome,
        "baseline": model.baseline,
        "cell_means": model.cell_means,
        "sd": model.sd,
        "baseline_r": model.baseline_r,
        "n_per_cell": n_cells,
        "alpha": alpha,
        "target": target,
        "rows": rows,
        "notes": list(model.notes),
    }


# --- the pieces both formats share ----------------------------------------------------------------------


def fmt_power(value: float) -> str:
    return f"{value:.3f}"


def planned_methods(facts: Facts) -> str:
    """The report's methods paragraph for this plan, without the sample: the words the report will print."""
    from placebolab.analysis.plan import planned_analyses
    from placebolab.report.html import methods_paragraph

    return methods_paragraph(planned_analyses(facts.codebook), sample=False)


def hypotheses_table(facts: Facts) -> Table | str:
    from placebolab.protocol.hypotheses import resolve_hypothesis

    plan = facts.protocol.analysis
    if plan is None or not plan.hypotheses:
        return todo(
            "state the hypotheses: add `hypotheses:` to the protocol's analysis plan, each with its text and the "
            "test that decides it (docs/preregistration.md)"
        )
    rows = []
    for hypothesis in plan.hypotheses:
        decision, _ = resolve_hypothesis(facts.protocol, hypothesis)
        if decision is None:  # pragma: no cover
            raise InternalError("a protocol is validated when loaded, its hypotheses with it (plan_checks.py)")
        rows.append([hypothesis.id, hypothesis.text, decision.outcome, _test_words(facts, decision)])
    return Table(["Id", "Hypothesis", "Outcome", "Deciding test"], rows)


def _test_words(facts: Facts, decision) -> str:
    plan = facts.protocol.analysis
    outcome = next(o for o in [plan.primary, *plan.secondary] if o.outcome == decision.outcome)
    model = _model_words(facts, outcome)
    if decision.kind == "comparison":
        entry = next(
            c for c in plan.contrasts
            if (c.outcome or plan.primary.outcome) == decision.outcome
            and any(decision.term == t.replace("−", "-").strip() or decision.pair == _pair(t) for t in c.compare)
        )  # fmt: skip
        adjust = (
            "unadjusted"
            if entry.padjust == "none"
            else f"{entry.padjust.title()}-adjusted over its entry's {len(entry.compare)} comparisons"
        )
        model = model.rsplit(" (", 1)[0]  # the comparison's own test: a t test of the model's (adjusted) means
        return f"the planned comparison {decision.pair[0]} − {decision.pair[1]} of the {model} (t test, {adjust})"
    what = (
        "main effect of " + decision.factors[0]
        if decision.kind == "main effect"
        else "interaction " + " × ".join(decision.factors)
    )
    return f"the {what} in the {model}"


def _pair(text: str):
    parts = [p.strip() for p in text.replace("−", "-").split(" - ")]
    return tuple(parts) if len(parts) == 2 else None


def _model_words(facts: Facts, outcome) -> str:
    from placebolab.analysis.categorical import measurement_of

    kind, _ = measurement_of(facts.codebook, outcome.outcome)
    covariates = [outcome.baseline] if outcome.baseline else []
    if outcome is facts.protocol.analysis.primary and facts.protocol.analysis.adjust_for_strata:
        covariates += list(facts.protocol.allocation.strata)
    adjusted = f" adjusting for {', '.join(covariates)}" if covariates else ""
    if kind == "binary":
        return f"logistic regression of {outcome.outcome}{adjusted} (likelihood-ratio test)"
    if kind == "ordinal":
        return f"proportional-odds model of {outcome.outcome}{adjusted} (likelihood-ratio test)"
    return f"{'ANCOVA' if covariates else 'ANOVA'} of {outcome.outcome}{adjusted} (F test)"


def design_words(facts: Facts) -> list[str]:

    protocol = facts.protocol
    factors = "; ".join(
        f"{name}: {' vs '.join(f.levels)}" + (f" ({f.description})" if f.description else "")
        for name, f in protocol.factors.items()
    )
    cells = [c for c in protocol.cells if not c.arm]
    arms = [c for c in protocol.cells if c.arm]
    sizes = " × ".join(str(len(f.levels)) for f in protocol.factors.values())
    lines = [
        f"A randomised between-subjects experiment: a {sizes} factorial design ({len(cells)} cells) crossing "
        f"{factors}." if len(protocol.factors) > 1 else
        f"A randomised between-subjects experiment with one factor, {factors} ({len(cells)} cells).",
    ]  # fmt: skip
    if arms:
        listed = "; ".join(
            f"{a.id}" + (f" ({protocol.arms[a.id].description})" if protocol.arms[a.id].description else "")
            for a in arms
        )
        lines.append(f"Arms outside the factorial: {listed}.")
    return lines


def allocation_words(facts: Facts) -> list[str]:
    """The allocation scheme, its ratio and the sealed list's commitment (a TODO before init)."""
    from placebolab.report.html import allocation_phrase

    protocol = facts.protocol
    lines = [f"Allocation: {allocation_phrase(facts.codebook.get('allocation'))}."]
    ratio = ", ".join(f"{c.id} {protocol.allocation.ratio_of(c.id)}" for c in protocol.cells)
    lines.append(f"Allocation ratio: {ratio}.")
    if facts.list_sha256:
        lines.append(
            "The allocation list was generated and sealed when the study folder was made (`placebolab init`); "
            f"its SHA-256 commitment is {facts.list_sha256} (docs/allocation.md), and `placebolab audit` proves "
            "every allocation came from it."
        )
    else:
        lines.append(todo(
            "add the allocation list's SHA-256 commitment: `placebolab init` seals the list and prints it, or run "
            "`placebolab prereg STUDY_FOLDER` after init and it is written here."
        ))  # fmt: skip
    return lines


def cells_table(facts: Facts) -> Table:
    expected = planned_n(facts.protocol)
    factors = list(facts.protocol.factors)
    rows = [
        [c.id, *(c.levels.get(f, "") if not c.arm else "—" for f in factors), "arm" if c.arm else "factorial",
         str(facts.protocol.allocation.ratio_of(c.id)), _n_text(expected[c.id])]
        for c in facts.protocol.cells
    ]  # fmt: skip
    return Table(["Cell", *factors, "Kind", "Ratio", "Expected n"], rows, "Cells and the planned number per cell")


def _n_text(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def measures_table(facts: Facts) -> Table:
    rows = []
    for entry in facts.codebook["columns"]:
        if entry.get("kind") not in ("measure", "score") or "@" in entry["name"]:
            continue
        scale = ""
        if entry.get("min") is not None and entry.get("max") is not None:
            scale = f"{entry['min']:g}–{entry['max']:g}"
        if entry.get("labels"):
            scale += (" " if scale else "") + f"({', '.join(entry['labels'])})"
        rows.append([
            entry["name"], entry.get("label") or entry["name"], entry.get("role") or "—", scale or "—",
            entry.get("measurement") or "—", entry.get("derived") or "as answered",
        ])  # fmt: skip
    return Table(["Measure", "Label", "Role", "Scale", "Analysed as", "Scoring"], rows, "Measured variables")


def intake_table(facts: Facts) -> Table | str:
    fields = facts.protocol.intake
    if not fields:
        return "The intake asks nothing before allocation."
    rows = []
    for f in fields:
        if f.type == "choice":
            accepted = ", ".join(f.choices or [])
        elif f.min is not None or f.max is not None:
            accepted = f"{'' if f.min is None else f'{f.min:g}'}–{'' if f.max is None else f'{f.max:g}'}"
        else:
            accepted = "any " + f.type
        rows.append([f.id, f.label or f.id, f.type, accepted, "yes (never exported)" if f.identifying else "no"])
    return Table(["Field", "Question", "Type", "Accepted", "Identifying"], rows, "Intake (asked before allocation)")


def exclusion_words(facts: Facts) -> list[str]:
    return [
        "Analysed: participants who completed the session, are not pilot sessions, and have no recorded withdrawal, "
        "exclusion or allocation in error (`placebolab withdraw` / `placebolab correct`, each with its reason, "
        "kept in the study's log and listed in the report); participants in arms outside the factorial enter "
        "the arm comparisons, not the factorial analysis.",
        "Incomplete sessions are counted and reported per cell, not analysed.",
        todo("state the eligibility criteria beyond the intake's accepted answers, and the rules for excluding a "
             "participant after allocation (each is then recorded with `placebolab correct --as excluded`)."),
        todo("state how outliers are defined and handled (the analysis excludes none by itself)."),
    ]  # fmt: skip


def power_blocks(facts: Facts) -> list:
    power = facts.power
    if facts.power_problem:
        return [todo(f"justify the sample size: `placebolab power` cannot compute it for this protocol "
                     f"({facts.power_problem}).")]  # fmt: skip
    if power is None:
        return [todo("justify the sample size: run `placebolab prereg PROTOCOL --effects FILE` with the effects file "
                     "`placebolab power` and `placebolab simulate` take, and the power analysis is written here.")]  # fmt: skip
    means = ", ".join(f"{cell} {mean:g}" for cell, mean in power["cell_means"].items())
    r = (
        f", correlating r = {power['baseline_r']:.3f} with {power['baseline']}"
        if power["baseline_r"] is not None
        else ""
    )
    n = sorted(set(power["n_per_cell"].values()))
    n_words = str(n[0]) if len(n) == 1 else ", ".join(f"{c} {v}" for c, v in power["n_per_cell"].items())
    blocks = [
        f"Power of the primary analysis ({power['analysis']} of {power['outcome']}) at the planned n per cell "
        f"({n_words}), α = {power['alpha']:g}, computed from the noncentral F distribution as `placebolab power` "
        f"computes it, under the effects file {Path(power['effects_file']).name}: cell means {means}; "
        f"sd {power['sd']:.4g}{r}.",
        Table(
            ["Effect", "df", "Cohen's f", "Power", f"n per cell for power {power['target']:g}"],
            [
                [
                    row["effect"].replace(" * ", " × "),
                    f"{row['df1']}, {row['df2']}",
                    f"{row['f']:.3f}",
                    fmt_power(row["power"]),
                    "— (no effect under the model)" if row["needed"] is None else str(row["needed"]),
                ]
                for row in power["rows"]
            ],
            "Power at the planned sample size",
        ),  # fmt: skip
    ]
    blocks += [f"Note: {note}." for note in power["notes"]]
    return blocks


# --- the two documents ------------------------------------------------------------------------------------


def preregistration(facts: Facts, form: str = "osf") -> Document:
    """The preregistration of ``facts`` in the OSF Prereg (``osf``) or AsPredicted (``aspredicted``) structure."""
    from placebolab.report.registration import embed, record

    protocol = facts.protocol
    title = f"Preregistration: {protocol.title}"
    doc = Document(title)
    doc.intro = [
        f"Protocol {protocol.protocol}, version {protocol.version} ({Path(facts.path).name}); "
        f"SHA-256 of the protocol file: {facts.sha256}"
        + (
            f"; of the protocol with its stimulus files (bundle): {facts.bundle_sha256}."
            if facts.bundle_sha256
            else "."
        ),
        f"Generated by placebolab {placebolab.__version__} from the protocol file; the report of the finished "
        "study (`placebolab analyze STUDY --prereg THIS_FILE`) states whether the study ran on exactly this "
        "protocol and lists every deviation.",
    ]
    (_aspredicted if form == "aspredicted" else _osf)(doc, facts)
    doc.trailer = embed(record(facts.codebook))
    return doc


def _osf(doc: Document, facts: Facts) -> None:
    protocol = facts.protocol
    doc.section("Study information")
    doc.section("Title", 3).add(protocol.title)
    doc.section("Authors", 3).add(todo("list the authors and their affiliations."))
    doc.section("Description", 3).add(
        protocol.description.strip() if protocol.description else todo("describe the study.")
    )
    doc.section("Hypotheses", 3).add(hypotheses_table(facts))
    doc.section("Design plan")
    doc.section("Study type", 3).add("Experiment: participants are randomly assigned to conditions.")
    doc.section("Blinding", 3).add(
        todo("state who is blind to the condition (participants, experimenters, outcome assessors, analysts). "
             "The analyst can work blind: `placebolab analyze --blinded` names the levels by neutral codes."),
    )  # fmt: skip
    doc.section("Study design", 3).add(*design_words(facts), cells_table(facts))
    doc.section("Randomization", 3).add(*allocation_words(facts))
    doc.section("Sampling plan")
    doc.section("Existing data", 3).add(
        todo("state whether any data have been collected (e.g. “Registration prior to creation of data”).")
    )
    doc.section("Data collection procedures", 3).add(
        intake_table(facts), spirit_schedule(protocol), todo("describe recruitment, setting and payment.")
    )
    doc.section("Sample size", 3).add(f"Planned N = {protocol.allocation.target_n} participants, allocated as above.")
    doc.section("Sample size rationale", 3).add(*power_blocks(facts))
    doc.section("Stopping rule", 3).add(
        todo("state when data collection stops (e.g. when the planned N have completed).")
    )
    doc.section("Variables")
    factors = [
        f"{name}: {', '.join(f.levels)}" + (f" — {f.description}" if f.description else "")
        for name, f in protocol.factors.items()
    ]
    factors += [
        f"arm {name}" + (f" — {arm.description}" if arm.description else "") for name, arm in protocol.arms.items()
    ]
    doc.section("Manipulated variables", 3).add(Bullets(factors))
    doc.section("Measured variables", 3).add(measures_table(facts))
    doc.section("Indices", 3).add(_indices(facts))
    doc.section("Analysis plan")
    doc.section("Statistical models", 3).add(METHODS_LEAD, planned_methods(facts))
    doc.section("Transformations", 3).add(_transformations(facts))
    doc.section("Inference criteria", 3).add(
        "The report gives two-sided p values with 95% confidence intervals for every effect.",
        todo("state the significance level and how the hypotheses' tests are decided (e.g. p < .05)."),
    )
    doc.section("Data exclusion", 3).add(Bullets(exclusion_words(facts)))
    doc.section("Missing data", 3).add(
        "Participants who did not complete the session are not analysed; each analysis uses the participants "
        "with a value on its variables.",
        todo("state any other handling of missing data."),
    )
    doc.section("Exploratory analysis", 3).add(
        "Any analysis added to the plan after this registration is labelled exploratory in the report."
    )
    doc.section("Other")
    doc.section("Other", 3).add(todo("anything else to register (or “none”)."))


def _aspredicted(doc: Document, facts: Facts) -> None:
    protocol = facts.protocol
    doc.section("1) Have any data been collected for this study already?").add(
        todo("answer (e.g. “No, no data have been collected for this study yet.”).")
    )
    doc.section("2) What's the main question being asked or hypothesis being tested in this study?").add(
        hypotheses_table(facts)
    )
    doc.section("3) Describe the key dependent variable(s) specifying how they will be measured.").add(
        measures_table(facts)
    )
    doc.section("4) How many and which conditions will participants be assigned to?").add(
        *design_words(facts), *allocation_words(facts), cells_table(facts)
    )
    doc.section("5) Specify exactly which analyses you will conduct to examine the main question/hypothesis.").add(
        METHODS_LEAD, planned_methods(facts)
    )
    doc.section(
        "6) Describe exactly how outliers will be defined and handled, and your precise rule(s) for excluding observations."
    ).add(Bullets(exclusion_words(facts)))
    doc.section("7) How many observations will be collected or what will determine sample size?").add(
        f"Planned N = {protocol.allocation.target_n} participants.", *power_blocks(facts)
    )
    doc.section("8) Anything else you would like to pre-register?").add(spirit_schedule(protocol), intake_table(facts))
    doc.section("Title and type of study").add(f"{protocol.title}. Type: experiment.")


def _indices(facts: Facts) -> str | Table:
    rows = [
        [e["name"], e.get("derived") or ""]
        for e in facts.codebook["columns"]
        if e.get("kind") == "score" and "@" not in e["name"]
    ]
    if not rows:
        return "No indices: every measure is analysed as answered (or as the mean of its occasions)."
    return Table(["Index", "Computed as"], rows)


def _transformations(facts: Facts) -> str:
    from placebolab.analysis.categorical import measurement_of
    from placebolab.analysis.plan import change_scales

    plan = facts.protocol.analysis
    columns = facts.codebook["columns"]
    parts = []
    if any("reverse-keyed" in (c.get("derived") or "") for c in columns):
        parts.append("Reverse-keyed items are reflected before scoring (see Scoring above).")
    if any("mapped linearly" in (c.get("derived") or "") for c in columns):
        parts.append("Items of a score on different scales are first mapped linearly onto a common scale.")
    if (
        plan is not None
        and plan.primary.baseline
        and measurement_of(facts.codebook, plan.primary.outcome)[0] == "continuous"
    ):
        outcome, baseline = plan.primary.outcome, plan.primary.baseline
        scales = change_scales(facts.codebook, outcome, baseline)
        parts.append(
            f"The change from baseline {outcome} − {baseline} is analysed besides the primary (baseline-adjusted) "
            "analysis."
            if scales is None
            else f"No change from baseline is computed: {outcome} ({scales[0]}) and its baseline {baseline} "
            f"({scales[1]}) are on different scales; the primary analysis adjusts for {baseline}."
        )
    return " ".join(parts) or "None: every measure and score is analysed as recorded."
