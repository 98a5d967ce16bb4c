"""Commands about allocation: audit the seal, record corrections and withdrawals, CONSORT status."""

from __future__ import annotations

import click


@click.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option(
    "--head",
    "heads",
    multiple=True,
    metavar="HASH",
    callback=lambda _ctx, _param, values: [_checked_head(v, "--head") for v in values],
    help="A chain head kept earlier (64 hex digits); it must still be in the log.",
)
@click.option(
    "--head-file",
    type=click.Path(dir_okay=False, exists=True),
    help="A file of kept chain heads (one per line, as --write-head writes them); each must still be in the log.",
)
@click.option(
    "--write-head",
    type=click.Path(dir_okay=False),
    help="When the audit finds nothing wrong, append the chain head to this file (keep it away from the store).",
)
def audit(study, heads, head_file, write_head):
    """Prove STUDY's allocations match the list sealed at init and its hash-chained log is intact.

    Replays the list from the sealed seed, checks it against the commitment printed at init, checks
    every participant's cell, intake, simulated/pilot flags and status against the log, every stored
    answer against its logged digest, the frozen protocol and stimuli against the bundle hash sealed
    at init, and the log's hash chain; names every break. A head kept earlier (--head, --head-file)
    that is no longer in the chain means the log was cut or rolled back. On PostgreSQL it needs the
    study owner's login. Exit code 9 if anything does not match.
    """
    from placebolab.allocation.audit import audit_study
    from placebolab.errors import AuditError
    from placebolab.store.base import now_iso
    from placebolab.study import Study

    kept = [*heads, *(read_heads(head_file) if head_file else [])]
    with Study.open(study) as opened:
        report = audit_study(opened, kept)
    for line in report.checked:
        click.echo(f"✓ {line}")
    for line in report.notes:
        click.echo(f"! {line}")
    click.echo(f"chain head: #{report.head[0]} {report.head[1]}")
    if not report.intact:
        raise AuditError("\n".join(f"{problem}" for problem in report.problems))
    if write_head:
        with open(write_head, "a", encoding="utf-8") as kept_file:
            kept_file.write(f"{report.head[1]}  #{report.head[0]}  {now_iso()}  {opened.folder}\n")
        click.echo(f"Chain head appended to {write_head}.")
    verdict = "intact" if not report.notes else "intact as far as sealed (see the ! lines: not everything is sealed)"
    click.echo(f"Audit of {study}: {verdict} (list commitment {opened.meta['list_sha256']}).")


def read_heads(path: str) -> list[str]:
    """The hashes of a head file: the first word of each line that is not empty or a # comment."""
    heads = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            heads.append(_checked_head(words[0], f"{path}:{number}"))
    return heads


def _checked_head(value: str, where: str) -> str:
    import re

    from placebolab.errors import StoreError

    if not re.fullmatch(r"[0-9a-f]{64}", value.lower()):
        raise StoreError(
            f"{where}: {value[:70]!r} is not a chain head; a head is the 64 hex digits printed as "
            "`chain head:` (and written by `placebolab audit --write-head`)"
        )
    return value.lower()


def echo_head(store) -> None:
    """Print the chain head, for the lab to keep away from the store (`audit --head` checks it later)."""
    number, digest = store.head()
    click.echo(f"chain head: #{number} {digest}  (keep it; `placebolab audit --head` checks it is still in the log)")


@click.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option("--participant", "-p", required=True, help="The participant the correction is about.")
@click.option(
    "--as",
    "kind",
    type=click.Choice(["withdrawn", "excluded", "allocated-in-error"]),
    required=True,
    help="withdrawn: left the study (consent withdrawn, dropped out); excluded: excluded after allocation "
    "(e.g. an eligibility criterion found unmet); allocated-in-error: should never have been allocated.",
)
@click.option("--reason", required=True, help="Why, in words that will appear in the CONSORT diagram.")
@click.option("--by", default=None, help="Who records it (default: your login name).")
def correct(study, participant, kind, reason, by):
    """Record a withdrawal, an exclusion or an allocation made in error for PARTICIPANT of STUDY.

    Nothing is deleted or changed: the correction is a new entry in the hash-chained log, and counts
    in `placebolab status` and the CONSORT diagram. A later correction supersedes an earlier one.
    """
    import getpass

    from placebolab.allocation.consort import CORRECTIONS
    from placebolab.study import Study

    with Study.open(study) as opened:
        opened.store.correct(participant, CORRECTIONS[kind], reason, by or getpass.getuser())
        click.echo(f"Recorded: {participant} {kind} ({reason}); nothing was deleted.")
        echo_head(opened.store)


@click.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option("--participant", "-p", required=True, help="The participant who withdraws.")
@click.option("--reason", required=True, help="Why (e.g. 'withdrew consent', 'felt unwell').")
@click.option("--by", default=None, help="Who records it (default: your login name).")
@click.pass_context
def withdraw(ctx, study, participant, reason, by):
    """Record that PARTICIPANT withdrew from STUDY (the same as `correct --as withdrawn`)."""
    ctx.invoke(correct, study=study, participant=participant, kind="withdrawn", reason=reason, by=by)


@click.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option("--reason", required=True, help="Why the study is unblinded now (e.g. 'primary analysis locked').")
@click.option("--by", default=None, help="Who unblinds (default: your login name).")
def unblind(study, reason, by):
    """Show STUDY's blinding key (code → level) and record in the log who unblinded, when and why.

    Run it once the blinded analysis is locked; `analyze` without --blinded then names the levels
    (before it, on real data, `analyze` warns and marks its report "Analysed before unblinding").
    On PostgreSQL it needs the study owner's login (the key is concealed from experimenters).
    """
    import getpass

    from placebolab.export.blinding import blinding_key
    from placebolab.study import Study

    with Study.open(study) as opened:
        key = blinding_key(opened)
        who = by or getpass.getuser()
        opened.store.log("unblinded", None, {"by": who, "reason": reason})
        head = opened.store.head()
    for factor, codes in key["factors"].items():
        click.echo(
            f"{factor}: "
            + ", ".join(
                f"{code} = {level}" for level, code in sorted(codes.items(), key=lambda kv: (len(kv[1]), kv[1]))
            )
        )
    arms = {cell: code for cell, code in key["cells"].items() if code.startswith("arm-")}
    for cell, code in arms.items():
        click.echo(f"arm {code} = {cell}")
    click.echo(f"Unblinded by {who} ({reason}); recorded in the study's log (chain head #{head[0]} {head[1]}).")


@click.command()
@click.argument("study", type=click.Path(file_okay=False))
def status(study):
    """Print STUDY's CONSORT counts: enrolled, allocated per cell, received the intervention, withdrawn,
    excluded and allocated in error with reasons, completed, analysed, and slots of the list left.

    Those who declined a consent asked before enrolment (online) are counted on the first line: never
    allocated, they are in no cell.

    "analysed" is what `placebolab analyze` analyses after `placebolab export`: completed sessions
    with no correction, pilot sessions left out."""
    from rich.console import Console

    from placebolab.allocation.consort import consort_counts
    from placebolab.study import Study

    with Study.open(study) as opened:
        counts = consort_counts(opened)
        summary = opened.store.allocation_summary()
    click.echo(
        f"{opened.name}: {counts['enrolled']} enrolled ({counts['simulated']} simulated, {counts['pilot']} pilot"
        + (f", {counts['declined_consent']} declined consent" if counts.get("declined_consent") else "")
        + "); "
        + (
            f"{counts['declined_before_enrolment']} declined consent before enrolment (not allocated); "
            if counts.get("declined_before_enrolment")
            else ""
        )
        + f"{summary['allocated']} of {summary['slots']} slots of the list used"
    )
    # allocated = withdrawn + excluded + allocated in error + declined consent + incomplete + pilot + analysed
    # (docs/tables.md);
    # analysed is whom `placebolab analyze` analyses: completed, no correction, not a pilot session.
    console = Console()
    for table in _consort_tables(counts["cells"], console.width):
        console.print(table)
    for cell, c in counts["cells"].items():
        for kind, reasons in c["reasons"].items():
            for reason, n in reasons.items():
                click.echo(f"  {cell}: {n} {kind.replace('_', ' ')} — {reason}")


CONSORT_ROWS: tuple[str, ...] = (
    "allocated",
    "received",
    "withdrawn",
    "excluded",
    "allocated_in_error",
    "declined_consent",
    "incomplete",
    "completed",
)
CONSORT_ROWS += ("pilot", "analysed")


def _consort_tables(cells: dict, width: int) -> list:
    """The CONSORT rows with one column per cell, split into as many tables as the terminal needs so that no
    cell name is ever cut: each level of a cell's name on its own line, a name too long for the screen folded."""
    from rich.table import Table

    labels = [row.replace("_", " ") for row in CONSORT_ROWS]
    first = max(map(len, labels)) + 4  # the label column with its padding and borders
    groups: list[list[tuple[str, str]]] = [[]]
    used = first
    for cell, c in cells.items():
        header = cell.replace("/", "/\n")
        needed = max(*map(len, header.splitlines()), *(len(str(c[row])) for row in CONSORT_ROWS)) + 3
        if groups[-1] and used + needed > width:
            groups.append([])
            used = first
        groups[-1].append((cell, header))
        used += needed
    tables = []
    for index, group in enumerate(groups):
        part = f" ({index + 1} of {len(groups)})" if len(groups) > 1 else ""
        table = Table(title=f"CONSORT flow per cell{part}")
        table.add_column("", no_wrap=True)
        for _, header in group:
            table.add_column(header, justify="right", overflow="fold")
        for row, label in zip(CONSORT_ROWS, labels, strict=True):
            table.add_row(label, *(str(cells[cell][row]) for cell, _ in group))
        tables.append(table)
    return tables
