"""Draws the CONSORT flow diagram of the report as inline SVG, from the export's ``consort.json``.

Kept apart from the rest of the report: ``html.report_context`` adds :func:`consort_view` under
``consort`` and the template includes ``consort.html.j2``. An export without ``consort.json`` (made
before it existed) simply has no diagram. (``allocation/consort.py`` counts the flow; this draws it.)
"""

from __future__ import annotations

import math

BOX_W, BOX_GAP, LINE_H, PAD = 190, 16, 15, 8


def consort_view(flow: dict | None) -> dict | None:
    """Boxes and connectors of the flow diagram (enrolment → allocation → follow-up → analysis), or None. With
    consents declined before enrolment (online), CONSORT's top: assessed for eligibility, those excluded beside.

    The last box of each cell is "Analysed (n = …)", ``analysed`` of consort.json (completed, no
    correction, not a pilot session: whom ``placebolab analyze`` analyses), then everyone left out,
    by why, with the reasons recorded for the corrections.

    Parameters
    ----------
    flow : dict or None
        The export's ``consort.json``, as :attr:`AnalysisResult.consort <placebolab.analysis.plan.AnalysisResult>` holds it.

    Returns
    -------
    dict or None
        ``width``, ``height``, ``boxes`` (``x``, ``y``, ``w``, ``h``, ``lines``: text lines, the first
        in bold) and ``links`` (``x1``, ``y1``, ``x2``, ``y2``), all in SVG user units.
    """
    if flow is None:
        return None
    cells = flow["cells"]
    width = max(len(cells) * (BOX_W + BOX_GAP) + BOX_GAP, BOX_W + 2 * BOX_GAP)
    column_x = [BOX_GAP + i * (BOX_W + BOX_GAP) for i in range(len(cells))]
    boxes, links, top = [], [], PAD
    declined = flow.get("declined_before_enrolment", 0)  # consort.json from before it was counted has none
    if declined:  # CONSORT: assessed for eligibility, those excluded before randomisation beside, then enrolled
        assessed_n = f"(n = {flow['enrolled'] + declined})"  # a line of its own: the bold heading fills the box
        assessed = _box((width - BOX_W) / 2, PAD, ["Assessed for eligibility", assessed_n])
        lines = [f"Excluded (n = {declined})", f"declined to participate: {declined}"]
        aside = _box(assessed["x"] + BOX_W + BOX_GAP, assessed["y"] + assessed["h"] + 10, lines)
        width = max(width, math.ceil(aside["x"] + BOX_W + BOX_GAP))
        middle, stem = aside["y"] + aside["h"] / 2, assessed["x"] + BOX_W / 2
        boxes += [assessed, aside]
        links.append({"x1": stem, "y1": middle, "x2": aside["x"], "y2": middle})
        top = aside["y"] + aside["h"] + 10
    enrolled_lines = [f"Enrolled (n = {flow['enrolled']})"]
    if flow.get("simulated"):
        enrolled_lines.append(f"of whom simulated: {flow['simulated']}")
    if flow.get("pilot"):
        enrolled_lines.append(f"of whom pilot: {flow['pilot']}")
    enrolled = _box((width - BOX_W) / 2 if not declined else boxes[0]["x"], top, enrolled_lines)
    if declined:
        links.append(_link(boxes[0], enrolled))
    boxes.append(enrolled)
    y = enrolled["y"] + enrolled["h"] + 30
    stages = [_allocation_lines, _follow_up_lines, _analysis_lines]
    previous = [enrolled] * len(cells)
    for lines_of in stages:
        row = [_box(x, y, lines_of(cell, c)) for x, (cell, c) in zip(column_x, cells.items(), strict=True)]
        height = max(b["h"] for b in row)
        for box, above in zip(row, previous, strict=True):
            box["h"] = height
            links.append(_link(above, box))
        boxes += row
        previous = row
        y += height + 30
    return {"width": width, "height": y - 30 + PAD, "boxes": boxes, "links": links}


def _allocation_lines(cell: str, c: dict) -> list[str]:
    return [
        f"Allocated (n = {c['allocated']})",  # the cell's name below, wrapped: a long one would overrun the box
        *_wrapped(f"to {cell}"),
        f"received the intervention: {c['received']}",
        f"did not receive it: {c['not_received']}",
    ]


def _follow_up_lines(cell: str, c: dict) -> list[str]:
    lines = ["Follow-up", f"withdrawn: {c['withdrawn']}", *_reason_lines(c, "withdrawn")]
    if c.get("declined_consent"):  # their session ended at the consent step
        lines.append(f"declined consent: {c['declined_consent']}")
    if "incomplete" in c:  # consort.json from before incomplete sessions were counted has no such key
        lines.append(f"did not complete the session: {c['incomplete']}")
    return lines


def _analysis_lines(cell: str, c: dict) -> list[str]:
    """CONSORT's last box: analysed, and everyone left out with why (the same rule as the analysis)."""
    left_out = {
        "withdrawn": c["withdrawn"],
        "excluded": c["excluded"],
        "allocated in error": c.get("allocated_in_error", 0),
        "declined consent": c.get("declined_consent", 0),
        "incomplete": c.get("incomplete", 0),
        "pilot": c.get("pilot", 0),
    }
    lines = [f"Analysed (n = {c['analysed']})", f"excluded from analysis: {sum(left_out.values())}"]
    for what, n in left_out.items():
        if n:
            lines.append(f"  {what}: {n}")
            if what != "withdrawn":  # their reasons are in the follow-up box above
                lines += _reason_lines(c, what.replace(" ", "_"), indent="    ")
    return lines


def _reason_lines(c: dict, kind: str, indent: str = "  ") -> list[str]:
    return [f"{indent}{_short(reason)}: {n}" for reason, n in c.get("reasons", {}).get(kind, {}).items()]


def _short(text: str, limit: int = 24) -> str:
    """A reason short enough for its box; the full text is in consort.json and `placebolab status`."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _wrapped(text: str, limit: int = 30) -> list[str]:
    """``text`` in lines of at most ``limit`` characters, broken after a space or a cell name's "/"."""
    lines, line = [], ""
    for piece in text.replace("/", "/\0").replace(" ", " \0").split("\0"):
        if line and len(line + piece.rstrip()) > limit:
            lines.append(line.rstrip())
            line = ""
        line += piece
    return [*lines, line.rstrip()]


def _box(x: float, y: float, lines: list[str]) -> dict:
    return {"x": x, "y": y, "w": BOX_W, "h": PAD * 2 + LINE_H * len(lines), "lines": lines}


def _link(above: dict, below: dict) -> dict:
    return {
        "x1": above["x"] + above["w"] / 2,
        "y1": above["y"] + above["h"],
        "x2": below["x"] + below["w"] / 2,
        "y2": below["y"],
    }
