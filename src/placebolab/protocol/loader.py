"""Load a protocol: YAML → typed model → cross-checks. Every problem found is reported, each located."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from placebolab.document.problems import DocPath, Positions, Problem, Report
from placebolab.document.validation import describe, in_file_order, validate_document
from placebolab.document.yaml_source import read_limited, read_yaml
from placebolab.errors import ProtocolError
from placebolab.protocol.models import Protocol

if TYPE_CHECKING:
    from placebolab.instruments import Instrument

ReadFile = Callable[[str], bytes]


def load_protocol(path: str | Path, template_findings: bool = True) -> Protocol:
    """Read, validate and check the protocol file at ``path``; raise ProtocolError listing every problem.
    ``template_findings=False`` lets templates that run but miss cells pass (the preview shows them)."""
    path = Path(path)
    if not path.is_file():
        raise ProtocolError(f"{path}: no such file; give the path of a protocol .yaml file")
    raw = read_limited(path)
    return parse_protocol(
        raw, str(path), _folder_reader(path.parent), folder=path.parent, template_findings=template_findings
    )


def parse_protocol(
    raw: bytes,
    name: str,
    read_file: ReadFile,
    folder: Path | None = None,
    *,
    frozen: bool = False,
    template_findings: bool = True,
    media_probes: Mapping[str, dict[str, Any]] | None = None,
) -> Protocol:
    """Validate protocol text named ``name``; ``read_file(path relative to the protocol)`` gives a stimulus file.
    ``folder``: the protocol's folder when ``read_file`` reads the disk; every read is then confined to the
    protocol's stimuli folder (protocol/files.py). Without it the files come from a study's store.
    ``frozen``: a study's own protocol, checked at its init; checks added since are not applied again, so
    that a study initialised before them still opens (its data can always be run, exported and analysed).
    ``media_probes``: what the study's init measured of its media files (``components.media.frozen_probes``):
    a file whose sha256 is there is not probed again."""
    from placebolab.protocol.checks import check_protocol

    data, positions = read_yaml(raw, name)
    if not isinstance(data, dict):
        got = "a list" if isinstance(data, list) else f"only {describe(data)}"
        message = f"the file holds {got}; a protocol is a mapping of keys, starting with `protocol: NAME`"
        raise ProtocolError([Problem(name, *positions.of(()), (), message)])
    if folder is not None:
        read_file = _confined(read_file, Path(folder), data.get("stimuli"), name, positions)
    instrument_files, file_problems = _read_instrument_files(data, positions, name, read_file, frozen=frozen)
    frozen_bank, bank_problems = _read_bank_instruments(data, read_file)
    file_problems += bank_problems
    context = {"instrument_files": instrument_files, "bank": frozen_bank}
    try:
        protocol = validate_document(Protocol, data, positions, name, context=context)
    except ProtocolError as exc:
        raise ProtocolError(file_problems + exc.problems) from None
    protocol._locator = lambda path, message: _locate(name, positions, path, message)
    problems = file_problems + check_protocol(
        protocol,
        read_file,
        protocol.locate,
        frozen=frozen,
        template_findings=template_findings,
        media_probes=media_probes,
        document=data,
    )
    if problems:
        raise ProtocolError(in_file_order(problems))
    from placebolab.protocol.language_checks import english_texts
    from placebolab.protocol.plan_checks import plan_warnings
    from placebolab.protocol.schedule import schedule_warnings

    warnings = [
        *schedule_warnings(protocol, protocol.locate),
        *plan_warnings(protocol, protocol.locate),
        *english_texts(protocol, protocol.locate),
    ]
    protocol._warnings = in_file_order(warnings)
    return protocol


def _confined(read_file: ReadFile, folder: Path, stimuli: object, name: str, positions: Positions) -> ReadFile:
    """``read_file`` limited to the stimuli folder; a `stimuli:` that points where no protocol may read is
    refused at once, before any file is read (every file would be outside it)."""
    from placebolab.protocol.files import confine, stimuli_root

    stimuli = stimuli if isinstance(stimuli, str) else None  # another type: the model reports it
    try:
        root = stimuli_root(folder, stimuli)
    except ValueError as exc:
        raise ProtocolError([_locate(name, positions, ("stimuli",), str(exc))]) from None
    return confine(read_file, folder, stimuli, root)


def _read_instrument_files(
    data: dict[str, Any], positions: Positions, name: str, read_file: ReadFile, *, frozen: bool = False
) -> tuple[dict[str, Instrument | None], list[Problem]]:
    """Instruments the protocol defines in files (``instruments: {my-scale: my-scale.yaml}``), each read
    through ``read_file`` (so a study freezes it like a stimulus) and validated with its own file and lines.
    Returns path → Instrument (None where the file has problems) and the problems. ``frozen``: as for
    :func:`parse_protocol` (a study's texts are not checked again for template syntax)."""
    from placebolab.instruments import Instrument
    from placebolab.protocol.files import OutsideStimuli, stimulus_key
    from placebolab.protocol.written_text import Names, check_written_texts

    defined = data.get("instruments")
    stimuli = data.get("stimuli")
    found: dict[str, Instrument | None] = {}
    problems: list[Problem] = []
    for instrument_id, value in defined.items() if isinstance(defined, dict) else []:
        if not isinstance(value, str):
            continue
        relative = stimulus_key(stimuli if isinstance(stimuli, str) else None, value)
        shown = os.path.normpath(os.path.join(os.path.dirname(name), relative))
        found[value] = None
        try:
            raw = read_file(relative)
        except OutsideStimuli as exc:
            problems.append(_locate(name, positions, ("instruments", instrument_id), str(exc)))
            continue
        except (FileNotFoundError, IsADirectoryError):
            where = f"the stimuli folder '{stimuli}'" if stimuli else "the protocol's folder"
            message = f"instrument file '{value}' not found in {where}; check the name or create it"
            problems.append(_locate(name, positions, ("instruments", instrument_id), message))
            continue
        try:
            instrument_data, instrument_positions = read_yaml(raw, shown)
            found[value] = validate_document(Instrument, instrument_data, instrument_positions, shown)
        except ProtocolError as exc:
            problems += exc.problems
            continue
        if not frozen:
            report = _reporter(problems, shown, instrument_positions)
            check_written_texts(Instrument, instrument_data, Names.of_document(data), report)
    return found, problems


def _read_bank_instruments(data: dict[str, Any], read_file: ReadFile) -> tuple[dict[str, Instrument], list[Problem]]:
    """The bank instruments the protocol's steps name, each read through ``read_file`` as
    ``placebolab-instruments/<id>.yaml``: a study serves the copy frozen at its init, so a later placebolab
    with reworded or rescored instruments cannot change a running study. Returns id → Instrument, problems."""
    from placebolab.instruments import BANK_FOLDER, Instrument, bank_file, bank_ids

    instruments, steps = data.get("instruments"), data.get("timeline")
    defined = instruments if isinstance(instruments, dict) else {}
    timeline = steps if isinstance(steps, list) else []
    used = {
        step["instrument"]
        for step in timeline
        if isinstance(step, dict) and isinstance(step.get("instrument"), str) and step["instrument"] not in defined
    }
    found: dict[str, Instrument] = {}
    problems: list[Problem] = []
    for instrument_id in sorted(used & set(bank_ids())):
        relative = f"{BANK_FOLDER}/{instrument_id}.yaml"
        try:
            raw = read_file(relative)
        except FileNotFoundError:  # a reader that does not know the bank: the package's copy
            raw = bank_file(relative)
        try:
            instrument_data, instrument_positions = read_yaml(raw, relative)
            found[instrument_id] = validate_document(Instrument, instrument_data, instrument_positions, relative)
        except ProtocolError as exc:
            problems += exc.problems
    return found, problems


def _folder_reader(protocol_dir: Path) -> ReadFile:
    from placebolab.instruments import with_bank

    return with_bank(lambda relative: (protocol_dir / relative).read_bytes())


def _reporter(problems: list[Problem], name: str, positions: Positions) -> Report:
    """A check's ``report`` that adds each problem, located in the file ``name``, to ``problems``."""
    return lambda path, message: problems.append(_locate(name, positions, path, message))


def _locate(name: str, positions: Positions, path: DocPath, message: str) -> Problem:
    return Problem(name, *positions.of(path), tuple(path), message)
