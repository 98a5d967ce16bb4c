"""Media files are probed once, at init: the study store keeps what was measured (by each file's sha256)
and `Study.open` reads it instead of running ffmpeg again; a study made before that is probed as then,
and the audit probes the frozen files again to check the record openings trust."""

from __future__ import annotations

import json
import sqlite3

import pytest

from placebolab.allocation.audit import audit_study
from placebolab.components import media
from placebolab.study import Study

from .files import make_wav
from .test_media_steps import media_protocol


@pytest.fixture
def study_folder(tmp_path):
    folder = tmp_path / "study"
    Study.init(media_protocol(tmp_path), folder, seed=1).close()
    return folder


def _opened(folder):
    """Study.open, read at once and closed (the store holds no lock on the data the tests read)."""
    study = Study.open(folder)
    study.close()
    return study


def _counting_probes(monkeypatch) -> list[str]:
    """Replace every probe by one that counts its calls (and still measures)."""
    calls = []
    for kind, probe in dict(media._PROBES).items():

        def counted(name, content, probe=probe, kind=kind):
            calls.append(kind)
            return probe(name, content)

        monkeypatch.setitem(media._PROBES, kind, counted)
    return calls


def _all_media(study) -> dict:
    protocol = study.protocol
    return {
        (step, cell.id): protocol.media(step, cell.id)
        for step in ("portrait", "voice", "vignette")
        for cell in protocol.cells
    }


def _set_meta(folder, key, value) -> None:
    with sqlite3.connect(folder / "study.db") as db:
        if value is None:
            db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            db.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
    db.close()


def test_opening_a_study_reads_the_probes_frozen_at_init(study_folder, monkeypatch):
    study = _opened(study_folder)
    probed_at_init, recorded = _all_media(study), json.loads(study.meta[media.MEDIA_PROBES])
    assert {p["kind"] for p in recorded.values()} == {"image", "audio", "video"}
    assert len(recorded) == 2 + 1 + 4  # one record per distinct file

    calls = _counting_probes(monkeypatch)
    assert _all_media(_opened(study_folder)) == probed_at_init  # durations, sizes, hashes, an image step's duration
    assert calls == []


def test_a_study_made_before_the_record_is_probed_as_then(study_folder, monkeypatch):
    probed_at_init = _all_media(_opened(study_folder))
    _set_meta(study_folder, media.MEDIA_PROBES, None)
    calls = _counting_probes(monkeypatch)
    study = Study.open(study_folder)
    assert _all_media(study) == probed_at_init
    assert audit_study(study).intact
    study.close()
    assert sorted(set(calls)) == ["audio", "image", "video"]


def test_a_record_is_used_only_for_the_file_it_was_measured_on(tmp_path):
    """Keyed by the content's sha256: a record of another file, of another kind or not shaped as a probe's
    result is not taken."""
    content = make_wav(tmp_path / "voice.wav", seconds=1.5).read_bytes()
    step = media.AudioStep(id="voice", type="audio", source="voice.wav")
    other = {"0" * 64: {"kind": "audio", "duration": 99.0, "size": None}}
    assert step.probe("voice.wav", content, other).duration == pytest.approx(1.5)
    same = step.probe("voice.wav", content)
    wrong_kind = {same.sha256: {"kind": "video", "duration": 99.0, "size": [1, 1]}}
    assert step.probe("voice.wav", content, wrong_kind).duration == pytest.approx(1.5)
    malformed = {same.sha256: {"kind": "audio", "duration": "7 s", "size": None}}
    assert step.probe("voice.wav", content, malformed).duration == pytest.approx(1.5)
    right = {same.sha256: {"kind": "audio", "duration": 7.0, "size": None}}
    assert step.probe("voice.wav", content, right).duration == 7.0  # trusted: the audit re-probes it


def test_the_audit_names_a_changed_record(study_folder):
    study = Study.open(study_folder)
    recorded = json.loads(study.meta[media.MEDIA_PROBES])
    report = audit_study(study)
    assert report.intact and any(line.startswith("media: 7 files") for line in report.checked)
    study.close()
    video = next(sha for sha, p in recorded.items() if p["kind"] == "video")
    recorded[video]["duration"] = 1.0  # a shorter film: participants would be moved on before its end
    _set_meta(study_folder, media.MEDIA_PROBES, json.dumps(recorded))
    study = Study.open(study_folder)
    assert 1.0 in {study.protocol.media("vignette", cell.id).duration for cell in study.protocol.cells}  # trusted
    report = audit_study(study)
    study.close()
    assert not report.intact
    assert any("measures" in p and "the store records" in p and "duration': 1.0" in p for p in report.problems)


def test_a_study_on_postgresql_opens_from_its_record_too(tmp_path, pg_url, monkeypatch):
    Study.init(media_protocol(tmp_path), tmp_path / "server", seed=1, store_url=pg_url).close()
    calls = _counting_probes(monkeypatch)
    study = Study.open(tmp_path / "server")
    try:
        assert study.protocol.media("vignette", "warm/low").duration == pytest.approx(2.0, abs=0.15)
        assert calls == []
    finally:
        study.close()
