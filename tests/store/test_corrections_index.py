"""The SQLite index ``corrections`` (schema.sql): every log entry tests its condition, so it must not make SQLite
build a temporary table at each insert (an IN of three or more values does); and a participant's latest
correction is still found through it, in a study made now and in one made with the index's earlier form."""

from __future__ import annotations

import pytest

from placebolab.store.base import _LATEST_CORRECTION
from placebolab.study import Study
from tests.conftest import FLAGSHIP

INTAKE = {"sex": "female", "age": 31, "name": "Robin"}
EARLIER_FORM = "kind IN ('withdrawn', 'excluded', 'allocated_in_error')"  # schema.sql's before it changed


@pytest.fixture(params=["now", "earlier"])
def study(tmp_path, request):
    study = Study.init(FLAGSHIP, tmp_path / "study", seed=7)
    if request.param == "earlier":
        study.store._db.executescript(
            f"DROP INDEX corrections; CREATE INDEX corrections ON events (participant, id) WHERE {EARLIER_FORM};"
        )
    yield study
    study.close()


def _plan(study, query: str, params: tuple) -> str:
    return " | ".join(row[3] for row in study.store._db.execute(f"EXPLAIN QUERY PLAN {query}", params))


def test_a_log_entry_builds_no_temporary_table(tmp_path):
    study = Study.init(FLAGSHIP, tmp_path / "study", seed=7)
    program = study.store._db.execute(
        "EXPLAIN INSERT INTO events (id, at, participant, kind, detail, hash) VALUES (?, ?, ?, ?, ?, ?)", (0,) * 6
    )
    assert "OpenEphemeral" not in [row[1] for row in program]
    study.close()


def test_the_latest_correction_is_found_through_the_index(study):
    for pid in ("P001", "P002", "P003"):
        study.store.enrol(pid, "sex=female", INTAKE)
    study.store.correct("P001", "excluded", "protocol deviation", "owner")
    study.store.correct("P001", "withdrawn", "asked to stop", "owner")
    study.store.correct("P002", "allocated_in_error", "not eligible", "owner")
    latest = [study.store.latest_correction(p) for p in ("P001", "P002", "P003")]
    assert latest == ["withdrawn", "allocated_in_error", None]
    query = _LATEST_CORRECTION.format(participant="?")
    assert "USING INDEX corrections" in _plan(study, query, ("P001",))
    linked = f"SELECT participant, ({_LATEST_CORRECTION.format(participant='links.participant')}) FROM links"
    assert "USING INDEX corrections" in _plan(study, linked, ())
