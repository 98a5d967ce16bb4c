"""The SPIRIT participant timeline: enrolment, interventions and assessments over time, from the timeline.

SPIRIT 2025 (Chan A-W et al., BMJ 2025;389:e081477) asks for the schedule of enrolment, interventions
and assessments, as a figure (its "participant timeline"). Here it is a table: one column per time
point (enrolment, allocation, the session before its first mark, each mark and each scheduled occasion
in time order) and one row per intake question, manipulation step and measure; ``X`` where it happens
and, for a step shown to some cells only, the cells.
"""

from __future__ import annotations

from placebolab.documents.render import Table

INTERVENTION_TYPES = ("script", "text", "image", "audio", "video")
ASSESSMENT_TYPES = ("rating", "questionnaire")


def spirit_schedule(protocol) -> Table:
    columns = ["Enrolment", "Allocation"]
    phase = "Session start"
    when: dict[str, list[str]] = {}
    for step in protocol.timeline:
        if step.occasions and step.occasions != [None]:
            labels = [o.label for o in step.occasions if o is not None]
        elif step.mark:
            labels = [f"{step.mark} ({step.id})"]
        else:
            labels = [phase]
        when[step.id] = labels
        if step.mark:
            phase = f"after {step.mark}"
        for label in labels:
            if label not in columns:
                columns.append(label)
    columns = columns[:2] + _time_ordered(columns[2:], protocol)
    rows = [["Enrolment", "", *([""] * len(columns))]]
    rows += [[f"intake: {f.label or f.id}", "", "X", *([""] * (len(columns) - 1))] for f in protocol.intake]
    rows.append(["Allocation", "", "", "X", *([""] * (len(columns) - 2))])
    for title, types in (("Interventions", INTERVENTION_TYPES), ("Assessments", ASSESSMENT_TYPES)):
        rows.append([title, "", *([""] * len(columns))])
        for step in protocol.timeline:
            if step.type not in types:
                continue
            who = ", ".join(step.cells) if step.cells else "all cells"
            marks = ["X" if column in when[step.id] else "" for column in columns]
            rows.append(
                [f"{step.id} ({step.type}{', ' + step.role if getattr(step, 'role', None) else ''})", who, *marks]
            )
    return Table(
        ["", "Shown to", *columns],
        rows,
        "Schedule of enrolment, interventions and assessments (SPIRIT 2025 participant timeline), from the "
        "protocol's timeline",
    )


def _time_ordered(labels: list[str], protocol) -> list[str]:
    """Scheduled occasions of one mark sorted by their time, keeping everything else in timeline order."""
    occasions = {o.label: o for step in protocol.timeline for o in step.occasions if o is not None}
    ordered: list[str] = []
    run: list[str] = []
    for label in [*labels, None]:
        occasion = occasions.get(label) if label is not None else None
        if run and (occasion is None or occasion.mark != occasions[run[0]].mark):
            ordered += sorted(run, key=lambda name: occasions[name].seconds)
            run = []
        if occasion is not None:
            run.append(label)  # type: ignore[arg-type]
        elif label is not None:
            ordered.append(label)
    return ordered
