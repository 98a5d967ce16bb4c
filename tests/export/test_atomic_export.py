"""Exports are swapped in whole: a crash (an exception halfway, or kill -9 at any moment) leaves the previous
export or the new one, never a mix, and a blinded export folder never holds an unblinded file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from placebolab.errors import StoreError
from placebolab.export import export_study
from tests.export.probe import probe_study, run_participants
from tests.export.test_blinded_export import names_found

FORMATS = ("csv", "parquet", "sav")
EVERY_FILE = {
    "long.csv", "wide.csv", "steps.csv", "codebook.json", "codebook.csv", "consort.json",
    "wide.parquet", "long.parquet", "wide.sav",
}  # fmt: skip


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


def assert_complete(folder: Path, participants: int, blinded: bool) -> None:
    """Every file present and every table of the same export: all hold ``participants`` people."""
    assert {p.name for p in folder.iterdir()} == EVERY_FILE
    for table in (pd.read_csv(folder / "wide.csv"), pd.read_parquet(folder / "wide.parquet")):
        assert len(table) == participants
    assert pd.read_csv(folder / "long.csv").participant.nunique() == participants
    assert pd.read_parquet(folder / "long.parquet").participant.nunique() == participants
    assert len(pyreadstat.read_sav(str(folder / "wide.sav"))[0]) == participants
    if blinded:
        assert names_found(folder) == {}


@pytest.fixture
def probe(tmp_path):
    study = probe_study(tmp_path)
    run_participants(study, 8)
    yield study
    study.close()


def _failing_second_csv(monkeypatch) -> None:
    """pandas' to_csv writes half of the second table it is asked for, then the disk is 'full'."""
    original, calls = pd.DataFrame.to_csv, []

    def to_csv(self, path_or_buf=None, **kwargs):
        calls.append(1)
        if len(calls) < 2:
            return original(self, path_or_buf, **kwargs)
        text = original(self, None, **kwargs)
        half = text[: len(text) // 2]
        if isinstance(path_or_buf, str | os.PathLike):
            Path(path_or_buf).write_text(half)
        else:
            path_or_buf.write(half)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)


@pytest.mark.parametrize("blinded", [False, True], ids=["plain", "blinded"])
def test_a_write_failing_halfway_leaves_the_previous_export_whole(probe, monkeypatch, blinded):
    folder = export_study(probe, formats=FORMATS, blinded=blinded)
    before = snapshot(folder)
    run_participants(probe, 4, first=9)
    with monkeypatch.context() as patched:
        _failing_second_csv(patched)
        with pytest.raises(StoreError, match="No space left on device.*the previous export is unchanged"):
            export_study(probe, formats=FORMATS, blinded=blinded)
    assert snapshot(folder) == before  # not one byte of the new export, no truncated table
    assert_complete(folder, 8, blinded)
    assert not [p for p in folder.parent.iterdir() if ".new-" in p.name or ".old-" in p.name]
    assert export_study(probe, formats=FORMATS, blinded=blinded) == folder
    assert_complete(folder, 12, blinded)


def test_a_crash_between_the_two_renames_is_finished_by_the_next_export(tmp_path, monkeypatch):
    from placebolab.export.folder import replace_folder

    target = tmp_path / "export"
    replace_folder(target, lambda f: (f / "wide.csv").write_text("old"))
    original, renames = Path.rename, []

    def rename(self, to):
        renames.append(to)
        if len(renames) == 2:  # the old folder is aside, the new one not yet in: the machine stops here
            raise SystemExit("power cut")
        return original(self, to)

    with monkeypatch.context() as patched:
        patched.setattr(Path, "rename", rename)
        with pytest.raises(SystemExit):
            replace_folder(target, lambda f: (f / "wide.csv").write_text("new"))
    assert not target.exists()  # absent for a moment, never mixed; both copies kept
    assert {p.name.split("-")[0] for p in tmp_path.iterdir()} == {".export.old", ".export.new", ".export.lock"}

    seen = []
    replace_folder(target, lambda f: seen.append((target / "wide.csv").read_text()))
    assert seen == ["new"]  # the interrupted swap was finished before anything else
    assert [p.name for p in tmp_path.iterdir() if p.name != ".export.lock"] == ["export"]


def test_an_export_never_replaces_a_folder_of_other_files(probe, tmp_path):
    mine = tmp_path / "my-folder"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work")
    with pytest.raises(StoreError, match=r"holds files that are not part of an export \(thesis.docx\)"):
        export_study(probe, mine)
    assert [p.name for p in mine.iterdir()] == ["thesis.docx"]


# --- kill -9 of a real `placebolab export --blinded` ------------------------------------------------


def _stat(folder: Path):
    try:
        return {p.name: (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}
    except FileNotFoundError:
        return None


def _new_folder_files(folder: Path) -> int:
    """Files in the hidden folder the export is being written into, or -1 when there is none."""
    for hidden in folder.parent.glob(f".{folder.name}.new-*"):
        try:
            return len(os.listdir(hidden))
        except FileNotFoundError:
            pass
    return -1


KILL_WHEN = {
    "writing starts": lambda folder, old: _new_folder_files(folder) >= 0,
    "half written": lambda folder, old: _new_folder_files(folder) >= 4,
    "all written": lambda folder, old: _new_folder_files(folder) >= len(EVERY_FILE),
    "old moved aside": lambda folder, old: any(folder.parent.glob(f".{folder.name}.old-*")),
    "export folder changed": lambda folder, old: _stat(folder) != old,
}


def _kill_export(study_folder: Path, when) -> str:
    folder = study_folder / "export-blinded"
    old = _stat(folder)
    command = [
        sys.executable,
        "-m",
        "placebolab.cli",
        "export",
        str(study_folder),
        "--blinded",
        "--format",
        "csv,parquet,sav",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if when(folder, old):
            process.send_signal(signal.SIGKILL)
            process.wait()
            return "killed"
    process.wait()
    assert process.returncode == 0, process.stderr.read().decode()
    return "finished"


def test_kill_9_during_a_blinded_export_leaves_the_old_or_the_new_export(probe):
    folder = export_study(probe, formats=FORMATS, blinded=True)
    people = held = 8  # enrolled, and in the export folder
    outcomes = {}
    for moment, when in KILL_WHEN.items():
        before = snapshot(folder)
        run_participants(probe, 1, first=people + 1)
        people += 1
        outcomes[moment] = _kill_export(probe.folder, when)
        if not folder.exists():  # killed between the two renames: the complete new export waits beside it
            assert moment in ("old moved aside", "export folder changed"), moment  # its absence is a change
            export_study(probe, formats=FORMATS, blinded=True)
            held = people
        elif snapshot(folder) != before:
            held = people  # the new one, whole (checked below)
        assert_complete(folder, held, blinded=True)  # else the old one, untouched
    assert list(outcomes.values()).count("killed") >= 3, outcomes
    export_study(probe, formats=FORMATS, blinded=True)  # cleans every hidden leftover of the kills
    assert_complete(folder, people, blinded=True)
    assert sorted(p.name for p in probe.folder.iterdir() if p.name.startswith(".export-blinded")) == [
        ".export-blinded.lock"
    ]


def test_a_report_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    """report.html is written beside itself and renamed over the old one: a crash before the rename leaves
    the old report whole (never a truncated one) and no temporary file behind."""
    import placebolab.report.html as render
    from placebolab.report import write_report

    report = tmp_path / "report.html"
    monkeypatch.setattr(render, "render_report", lambda results: results["html"])
    write_report({"html": "<p>old</p>"}, report)

    def power_cut(source, target):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("os.replace", power_cut)
    with pytest.raises(OSError, match="Input/output"):
        write_report({"html": "<p>new</p>" * 100_000}, report)
    assert report.read_text() == "<p>old</p>"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
